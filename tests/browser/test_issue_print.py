"""The issue page printed by Chromium (print to PDF, as a reader's Ctrl+P): the printed
简报 on A4, the masthead on page 1, no navigation, every report in order, titles kept
with their first lines and tables whole; and axe-core finds nothing serious."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from bulletin.pdf import IssuePdf, PdfUnavailable
from bulletin.render import TEMPLATES_DIR, Assets

from .conftest import VARIANTS, _require
from .test_print import A4_PT, _media_boxes

ISSUES = ("2016-08", "2017-05", "2018-10")
MASTHEAD = {
    "zh-hans": ("基层党建经验交流", "经验交流简报编辑部编印"),
    "zh-hant": ("基層黨建經驗交流", "經驗交流簡報編輯部編印"),
}
#: what only the screen shows: the skip link, the navigation, the footer's search
CHROME = (
    "跳到正文",
    "首页期刊县区主题",
    "首頁期刊縣區主題",
    "站内搜索",
    "站內搜尋",
    "回到目录",
    "回到目錄",
)


def _pdftotext(pdf: Path) -> list[str]:
    """The text of each page."""
    if shutil.which("pdftotext") is None:
        _require("no pdftotext (apt-get install poppler-utils)")
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return text.split("\f")[:-1] if text.endswith("\f") else text.split("\f")


def _squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _print(page: Any, url: str, path: Path) -> list[str]:
    page.goto(url)
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    path.write_bytes(pdf)
    boxes = _media_boxes(pdf)
    assert boxes, "no /MediaBox in the PDF"
    for width, height in boxes:
        assert abs(width - A4_PT[0]) < 2 and abs(height - A4_PT[1]) < 2, boxes
    return _pdftotext(path)


def _articles(page: Any) -> list[dict[str, str]]:
    return page.evaluate(
        """() => [...document.querySelectorAll('.issue-article')].map(a => ({
            title: a.querySelector('h2').innerText,
            meta: a.querySelector('.issue-article-header .meta').innerText,
            first: a.querySelector('.article-body p').innerText,
        }))"""
    )


def test_the_issue_prints_as_the_bulletin(page: Any, site_url: str, artifacts: Path) -> None:
    for variant in VARIANTS:
        for slug in ISSUES:
            pdf = artifacts / f"print-issue-{slug}-{variant}.pdf"
            pages = _print(page, f"{site_url}{variant}/issues/{slug}/", pdf)
            squeezed = [_squeezed(text) for text in pages]
            name, publisher = MASTHEAD[variant]
            # page 1: the masthead, first; its number, publisher and date
            assert squeezed[0].startswith(name), squeezed[0][:60]
            number = page.locator(".masthead-number").inner_text()
            assert _squeezed(number) in squeezed[0]
            assert publisher in squeezed[0]
            assert _squeezed(page.locator(".masthead-date").inner_text()) in squeezed[0]
            # page numbers at the foot, and no screen chrome on any page
            for index, text in enumerate(squeezed, start=1):
                assert text.endswith(f"—{index}—"), (slug, variant, index, text[-20:])
                for chrome in CHROME:
                    assert chrome not in text, (slug, variant, chrome)
            # every report, in order; its title on the page of its first lines
            whole = "".join(squeezed)
            articles = _articles(page)
            assert len(articles) >= 4
            starts = [whole.find(_squeezed(a["title"])) for a in articles]
            assert -1 not in starts and starts == sorted(starts), (slug, variant)
            for article in articles:
                head = (
                    _squeezed(article["title"] + article["meta"]) + _squeezed(article["first"])[:12]
                )
                assert any(head in text for text in squeezed), (slug, variant, article["title"])


def test_a_title_is_never_left_at_the_foot_of_a_page(
    page: Any, site_url: str, artifacts: Path
) -> None:
    """The second report pushed down step by step (a spacer before it) until its title
    has passed the foot of page 1: wherever it falls, its title, its county line and
    its first lines are printed on one page."""
    page.goto(f"{site_url}zh-hans/issues/2017-05/")
    article = _articles(page)[1]
    head = _squeezed(article["title"] + article["meta"]) + _squeezed(article["first"])[:12]
    pdf = artifacts / "print-issue-title-at-the-foot.pdf"
    pages_seen: set[int] = set()
    for step in range(0, 1200, 48):
        page.evaluate(
            """px => {
                let spacer = document.getElementById('test-spacer');
                if (!spacer) {
                    spacer = document.createElement('div');
                    spacer.id = 'test-spacer';
                    const second = document.querySelectorAll('.issue-article')[1];
                    second.parentNode.insertBefore(spacer, second);
                }
                spacer.style.height = px + 'px';
            }""",
            step,
        )
        pdf.write_bytes(page.pdf(prefer_css_page_size=True))
        pages = [_squeezed(text) for text in _pdftotext(pdf)]
        heading = _squeezed(article["title"])  # (the contents on page 1 have it too)
        where = [i for i, text in enumerate(pages) if heading in text][-1]
        assert head in pages[where], (step, pages[where][-80:])
        pages_seen.add(where)
        if len(pages_seen) == 2:  # the title has just moved past a page's foot
            break
    assert len(pages_seen) == 2


def test_a_table_is_kept_whole_on_one_page(page: Any, site_url: str, artifacts: Path) -> None:
    for variant in VARIANTS:
        pdf = artifacts / f"print-issue-2017-05-{variant}-table.pdf"
        pages = [_squeezed(t) for t in _print(page, f"{site_url}{variant}/issues/2017-05/", pdf)]
        rows = page.evaluate(
            """() => [...document.querySelector('#article-linying-jiti-jingji table')
                .querySelectorAll('tr')].map(r => r.innerText)"""
        )
        assert len(rows) == 6
        holding = {
            index for index, text in enumerate(pages) for row in rows if _squeezed(row) in text
        }
        assert len(holding) == 1, holding
        image = page.locator("#article-linying-jiti-jingji img")
        assert image.evaluate("img => img.complete && img.naturalWidth > 0")


def test_the_print_view_and_the_pdf_paginate_alike(
    page: Any, site_url: str, sample_site: Path, artifacts: Path
) -> None:
    """Chromium's print view and the PDF engine's PDF of the same page (made here from the
    built page, as ``build --pdf`` does) have the same number of A4 pages, give or take
    one, and each report starts on the same page, give or take one."""
    try:
        maker = IssuePdf.make("/", {})
    except PdfUnavailable as exc:
        _require(str(exc))
    assets = Assets.load(TEMPLATES_DIR / "assets").files
    for variant in VARIANTS:
        for slug in ISSUES:
            printed = _print(page, f"{site_url}{variant}/issues/{slug}/", artifacts / "p.pdf")
            folder = sample_site / variant / "issues" / slug
            made = artifacts / f"engine-{variant}-{slug}.pdf"
            made.write_bytes(
                maker.render(
                    (folder / "index.html").read_bytes(), f"{variant}/issues/{slug}/", assets
                )
            )
            engine = _pdftotext(made)
            assert abs(len(engine) - len(printed)) <= 1, (variant, slug, len(engine), len(printed))
            for article in _articles(page):
                title = _squeezed(article["title"])
                on = [
                    next(i for i, text in enumerate(pages) if title in _squeezed(text))
                    for pages in (printed, engine)
                ]
                assert abs(on[0] - on[1]) <= 1, (variant, slug, article["title"], on)


def test_axe_core_finds_nothing_serious_on_the_issue_pages(page: Any, site_url: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    found = []
    for variant in VARIANTS:
        for slug in ISSUES:
            page.goto(f"{site_url}{variant}/issues/{slug}/")
            violations = axe.run(page).response["violations"]
            found += [
                f"{variant}/{slug}: {v['id']} ({v['impact']}): {v['help']}"
                for v in violations
                if v["impact"] in ("serious", "critical")
            ]
    assert not found, "\n".join(found)
