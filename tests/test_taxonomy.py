"""Counties, themes, slogans and the archive: terms, their slugs and their articles."""

from __future__ import annotations

import datetime as dt

from bulletin.model import Article, Site, SiteConfig
from bulletin.taxonomy import assign_slugs, build_archive, build_taxonomies


def _article(slug: str, county: str, theme: str, slogans: tuple[str, ...], date: str, **extra):
    return Article(
        slug=slug,
        path=f"content/articles/{slug}.md",
        rel=f"articles/{slug}.md",
        title=slug,
        county=county,
        theme=theme,
        slogans=slogans,
        date=dt.date.fromisoformat(date),
        body_line=8,
        **extra,
    )


ARTICLES = (  # newest first, as a Site holds them
    _article(
        "c", "临颍县", "基层党建", ("三会一课",), "2017-05-02", city="漯河市", province="河南省"
    ),
    _article("b", "舞阳县", "脱贫攻坚", ("三会一课", "四议两公开"), "2016-09-01"),
    _article("a", "临颍县", "脱贫攻坚", (), "2016-08-02"),
)


def test_terms_hold_their_articles_newest_first_with_pinyin_slugs() -> None:
    site = Site(
        SiteConfig(title="t", slugs=(("themes", (("脱贫攻坚", "tuopin"),)),)), ARTICLES, (), ()
    )
    tax = build_taxonomies(site)
    assert [(t.name, t.slug, [a.slug for a in t.articles]) for t in tax.counties] == [
        ("临颍县", "lin-ying-xian", ["c", "a"]),
        ("舞阳县", "wu-yang-xian", ["b"]),
    ]
    assert [t.slug for t in tax.themes] == ["ji-ceng-dang-jian", "tuopin"]
    slogan = tax.term("slogans", "三会一课")
    assert slogan.summary.count == 2 and slogan.path == "slogans/san-hui-yi-ke/"
    assert tax.term("counties", "临颍县").city == "漯河市"
    groups = [(g.province, g.city, [c.name for c in g.counties]) for g in tax.county_groups]
    assert groups == [("河南省", "漯河市", ["临颍县"]), ("", "", ["舞阳县"])]


def test_slug_clashes_are_numbered_in_pinyin_order_whatever_the_file_order() -> None:
    names = ["长安", "常安", "昌安"]  # all chang-an
    first = assign_slugs(names, {})
    assert first == assign_slugs(list(reversed(names)), {})
    assert sorted(first.values()) == ["chang-an", "chang-an-2", "chang-an-3"]
    assert assign_slugs(["长安", "常安"], {"常安": "chang-an"})["长安"] == "chang-an-2"


def test_the_archive_by_year_and_month_newest_first() -> None:
    years = build_archive(ARTICLES)
    assert [y.counts for y in years] == [(2017, 1, ((5, 1),)), (2016, 2, ((9, 1), (8, 1)))]
    assert years[1].months[0].path == "archive/2016/09/"
