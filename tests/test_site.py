"""The built site, read as a reader's browser and a host would."""

from __future__ import annotations

import filecmp
import posixpath
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from bulletin import pipeline
from search.scripts import make_converter

from .conftest import FIXTURES, parse_page


def _pages(output: Path) -> list[Path]:
    return sorted(output.rglob("*.html"))


def _resolve(output: Path, page: Path, link: str, base_path: str = "/") -> Path | None:
    """The file a link on ``page`` leads to, or None for links that leave the site."""
    parts = urlsplit(link)
    if parts.scheme or parts.netloc or link.startswith("#") or link.startswith("mailto:"):
        return None
    page_url = "/" + page.relative_to(output).as_posix()
    if parts.path.startswith("/"):
        assert parts.path.startswith(base_path), f"{page}: {link} is outside {base_path}"
        target = "/" + parts.path[len(base_path) :]
    else:
        target = posixpath.normpath(posixpath.join(posixpath.dirname(page_url), parts.path))
        if parts.path.endswith("/"):
            target += "/"
    target = unquote(target)
    path = output / target.lstrip("/")
    return path / "index.html" if target.endswith("/") else path


def _broken_links(output: Path, base_path: str = "/") -> list[str]:
    broken = []
    for page in _pages(output):
        for link in parse_page(page).links:
            target = _resolve(output, page, link, base_path)
            if target is not None and not target.is_file():
                broken.append(f"{page.relative_to(output)}: {link}")
    return broken


def test_minimal_site_has_every_kind_of_page(minimal_site: Path) -> None:
    for variant in ("zh-hans", "zh-hant"):
        for path in (
            "index.html",
            "articles/linying-jiti-jingji/index.html",
            "counties/index.html",
            "counties/lin-ying-xian/index.html",
            "themes/index.html",
            "themes/cun-ji-ji-ti-jing-ji/index.html",
            "slogans/index.html",
            "slogans/si-yi-liang-gong-kai/index.html",
            "issues/index.html",
            "issues/2016-01/index.html",
            "archive/index.html",
            "archive/2016/index.html",
            "archive/2016/08/index.html",
            "about/index.html",
            "search/index.html",
            "feed.xml",
        ):
            assert (minimal_site / variant / path).is_file(), f"{variant}/{path}"
    for path in ("index.html", "404.html", "sitemap.xml", "robots.txt", "_search/meta.json"):
        assert (minimal_site / path).is_file(), path


@pytest.mark.parametrize("site", ["minimal_site", "variants_site"])
def test_every_internal_link_resolves(site: str, request: pytest.FixtureRequest) -> None:
    output = request.getfixturevalue(site)
    assert _broken_links(output) == []


def test_links_resolve_under_a_sub_path(tmp_path: Path) -> None:
    output = tmp_path / "bulletin"
    pipeline.build(FIXTURES / "variants", output, base_url="http://intranet/bulletin/")
    assert _broken_links(output, base_path="/bulletin/") == []
    home = (output / "zh-hans" / "index.html").read_text(encoding="utf-8")
    assert 'rel="canonical" href="http://intranet/bulletin/zh-hans/"' in home
    not_found = (output / "404.html").read_text(encoding="utf-8")
    assert 'href="/bulletin/zh-hans/"' in not_found
    assert "http://intranet/bulletin/sitemap.xml" in (output / "robots.txt").read_text()


def test_no_page_loads_anything_from_another_host(variants_site: Path) -> None:
    for page in _pages(variants_site):
        html = page.read_text(encoding="utf-8")
        for match in re.finditer(r'<(?:script|link|img|iframe)\b[^>]*(?:src|href)="([^"]+)"', html):
            url = match.group(1)
            rel = re.search(r'rel="([^"]+)"', match.group(0))
            if rel and rel.group(1) in ("canonical", "alternate"):
                continue
            assert not urlsplit(url).netloc, f"{page}: {url}"


def test_drafts_appear_nowhere(variants_site: Path) -> None:
    needles = ["草稿", "绝密", "保密", "draft-secret", "bao-mi"]
    for path in sorted(p for p in variants_site.rglob("*") if p.is_file()):
        data = path.read_bytes()
        for needle in needles:
            assert needle.encode("utf-8") not in data, f"{path} contains {needle}"


def test_no_script_from_content_reaches_a_reader(variants_site: Path) -> None:
    for variant in ("zh-hans", "zh-hant", "zh-hk"):
        html = (variants_site / variant / "articles/shenqian/index.html").read_text("utf-8")
        body = html.split('<div class="article-body">')[1].split("</article>")[0]
        assert "<script" not in body and "onclick" not in body and "javascript:" not in body
        assert "點擊之後的文字" in body or "点击之后的文字" in body or "點擊之後的文字" in body


@pytest.mark.parametrize(("variant", "config"), [("zh-hant", "zh-hant"), ("zh-hk", "zh-hk")])
def test_traditional_pages_hold_no_simplified_text(
    variants_site: Path, variant: str, config: str, recheck
) -> None:
    """Converting the visible text of a Traditional page again changes nothing."""
    converter = recheck(variants_site, config)
    for page in _pages(variants_site / variant):
        parsed = parse_page(page)
        assert parsed.html_lang.startswith("zh-Hant")
        for text in [*parsed.text, *parsed.attribute_text]:
            if text.strip() and "漯河日报" not in text and "后台" not in text:
                assert converter.convert(text) == text, f"{page}: {text!r}"


def test_feeds_are_converted_too(variants_site: Path) -> None:
    feed = ET.parse(variants_site / "zh-hant" / "feed.xml").getroot()
    ns = {"a": "http://www.w3.org/2005/Atom"}
    titles = [e.text for e in feed.findall("a:entry/a:title", ns)]
    assert "審簽與款物折合" in titles
    converter = make_converter("zh-hant", variants_site / "_search" / "phrases.txt")
    for element in feed.iter():
        if element.text and element.text.strip():
            assert converter.convert(element.text) == element.text


def test_protected_text_is_kept_as_written(variants_site: Path) -> None:
    html = (variants_site / "zh-hant/articles/shenqian/index.html").read_text("utf-8")
    assert "發行單位為 漯河日报 與 后台 系統" in html
    assert "-{" not in html and "\ue000" not in html


def test_switcher_leads_to_the_same_page_and_names_its_script(variants_site: Path) -> None:
    html = (variants_site / "zh-hant/articles/shenqian/index.html").read_text("utf-8")
    assert '<html lang="zh-Hant">' in html
    assert (
        '<a href="../../../zh-hans/articles/shenqian/" hreflang="zh-Hans" lang="zh-Hans">简体</a>'
        in html
    )
    assert 'hreflang="zh-Hant-HK" href="/zh-hk/articles/shenqian/"' in html
    assert "<title>審簽與款物折合 - 社區工作簡報</title>" in html


def test_phrase_dictionary_and_character_forms_in_pages(variants_site: Path) -> None:
    html = (variants_site / "zh-hant/articles/shenqian/index.html").read_text("utf-8")
    assert "落實審簽制度，款物折合計入臺賬，健全黨內制度" in html
    assert "社區項目文件" in html


def test_lists_paginate_and_explicit_slugs_apply(variants_site: Path) -> None:
    county = variants_site / "zh-hans" / "counties" / "mou-qu"
    assert (county / "index.html").is_file()
    assert (county / "page" / "3" / "index.html").is_file()  # 5 articles, 2 a page
    assert not (county / "page" / "4").exists()
    page2 = (county / "page" / "2" / "index.html").read_text("utf-8")
    assert page2.count('class="article-list-title"') == 2


def test_slogan_page_lists_the_counties_using_it(variants_site: Path) -> None:
    html = (variants_site / "zh-hans/slogans/1-2-3-x/index.html").read_text("utf-8")
    assert "使用这一提法的县区" in html and 'href="../../counties/mou-qu/"' in html


def test_sitemap_lists_every_variant_with_alternates(variants_site: Path) -> None:
    root = ET.parse(variants_site / "sitemap.xml").getroot()
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}
    locs = [u.find("s:loc", ns).text for u in root.findall("s:url", ns)]
    assert "/zh-hant/articles/shenqian/" in locs
    assert all(len(u.findall("x:link", ns)) == 3 for u in root.findall("s:url", ns))


def test_builds_are_deterministic(tmp_path: Path) -> None:
    first, second = tmp_path / "one", tmp_path / "two"
    pipeline.build(FIXTURES / "variants", first)
    pipeline.build(FIXTURES / "variants", second)
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    files = [f for f in files if f.parts[:2] != ("_search", "whoosh")]
    assert files == sorted(
        p.relative_to(second)
        for p in second.rglob("*")
        if p.is_file() and p.relative_to(second).parts[:2] != ("_search", "whoosh")
    )
    match, mismatch, errors = filecmp.cmpfiles(
        first, second, [str(f) for f in files], shallow=False
    )
    assert mismatch == [] and errors == []
    assert len(match) == len(files) > 50


def test_feeds_assets_and_sitemap_have_byte_exact_gzip_twins_and_pages_none(
    variants_site: Path,
) -> None:
    import gzip

    texts = [
        p
        for p in variants_site.rglob("*")
        if p.suffix in {".xml", ".css", ".js", ".svg", ".txt", ".json"} and "_search" not in p.parts
    ]
    assert len(texts) > 10
    for path in texts:
        twin = path.with_name(path.name + ".gz")
        assert gzip.decompress(twin.read_bytes()) == path.read_bytes(), path
    # nginx's gzip on compresses pages as they are sent (docs/nginx.conf)
    assert not list(variants_site.rglob("*.html.gz"))


def test_feeds_per_county_and_theme_parse_and_hold_no_draft(variants_site: Path) -> None:
    ns = {"a": "http://www.w3.org/2005/Atom"}
    feeds = sorted(variants_site.glob("*/counties/*/feed.xml")) + sorted(
        variants_site.glob("*/themes/*/feed.xml")
    )
    assert len(feeds) == 3 * (2 + 2)  # three scripts, two counties and two themes
    county = ET.parse(variants_site / "zh-hant/counties/mou-qu/feed.xml").getroot()
    assert county.find("a:title", ns).text == "某市某區 - 社區工作簡報"
    assert len(county.findall("a:entry", ns)) == 5
    for feed in feeds:
        assert b"draft-secret" not in feed.read_bytes()
