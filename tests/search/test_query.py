"""The query syntax (words, phrases, OR, NOT, filters) as the engine's query values,
request validation, and snippets."""

from __future__ import annotations

import pytest

from search.analysis import Normaliser
from search.model import AnyOf, Filter, Literal, Query
from search.query import (
    MAX_QUERY_CHARS,
    MAX_TERMS,
    MAX_WINDOW,
    BadRequest,
    parse,
    parse_params,
    snippet_html,
    with_filters,
)
from search.scripts import make_converter

VARIANTS = ["zh-hans", "zh-hant"]


@pytest.mark.parametrize(
    ("q", "must", "must_not"),
    [
        ("村级 党建", (Literal("村级"), Literal("党建")), ()),
        ('"Grid 2.0"', (Literal("Grid 2.0"),), ()),
        ('"unclosed phrase', (Literal("unclosed phrase"),), ()),
        ("甲 乙 OR 丙", (Literal("甲"), AnyOf((Literal("乙"), Literal("丙")))), ()),
        ("甲 OR 乙 OR 丙", (AnyOf((Literal("甲"), Literal("乙"), Literal("丙"))),), ()),
        ("OR 甲", (Literal("甲"),), ()),
        ("甲 -遂平", (Literal("甲"),), (Literal("遂平"),)),
        ("甲 NOT 遂平", (Literal("甲"),), (Literal("遂平"),)),
        ('-"a b" 甲', (Literal("甲"),), (Literal("a b"),)),
        ("county:临颍县 村", (Filter("county", "临颍县"), Literal("村")), ()),
        ('theme:"基层 党建"', (Filter("theme", "基层 党建"),), ()),
        ("-year:2016 党", (Literal("党"),), (Filter("year", "2016"),)),
        ("YEAR:2016", (Filter("year", "2016"),), ()),
        ("http://x", (Literal("http://x"),), ()),
        ("county: 党", (Literal("county:"), Literal("党")), ()),
        ("a* 党~2 /.*/", (Literal("a*"), Literal("党~2"), Literal("/.*/")), ()),
        (
            "－遂平 ＂Grid 2.0＂ county：临颍县",
            (Literal("Grid 2.0"), Filter("county", "临颍县")),
            (Literal("遂平"),),
        ),
        ("党\x00建", (Literal("党"), Literal("建")), ()),
        ("-", (Literal("-"),), ()),
    ],
)
def test_syntax(q: str, must: tuple[object, ...], must_not: tuple[object, ...]) -> None:
    assert parse(q) == Query(must=must, must_not=must_not)  # type: ignore[arg-type]


@pytest.mark.parametrize("q", ["", "   ", "OR", "NOT", '""', "AND OR", "\x00"])
def test_no_terms_is_refused(q: str) -> None:
    with pytest.raises(BadRequest, match="请输入搜索词"):
        parse(q)


def test_too_many_terms_is_refused() -> None:
    assert len(parse(" ".join(f"词{i}" for i in range(MAX_TERMS))).must) == MAX_TERMS
    with pytest.raises(BadRequest, match=str(MAX_TERMS)):
        parse(" ".join(f"词{i}" for i in range(MAX_TERMS + 1)))


def test_literals_for_highlighting_and_filters_added() -> None:
    q = with_filters(parse("甲 乙 OR county:x -丙"), "临颍县", "")
    assert q.literals() == ["甲", "乙"]
    assert q.must[-1] == Filter("county", "临颍县") and q.must_not == (Literal("丙"),)
    assert with_filters(q, "", "") == q


def test_request_validation() -> None:
    request = parse_params({"q": " 党建 ", "per_page": "20", "page": "2"}, VARIANTS, "zh-hans")
    assert (request.q, request.variant, request.page, request.per_page) == (
        "党建",
        "zh-hans",
        2,
        20,
    )
    for params, message in [
        ({"q": "x" * (MAX_QUERY_CHARS + 1)}, "不能超过"),
        ({"q": "党", "variant": "xx"}, "未知的文字版本"),
        ({"q": "党", "per_page": "51"}, "per_page"),
        ({"q": "党", "page": "abc"}, "page 必须是整数"),
        ({"q": "党", "page": str(MAX_WINDOW), "per_page": "2"}, str(MAX_WINDOW)),
        ({"q": "  "}, "请输入搜索词"),
    ]:
        with pytest.raises(BadRequest, match=message):
            parse_params(params, VARIANTS, "zh-hans")


def test_snippet_marks_the_match_in_the_readers_script() -> None:
    normaliser = Normaliser()
    body = "前文" * 40 + "\n凭借群众路线，着力推进基层党建。\n后文"
    html = snippet_html(body, ["凭借", "党建"], normaliser, make_converter("zh-hant"))
    assert html.startswith("…") or html.startswith("<mark>")
    assert "<mark>憑藉</mark>" in html and "<mark>黨建</mark>" in html
    plain = snippet_html("<b>甲</b> & 乙", ["甲"], normaliser, make_converter("zh-hans"))
    assert plain == "&lt;b&gt;<mark>甲</mark>&lt;/b&gt; &amp; 乙"
