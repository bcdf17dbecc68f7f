"""``python -m search query`` and the exit codes of ``python -m search``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "search", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_query_json(output: Path) -> None:
    r = run("query", str(output), "紅色聯盟", "--variant", "zh-hant", "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["total"] == 1 and data["results"][0]["county"] == "臨潁縣"


def test_query_text_with_filter(output: Path) -> None:
    r = run("query", str(output), "村", "--theme", "基层党建")
    assert r.returncode == 0, r.stderr
    assert "results for '村'" in r.stdout and "/zh-hans/articles/" in r.stdout


def test_no_index_is_exit_1(tmp_path: Path) -> None:
    r = run("query", str(tmp_path), "党")
    assert r.returncode == 1 and "no search index" in r.stderr
    assert run("serve", str(tmp_path / "missing")).returncode == 1


def test_usage_error_is_exit_2(output: Path) -> None:
    assert run("query").returncode == 2
    assert run("frobnicate", str(output)).returncode == 2
    assert run("query", str(output), "").returncode == 2
