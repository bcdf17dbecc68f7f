"""The build as a process among others: a site large enough for its worker processes
and its forked index writer, builds killed half-way, two builds into one output, an
output that cannot be written."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bulletin import pipeline
from bulletin.tuning import Tuning

from .conftest import ROOT, run_cli
from .test_bench_corpus import corpus

ARTICLES = 240  # above Tuning.index_apart_from: the index is written in its own process


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated bulletin of 240 articles (seed 11)."""
    content = tmp_path_factory.mktemp("large") / "content"
    corpus.write_all(ARTICLES, 11, content)
    return content


def _build(content: Path, output: Path, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "build.py"),
            "build",
            "--content",
            str(content),
            "--output",
            str(output),
            "--jobs",
            "2",
        ],
        cwd=output.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
    )


def _processes_of(marker: str) -> list[int]:
    """PIDs of processes whose command line holds ``marker`` (a build and its workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if marker in (entry / "cmdline").read_bytes().decode("utf-8", "replace"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def _wait_for_children(marker: str, timeout: float = 10) -> list[int]:
    deadline = time.monotonic() + timeout
    while (left := _processes_of(marker)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def _wait_for_rendering(build: subprocess.Popen[str], site: Path) -> None:
    """Until the build renders pages on its workers (its staging folder and the index's
    scratch folder are there, and processes run beside it)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert build.poll() is None, build.communicate()
        staging = list(site.parent.glob(f"{site.name}.staging-*/zh-hans"))
        if staging and len(_processes_of(str(site))) >= 3:
            time.sleep(0.3)  # well inside the work, not in the middle of a fork
            return
        time.sleep(0.02)
    pytest.fail("the build never reached its pages")


def test_a_large_site_builds_through_its_workers_and_the_forked_index_writer(
    large: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    result = pipeline.build(large, site, jobs=2, use_cache=False)
    assert result.articles == ARTICLES
    from search import layout
    from search.query import parse
    from search.whoosh import LiveIndex

    index = LiveIndex(layout.index_dir(site))
    assert index.search(parse("党"), 0, 10, 5.0).total > 0
    assert index.search(parse("year:2015 OR year:2016 OR year:2017"), 0, 1, 5.0).total > 0
    index.close()
    # the same site built in one process, index included
    alone = tmp_path / "alone"
    pipeline.build(large, alone, jobs=1, use_cache=False, tuning=Tuning(index_apart_from=10**6))
    for page in ("zh-hant/index.html", "zh-hans/counties/index.html", "sitemap.xml"):
        assert (site / page).read_bytes() == (alone / page).read_bytes()
    # the forked Whoosh writer took its folding pairs from the static index's writer
    from search.whoosh.writer import index_normalisation

    forked, here = (index_normalisation(layout.index_dir(s)) for s in (site, alone))
    assert forked == here and forked[0]
    static = [
        sorted(p.relative_to(s) for p in (s / "_search/static").rglob("*")) for s in (site, alone)
    ]
    assert static[0] == static[1]


@pytest.mark.parametrize("how", ["SIGTERM", "SIGINT"])
def test_an_interrupted_build_cleans_up_at_once(large: Path, tmp_path: Path, how: str) -> None:
    site = tmp_path / "site"
    build = _build(large, site)
    _wait_for_rendering(build, site)
    build.send_signal(getattr(signal, how))
    _, err = build.communicate(timeout=60)
    assert build.returncode == 130, err
    assert "interrupted: nothing was published" in err and "Traceback" not in err
    assert _wait_for_children(str(site)) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site.lock"]


def test_a_killed_build_takes_its_workers_and_the_next_build_clears_up(
    large: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    build = _build(large, site)
    _wait_for_rendering(build, site)
    build.kill()
    build.wait()
    left = _wait_for_children(str(site))
    assert left == [], [Path(f"/proc/{pid}/cmdline").read_bytes() for pid in left]
    left = sorted(p.name for p in tmp_path.iterdir())
    assert any(".staging-" in name or ".index-" in name for name in left), left
    code, _, err = run_cli("build", "--content", str(large), "--output", str(site))
    assert code == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site", "site.cache", "site.lock"]


def test_a_second_build_into_the_same_output_waits_for_the_first(
    large: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    first = _build(large, site)
    _wait_for_rendering(first, site)
    second = _build(large, site)
    _, second_err = second.communicate(timeout=300)
    _, first_err = first.communicate(timeout=300)
    assert (first.returncode, second.returncode) == (0, 0), (first_err, second_err)
    assert f"another build (pid {first.pid}) holds it; waiting" in second_err
    assert "Traceback" not in first_err + second_err
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "site",
        "site.cache",
        "site.lock",
        "site.previous",
    ]


def test_an_output_that_cannot_be_written_exits_3_and_publishes_nothing(
    tmp_path: Path,
) -> None:
    site = tmp_path / "site"
    code, _, err = run_cli("--content", "content", "--output", str(site))
    assert code == 0, err
    before = {p: p.read_bytes() for p in site.rglob("*") if p.is_file()}
    code, _, err = run_cli(
        *("build", "--content", "content", "--output", str(site), "--no-cache", "--jobs", "1"),
        file_limit=64 * 1024,
    )
    assert code == 3, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].endswith("File too large; nothing was published")
    assert lines[0].startswith(str(site)), lines[0]  # the path, not "the output"
    assert {p: p.read_bytes() for p in site.rglob("*") if p.is_file()} == before
    assert not list(tmp_path.glob("site.staging-*"))


def test_a_folder_named_like_the_previous_output_that_no_build_left_is_kept(
    tmp_path: Path,
) -> None:
    mine = tmp_path / "site.previous"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine", "utf-8")
    code, _, err = run_cli("--content", "content", "--output", str(tmp_path / "site"))
    assert code == 2 and "site.previous: exists and was not left by a build" in err
    assert (mine / "notes.txt").read_text("utf-8") == "mine"
    assert not (tmp_path / "site").exists()


def test_no_such_content_folder_is_named_plainly(tmp_path: Path) -> None:
    for command in ("build", "check"):
        code, _, err = run_cli(command, "--content", str(tmp_path / "nowhere"))
        assert code == 2
        assert err.strip() == f"build.py: error: {tmp_path / 'nowhere'}: no such content folder"
