"""The content model: its fast constructors give what its dataclass constructors give."""

from __future__ import annotations

import datetime as dt
from dataclasses import astuple, fields, replace

import pytest

from bulletin.model import Article, Issue, Page, from_values

ARTICLE = Article(
    slug="linying",
    path="content/articles/2016/linying.md",
    rel="articles/2016/linying.md",
    title="临颍县：组建“红色联盟”",
    county="临颍县",
    theme="非公党建",
    slogans=("五抓五促",),
    date=dt.date(2016, 8, 2),
    body_line=9,
    links=True,
    city="漯河市",
    tags=("两新",),
)


@pytest.mark.parametrize(
    "item",
    [
        ARTICLE,
        Issue("2016-08", "content/issues/2016-08.md", "第8期", dt.date(2016, 8, 20), ("a",), "", 5),
        Page("about", "content/pages/about.md", "关于", "正文", 4),
    ],
)
def test_from_values_equals_the_constructor(item: object) -> None:
    values = tuple(getattr(item, f.name) for f in fields(item))  # type: ignore[arg-type]
    made = from_values(type(item), values)
    assert made == item and hash(made) == hash(item) and astuple(made) == astuple(item)
    with pytest.raises(ValueError, match="values for the"):
        from_values(type(item), values[:-1])


def test_in_issue_equals_replace() -> None:
    linked = ARTICLE.in_issue("2016-08")
    assert linked == replace(ARTICLE, issue="2016-08") and ARTICLE.issue == ""
    with pytest.raises(AttributeError):
        linked.issue = "x"  # type: ignore[misc]  # still frozen
