"""Validation: every problem of a run, each at its file and line."""

from __future__ import annotations

from pathlib import Path

from bulletin import pipeline
from bulletin.content import ArticleBodies, load_site, parse_tree
from bulletin.slugs import pinyin_slug
from bulletin.sources import read_tree

from .conftest import FIXTURES, ROOT


def _messages(content: Path) -> list[str]:
    checked = pipeline.check(content.relative_to(ROOT))
    return [str(p) for p in checked.problems]


def test_invalid_fixture_reports_exactly_the_expected_messages(monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    expected = (FIXTURES / "invalid" / "expected.txt").read_text(encoding="utf-8").splitlines()
    assert _messages(FIXTURES / "invalid") == expected


def test_good_fixtures_have_no_problems(monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    for name in ("minimal", "variants"):
        assert _messages(FIXTURES / name) == [], name


def _site_with(tmp_path: Path, article: str | bytes, name: str = "a.md"):
    (tmp_path / "site.yaml").write_text("title: 测试\n", encoding="utf-8")
    folder = tmp_path / "articles"
    folder.mkdir(exist_ok=True)
    data = article.encode("utf-8") if isinstance(article, str) else article
    (folder / name).write_bytes(data)
    tree = read_tree(tmp_path)
    return load_site(tree, parse_tree(tree, {}), str(tmp_path))


GOOD = (
    "---\ntitle: 标题\ncounty: 临颍县\ntheme: 基层党建\nslogans: []\ndate: 2016-08-15\n---\n正文\n"
)


def test_bom_and_crlf_are_accepted(tmp_path: Path) -> None:
    data = b"\xef\xbb\xbf" + GOOD.replace("\n", "\r\n").encode("utf-8")
    site, problems = _site_with(tmp_path, data)
    assert problems == []
    assert site.articles[0].title == "标题"
    assert ArticleBodies(read_tree(tmp_path), site.articles)["a"] == "正文\n"


def test_unclosed_quote_points_at_the_quote_line(tmp_path: Path) -> None:
    text = GOOD.replace("theme: 基层党建", 'theme: "基层党建')
    _, problems = _site_with(tmp_path, text)
    assert [(p.line, p.message.split(":")[0]) for p in problems] == [(4, "YAML syntax error")]


def test_every_error_of_a_file_is_reported(tmp_path: Path) -> None:
    text = (
        "---\ntitle: 7\ncounty:\ntheme: 基层党建\nslogans: 五抓五促\ndate: 2016-8-1\nfoo: 1\n---\n"
    )
    _, problems = _site_with(tmp_path, text)
    assert [(p.line, p.message) for p in problems] == [
        (2, "'title' must be a string, not a number"),
        (5, "'slogans' must be a list of strings, e.g. [五抓五促] (a bare string is not a list)"),
        (6, "'date' must be a date written YYYY-MM-DD, not '2016-8-1'"),
        (
            7,
            "unknown key 'foo' in article (known: title, county, theme, slogans, date, city, "
            "province, source, author, summary, tags, issue, draft)",
        ),
        (3, "'county' must have a value"),
    ]


def test_duplicate_yaml_keys_are_errors(tmp_path: Path) -> None:
    text = GOOD.replace("theme: 基层党建\n", "theme: 基层党建\ntheme: 脱贫攻坚\n")
    _, problems = _site_with(tmp_path, text)
    assert [(p.line, p.message) for p in problems] == [(5, "duplicate key 'theme'")]


def test_drafts_are_not_published(tmp_path: Path) -> None:
    site, problems = _site_with(tmp_path, GOOD.replace("---\n正文", "draft: true\n---\n正文"))
    assert problems == []
    assert site.articles == ()


def test_pinyin_slug() -> None:
    assert pinyin_slug("临颍县") == "lin-ying-xian"
    assert pinyin_slug("1+2+3+X") == "1-2-3-x"
    assert pinyin_slug("红色细胞156工程") == "hong-se-xi-bao-156-gong-cheng"
