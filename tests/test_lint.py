"""`build.py check` lint: exact warnings for each kind, none for good content."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bulletin import lint, pipeline

from .conftest import FIXTURES, run_cli

BAD = FIXTURES / "lint" / "bad"
GOOD = FIXTURES / "lint" / "good"
BAD_ARTICLE = "tests/fixtures/lint/bad/articles/jiaxian.md"


def warnings(content: Path) -> list[str]:
    checked = pipeline.check(content)
    assert not checked.errors
    return [str(p) for p in checked.problems]


def test_bad_content_gives_exactly_the_expected_warnings() -> None:
    expected = (BAD / "expected.txt").read_text("utf-8").splitlines()
    assert warnings(Path("tests/fixtures/lint/bad")) == expected


def test_good_content_gives_no_warning() -> None:
    assert warnings(GOOD) == []


@pytest.mark.parametrize(
    "line",
    [
        # quoted, shaped like a numbered method, not in front matter; “有钱办事” is not
        f"{BAD_ARTICLE}:8: warning: “三会一课” is quoted here and is shaped like a numbered "
        "work method, but this article's 'slogans' does not list it",
        # a slogan of another article
        f"{BAD_ARTICLE}:12: warning: “双轮驱动” is quoted here and is a slogan of "
        "tests/fixtures/lint/bad/articles/yixian.md, but this article's 'slogans' does not "
        "list it",
        # in front matter, never in the body: at the line of the 'slogans' key
        f"{BAD_ARTICLE}:5: warning: slogan '五抓五促' is in 'slogans' but the body never "
        "mentions it",
        # duplicate title: at the title line of the second file, naming the first
        "tests/fixtures/lint/bad/articles/yixian.md:2: warning: duplicate title '甲县抓党建' "
        f"(also {BAD_ARTICLE})",
        # links and images that lead nowhere, each at its own line: a.md is not found
        # inside data.md, and its second use is reported at its second line
        f"{BAD_ARTICLE}:12: warning: link leads nowhere: data.md",
        f"{BAD_ARTICLE}:14: warning: link leads nowhere: /static/images/none.svg",
        f"{BAD_ARTICLE}:14: warning: link leads nowhere: a.md",
        f"{BAD_ARTICLE}:16: warning: link leads nowhere: a.md",
        # decided by the character table alone; 组织里 is settled by the site's phrases.txt,
        # 头发 and 理发 by OpenCC's phrases, and -{区里}- is never converted
        f"{BAD_ARTICLE}:10: warning: '里' in “区里把党组织…”: OpenCC's character table "
        "alone picks 裡 in zh-hant (of 裡/里/哩) (also line 16); if that is wrong, add the "
        "phrase with its right form to tests/fixtures/lint/bad/phrases.txt",
    ],
)
def test_each_kind_of_warning(line: str) -> None:
    assert line in warnings(Path("tests/fixtures/lint/bad"))


def test_site_phrase_settles_an_ambiguous_character(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(BAD, content)
    assert any("'里' in “区里把" in line for line in warnings(content))
    with (content / "phrases.txt").open("a", encoding="utf-8") as phrases:
        phrases.write("区里\t區裡\n")
    assert not any("'里'" in line for line in warnings(content))


def test_every_traditional_variant_is_named_and_simplified_only_sites_skip(
    tmp_path: Path,
) -> None:
    content = tmp_path / "content"
    shutil.copytree(BAD, content)
    site = content / "site.yaml"
    site.write_text("title: 提示测试\nvariants: [zh-hans, zh-hant, zh-hk]\n", encoding="utf-8")
    found = [line for line in warnings(content) if "'里'" in line]
    assert len(found) == 1
    assert "picks 裡 in zh-hant, 裏 in zh-hk (of 裡/里/哩/裏)" in found[0]
    site.write_text("title: 提示测试\nvariants: [zh-hans]\n", encoding="utf-8")
    assert not any("character table" in line for line in warnings(content))


def test_finder_marks_only_positions_no_phrase_covers() -> None:
    finder = lint.AmbiguityFinder.load(("zh-hans", "zh-hant"), (("组织里", "組織裡"),))
    assert finder is not None
    assert [(a.index, a.char) for a in finder.find("区里的头发和组织里的干部要我干")] == [
        (1, "里"),
        (14, "干"),
    ]
    assert finder.find("") == []
    assert lint.AmbiguityFinder.load(("zh-hans",), ()) is None


def test_check_strict_makes_lint_warnings_fail() -> None:
    code, _, err = run_cli("check", "--content", "tests/fixtures/lint/bad")
    assert code == 0
    assert err.splitlines()[:-1] == (BAD / "expected.txt").read_text("utf-8").splitlines()
    assert err.splitlines()[-1] == "2 articles checked: 0 error(s), 13 warning(s)"
    assert run_cli("check", "--content", "tests/fixtures/lint/bad", "--strict")[0] == 1
    assert run_cli("check", "--content", "tests/fixtures/lint/good", "--strict")[0] == 0
    code, out, _ = run_cli("check", "--content", "tests/fixtures/lint/bad", "--format", "json")
    report = json.loads(out)
    assert code == 0 and report["ok"] is True and report["errors"] == []
    assert len(report["warnings"]) == 13


def test_settled_words_are_not_flagged_and_convert_as_listed() -> None:
    from search.scripts import make_converter

    s2tw = make_converter("zh-hant")
    for word, char in lint.SETTLED.items():
        assert char in s2tw.convert(word), word
    finder = lint.AmbiguityFinder.load(("zh-hans", "zh-hant"), ())
    assert finder is not None
    assert [a.char for a in finder.find("此文刊发后，区里干部发展产业")] == ["里"]
    assert [a.char for a in finder.find("经刊发，理发")] == []  # 理发: OpenCC's own phrase
    assert [a.char for a in finder.find("他在这一带发")] == ["发"]
