"""The one definition of a slogan (提法), shared by check's lint and import."""

from __future__ import annotations

import pytest

from bulletin import slogans


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("三会一课", True),
        ("1+5+6+N", True),
        ("六化一提升", True),
        ("五抓五促", True),
        ("四议两公开", True),
        ("坐班+五办", True),
        ("三动工作法", True),
        ("１＋Ｎ", True),  # full-width, read as 1+N
        ("有钱办事", False),
        ("两委", False),
        ("三资管理", False),
        ("5·10", False),
        ("11710", False),
        ("最后一公里", False),
        ("党旗似火百舸争流齐奋楫美景如画", False),
    ],
)
def test_numbered_work_method_shape(text: str, expected: bool) -> None:
    assert slogans.looks_like_numbered_method(text) is expected


def test_method_slogans_in_order_once_and_by_part() -> None:
    body = (
        "推行“五抓五促”工作法，落实“四议两公开”和“1+N”帮带，"
        "做好“一乡一业、一村一品”文章，再讲“五抓五促”。\n"
        "这是“有钱办事”，不是提法；“三动工作法”是。"
    )
    assert slogans.method_slogans(body) == [
        "五抓五促",
        "四议两公开",
        "1+N",
        "一乡一业",
        "一村一品",
        "三动工作法",
    ]


def test_full_width_forms_are_read_as_half_width() -> None:
    assert slogans.method_slogans("实行“１＋Ｎ”模式") == ["1+N"]


def test_another_articles_slogan_counts_even_when_not_shaped_like_a_method() -> None:
    body = "开展“双覆盖”活动，推行“民情夜市”和“有钱办事”。"
    assert slogans.method_slogans(body) == []
    assert slogans.method_slogans(body, known={"民情夜市", "双覆盖"}) == ["双覆盖", "民情夜市"]
