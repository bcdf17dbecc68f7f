"""Work beside the build: in forked processes where that is safe, in-process otherwise."""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from typing import Any

import pytest

from bulletin.parallel import Forked, Handoff, parallel_map


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


def _forked(target: Any, *args: Any) -> Any:
    """A process forked for ``target`` (whatever threads run here: these are short)."""
    process = multiprocessing.get_context("fork").Process(target=target, args=args)
    process.start()
    return process


def _receive_into(handoff: Handoff[set[str]], out: Any) -> None:
    out.send(("got", handoff.receive()))


def test_a_handoff_passes_one_value_between_two_forked_works() -> None:
    handoff: Handoff[set[str]] = Handoff()
    mine, theirs = multiprocessing.get_context("fork").Pipe(duplex=False)
    receiver = _forked(_receive_into, handoff, theirs)
    sender = _forked(handoff.send, {"借", "藉"})
    handoff.close()
    assert mine.recv() == ("got", {"借", "藉"})
    for process in (receiver, sender):
        process.join(10)
        assert process.exitcode == 0


def test_a_handoff_whose_sender_ends_without_sending_gives_none() -> None:
    handoff: Handoff[set[str]] = Handoff()
    mine, theirs = multiprocessing.get_context("fork").Pipe(duplex=False)
    receiver = _forked(_receive_into, handoff, theirs)
    sender = _forked(handoff.done)  # ends: its end of the pipe closes
    handoff.close()
    assert mine.poll(10), "the receiver still waits"
    assert mine.recv() == ("got", None)
    for process in (receiver, sender):
        process.join(10)
        assert process.exitcode == 0
