"""Content that editors and attackers send: each gets its one-line error at its file and
line (tests/fixtures/hostile/expected.txt), never a traceback, and nothing from outside
the content folder is published."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from bulletin.markup import LinkMap, MarkdownRenderer

from .conftest import FIXTURES, run_cli

HEAD = "---\ntitle: {title}\ncounty: 某县\ntheme: 基层党建\nslogans: []\ndate: 2017-03-01\n"


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    """The hostile fixture site as ``tmp_path/content``, with what git cannot hold or
    what is too large to keep: links out and to nowhere, a name that is not UTF-8, a
    list nested 320 deep, 10,000 identical headings. A secret lies beside it."""
    content = tmp_path / "content"
    shutil.copytree(FIXTURES / "hostile", content)
    (tmp_path / "outside.txt").write_text("secret", "utf-8")
    articles, images = content / "articles", content / "static" / "images"
    images.mkdir(parents=True, exist_ok=True)  # git keeps no empty folder
    nested = "\n".join("    " * depth + "- 一层" for depth in range(320))
    (articles / "deep-list.md").write_text(
        HEAD.format(title="层层嵌套") + "---\n开头。\n\n" + nested + "\n", "utf-8"
    )
    (articles / "many-headings.md").write_text(
        HEAD.format(title="重复标题") + "---\n" + "## 主要做法\n\n一段。\n\n" * 10_000, "utf-8"
    )
    os.symlink("../../../outside.txt", images / "leak.svg")
    os.symlink("../../outside.txt", articles / "linked.md")
    os.symlink("nowhere.md", articles / "dangling.md")
    (articles / os.fsdecode(b"bad-\xff-name.md")).write_text("---\n", "utf-8")
    (images / "ok.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>', "utf-8")
    os.symlink("ok.svg", images / "same.svg")  # a link inside the folder is fine
    return content


def _expected(tmp_path: Path) -> list[str]:
    text = (FIXTURES / "hostile" / "expected.txt").read_text("utf-8")
    return text.replace("{outside}", str(tmp_path / "outside.txt")).splitlines()


def test_check_reports_every_hostile_file_at_its_line(hostile: Path, tmp_path: Path) -> None:
    code, _, err = run_cli("check", "--content", "content", cwd=tmp_path)
    assert code == 1
    assert "Traceback" not in err
    assert err.splitlines()[:-1] == _expected(tmp_path)


def test_a_hostile_build_publishes_nothing(hostile: Path, tmp_path: Path) -> None:
    code, _, err = run_cli("build", "--content", "content", "--output", "site", cwd=tmp_path)
    assert code == 1 and "Traceback" not in err
    assert err.splitlines()[:-1] == _expected(tmp_path)
    assert not (tmp_path / "site").exists()


def test_links_inside_the_folder_are_read_and_links_out_never_published(
    hostile: Path, tmp_path: Path
) -> None:
    for name in ("alias-bomb", "deep-list", "linked", "dangling", "long-values"):
        (hostile / "articles" / f"{name}.md").unlink()
    for name in ("tab-item", "tab-key"):
        (hostile / "articles" / f"{name}.md").unlink()
    (hostile / "articles" / os.fsdecode(b"bad-\xff-name.md")).unlink()
    (hostile / "static" / "images" / "leak.svg").unlink()
    code, _, err = run_cli("build", "--content", "content", "--output", "site", cwd=tmp_path)
    assert code == 0, err
    site = tmp_path / "site"
    assert (site / "static" / "images" / "same.svg").read_bytes() == (
        hostile / "static" / "images" / "ok.svg"
    ).read_bytes()
    published = [p for p in site.rglob("*") if p.is_file()]
    assert not any(b"secret" in p.read_bytes() for p in published if p.suffix != ".gz")

    os.symlink("../../../outside.txt", hostile / "static" / "images" / "leak.svg")
    code, _, err = run_cli("build", "--content", "content", "--output", "site", cwd=tmp_path)
    assert code == 1 and "symbolic link leads out of the content folder" in err
    assert not (site / "static" / "images" / "leak.svg").exists()


def test_identical_headings_get_unique_ids_in_order() -> None:
    rendered = MarkdownRenderer(LinkMap(), frozenset()).render(
        "## 做法\n\n" * 10_000 + "## 做法-2\n\n## 做法\n", "articles/a.md", "../../"
    )
    ids = re.findall(r'<h2 id="([^"]+)"', rendered.html)
    assert ids[:3] == ["zuo-fa", "zuo-fa-2", "zuo-fa-3"]
    assert ids[-3:] == ["zuo-fa-10000", "zuo-fa-2-2", "zuo-fa-10001"]
    assert len(set(ids)) == len(ids) == 10_002
