"""Atomic publishing: a failed build leaves the previous output untouched."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from bulletin import output, pipeline
from bulletin.problems import ContentError

from .conftest import FIXTURES


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_content_errors_leave_the_previous_output_untouched(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(FIXTURES / "minimal", content)
    site = tmp_path / "output"
    pipeline.build(content, site)
    before = _snapshot(site)
    article = content / "articles" / "wuyang-tuopin.md"
    article.write_text(
        article.read_text("utf-8").replace("date: 2016-09-01", "date: 2016-13-01"), encoding="utf-8"
    )
    with pytest.raises(ContentError) as caught:
        pipeline.build(content, site)
    assert [p.line for p in caught.value.problems] == [6]
    assert _snapshot(site) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "content",
        "output",
        "output.cache",
        "output.lock",
    ]


def test_a_failure_while_writing_leaves_the_previous_output_untouched(tmp_path: Path) -> None:
    site = tmp_path / "output"
    site.mkdir()
    (site / "keep.txt").write_text("old")

    def fail(staging: Path) -> None:
        (staging / "half.txt").write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError):
        output.publish(site, fail)
    assert _snapshot(site) == {"keep.txt": b"old"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["output"]


def test_publish_swaps_and_keeps_the_previous_tree_until_the_next_build(tmp_path: Path) -> None:
    site = tmp_path / "output"
    output.publish(site, lambda staging: (staging / "v.txt").write_text("1"))
    output.publish(site, lambda staging: (staging / "v.txt").write_text("2"))
    assert (site / "v.txt").read_text() == "2"
    assert (tmp_path / "output.previous" / "v.txt").read_text() == "1"
    output.publish(site, lambda staging: (staging / "v.txt").write_text("3"))
    assert (tmp_path / "output.previous" / "v.txt").read_text() == "2"


def _wait_until_gone(paths: list[Path]) -> None:
    deadline = time.monotonic() + 20
    while any(p.exists() for p in paths) and time.monotonic() < deadline:
        time.sleep(0.05)


def test_a_small_previous_tree_is_deleted_at_once_a_large_one_in_the_background(
    tmp_path: Path,
) -> None:
    site = tmp_path / "output"
    output.publish(site, lambda staging: (staging / "v.txt").write_text("1"))
    output.publish(site, lambda staging: (staging / "v.txt").write_text("2"))
    output.publish(site, lambda staging: (staging / "v.txt").write_text("3"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["output", "output.previous"]

    # with no tree counted as small, the previous one goes to a remover in the background
    output.publish(site, lambda staging: (staging / "v.txt").write_text("4"), small_tree=0)
    _wait_until_gone(list(tmp_path.glob(".output.trash-*")))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["output", "output.previous"]


def test_trash_a_running_remover_claimed_is_left_to_it(tmp_path: Path) -> None:
    tmp_path = tmp_path / "a.removing-1"  # the marker in a folder above is no claim
    tmp_path.mkdir()
    site = tmp_path / "output"
    site.mkdir()
    claimed = tmp_path / f".output.trash-1-2.removing-{os.getpid()}"  # this process runs
    abandoned = tmp_path / ".output.trash-3-4.removing-999999999"  # no such process
    waiting = tmp_path / ".output.trash-5-6"
    for folder in (claimed, abandoned, waiting):
        (folder / "a").mkdir(parents=True)
    output.publish(site, lambda staging: (staging / "v.txt").write_text("1"))
    _wait_until_gone([abandoned, waiting])
    assert claimed.is_dir() and not abandoned.exists() and not waiting.exists()


def test_refuses_to_replace_a_folder_it_did_not_write(tmp_path: Path) -> None:
    foreign = tmp_path / "photos"
    foreign.mkdir()
    (foreign / "holiday.jpg").write_bytes(b"...")
    with pytest.raises(pipeline.UsageError, match="not written by a build"):
        pipeline.build(FIXTURES / "minimal", foreign)
    assert (foreign / "holiday.jpg").read_bytes() == b"..."
