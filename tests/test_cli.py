"""The command line as editors use it: exit status, messages, `new`."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from .conftest import FIXTURES, ROOT, run_cli


def test_build_is_the_default_command(tmp_path: Path) -> None:
    code, _, err = run_cli("--content", str(FIXTURES / "minimal"), "--output", str(tmp_path / "o"))
    assert code == 0, err
    assert "built 2 articles" in err
    assert (tmp_path / "o" / "zh-hant" / "index.html").is_file()


def test_content_errors_exit_1_with_every_error_and_nothing_published(tmp_path: Path) -> None:
    code, _, err = run_cli(
        "build", "--content", "tests/fixtures/invalid", "--output", str(tmp_path / "o")
    )
    assert code == 1
    expected = (FIXTURES / "invalid" / "expected.txt").read_text("utf-8").splitlines()
    assert err.splitlines()[:-1] == expected
    assert "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert run_cli("frobnicate")[0] == 2
    assert run_cli("check", "--format", "yaml")[0] == 2
    code, _, err = run_cli("--content", str(FIXTURES / "minimal"), "--output", str(ROOT))
    assert code == 2 and "build.py: error:" in err
    code, _, err = run_cli(
        "--content",
        str(FIXTURES / "minimal"),
        "--output",
        str(tmp_path / "o"),
        "--base-url",
        "ftp://x/",
    )
    assert code == 2 and "--base-url" in err


def test_check_json_reports_errors_and_writes_nothing() -> None:
    code, out, _ = run_cli("check", "--content", "tests/fixtures/invalid", "--format", "json")
    assert code == 1
    report = json.loads(out)
    assert report["ok"] is False
    assert len(report["errors"]) == 14
    assert report["errors"][0] == {
        "path": "tests/fixtures/invalid/articles/a/gbk-file.md",
        "line": 2,
        "message": "file is not valid UTF-8 (it looks like GBK/GB18030: save the file as UTF-8)",
        "severity": "error",
    }


def test_check_passes_good_content_and_strict_fails_on_warnings(tmp_path: Path) -> None:
    assert run_cli("check", "--content", str(FIXTURES / "minimal"))[0] == 0
    content = tmp_path / "content"
    shutil.copytree(FIXTURES / "minimal", content)
    article = content / "articles" / "wuyang-tuopin.md"
    article.write_text(article.read_text("utf-8") + "\n[坏链接](nothing.md)\n", encoding="utf-8")
    code, _, err = run_cli("check", "--content", str(content))
    assert code == 0
    assert f"{article}:10: warning: link leads nowhere: nothing.md" in err
    assert run_cli("check", "--content", str(content), "--strict")[0] == 1


def test_new_writes_an_article_that_builds_and_refuses_a_taken_slug(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(FIXTURES / "minimal", content)
    code, out, err = run_cli(
        "new",
        "xiping-dangjian",
        "--county",
        "西平县",
        "--theme",
        "基层党建",
        "--slogan",
        "三会一课",
        "--content",
        str(content),
    )
    assert code == 0, err
    path = Path(out.strip())
    assert path.is_file() and path.parent.parent == content / "articles"
    page = tmp_path / "o/zh-hans/articles/xiping-dangjian/index.html"
    code, _, err = run_cli("--content", str(content), "--output", str(tmp_path / "o"))
    assert code == 0, err
    assert not page.exists()  # a draft, with a placeholder title: published nowhere
    assert "（请填写标题）" not in (tmp_path / "o/zh-hans/feed.xml").read_text("utf-8")
    text = path.read_text("utf-8")
    assert "draft: true" in text
    path.write_text(text.replace("draft: true", "draft: false"), "utf-8")
    code, _, err = run_cli("--content", str(content), "--output", str(tmp_path / "o"))
    assert code == 0, err
    assert page.is_file()
    code, _, err = run_cli(
        "new", "xiping-dangjian", "--county", "西平县", "--theme", "x", "--content", str(content)
    )
    assert code == 2 and "taken" in err
    code, _, err = run_cli(
        "new", "西平", "--county", "西平县", "--theme", "x", "--content", str(content)
    )
    assert code == 2 and "xi-ping" in err


def test_help_names_every_command() -> None:
    code, out, _ = run_cli("--help")
    assert code == 0
    for command in ("build", "check", "new"):
        assert command in out


def test_output_inside_the_content_folder_is_refused(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(FIXTURES / "minimal", content)
    code, _, err = run_cli("--content", str(content), "--output", str(content / "static" / "x"))
    assert code == 2 and "inside the content folder" in err
    assert not (content / "static").exists()


def test_a_template_error_names_the_template_file_and_line(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    page = templates / "page.html"
    page.write_text(
        page.read_text("utf-8").replace("{{ page.title }}</h1>", "{{ page.no_such_field.x }}</h1>"),
        "utf-8",
    )
    line = next(
        n for n, text in enumerate(page.read_text("utf-8").splitlines(), 1) if "no_such" in text
    )
    code, _, err = run_cli(
        "--content",
        str(FIXTURES / "minimal"),
        "--output",
        str(tmp_path / "o"),
        "--templates",
        str(templates),
    )
    assert code == 1
    assert f"page.html:{line}: template error:" in err
    assert not (tmp_path / "o").exists()


def test_new_refuses_values_that_check_would_refuse(tmp_path: Path) -> None:
    """`new --county ""` wrote a skeleton that `check` then failed ('county' must not be
    empty); an empty slogan or a theme over two lines the same."""
    content = tmp_path / "content"
    shutil.copytree(FIXTURES / "minimal", content)
    for options, message in [
        (["--county", " ", "--theme", "x"], "--county must not be empty"),
        (["--county", "西平县", "--theme", "x", "--slogan", ""], "--slogan must not be empty"),
        (["--county", "西平县", "--theme", "x", "--title", ""], "--title must not be empty"),
        (
            ["--county", "西平县", "--theme", "基层\n党建"],
            "--theme '基层\\n党建' must be one line, without control characters",
        ),
    ]:
        code, out, err = run_cli("new", "xiping", *options, "--content", str(content))
        assert (code, out, err) == (2, "", f"build.py: error: {message}\n")
    assert not list(content.rglob("xiping.md"))
    code, out, err = run_cli(
        "new", "xiping", "--county", " 西平县 ", "--theme", "x", "--content", str(content)
    )
    assert code == 0, err
    assert "county: 西平县\n" in Path(out.strip()).read_text("utf-8")
    assert run_cli("check", "--content", str(content))[0] == 0


def test_new_and_import_refuse_a_content_folder_that_is_not_there(tmp_path: Path) -> None:
    """A mistyped --content made a new folder and wrote into it (exit 0), where build
    and check say there is no such folder."""
    missing = tmp_path / "contnet"
    source = FIXTURES / "import" / "report-news.txt"
    for command in (
        ["new", "xiping", "--county", "西平县", "--theme", "x"],
        ["import", str(source), "--date", "2019-05-12"],
    ):
        code, out, err = run_cli(*command, "--content", str(missing))
        assert (code, out, err) == (2, "", f"build.py: error: {missing}: no such content folder\n")
    assert not missing.exists()


def test_import_date_is_checked_as_front_matter_dates_are(tmp_path: Path) -> None:
    source = str(FIXTURES / "import" / "report-news.txt")
    code, out, err = run_cli("import", source, "--date", "0219-05-12", "--dry-run")
    assert (code, out) == (2, "")
    assert err.endswith(
        "build.py import: error: argument --date: is outside the years 1900-2099: "
        "0219-05-12 (a typo?)\n"
    )


def test_an_interrupted_import_says_nothing_was_written(tmp_path: Path) -> None:
    """An import stopped with SIGTERM said 'nothing was published', a build's words."""
    content = tmp_path / "content"
    shutil.copytree(FIXTURES / "minimal", content)
    big = tmp_path / "big.txt"
    big.write_text(("临颍县：“五抓五促”推动发展。" * 50 + "\n") * 6000, "utf-8")  # ~14 MB
    before = sorted(p.relative_to(content) for p in content.rglob("*"))
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "build.py"), "import", str(big), "--content", str(content)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    while _cpu_seconds(proc.pid) < 1.5:  # started (~0.5 s) and into the text (~7 s)
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert (proc.returncode, out, err) == (130, "", "interrupted: nothing was written\n")
    assert sorted(p.relative_to(content) for p in content.rglob("*")) == before


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_the_build_line_counts_in_english() -> None:
    from bulletin.cli import _count

    assert (_count(1, "article"), _count(2, "page"), _count(0, "variant")) == (
        "1 article",
        "2 pages",
        "0 variants",
    )
