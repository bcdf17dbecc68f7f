"""The bulletin at a glance: what the overview page and the term timelines count.

Everything here counts published articles only (a :class:`~bulletin.model.Site` holds no
drafts) and gives plain values (names, slugs, counts, dates), never articles: a page's
cache key digests its data, so an edit to an article's body leaves these pages alone,
while an edit to its county, theme, slogans or date changes the counts they show.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from bulletin.model import Article, Issue, Site
from bulletin.taxonomy import Taxonomies, Term

#: Years shown month by month as well (the latest ones, the last possibly under way).
MONTHLY_YEARS = 2
#: Slogans listed, those used by the most counties.
TOP_SLOGANS = 20
#: Shades of a county × theme cell, by its count's share of the largest cell.
SHADES = 4


@dataclass(frozen=True)
class Column:
    """A theme: one column of the county × theme table."""

    name: str
    slug: str
    count: int


@dataclass(frozen=True)
class Cell:
    count: int
    shade: int  # 0 (none) to SHADES, by the count's share of the largest cell


@dataclass(frozen=True)
class Row:
    """A county: its articles under each theme of the table's columns, and in all."""

    name: str
    slug: str
    count: int
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class RowGroup:
    """The counties of one province and city (both empty: counties that name none)."""

    province: str
    city: str
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class SloganSpread:
    """A slogan and how far it spread: counties that use it, articles, first and last."""

    name: str
    slug: str
    counties: int
    articles: int
    first: dt.date
    last: dt.date


@dataclass(frozen=True)
class IssueYear:
    """The issues (期) dated in one year: how many, their articles, the first and last."""

    year: int
    issues: int
    articles: int
    first: tuple[str, str]  # slug, title
    last: tuple[str, str]


@dataclass(frozen=True)
class Overview:
    articles: int
    columns: tuple[Column, ...]  # themes, most articles first
    groups: tuple[RowGroup, ...]  # counties, grouped as on the county index
    years: tuple[tuple[int, int], ...]  # (year, articles), every year from first to last
    # (year, ((month, articles) for its 12 months)), the latest MONTHLY_YEARS, latest first
    months: tuple[tuple[int, tuple[tuple[int, int], ...]], ...]
    slogans: tuple[SloganSpread, ...]
    slogan_count: int  # slogans in all
    issue_years: tuple[IssueYear, ...]  # oldest first
    issues: int

    @property
    def counties(self) -> int:
        return sum(len(group.rows) for group in self.groups)

    @property
    def issues_per_year(self) -> tuple[tuple[int, int], ...]:
        """(year, issues) for every year from the first issue's to the last's."""
        found = {y.year: y.issues for y in self.issue_years}
        years = range(min(found), max(found) + 1) if found else range(0)
        return tuple((year, found.get(year, 0)) for year in years)


def year_span(articles: Iterable[Article]) -> range:
    """Every year from the first article's to the last's (empty without articles)."""
    years = {a.date.year for a in articles}
    return range(min(years), max(years) + 1) if years else range(0)


def year_counts(articles: Iterable[Article], years: range) -> tuple[tuple[int, int], ...]:
    """(year, articles) for every year of ``years``, none left out for having none."""
    counts = Counter(a.date.year for a in articles)
    return tuple((year, counts[year]) for year in years)


def build_overview(site: Site, taxonomies: Taxonomies) -> Overview:
    articles = site.articles
    years = year_span(articles)
    monthly = Counter((a.date.year, a.date.month) for a in articles)
    return Overview(
        articles=len(articles),
        columns=tuple(
            Column(t.name, t.slug, len(t.articles))
            for t in sorted(taxonomies.themes, key=lambda t: (-len(t.articles), t.slug))
        ),
        groups=_county_groups(taxonomies),
        years=year_counts(articles, years),
        months=tuple(
            (year, tuple((month, monthly[(year, month)]) for month in range(1, 13)))
            for year in reversed(years[-MONTHLY_YEARS:])
        ),
        slogans=spread_slogans(taxonomies.slogans)[:TOP_SLOGANS],
        slogan_count=len(taxonomies.slogans),
        issue_years=issue_years(site.issues, Counter(a.issue for a in articles if a.issue)),
        issues=len(site.issues),
    )


def _county_groups(taxonomies: Taxonomies) -> tuple[RowGroup, ...]:
    themes = sorted(taxonomies.themes, key=lambda t: (-len(t.articles), t.slug))
    counts = {
        county.name: Counter(a.theme for a in county.articles) for county in taxonomies.counties
    }
    largest = max((n for c in counts.values() for n in c.values()), default=0)

    def row(name: str, slug: str) -> Row:
        mine = counts[name]
        return Row(
            name,
            slug,
            sum(mine.values()),
            tuple(Cell(mine[t.name], shade(mine[t.name], largest)) for t in themes),
        )

    return tuple(
        RowGroup(group.province, group.city, tuple(row(c.name, c.slug) for c in group.counties))
        for group in taxonomies.county_groups
    )


def shade(count: int, largest: int) -> int:
    """1 to SHADES by ``count``'s share of ``largest`` (rounded up), 0 for none."""
    return 0 if count <= 0 or largest <= 0 else -(-count * SHADES // largest)


def spread_slogans(slogans: Iterable[Term]) -> tuple[SloganSpread, ...]:
    """Slogans by the number of counties that use them, then articles, then slug."""
    spreads = [
        SloganSpread(
            term.name,
            term.slug,
            len({a.county for a in term.articles}),
            len(term.articles),
            min(a.date for a in term.articles),
            max(a.date for a in term.articles),
        )
        for term in slogans
    ]
    return tuple(sorted(spreads, key=lambda s: (-s.counties, -s.articles, s.slug)))


def issue_years(issues: Iterable[Issue], articles: Counter[str]) -> tuple[IssueYear, ...]:
    """The issues by the year of their date, oldest year first; ``articles``: issue slug
    -> its published articles."""
    by_year: dict[int, list[Issue]] = defaultdict(list)
    for issue in issues:
        by_year[issue.date.year].append(issue)
    result = []
    for year in sorted(by_year):
        ordered = sorted(by_year[year], key=lambda i: (i.date, i.slug))
        result.append(
            IssueYear(
                year,
                len(ordered),
                sum(articles[i.slug] for i in ordered),
                (ordered[0].slug, ordered[0].title),
                (ordered[-1].slug, ordered[-1].title),
            )
        )
    return tuple(result)


@dataclass(frozen=True)
class Pair:
    """The articles of one county under one theme: what a table cell links to."""

    county: Term
    theme: Term
    articles: tuple[Article, ...]  # newest first

    @property
    def path(self) -> str:
        return pair_path(self.county.slug, self.theme.slug)


def pair_path(county_slug: str, theme_slug: str) -> str:
    """Below a variant root; the county page's own folder holds it."""
    return f"counties/{county_slug}/themes/{theme_slug}/"


def county_theme_pairs(taxonomies: Taxonomies) -> tuple[Pair, ...]:
    """Every county and theme that have an article in common, in slug order."""
    pairs = []
    for county in taxonomies.counties:
        by_theme: dict[str, list[Article]] = defaultdict(list)
        for article in county.articles:
            by_theme[article.theme].append(article)
        for name in sorted(by_theme, key=lambda n: taxonomies.term("themes", n).slug):
            pairs.append(Pair(county, taxonomies.term("themes", name), tuple(by_theme[name])))
    return tuple(pairs)


@dataclass(frozen=True)
class PairCount:
    """On a county's page, one of its themes (on a theme's, one of its counties): the
    name, the page of their articles in common, and how many there are."""

    name: str
    path: str
    count: int


def pair_counts(term: Term, taxonomies: Taxonomies) -> tuple[PairCount, ...]:
    """A county's articles by theme, or a theme's by county, most first (none for a
    slogan)."""
    if term.kind not in ("counties", "themes"):
        return ()
    other = "themes" if term.kind == "counties" else "counties"
    counts = Counter(a.theme if other == "themes" else a.county for a in term.articles)
    found = []
    for name, count in counts.items():
        slug = taxonomies.term(other, name).slug
        path = pair_path(term.slug, slug) if other == "themes" else pair_path(slug, term.slug)
        found.append((-count, slug, PairCount(name, path, count)))
    return tuple(item for *_, item in sorted(found, key=lambda f: (f[0], f[1])))
