"""The issue page as the whole issue: masthead, 编者按, contents, then every published
article in full and in order, in every script; kept right by incremental builds."""

from __future__ import annotations

import itertools
import re
import shutil
from pathlib import Path

import pytest

from bulletin import pipeline
from bulletin.content import load_site, parse_tree
from bulletin.problems import ContentError
from bulletin.render import embedded_body
from bulletin.sources import read_tree

from .conftest import FIXTURES, ROOT, parse_page
from .test_cache import _clean_build_equals

VARIANTS = ("zh-hans", "zh-hant")
_SECTION_RE = re.compile(
    r'<article class="issue-article" id="article-([a-z0-9-]+)"(.*?)</article>', re.S
)
_BODY_RE = re.compile(r'<div class="article-body">\n(.*?)\n  +</div>', re.S)


def _sections(page: Path) -> list[tuple[str, str]]:
    """(slug, HTML) of each article shown in full on an issue page, in page order."""
    return _SECTION_RE.findall(page.read_text("utf-8"))


def _body(html: str) -> str:
    match = _BODY_RE.search(html)
    assert match, "no article body"
    return match.group(1)


def _sample_issues():
    tree = read_tree(ROOT / "content")
    site, problems = load_site(tree, parse_tree(tree, {}), "content")
    assert not [p for p in problems if p.severity == "error"]
    return site


def test_every_published_article_is_on_its_issue_page_in_full_and_in_order(
    sample_site: Path,
) -> None:
    site = _sample_issues()
    published = {a.slug for a in site.articles}
    assert site.issues
    for issue in site.issues:
        expected = [slug for slug in issue.articles if slug in published]
        assert expected, issue.slug
        for variant in VARIANTS:
            page = sample_site / variant / "issues" / issue.slug / "index.html"
            sections = _sections(page)
            assert [slug for slug, _ in sections] == expected, (variant, issue.slug)
            for slug, html in sections:
                own = (sample_site / variant / "articles" / slug / "index.html").read_text("utf-8")
                # the article's whole body, as on its own page (headings one level down,
                # ids prefixed), and a link to that page
                assert _body(html) == embedded_body(_body(own), slug), (variant, slug)
                assert f'href="../../articles/{slug}/"' in html


def test_the_masthead_note_and_contents(sample_site: Path) -> None:
    site = _sample_issues()
    issue = next(i for i in site.issues if i.slug == "2017-05")
    page = sample_site / "zh-hans" / "issues" / "2017-05" / "index.html"
    html = page.read_text("utf-8")
    masthead = html.split('<header class="masthead">')[1].split("</header>")[0]
    h1 = re.sub(r"<[^>]+>", "", masthead.split("</h1>")[0])
    assert h1.strip() == f"{site.config.title} 第5期（总第65期）"
    assert site.config.publisher == "经验交流简报编辑部 编印"
    assert site.config.publisher in masthead
    assert '<time class="masthead-date" datetime="2017-05-31">2017年5月31日</time>' in masthead
    assert html.index('id="note-heading"') < html.index('id="contents-heading"')
    assert "去年第8期刊发漯河各县区经验后" in html
    # the contents: one link per article, to its anchor on this page, in order
    contents = html.split('<ol class="issue-contents">')[1].split("</ol>")[0]
    targets = re.findall(r'href="#article-([a-z0-9-]+)"', contents)
    assert targets == list(issue.articles)
    for slug in targets:
        assert html.count(f'id="article-{slug}"') == 1
    parsed = parse_page(page)
    assert parsed.text.count(site.config.title) >= 2  # the header's and the masthead's


def test_the_sample_issue_shows_a_table_a_footnote_and_an_image(sample_site: Path) -> None:
    html = (sample_site / "zh-hant" / "issues" / "2017-05" / "index.html").read_text("utf-8")
    body = dict(_sections(sample_site / "zh-hant" / "issues" / "2017-05" / "index.html"))
    article = body["linying-jiti-jingji"]
    assert "<table>" in article and "<th>指標</th>" in article
    assert '<img alt="縣、鄉、村三級黨群服務中心示意圖" src="../../../static/images/' in article
    # the footnote and its reference lead to each other, with ids of their own article
    assert 'href="#linying-jiti-jingji--fn:1"' in article
    assert 'id="linying-jiti-jingji--fn:1"' in article
    assert 'href="#linying-jiti-jingji--fnref:1"' in article
    assert (sample_site / "static" / "images" / "fuwu-zhongxin.svg").is_file()
    assert html.count('class="footnote"') >= 2  # more than one article has footnotes


def test_ids_are_unique_and_every_in_page_link_has_its_target(sample_site: Path) -> None:
    for variant in VARIANTS:
        for page in sorted((sample_site / variant / "issues").glob("*/index.html")):
            html = page.read_text("utf-8")
            ids = re.findall(r'\sid="([^"]+)"', html)
            assert len(ids) == len(set(ids)), f"{page}: duplicate ids"
            for target in re.findall(r'\shref="#([^"]+)"', html):
                assert target in ids, f"{page}: #{target} leads nowhere"


def test_headings_stay_in_order_below_each_article_title(sample_site: Path) -> None:
    page = sample_site / "zh-hans" / "issues" / "2018-10" / "index.html"
    html = page.read_text("utf-8")
    assert html.count("<h1") == 1
    levels = [int(level) for level in re.findall(r"<h([1-6])[\s>]", html)]
    for before, after in itertools.pairwise(levels):
        assert after <= before + 1, levels
    for _, section in _sections(page):
        body = _body(section)
        assert "<h1" not in body and "<h2" not in body  # the article's title is the h2


def test_traditional_issue_pages_hold_no_simplified_text(sample_site: Path, recheck) -> None:
    converter = recheck(sample_site, "zh-hant")
    for page in sorted((sample_site / "zh-hant" / "issues").glob("*/index.html")):
        parsed = parse_page(page)
        assert parsed.html_lang == "zh-Hant"
        for text in [*parsed.text, *parsed.attribute_text]:
            # 漯河日报 is written -{漯河日报}- in its article: kept as written
            if text.strip() and "漯河日报" not in text:
                assert converter.convert(text) == text, f"{page}: {text!r}"


def test_embedded_body_moves_headings_and_prefixes_ids() -> None:
    html = (
        '<h2 id="zuo-fa">做法</h2><p title="a id=">x id="y" <sup id="fnref:1">'
        '<a class="footnote-ref" href="#fn:1">1</a></sup></p><h6>小</h6>'
        '<a href="../../articles/b/#zuo-fa">b</a><img alt="a&gt;b" src="x.svg">'
        '<li id="fn:1"><a class="footnote-backref" href="#fnref:1" title="返回正文">↩</a></li>'
    )
    assert embedded_body(html, "a-b") == (
        '<h3 id="a-b--zuo-fa">做法</h3><p title="a id=">x id="y" <sup id="a-b--fnref:1">'
        '<a class="footnote-ref" href="#a-b--fn:1">1</a></sup></p><h6>小</h6>'
        '<a href="../../articles/b/#zuo-fa">b</a><img alt="a&gt;b" src="x.svg">'
        '<li id="a-b--fn:1"><a class="footnote-backref" href="#a-b--fnref:1" '
        'title="返回正文">↩</a></li>'
    )


# --- the masthead's keys ----------------------------------------------------------------


def test_bad_masthead_keys_give_the_expected_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    folder = FIXTURES / "issue-masthead"
    expected = (folder / "expected.txt").read_text(encoding="utf-8").splitlines()
    problems = pipeline.check(folder.relative_to(ROOT)).problems
    assert [str(p) for p in problems] == expected


def test_without_number_or_publisher_the_masthead_shows_the_title(
    tmp_path: Path,
) -> None:
    content = tmp_path / "content"
    shutil.copytree(FIXTURES / "minimal", content)
    (content / "issues" / "2016-01.md").write_text(
        "---\ntitle: 脱贫攻坚专刊\ndate: 2016-09-10\narticles: [wuyang-tuopin]\n---\n专刊。\n",
        encoding="utf-8",
    )
    site = tmp_path / "site"
    pipeline.build(content, site)
    html = (site / "zh-hans" / "issues" / "2016-01" / "index.html").read_text("utf-8")
    masthead = html.split('<header class="masthead">')[1].split("</header>")[0]
    assert '<span class="masthead-number">脱贫攻坚专刊</span>' in masthead
    assert "masthead-publisher" not in masthead and "总第" not in masthead
    assert [slug for slug, _ in _sections(site / "zh-hans/issues/2016-01/index.html")] == [
        "wuyang-tuopin"
    ]


# --- incremental builds -----------------------------------------------------------------


@pytest.fixture
def content(tmp_path: Path) -> Path:
    folder = tmp_path / "content"
    shutil.copytree(FIXTURES / "variants", folder)
    return folder


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_an_article_edit_reaches_its_issue_page_as_a_clean_build_has_it(
    content: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    pipeline.build(content, site)
    # a body edit: the short way, where only the pages that show the article are keyed
    # again (the issue page among them, by the body it shows)
    _edit(content / "articles" / "shequ-1.md", "第1篇。", "第1篇。居民评议说好。")
    found, changed_bodies = [], pipeline.changed_bodies
    monkeypatch.setattr(
        pipeline, "changed_bodies", lambda *args: found.append(changed_bodies(*args)) or found[-1]
    )
    pipeline.build(content, site)
    assert found == [{"shequ-1"}]
    for name in ("zh-hans", "zh-hant", "zh-hk"):
        page = site / name / "issues" / "2017-01" / "index.html"
        section = dict(_sections(page))["shequ-1"]
        own = (site / name / "articles" / "shequ-1" / "index.html").read_text("utf-8")
        assert _body(section) == embedded_body(_body(own), "shequ-1")
    assert "居民評議說好" in (site / "zh-hant/issues/2017-01/index.html").read_text("utf-8")
    _clean_build_equals(content, site, tmp_path)
    # a title edit, and the issue's order changed
    _edit(content / "articles" / "shequ-2.md", "title: ", "title: 新")
    _edit(content / "issues" / "2017-01.md", "[shenqian, shequ-1, shequ-2]", "[shequ-2, shenqian]")
    pipeline.build(content, site)
    page = site / "zh-hans" / "issues" / "2017-01" / "index.html"
    assert [slug for slug, _ in _sections(page)] == ["shequ-2", "shenqian"]
    _clean_build_equals(content, site, tmp_path)


def test_a_draft_is_never_on_its_issue_page(content: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    _edit(
        content / "articles" / "shequ-4.md",
        "date: 2017-04-10\n",
        "date: 2017-04-10\nissue: 2017-01\n",
    )
    pipeline.build(content, site)
    page = site / "zh-hans" / "issues" / "2017-01" / "index.html"
    assert [s for s, _ in _sections(page)] == ["shenqian", "shequ-1", "shequ-2", "shequ-4"]
    # the article that named the issue becomes a draft: gone from the page, as from a
    # clean build
    _edit(content / "articles" / "shequ-4.md", "issue: 2017-01\n", "issue: 2017-01\ndraft: true\n")
    pipeline.build(content, site)
    assert [s for s, _ in _sections(page)] == ["shenqian", "shequ-1", "shequ-2"]
    assert "shequ-4" not in page.read_text("utf-8")
    _clean_build_equals(content, site, tmp_path)
    # an issue may not list a draft: an error, and the published site stays as it was
    before = page.read_bytes()
    _edit(content / "issues" / "2017-01.md", "shequ-2]", "shequ-2, shequ-4]")
    with pytest.raises(ContentError) as caught:
        pipeline.build(content, site)
    assert "issue lists 'shequ-4', which is a draft" in str(caught.value.problems)
    assert page.read_bytes() == before
