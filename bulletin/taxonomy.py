"""Counties, themes, slogans and the archive: terms with ASCII slugs and their articles."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from bulletin.model import Article, Site
from bulletin.slugs import pinyin_slug

KINDS = ("counties", "themes", "slogans")


@dataclass(frozen=True)
class TermSummary:
    """What a list of terms shows of one: name, link, count. Pages get summaries, not
    whole terms, so an edit to one article does not change every list page's data."""

    kind: str
    name: str
    slug: str
    count: int
    city: str = ""
    province: str = ""

    @property
    def path(self) -> str:
        return f"{self.kind}/{self.slug}/"


@dataclass(frozen=True)
class Term:
    kind: str  # counties | themes | slogans
    name: str
    slug: str
    articles: tuple[Article, ...]  # newest first
    city: str = ""
    province: str = ""

    @property
    def path(self) -> str:
        """Output path below a variant root."""
        return f"{self.kind}/{self.slug}/"

    @cached_property
    def summary(self) -> TermSummary:
        return TermSummary(
            self.kind, self.name, self.slug, len(self.articles), self.city, self.province
        )


@dataclass(frozen=True)
class Taxonomies:
    counties: tuple[Term, ...]
    themes: tuple[Term, ...]
    slogans: tuple[Term, ...]
    by_name: dict[tuple[str, str], Term]  # (kind, name) -> term
    county_groups: tuple[CountyGroup, ...]  # for the county index

    def term(self, kind: str, name: str) -> Term:
        return self.by_name[(kind, name)]

    def of_kind(self, kind: str) -> tuple[Term, ...]:
        return {"counties": self.counties, "themes": self.themes, "slogans": self.slogans}[kind]


def _names(article: Article, kind: str) -> tuple[str, ...]:
    if kind == "counties":
        return (article.county,)
    if kind == "themes":
        return (article.theme,)
    return article.slogans


def assign_slugs(
    names: list[str], overrides: dict[str, str], slug: Callable[[str], str] = pinyin_slug
) -> dict[str, str]:
    """ASCII slugs for names: the site's explicit mapping, else pinyin; clashes get -2, -3
    in the order of the names' pinyin, so a slug never depends on file order."""
    slugs: dict[str, str] = {}
    taken = set(overrides.values())
    for name in sorted(names, key=lambda n: (slug(n), n)):
        if name in overrides:
            slugs[name] = overrides[name]
            continue
        base = slug(name) or "term"
        candidate, number = base, 2
        while candidate in taken:
            candidate, number = f"{base}-{number}", number + 1
        taken.add(candidate)
        slugs[name] = candidate
    return slugs


def build_taxonomies(site: Site, slug: Callable[[str], str] = pinyin_slug) -> Taxonomies:
    """Every term of every kind with its articles; ``slug`` makes slugs from names."""
    by_name: dict[tuple[str, str], Term] = {}
    result: dict[str, tuple[Term, ...]] = {}
    for kind in KINDS:
        grouped: dict[str, list[Article]] = defaultdict(list)
        for article in site.articles:  # newest first already
            for name in _names(article, kind):
                grouped[name].append(article)
        slugs = assign_slugs(list(grouped), site.config.slug_overrides(kind), slug)
        terms = []
        for name in sorted(grouped, key=lambda n: (slugs[n], n)):
            articles = tuple(grouped[name])
            place = next((a for a in articles if a.city or a.province), None)
            term = Term(
                kind=kind,
                name=name,
                slug=slugs[name],
                articles=articles,
                city=place.city if place and kind == "counties" else "",
                province=place.province if place and kind == "counties" else "",
            )
            terms.append(term)
            by_name[(kind, name)] = term
        result[kind] = tuple(terms)
    return Taxonomies(
        counties=result["counties"],
        themes=result["themes"],
        slogans=result["slogans"],
        by_name=by_name,
        county_groups=group_counties(tuple(t.summary for t in result["counties"]), slug),
    )


@dataclass(frozen=True)
class CountyGroup:
    """Counties of one province and city, for the county index."""

    province: str
    city: str
    counties: tuple[TermSummary, ...]


def group_counties(
    counties: tuple[TermSummary, ...], slug: Callable[[str], str] = pinyin_slug
) -> tuple[CountyGroup, ...]:
    groups: dict[tuple[str, str], list[TermSummary]] = defaultdict(list)
    for term in counties:
        groups[(term.province, term.city)].append(term)
    # places without a province or city go last
    order = sorted(groups, key=lambda k: (not k[0], slug(k[0]), not k[1], slug(k[1])))
    return tuple(
        CountyGroup(province, city, tuple(groups[(province, city)])) for province, city in order
    )


@dataclass(frozen=True)
class Month:
    year: int
    month: int
    articles: tuple[Article, ...]

    @property
    def path(self) -> str:
        return f"archive/{self.year}/{self.month:02d}/"


@dataclass(frozen=True)
class Year:
    year: int
    months: tuple[Month, ...]  # newest first

    @property
    def path(self) -> str:
        return f"archive/{self.year}/"

    @property
    def articles(self) -> tuple[Article, ...]:
        return tuple(a for month in self.months for a in month.articles)

    @property
    def counts(self) -> tuple[int, int, tuple[tuple[int, int], ...]]:
        """(year, articles, ((month, articles), ...)): what the archive index shows."""
        months = tuple((m.month, len(m.articles)) for m in self.months)
        return self.year, sum(count for _, count in months), months


def build_archive(articles: tuple[Article, ...]) -> tuple[Year, ...]:
    months: dict[tuple[int, int], list[Article]] = defaultdict(list)
    for article in articles:
        months[(article.date.year, article.date.month)].append(article)
    years: dict[int, list[Month]] = defaultdict(list)
    for year, month in sorted(months, reverse=True):
        years[year].append(Month(year, month, tuple(months[(year, month)])))
    return tuple(Year(year, tuple(years[year])) for year in sorted(years, reverse=True))
