"""Checking front matter against its fields: each kind of value, and every problem."""

from __future__ import annotations

import datetime as dt

import pytest

from bulletin.problems import excerpt, shorten
from bulletin.schema import CHECKERS, Field, check_fields
from bulletin.sources import YamlDoc


@pytest.mark.parametrize(
    ("kind", "value", "result", "error"),
    [
        ("text", "  标题 ", "标题", None),
        ("text", "", None, "must not be empty"),
        ("text", 12, None, "must be a string, not a number"),
        ("optional text", "", "", None),
        ("text list", ["a", " b", "a"], ("a", "b"), None),
        ("text list", "五抓五促", None, "must be a list of strings, e.g. [五抓五促] (a bare"),
        ("text list", [1], None, "must be a list of non-empty strings; 1 is not one"),
        ("text list", {}, None, "must be a list of strings, not a mapping"),
        ("date", "2016-08-02", dt.date(2016, 8, 2), None),
        ("date", "2016-02-30", None, "is not a real date: 2016-02-30 (day is out of range"),
        ("date", "2016/8/2", None, "must be a date written YYYY-MM-DD, not '2016/8/2'"),
        ("date", "1900-01-01", dt.date(1900, 1, 1), None),
        ("date", "2099-12-31", dt.date(2099, 12, 31), None),
        ("date", "0219-05-01", None, "is outside the years 1900-2099: 0219-05-01 (a typo?)"),
        ("date", "9999-12-31", None, "is outside the years 1900-2099: 9999-12-31 (a typo?)"),
        ("bool", True, True, None),
        ("bool", "yes", None, "must be true or false, not 'yes'"),
        ("positive int", 3, 3, None),
        ("positive int", 0, None, "must be a whole number above 0, not 0"),
        ("positive int", True, None, "must be a whole number above 0, not True"),
    ],
)
def test_each_kind_of_value(kind: str, value: object, result: object, error: str | None) -> None:
    got, message = CHECKERS[kind](value)
    assert got == result
    if error is None:
        assert message is None
    else:
        assert message is not None and message.startswith(error)


FIELDS = {"title": Field("text", required=True), "tags": Field("text list")}


def _check(values: dict[str, object], lines: dict[str, int]) -> list[tuple[int, str]]:
    _, problems = check_fields(YamlDoc(values, lines, 2), FIELDS, "a.md", "article")
    return [(p.line, p.message) for p in problems]


def test_every_problem_at_its_key_s_line() -> None:
    assert _check({"tags": "a", "titel": "x"}, {"tags": 3, "titel": 4}) == [
        (3, "'tags' must be a list of strings, e.g. [a] (a bare string is not a list)"),
        (4, "unknown key 'titel' in article; did you mean 'title'? (known: title, tags)"),
        (1, "missing required key 'title' in article"),
    ]
    assert _check({"title": None}, {"title": 2}) == [(2, "'title' must have a value")]


def test_long_values_are_quoted_in_short() -> None:
    huge = "长" * 5000
    messages = _check({"title": "t", "tags": huge, huge: 1}, {"title": 2, "tags": 3, huge: 4})
    assert all(len(message) < 200 for _, message in messages)
    nested: list[object] = ["x"]
    for _ in range(30):
        nested = [nested] * 10  # shared, as YAML aliases make it: 10**30 values
    assert len(excerpt(nested)) < 100
    assert shorten("一\n二" * 100, 10) == "一 二一 二一 二…"
