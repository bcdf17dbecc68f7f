"""Slugs of imported files: pinyin, unique, and the same again for a re-import."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bulletin.importer.slugging import Existing, article_slug, county_slug, issue_slug, pinyin_words

DAY = dt.date(2016, 8, 20)


@pytest.mark.parametrize(
    ("county", "slug"),
    [
        ("临颍县", "linying"),
        ("海西蒙古族藏族自治州", "haixi"),
        ("漯河市经济技术开发区", "kaifaqu"),
        ("漯河市西城区", "xicheng"),
        ("某市某区", "mouqu"),
        ("扎兰屯市", "zhalantun"),
        ("城区", "chengqu"),
    ],
)
def test_county_slugs(county: str, slug: str) -> None:
    assert county_slug(county) == slug


def test_pinyin_words() -> None:
    assert pinyin_words("红色联盟") == ["hongse", "lianmeng"]
    assert pinyin_words("1+2+3+X提升") == ["1-2-3-x", "tisheng"]


def test_article_slugs_from_the_titles_quote_or_the_first_slogan(tmp_path: Path) -> None:
    existing = Existing.scan(tmp_path)
    slug, path, exists = article_slug(existing, "扎兰屯市", "扎兰屯市坚持“三动”工作法", [], DAY)
    assert (slug, path, exists) == (
        "zhalantun-sandong",
        tmp_path / "articles" / "2016" / "zhalantun-sandong.md",
        False,
    )
    slug, _, _ = article_slug(
        existing, "临颍县", "临颍县：“围绕发展抓党建、抓好党建促发展”", ["五抓五促"], DAY
    )
    assert slug == "linying-wuzhua-wucu"
    assert all(ord(c) < 128 for c in slug)


def test_slugs_are_unique_and_a_reimport_takes_the_same_file(tmp_path: Path) -> None:
    folder = tmp_path / "articles" / "2016"
    folder.mkdir(parents=True)
    (folder / "linying-wuzhua-wucu.md").write_text(
        "---\ntitle: 旧\ncounty: 临颍县\ndate: 2016-08-20\n---\n", encoding="utf-8"
    )
    (tmp_path / "articles" / "wuyang-wuzhua-wucu.md").write_text(
        "---\ntitle: 别的\ncounty: 舞阳县\ndate: 2016-01-01\n---\n", encoding="utf-8"
    )
    existing = Existing.scan(tmp_path)
    assert article_slug(existing, "临颍县", "新题", ["五抓五促"], DAY) == (
        "linying-wuzhua-wucu",
        folder / "linying-wuzhua-wucu.md",
        True,
    )
    assert article_slug(existing, "舞阳县", "题", ["五抓五促"], DAY)[0] == "wuyang-wuzhua-wucu-2"
    assert article_slug(existing, "舞阳县", "题", ["五抓五促"], DAY)[0] == "wuyang-wuzhua-wucu-3"


def test_issue_slugs(tmp_path: Path) -> None:
    existing = Existing.scan(tmp_path)
    assert issue_slug(existing, 2016, 8, DAY, "2016年第8期")[0] == "2016-08"
    assert issue_slug(existing, 2016, None, DAY, "2016年8月20日")[0] == "2016-08-20"
