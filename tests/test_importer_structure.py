"""The shape of a bulletin: masthead, 编者按, county sections in the shapes editors use,
single reports with their headline and byline."""

from __future__ import annotations

import datetime as dt

import pytest

from bulletin.importer.places import Divisions
from bulletin.importer.reading import Block
from bulletin.importer.structure import (
    Masthead,
    Start,
    choose_sections,
    is_county_name,
    lay_out,
    masthead_line,
    section_start,
)

DIVISIONS = Divisions.load()
BODY = "近年来，该县坚持抓党建促发展，各项工作取得明显成效。"


def blocks(*lines: str) -> list[Block]:
    return [Block(text, number) for number, text in enumerate(lines, 1)]


@pytest.mark.parametrize(
    ("line", "start"),
    [
        ("临颍县", Start("alone", "临颍县", "")),
        ("经济技术开发区", Start("alone", "经济技术开发区", "")),
        ("【舞阳县】抓党建促脱贫", Start("bracket", "舞阳县", "抓党建促脱贫")),
        ("【市城乡一体化示范区】", Start("bracket", "市城乡一体化示范区", "")),
        ("一、郾城区：奏好“四步曲”", Start("numbered", "郾城区", "奏好“四步曲”")),
        ("（二）源汇区", Start("numbered", "源汇区", "")),
        ("◆召陵区 “三大转变”", Start("bullet", "召陵区", "“三大转变”")),
        ("扎兰屯市：“三动”工作法", Start("colon", "扎兰屯市", "“三动”工作法")),
        ("*市*区", Start("alone", "*市*区", "")),
    ],
)
def test_each_section_shape(line: str, start: Start) -> None:
    assert section_start(Block(line, 1), DIVISIONS) == start


@pytest.mark.parametrize(
    "line",
    [
        "全县",
        "该区",
        "一、机制推动，提升党建工作的执行力。",
        "转变之一：压力变动力。",
        "临颍县：县委坚持把抓基层打基础作为长远之计，全面提升基层党建水平。",
        "强化党的领导，凝聚党的建设向心力",
        BODY,
    ],
)
def test_lines_that_do_not_start_a_section(line: str) -> None:
    assert section_start(Block(line, 1), DIVISIONS) is None


@pytest.mark.parametrize(
    ("text", "start"),
    [
        ("临颍县组建“红色联盟”", Start("heading", "临颍县", "组建“红色联盟”", 2)),
        ("一、舞阳县：抓党建促脱贫", Start("heading", "舞阳县", "抓党建促脱贫", 2)),
        ("【郾城区】", Start("heading", "郾城区", "", 2)),
        ("主要做法", None),
    ],
)
def test_a_heading_leading_with_a_name_starts_a_section(text: str, start: Start | None) -> None:
    assert section_start(Block(text, 1, "heading", 2), DIVISIONS) == start


def test_a_subheading_under_a_county_is_not_its_headline() -> None:
    lines = [
        Block("编者按：两地做法。", 1),
        Block("临颍县", 2, "heading", 1),
        Block("主要做法", 3, "heading", 2),
        Block(BODY, 4),
        Block("舞阳县", 5, "heading", 1),
        Block("抓党建促脱贫见实效", 6, "heading", 2),
        Block(BODY, 7),
    ]
    layout = lay_out(lines, DIVISIONS, [])
    assert [(p.county, p.headline) for p in layout.parts] == [
        ("临颍县", ""),
        ("舞阳县", "抓党建促脱贫见实效"),
    ]


def test_county_names() -> None:
    assert is_county_name("临颍县", DIVISIONS)
    assert is_county_name("高新技术产业开发区", DIVISIONS)
    assert is_county_name("某某县", DIVISIONS)  # shaped like one: not in the table
    assert not is_county_name("各县区", DIVISIONS)
    assert not is_county_name("党建工作示范点", DIVISIONS)


def test_the_most_common_shape_wins() -> None:
    lines = blocks("【临颍县】", BODY, "舞阳县：带贫", BODY, "【郾城区】", BODY, "【源汇区】", BODY)
    starts = choose_sections(lines, DIVISIONS, 0)
    assert [(i, s.county) for i, s in starts] == [(0, "临颍县"), (4, "郾城区"), (6, "源汇区")]


@pytest.mark.parametrize(
    ("line", "found"),
    [
        ("第１２期".replace("１２", "12"), {"number": 12}),
        ("2019年第12期", {"number": 12, "year": 2019}),
        ("第十二期（总第128期）", {"number": 12}),
        (
            "中共许昌市委组织部编    2019年5月10日",
            {"publisher": "中共许昌市委组织部", "date": dt.date(2019, 5, 10)},
        ),
        ("经验交流简报", {"name": "经验交流简报"}),
        ("（内部资料 注意保存）", {}),
        ("二〇一九年五月十日", {"date": dt.date(2019, 5, 10)}),
    ],
)
def test_masthead_lines(line: str, found: dict) -> None:
    assert masthead_line(line) == found


@pytest.mark.parametrize("line", ["海西州着力构建新时代“大党建”工作格局", BODY, "临颍县"])
def test_lines_that_are_not_masthead(line: str) -> None:
    assert masthead_line(line) is None


def test_an_issue_needs_a_note_and_two_sections() -> None:
    issue = blocks(
        "工作简报",
        "第3期",
        "编者按：现将两地做法刊发。",
        "临颍县",
        BODY,
        "（临颍县委组织部供稿）",
        "舞阳县",
        "抓党建促脱贫",
        BODY,
        "报：省委组织部",
    )
    layout = lay_out(issue, DIVISIONS, [])
    assert layout.kind == "issue"
    assert (layout.masthead.name, layout.masthead.number) == ("工作简报", 3)
    assert [b.text for b in layout.note] == ["现将两地做法刊发。"]
    assert [(p.county, p.headline, [b.text for b in p.blocks]) for p in layout.parts] == [
        ("临颍县", "", [BODY]),
        ("舞阳县", "抓党建促脱贫", [BODY]),
    ]
    assert layout.parts[0].byline.source == "临颍县委组织部"
    assert [r.what for r in layout.removed] == [
        "masthead",
        "masthead",
        "signature or source line",
        "masthead or colophon",
    ]


def test_sections_without_a_note_are_one_article_and_reported() -> None:
    layout = lay_out(blocks("临颍县", BODY, "舞阳县", BODY), DIVISIONS, [])
    assert layout.kind == "article"
    assert "2 county sections but no 编者按" in layout.undecided[0]


def test_a_news_report_headline_dateline_and_reporter() -> None:
    layout = lay_out(
        blocks(
            "长葛市织密基层治理网",
            "来源：许昌日报　发布时间：2019-05-12 09:30",
            "本报讯（记者 王明 通讯员 李华）近日，长葛市召开推进会。",
            "强化网格管理",
            BODY,
        ),
        DIVISIONS,
        [],
    )
    part = layout.parts[0]
    assert part.headline == "长葛市织密基层治理网"
    assert (part.byline.source, part.byline.author, part.byline.date) == (
        "许昌日报",
        "记者 王明 通讯员 李华",
        dt.date(2019, 5, 12),
    )
    assert [b.text for b in part.blocks] == ["近日，长葛市召开推进会。", "强化网格管理", BODY]


def test_two_headlines_alike_keep_the_longer_and_a_signature_gives_source_and_date() -> None:
    layout = lay_out(
        blocks(
            "坚持“三动”工作法",
            "扎兰屯市坚持“三动”工作法",
            BODY,
            "中共扎兰屯市委组织部",
            "2018年9月5日",
        ),
        DIVISIONS,
        [],
    )
    part = layout.parts[0]
    assert part.headline == "扎兰屯市坚持“三动”工作法"
    assert (part.byline.source, part.byline.date) == ("中共扎兰屯市委组织部", dt.date(2018, 9, 5))
    assert [b.text for b in part.blocks] == [BODY]


def test_an_issue_masthead_set_in_a_table() -> None:
    table = Block(
        "党建工作简报\n第5期 中共某某县委组织部 2021年4月2日",
        1,
        "markdown",
        markdown="| 党建工作简报 | |\n| --- | --- |\n| 第5期 | 中共某某县委组织部 2021年4月2日 |",
    )
    layout = lay_out(
        [table, *blocks("编者按：两地做法。", "临颍县", BODY, "舞阳县", BODY)], DIVISIONS, []
    )
    assert layout.kind == "issue"
    assert layout.masthead == Masthead(
        "党建工作简报", 5, None, dt.date(2021, 4, 2), "中共某某县委组织部"
    )
