"""The overview page and the term timelines, read from built sites and checked against a
count made here, straight from the fixture files' front matter (not through the build's
model); and incremental builds after edits that move an article between counts."""

from __future__ import annotations

import datetime as dt
import html.parser
import re
import shutil
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from bulletin import pipeline
from bulletin.cache import cache_path
from bulletin.overview import TOP_SLOGANS, shade
from search.scripts import make_converter

from .conftest import FIXTURES, ROOT, parse_page
from .test_cache import _clean_build_equals, _edit, _state

SVG_NS = "{http://www.w3.org/2000/svg}"

# --------------------------------------------------------------------------- the count


@dataclass(frozen=True)
class Front:
    slug: str
    county: str
    theme: str
    slogans: tuple[str, ...]
    date: dt.date


def published(content: Path) -> list[Front]:
    """Every article of a content folder that is not a draft, read with plain YAML."""
    found = []
    for path in sorted((content / "articles").rglob("*.md")):
        text = path.read_text("utf-8").lstrip("\ufeff")
        meta = yaml.safe_load(text.split("---", 2)[1])
        if meta.get("draft"):
            continue
        found.append(
            Front(path.stem, meta["county"], meta["theme"], tuple(meta["slogans"]), meta["date"])
        )
    return found


def issue_dates(content: Path) -> list[dt.date]:
    return [
        yaml.safe_load(p.read_text("utf-8").split("---", 2)[1])["date"]
        for p in sorted((content / "issues").glob("*.md"))
    ]


# --------------------------------------------------------------------------- the page


@dataclass
class Table:
    klass: str
    caption: str = ""
    rows: list[list[tuple[str, str, str]]] = field(default_factory=list)  # tag, text, href


class Tables(html.parser.HTMLParser):
    """The tables of a page: each row's cells as (th|td, text, first link)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[Table] = []
        self.cell: list | None = None
        self.in_caption = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "table":
            self.tables.append(Table(values.get("class") or ""))
        elif tag == "caption":
            self.in_caption = True
        elif tag == "tr" and self.tables:
            self.tables[-1].rows.append([])
        elif tag in ("th", "td") and self.tables:
            self.cell = [tag, "", ""]
        elif tag == "a" and self.cell is not None and not self.cell[2]:
            self.cell[2] = values.get("href") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "caption":
            self.in_caption = False
        elif tag in ("th", "td") and self.cell is not None:
            self.tables[-1].rows[-1].append((self.cell[0], self.cell[1].strip(), self.cell[2]))
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.in_caption:
            self.tables[-1].caption += data
        elif self.cell is not None:
            self.cell[1] += data


def tables(page: Path) -> list[Table]:
    parser = Tables()
    parser.feed(page.read_text("utf-8"))
    return parser.tables


def table(page: Path, klass: str, caption: str = "") -> Table:
    found = [t for t in tables(page) if t.klass == klass and caption in t.caption]
    assert len(found) == 1, (page, klass, caption, [t.caption for t in tables(page)])
    return found[0]


def crosstab(page: Path) -> tuple[dict[tuple[str, str], tuple[int, str]], dict, dict]:
    """(county, theme) -> (count, link), the row totals and the column totals."""
    rows = table(page, "crosstab").rows
    themes = [text for tag, text, _ in rows[0][1:-1]]
    assert rows[0][0][1] and rows[0][-1][0] == "th"
    cells, totals = {}, {}
    for row in rows[1:-1]:
        if len(row) == 1:  # a province and city
            continue
        county = row[0][1]
        assert row[0][0] == "th"
        for theme, (tag, text, href) in zip(themes, row[1:-1], strict=True):
            assert tag == "td"
            cells[(county, theme)] = (int(text), href)
        totals[county] = int(row[-1][1])
    columns = {theme: int(text) for theme, (_, text, _) in zip(themes, rows[-1][1:-1], strict=True)}
    columns[""] = int(rows[-1][-1][1])
    return cells, totals, columns


def listed(site: Path, page: Path) -> list[Path]:
    """The article pages a list page and the pages after it link to."""
    found = []
    while True:
        html = page.read_text("utf-8")
        lists = re.findall(r'<ol class="article-list">(.*?)</ol>', html, re.S)
        assert len(lists) == 1
        for href in re.findall(r'class="article-list-title"><a href="([^"]+)"', lists[0]):
            found.append((page.parent / href / "index.html").resolve())
        after = re.search(r'<a rel="next" href="([^"]+)"', html)
        if not after:
            return found
        page = (page.parent / after.group(1) / "index.html").resolve()


# --------------------------------------------------------------------------- tests


SITES = [("sample_site", ROOT / "content"), ("variants_site", FIXTURES / "variants")]


@pytest.mark.parametrize(("site_name", "content"), SITES)
def test_every_count_equals_the_published_articles_it_stands_for(
    site_name: str, content: Path, request: pytest.FixtureRequest
) -> None:
    site: Path = request.getfixturevalue(site_name)
    articles = published(content)
    pairs = Counter((a.county, a.theme) for a in articles)
    convert = make_converter("zh-hant", site / "_search" / "phrases.txt").convert
    for variant, name in (("zh-hans", str), ("zh-hant", convert)):
        page = site / variant / "overview" / "index.html"
        cells, totals, columns = crosstab(page)
        counties = {a.county for a in articles}
        themes = {a.theme for a in articles}
        assert set(cells) == {(name(c), name(t)) for c in counties for t in themes}
        for county in counties:
            for theme in themes:
                count, href = cells[(name(county), name(theme))]
                assert count == pairs[(county, theme)], (variant, county, theme)
                if count:  # the link leads to exactly those articles
                    shown = listed(site, (page.parent / href / "index.html").resolve())
                    assert len(shown) == count, (variant, county, theme, href)
                    slugs = {p.parent.name for p in shown}
                    assert slugs == {
                        a.slug for a in articles if (a.county, a.theme) == (county, theme)
                    }
                else:
                    assert href == ""
        assert totals == {name(c): n for c, n in Counter(a.county for a in articles).items()}
        assert columns == {
            **{name(t): n for t, n in Counter(a.theme for a in articles).items()},
            "": len(articles),
        }

        years = Counter(a.date.year for a in articles)
        rows = table(page, "chart-table", "每年文章").rows[1:]
        span = range(min(years), max(years) + 1)
        assert [(int(r[0][1]), int(r[1][1])) for r in rows] == [(y, years[y]) for y in span]
        assert all(r[0][0] == "th" for r in rows)  # the year is the row's header


@pytest.mark.parametrize(("site_name", "content"), SITES)
def test_months_slogans_and_issues_are_counted_from_published_articles(
    site_name: str, content: Path, request: pytest.FixtureRequest
) -> None:
    site: Path = request.getfixturevalue(site_name)
    articles = published(content)
    page = site / "zh-hans" / "overview" / "index.html"
    first, latest = min(a.date.year for a in articles), max(a.date.year for a in articles)
    years = [year for year in (latest, latest - 1) if year >= first]
    months = table(page, "chart-table", "每月").rows
    assert [c[1] for c in months[0][1:]] == [str(year) for year in years]
    by_month = Counter((a.date.year, a.date.month) for a in articles)
    for month, row in enumerate(months[1:], start=1):
        assert row[0] == ("th", f"{month}月", "")
        assert [int(c[1]) for c in row[1:]] == [by_month[(year, month)] for year in years]

    uses: dict[str, list[Front]] = {}
    for a in articles:
        for slogan in a.slogans:
            uses.setdefault(slogan, []).append(a)
    rows = table(page, "data-table").rows[1:]
    assert len(rows) == min(TOP_SLOGANS, len(uses))
    spread = sorted(len({a.county for a in used}) for used in uses.values())
    assert [int(r[1][1]) for r in rows] == spread[::-1][: len(rows)]  # the most counties
    for row in rows:
        used = uses[row[0][1]]
        assert row[0][2].endswith("/")  # linked to the slogan's page
        assert (page.parent / row[0][2] / "index.html").resolve().is_file()
        assert int(row[1][1]) == len({a.county for a in used})
        assert int(row[2][1]) == len(used)
        first, last = min(a.date for a in used), max(a.date for a in used)
        assert row[3][1] == f"{first.year}年{first.month}月{first.day}日"
        assert row[4][1] == f"{last.year}年{last.month}月{last.day}日"

    issues = Counter(d.year for d in issue_dates(content))
    rows = table(page, "chart-table", "期数").rows[1:]
    assert {int(r[0][1]): int(r[1][1]) for r in rows} == issues


def test_drafts_count_nowhere(variants_site: Path) -> None:
    """The fixture's one draft has a county, theme and slogan of its own."""
    for variant in ("zh-hans", "zh-hant", "zh-hk"):
        html = (variants_site / variant / "overview" / "index.html").read_text("utf-8")
        for secret in ("保密", "草稿"):
            assert secret not in html
    assert not list(variants_site.glob("*/counties/*/themes/bao-mi-zhu-ti"))
    assert not list(variants_site.glob("*/counties/bao-mi-xian"))


def _svgs(page: Path) -> list[ET.Element]:
    html = page.read_text("utf-8")
    found = re.findall(r"<svg\b.*?</svg>", html, re.S)
    return [ET.fromstring(svg) for svg in found]


@pytest.mark.parametrize(
    "path",
    [
        "overview/index.html",
        "counties/lin-ying-xian/index.html",
        "themes/fei-gong-dang-jian/index.html",
        "slogans/hong-se-lian-meng/index.html",
    ],
)
def test_every_chart_is_svg_that_parses_with_a_title_and_desc(sample_site: Path, path: str) -> None:
    for variant in ("zh-hans", "zh-hant"):
        page = sample_site / variant / path
        svgs = _svgs(page)
        assert svgs, page
        for svg in svgs:
            assert svg.tag == f"{SVG_NS}svg" and svg.get("role") == "img"
            title, desc = svg.find(f"{SVG_NS}title"), svg.find(f"{SVG_NS}desc")
            assert title is not None and title.text and desc is not None and desc.text
            assert svg.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
            bars = svg.find(f"{SVG_NS}path[@class='chart-bar']")
            assert bars is not None and bars.get("d", "").startswith("M")
        html = page.read_text("utf-8")
        assert "<script" not in html.split("<footer")[0]
        assert not re.search(r"<svg\b[^>]*\b(?:href|src)=\"(?:https?:)?//", html)


def test_a_term_timeline_counts_by_year_over_the_whole_span(sample_site: Path) -> None:
    articles = published(ROOT / "content")
    span = range(min(a.date.year for a in articles), max(a.date.year for a in articles) + 1)
    page = sample_site / "zh-hans" / "counties" / "lin-ying-xian" / "index.html"
    rows = table(page, "chart-table", "历年").rows[1:]
    mine = Counter(a.date.year for a in articles if a.county == "临颍县")
    assert [(int(r[0][1]), int(r[1][1])) for r in rows] == [(y, mine[y]) for y in span]
    (svg,) = _svgs(page)
    values = [t.text for t in svg.iter(f"{SVG_NS}text") if t.text and t.text.isdigit()]
    assert sorted(int(v) for v in values if len(v) < 4) == sorted(n for n in mine.values() if n)


def test_zh_hant_overview_has_no_simplified_text(sample_site: Path, recheck) -> None:
    converter = recheck(sample_site, "zh-hant")
    for path in ("overview/index.html", "counties/lin-ying-xian/index.html"):
        page = sample_site / "zh-hant" / path
        parsed = parse_page(page)
        texts = [t for t in [*parsed.text, *parsed.attribute_text] if t.strip()]
        assert any("篇數" in t for t in texts)  # SVG titles and descriptions are text too
        for text in texts:
            assert converter.convert(text) == text, f"{page}: {text!r}"
        html = page.read_text("utf-8")
        # what must stay as written: ids, classes, SVG geometry and links
        assert 'aria-labelledby="years-chart-t years-chart-d"' in html or "timeline-t" in html
        assert 'fill="#a4161a"' in html


def test_a_site_without_articles_has_an_empty_overview(tmp_path: Path) -> None:
    content = tmp_path / "content"
    content.mkdir()
    shutil.copy(FIXTURES / "minimal" / "site.yaml", content / "site.yaml")
    pipeline.build(content, tmp_path / "site")
    html = (tmp_path / "site" / "zh-hans" / "overview" / "index.html").read_text("utf-8")
    assert "还没有已发布的文章" in html and "<svg" not in html and "<table" not in html


def test_an_empty_site_says_so_on_every_list(tmp_path: Path) -> None:
    """The home page's recent list, the archive and the issues list were empty <ol>s
    or nothing under their heading."""
    content = tmp_path / "content"
    content.mkdir()
    shutil.copy(FIXTURES / "minimal" / "site.yaml", content / "site.yaml")
    pipeline.build(content, tmp_path / "site")
    root = tmp_path / "site" / "zh-hans"
    for page, words in [
        ("", "还没有已发布的文章。"),
        ("archive/", "还没有已发布的文章。"),
        ("issues/", "尚无简报。"),
    ]:
        html = (root / page / "index.html").read_text("utf-8")
        assert f"<p>{words}</p>" in html and "<ol" not in html, page


def test_one_year_one_article_and_no_slogan_read_plainly(tmp_path: Path) -> None:
    """ "2019年至2019年" and an empty table captioned "使用县区最多的 0 个提法（共 0 个）"."""
    content = tmp_path / "content"
    (content / "articles").mkdir(parents=True)
    shutil.copy(FIXTURES / "minimal" / "site.yaml", content / "site.yaml")
    (content / "articles" / "one.md").write_text(
        "---\ntitle: 一篇\ncounty: 临颍县\ntheme: 基层党建\nslogans: []\n"
        "date: 2019-03-01\n---\n正文\n",
        "utf-8",
    )
    pipeline.build(content, tmp_path / "site")
    html = (tmp_path / "site" / "zh-hans" / "overview" / "index.html").read_text("utf-8")
    assert "年至" not in html
    assert "1 个主题，2019年；提法 0 个" in html and "2019年共 1 篇，最多的是2019年（1 篇）" in html
    assert "<p>尚无提法。</p>" in html and "slogans-caption" not in html


def test_shades_grow_with_the_count() -> None:
    assert [shade(n, 8) for n in range(0, 9)] == [0, 1, 1, 2, 2, 3, 3, 4, 4]
    assert shade(0, 0) == 0 and shade(3, 3) == 4


# --------------------------------------------------------------------------- incremental


@pytest.fixture
def content(tmp_path: Path) -> Path:
    folder = tmp_path / "content"
    shutil.copytree(FIXTURES / "variants", folder)
    return folder


def _overview(site: Path) -> str:
    return (site / "zh-hans" / "overview" / "index.html").read_text("utf-8")


@pytest.mark.parametrize(
    ("old", "new", "shown"),
    [
        ("county: 某市某区", "county: 海西蒙古族藏族自治州", "海西蒙古族藏族自治州"),
        ("county: 某市某区", "county: 新设县", "新设县"),
        ("theme: 社区治理", "theme: 基层党建", "基层党建"),
        ("date: 2017-03-10", "date: 2019-03-10", "2019"),
    ],
)
def test_a_field_edit_updates_every_count_as_a_clean_build(
    content: Path, tmp_path: Path, old: str, new: str, shown: str
) -> None:
    site = tmp_path / "site"
    pipeline.build(content, site)
    before = _overview(site)
    _edit(content / "articles" / "shequ-3.md", old, new)
    pipeline.build(content, site)
    after = _overview(site)
    assert after != before and shown in after
    cells, _, _ = crosstab(site / "zh-hans" / "overview" / "index.html")
    expected = Counter((a.county, a.theme) for a in published(content))
    assert {k: v[0] for k, v in cells.items() if v[0]} == dict(expected)
    _clean_build_equals(content, site, tmp_path)


def test_a_body_edit_leaves_the_overview_and_timelines_alone(content: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    pipeline.build(content, site)
    before = _state(site)
    kept = [
        "zh-hant/overview/index.html",
        "zh-hant/counties/mou-qu/index.html",
        "zh-hant/themes/ji-ceng-dang-jian/index.html",
    ]
    inodes = {rel: (site / rel).stat().st_ino for rel in kept}
    _edit(content / "articles" / "shequ-1.md", "办事。第1篇。", "办事。第1篇。又及。")  # body
    pipeline.build(content, site)
    after = _state(site)
    changed = {r for r, e in after.files.items() if before.files.get(r, ("",))[0] != e[0]}
    assert "zh-hant/articles/shequ-1/index.html" in changed
    for rel in kept:
        assert rel not in changed and (site / rel).stat().st_ino == inodes[rel]
    _clean_build_equals(content, site, tmp_path)
    assert cache_path(site).is_dir()


def test_a_theme_edit_renders_only_the_pairs_it_moves_between(
    content: Path, tmp_path: Path
) -> None:
    """A county × theme page shows names and its own articles, not the terms' totals: an
    article moving into a theme leaves another county's page of that theme alone."""
    site = tmp_path / "site"
    pipeline.build(content, site)
    (other,) = site.glob("zh-hans/counties/hai-xi-*/themes/ji-ceng-dang-jian/index.html")
    rel = other.relative_to(site).as_posix()
    before = _state(site).files
    _edit(content / "articles" / "shequ-3.md", "theme: 社区治理", "theme: 基层党建")
    pipeline.build(content, site)
    after = _state(site).files
    assert after[rel][0] == before[rel][0]
    moved_to = "zh-hans/counties/mou-qu/themes/ji-ceng-dang-jian/index.html"
    assert moved_to in after and moved_to not in before
    assert after["zh-hans/overview/index.html"][0] != before["zh-hans/overview/index.html"][0]
    _clean_build_equals(content, site, tmp_path)
