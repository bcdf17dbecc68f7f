"""Issue PDFs (``build --pdf``): one per issue and script, linked from the issue page, A4,
fonts embedded, text searchable (read back with poppler's pdftotext), the same bytes
from every build, kept right by incremental builds; a missing engine is one line.

Skipped without WeasyPrint or poppler-utils, unless ``BULLETIN_REQUIRE_TOOLS=1`` (CI).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bulletin import pipeline
from bulletin.pdf import PLACEHOLDER_ORIGIN, PdfUnavailable, _resources_class, engine_version

from .conftest import FIXTURES, ROOT, parse_page
from .test_cache import _clean_build_equals

VARIANTS = ("zh-hans", "zh-hant")
SAMPLE_ISSUES = ("2016-08", "2017-05", "2018-10")


def _require(reason: str) -> None:
    if os.environ.get("BULLETIN_REQUIRE_TOOLS") == "1":
        pytest.fail(f"{reason} (BULLETIN_REQUIRE_TOOLS=1: PDF tests must run)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module", autouse=True)
def tools() -> None:
    try:
        engine_version()
    except PdfUnavailable as exc:
        _require(str(exc))
    for tool in ("pdftotext", "pdfinfo", "pdffonts"):
        if shutil.which(tool) is None:
            _require(f"no {tool} (apt-get install poppler-utils)")


@pytest.fixture(scope="module")
def pdf_site(tmp_path_factory: pytest.TempPathFactory, tools: None) -> Path:
    """The bundled bulletin built with --pdf."""
    output = tmp_path_factory.mktemp("pdf") / "output"
    pipeline.build(ROOT / "content", output, pdf=True)
    return output


def _run(*command: str) -> str:
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def _text(pdf: Path, page: int | None = None) -> str:
    pages = ["-f", str(page), "-l", str(page)] if page else []
    return _run("pdftotext", "-enc", "UTF-8", *pages, str(pdf), "-")


def _squeezed(text: str) -> str:
    """Text without white space (pdftotext breaks long lines where the page did)."""
    return re.sub(r"\s+", "", text)


def _titles(page: Path) -> list[str]:
    html = page.read_text("utf-8")
    found = re.findall(r'<h2 id="title-[a-z0-9-]+"><a href="[^"]*">(.*?)</a></h2>', html)
    return [re.sub(r"<[^>]+>", "", title) for title in found]


def test_each_issue_has_a_pdf_in_each_script_linked_from_its_page(pdf_site: Path) -> None:
    names = sorted(p.relative_to(pdf_site).as_posix() for p in pdf_site.rglob("*.pdf"))
    assert names == sorted(
        f"{variant}/issues/{slug}/{slug}.pdf" for variant in VARIANTS for slug in SAMPLE_ISSUES
    )
    for variant in VARIANTS:
        for slug in SAMPLE_ISSUES:
            page = pdf_site / variant / "issues" / slug / "index.html"
            html = page.read_text("utf-8")
            link = re.search(r'<a href="([^"]+)" type="application/pdf" download="([^"]+)"', html)
            assert link, page
            assert (page.parent / link.group(1)).read_bytes().startswith(b"%PDF-")
            expected = "基层党建经验交流" if variant == "zh-hans" else "基層黨建經驗交流"
            assert link.group(2).startswith(expected) and link.group(2).endswith(".pdf")


def test_the_pdf_is_a4_with_its_fonts_embedded(pdf_site: Path) -> None:
    for variant in VARIANTS:
        pdf = pdf_site / variant / "issues" / "2017-05" / "2017-05.pdf"
        info = _run("pdfinfo", str(pdf))
        assert re.search(r"Page size:\s+595.\d+ x 841.\d+ pts \(A4\)", info), info
        assert int(re.search(r"Pages:\s+(\d+)", info).group(1)) >= 3
        assert re.search(r"Tagged:\s+yes", info)  # tagged for screen readers
        fonts = _run("pdffonts", str(pdf)).splitlines()[2:]
        assert fonts and any("CJK" in line for line in fonts), fonts
        for line in fonts:  # name type encoding emb sub uni: every font embedded
            assert line.split()[-5:-2] == ["yes", "yes", "yes"], line


def test_the_pdf_text_has_the_masthead_and_every_article_title(pdf_site: Path) -> None:
    for variant in VARIANTS:
        for slug in SAMPLE_ISSUES:
            folder = pdf_site / variant / "issues" / slug
            first = _squeezed(_text(folder / f"{slug}.pdf", page=1))
            name = "基层党建经验交流" if variant == "zh-hans" else "基層黨建經驗交流"
            assert first.startswith(name), first[:40]
            assert f"第{int(slug[5:])}期" in first
            text = _squeezed(_text(folder / f"{slug}.pdf"))
            titles = _titles(folder / "index.html")
            assert len(titles) >= 4
            places = [text.find(_squeezed(title)) for title in titles]
            assert -1 not in places, (variant, slug, titles, places)
            assert places == sorted(places)  # in the issue's order
            # the navigation and search of the page are not printed
            for chrome in ("跳到正文", "站内搜索", "站內搜尋", "订阅（Atom）", "回到目录"):
                assert chrome not in text


def test_the_traditional_pdf_holds_no_simplified_text(pdf_site: Path, recheck) -> None:
    converter = recheck(pdf_site, "zh-hant")
    # the sample's SVG figures are images: the text drawn in them is as they were drawn
    figures = {
        text
        for svg in sorted((ROOT / "content" / "static").rglob("*.svg"))
        for text in re.findall(r"<text[^>]*>([^<]+)</text>", svg.read_text("utf-8"))
    }
    assert figures
    for slug in SAMPLE_ISSUES:
        for line in _text(pdf_site / "zh-hant" / "issues" / slug / f"{slug}.pdf").splitlines():
            line = line.strip()
            if not line or line in figures or "漯河日报" in line:  # -{漯河日报}-: as written
                continue
            assert converter.convert(line) == line, (slug, line)


def test_pdfs_are_the_same_bytes_and_kept_right_by_incremental_builds(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(FIXTURES / "variants", content)
    site = tmp_path / "site"
    pipeline.build(content, site, pdf=True)
    pdfs = sorted(site.glob("*/issues/2017-01/2017-01.pdf"))
    assert len(pdfs) == 3  # zh-hans, zh-hant, zh-hk
    inodes = {pdf: pdf.stat().st_ino for pdf in pdfs}
    pipeline.build(content, site, pdf=True)  # nothing changed: nothing made again
    assert {pdf: pdf.stat().st_ino for pdf in pdfs} == inodes
    _clean_build_equals(content, site, tmp_path, pdf=True)  # the same bytes afresh

    before = {pdf: pdf.read_bytes() for pdf in pdfs}
    article = content / "articles" / "shequ-1.md"
    article.write_text(article.read_text("utf-8") + "\n居民议事会每月开一次。\n", "utf-8")
    pipeline.build(content, site, pdf=True)
    for pdf in pdfs:
        assert pdf.read_bytes() != before[pdf]
    assert "居民議事會每月開一次" in _squeezed(_text(site / "zh-hant/issues/2017-01/2017-01.pdf"))
    _clean_build_equals(content, site, tmp_path, pdf=True)

    # a build without --pdf publishes none, and no page links one
    pipeline.build(content, site)
    assert not list(site.rglob("*.pdf"))
    assert ".pdf" not in (site / "zh-hans/issues/2017-01/index.html").read_text("utf-8")
    _clean_build_equals(content, site, tmp_path)


def test_links_in_the_pdf_lead_to_the_site_only_where_its_address_is_known(
    tmp_path: Path,
) -> None:
    content = tmp_path / "content"
    shutil.copytree(FIXTURES / "minimal", content)
    site = tmp_path / "site"
    pipeline.build(content, site, pdf=True)  # base_url: / (no host)
    pdf = site / "zh-hans/issues/2016-01/2016-01.pdf"
    assert PLACEHOLDER_ORIGIN.split("/")[2] not in _run("pdfinfo", "-url", str(pdf))
    (content / "site.yaml").write_text(
        "title: 最小简报\nbase_url: http://intranet.example/bulletin/\n", "utf-8"
    )
    pipeline.build(content, site, pdf=True)
    urls = _run("pdfinfo", "-url", str(pdf))
    assert "http://intranet.example/bulletin/zh-hans/articles/wuyang-tuopin/" in urls


def test_a_pdf_fetches_only_the_sites_own_assets_and_static_files(tmp_path: Path) -> None:
    image = tmp_path / "x.svg"
    image.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>', "utf-8")
    fetcher = _resources_class()(PLACEHOLDER_ORIGIN, {"print.1.css": b"p{}"}, {"x.svg": image})
    assert fetcher.fetch(f"{PLACEHOLDER_ORIGIN}assets/print.1.css").read() == b"p{}"
    response = fetcher.fetch(f"{PLACEHOLDER_ORIGIN}static/x.svg")
    assert response.content_type == "image/svg+xml"
    for url in (
        "http://example.com/x.png",
        "file:///etc/passwd",
        f"{PLACEHOLDER_ORIGIN}static/../../etc/passwd",
        f"{PLACEHOLDER_ORIGIN}assets/missing.css",
    ):
        with pytest.raises((ValueError, FileNotFoundError)):
            fetcher.fetch(url)


def test_no_engine_is_one_line_and_exit_status_2(tmp_path: Path) -> None:
    """As on a machine without WeasyPrint (the import system finds no such module),
    nothing is written."""
    output = tmp_path / "site"
    code = (
        "import sys\n"
        "class NotInstalled:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.partition('.')[0] == 'weasyprint':\n"
        "            raise ModuleNotFoundError(name)\n"
        "sys.meta_path.insert(0, NotInstalled())\n"
        "from bulletin.cli import main\n"
        f"sys.exit(main(['build', '--pdf', '--content', 'content', '--output', {str(output)!r}]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("build.py: error: --pdf needs WeasyPrint")
    assert "pip install -e '.[pdf]'" in lines[0]
    assert not output.exists()


def test_without_pdf_the_issue_page_offers_none(sample_site: Path) -> None:
    page = sample_site / "zh-hans" / "issues" / "2017-05" / "index.html"
    assert ".pdf" not in page.read_text("utf-8")
    assert "下载本期" not in " ".join(parse_page(page).text)
