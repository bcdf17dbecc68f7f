"""``python -m search serve`` and ``query`` as a user runs them, and their exit codes."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from search.indexing import write_index
from search.layout import index_dir, write_meta
from tests.search.conftest import META, build_output, start_server, stop_server

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


def test_query_without_an_index_is_exit_1(tmp_path: Path) -> None:
    r = run("query", str(tmp_path), "党")
    assert r.returncode == 1 and "no search index" in r.stderr


def test_an_index_of_no_documents_answers_no_results(tmp_path: Path) -> None:
    """A site with no published article has an index of no documents: the query and
    the service answer 0 results, not an error (Whoosh's EmptyReader has no columns)."""
    output = tmp_path / "site"
    write_index(index_dir(output), [], META)
    write_meta(output, META)
    r = run("query", str(output), "党建", "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert (data["total"], data["results"]) == (0, [])
    assert data["facets"] == {"county": {}, "theme": {}}
    client, srv, thread = start_server(output)
    try:
        health = client.get("/healthz")
        assert health.status == 200 and health.json()["documents"] == 0
        answer = client.search(q="county:临颍县 党建")
        assert answer.status == 200 and answer.json()["total"] == 0
    finally:
        stop_server(srv, thread)


def _get(url: str) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_serve_starts_before_the_first_build_and_picks_it_up(tmp_path: Path) -> None:
    """With no index yet the service starts, prints its URL, answers /healthz and
    searches with 503, and serves the first build within a second or two."""
    output = tmp_path / "site"
    proc = subprocess.Popen(
        [sys.executable, "-m", "search", "serve", str(output), "--port", "0"],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        first = proc.stderr.readline()
        match = re.search(r"at (http://127\.0\.0\.1:\d+/)", first)
        assert match, first
        assert "no search index" in proc.stderr.readline()
        base = match.group(1)
        status, data = _get(base + "healthz")
        assert status == 503 and data["loaded"] is False
        assert _get(base + "api/search?q=%E5%85%9A")[0] == 503
        build_output(output)
        deadline = time.monotonic() + 15
        while _get(base + "healthz")[0] != 200:
            assert time.monotonic() < deadline, "the first build was not picked up"
            time.sleep(0.1)
        status, data = _get(base + "api/search?q=%E7%BA%A2%E8%89%B2%E8%81%94%E7%9B%9F")
        assert status == 200 and data["total"] == 1
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_serve_on_a_taken_port_is_exit_1(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        r = run("serve", str(tmp_path), "--port", str(port))
    assert r.returncode == 1 and f"127.0.0.1:{port}" in r.stderr
    assert "Traceback" not in r.stderr


def test_help_shows_the_defaults() -> None:
    r = run("serve", "--help")
    assert r.returncode == 0
    for default in ("default: 127.0.0.1", "default: 8080", "default: 8"):
        assert default in r.stdout, r.stdout
    assert "503 until a build" in " ".join(r.stdout.split())


def test_usage_error_is_exit_2(output: Path) -> None:
    assert run("query").returncode == 2
    assert run("frobnicate", str(output)).returncode == 2
    assert run("query", str(output), "").returncode == 2


def test_query_into_a_closed_pipe_is_quiet(output: Path) -> None:
    """`python -m search query OUT Q --json | head -1` ended in a BrokenPipeError traceback."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "search", "query", str(output), "村", "--json"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader goes away before the answer is written
    err = proc.stderr.read()
    assert proc.wait(timeout=120) == 0 and err == ""


def test_query_help_and_one_result_read_right(output: Path) -> None:
    r = run("query", "--help")
    assert "(default: )" not in r.stdout and "(default: 10)" in r.stdout
    r = run("query", str(output), "紅色聯盟", "--variant", "zh-hant")
    assert r.stdout.startswith("1 result for '紅色聯盟' (zh-hant)\n"), r.stdout
