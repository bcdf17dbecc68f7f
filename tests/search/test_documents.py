"""The search document: the frozen contract between the generator and search."""

from __future__ import annotations

import dataclasses

import pytest

from search.documents import SearchDocument, Shown


def test_from_mapping_as_tests_and_benchmarks_write_documents() -> None:
    doc = SearchDocument.from_mapping(
        {
            "slug": "a",
            "title": "标题",
            "body": "正文",
            "county": "临颍县",
            "theme": "基层党建",
            "date": "2016-08-15",
            "slogans": ["红色联盟", "", "五抓五促"],
            "tags": None,
            "issue": None,
            "display": {"zh-hant": {"title": "標題", "county": "臨潁縣", "theme": "基層黨建"}},
        }
    )
    assert doc.slogans == ("红色联盟", "五抓五促") and doc.tags == ()
    assert (doc.issue, doc.city, doc.year) == ("", "", "2016")
    assert doc.shown == {"zh-hant": Shown("標題", "臨潁縣", "基層黨建")}
    with pytest.raises(dataclasses.FrozenInstanceError):
        doc.title = "x"  # type: ignore[misc]
    assert dataclasses.replace(doc, title="新").title == "新"
