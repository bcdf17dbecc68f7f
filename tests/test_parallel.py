"""Work beside the build: in forked processes where that is safe, in-process otherwise."""

from __future__ import annotations

import os
import threading
import time

import pytest

from bulletin.parallel import Forked, parallel_map


def test_forked_work_runs_in_another_process_and_returns_its_result() -> None:
    work = Forked(os.getpid, fork=True)
    forked = work.process is not None
    # forking is unsafe while other threads run (an earlier test's server, say)
    assert forked == (threading.active_count() == 1)
    assert (work.result() != os.getpid()) == forked
    assert Forked(lambda: {"a", "b"}, fork=True).result() == {"a", "b"}


def test_unforked_work_runs_here_when_its_result_is_asked_for() -> None:
    ran: list[int] = []
    work = Forked(lambda: ran.append(os.getpid()) or len(ran), fork=False)
    assert ran == []
    assert work.result() == 1 and ran == [os.getpid()]


def test_forked_work_that_fails_raises_its_error_here() -> None:
    def fail() -> None:
        raise ValueError("no such folder")

    with pytest.raises(ValueError, match="no such folder"):
        Forked(fail, fork=True).result()


def test_parallel_map_keeps_the_order_of_its_items() -> None:
    items = list(range(300))
    assert parallel_map(lambda n: n * n, items, jobs=2, chunk_size=8) == [n * n for n in items]
    assert parallel_map(lambda n: n + 1, items[:5], jobs=2) == [1, 2, 3, 4, 5]


def test_forked_work_no_longer_wanted_is_stopped() -> None:
    work = Forked(lambda: time.sleep(30), fork=True)
    started = time.monotonic()
    work.cancel()
    assert time.monotonic() - started < 10
    assert work.process is None or work.process.exitcode is not None
