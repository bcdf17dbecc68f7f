"""Dates, datelines, reporter lines and signatures."""

from __future__ import annotations

import datetime as dt

import pytest

from bulletin.importer.meta import (
    Byline,
    byline,
    cn_number,
    date_line,
    find_date,
    is_unit_name,
    label_line,
    supplied_line,
)


@pytest.mark.parametrize(
    ("text", "number"),
    [("12", 12), ("八", 8), ("十二", 12), ("二十", 20), ("二十三", 23), ("二〇一九", 2019)],
)
def test_chinese_numbers(text: str, number: int) -> None:
    assert cn_number(text) == number


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("20.09.2018  18:01", dt.date(2018, 9, 20)),
        ("2018年9月20日", dt.date(2018, 9, 20)),
        ("2018-09-20 10:22:05", dt.date(2018, 9, 20)),
        ("发布时间：2018/9/20", dt.date(2018, 9, 20)),
        ("（二〇一八年九月二十日）", dt.date(2018, 9, 20)),
        ("2018年9月20日召开会议", None),  # a sentence, not a dateline
        ("2018年2月30日", None),
    ],
)
def test_datelines(text: str, date: dt.date | None) -> None:
    assert date_line(text) == date


def test_find_date_skips_impossible_dates() -> None:
    assert find_date("2018年2月30日至2018年3月1日") == (dt.date(2018, 3, 1), "2018年3月1日")


@pytest.mark.parametrize(
    ("text", "found"),
    [
        (
            "青海新闻网讯（本网记者 樊永涛 通讯员 西组宣 报道） 党的十九大以来，",
            Byline("青海新闻网", "本网记者 樊永涛 通讯员 西组宣", None, "党的十九大以来，"),
        ),
        ("本报讯（记者 张三）近日，", Byline("", "记者 张三", None, "近日，")),
        ("新华社北京9月20日电（记者 王五）近日", Byline("新华社", "记者 王五", None, "近日")),
        ("近日，本报讯称", None),
        ("本报记者 王明 通讯员 李华", Byline("", "本报记者 王明 通讯员 李华")),
        ("（记者 张三 摄）", Byline("", "记者 张三")),
        ("记者会上，他作了说明。", None),
    ],
)
def test_reporter_lines(text: str, found: Byline | None) -> None:
    assert byline(text) == found


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("来源：漯河日报  作者：李向东", Byline("漯河日报", "李向东")),
        ("记者：李四 通讯员：王五", Byline("", "记者 李四 通讯员 王五")),
        (
            "时间：2018-09-20 来源：中国组织人事报",
            Byline("中国组织人事报", "", dt.date(2018, 9, 20)),
        ),
        ("【来源：人民网】【编辑：赵六】", Byline("人民网", "")),
        ("来源：人民网，但是这是正文的一句话。", None),
    ],
)
def test_labelled_lines(text: str, found: Byline | None) -> None:
    assert label_line(text) == found


def test_supplied_lines_and_unit_names() -> None:
    assert supplied_line("（临颍县委组织部供稿）") == "临颍县委组织部"
    assert supplied_line("（作者单位：舞阳县委组织部）") == "舞阳县委组织部"
    assert supplied_line("（完）") == ""
    assert is_unit_name("中共临颍县委组织部")
    assert not is_unit_name("海西州着力构建“大党建”工作格局")
