"""Work spread over forked processes, for builds on every core.

A worker is forked after the parent has built everything the work needs (the content
model, the Jinja environment, the OpenCC converters), so nothing large is pickled on
the way there: it inherits the function and the items, is sent ranges of indexes, and
sends back results. A worker dies with its parent (its pipe closes; on Linux it is also
told by the kernel), ignores Ctrl-C (the parent stops it), and runs with the cyclic
garbage collector on. Fork is unsafe in a process that runs other threads (``build.py
serve``), so there, and for small batches, the work runs in-process.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import threading
import traceback
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection, wait
from typing import Any, Generic, TypeVar

from bulletin.tuning import collecting

Item = TypeVar("Item")
Result = TypeVar("Result")

#: prctl(2) option: the signal a process gets when the thread that forked it ends.
_PR_SET_PDEATHSIG = 1


def fork_is_safe() -> bool:
    """Whether this process may fork: the platform can, and no other thread runs."""
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _as_child() -> None:
    """What every forked worker does first: die with its parent, leave Ctrl-C to it,
    and end quietly when it stops the worker (SIGTERM, whatever the parent made of it)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # not Linux (no prctl): the closed pipe still ends a pool worker
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


class WorkFailed(Exception):
    """A worker's error that could not be sent back as itself (not picklable)."""


def _failure(exc: BaseException) -> BaseException:
    """The error to send to the parent: itself if it survives pickling."""
    import pickle

    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return WorkFailed("".join(traceback.format_exception(exc)).strip())


def _serve_chunks(task: Callable[[Any], Any], items: Sequence[Any], conn: Connection) -> None:
    """A pool worker: run ``task`` over each range of ``items`` the parent sends."""
    _as_child()
    with collecting():
        while True:
            try:
                bounds = conn.recv()
            except EOFError:  # the parent is gone
                return
            if bounds is None:
                return
            try:
                conn.send((True, [task(items[i]) for i in range(*bounds)]))
            except Exception as exc:
                conn.send((False, _failure(exc)))


def parallel_map(
    task: Callable[[Item], Result],
    items: Sequence[Item],
    jobs: int,
    chunk_size: int = 32,
    progress: Callable[[int], None] | None = None,
) -> list[Result]:
    """``[task(item) for item in items]``, in order, on ``jobs`` processes when worth it."""
    if jobs <= 1 or len(items) < 4 * chunk_size or not fork_is_safe():
        return _map_here(task, items, progress)
    chunks = [(i, min(i + chunk_size, len(items))) for i in range(0, len(items), chunk_size)]
    context = multiprocessing.get_context("fork")
    workers: dict[Connection, tuple[Any, int]] = {}  # connection -> process, chunk index
    results: list[list[Result] | None] = [None] * len(chunks)
    finished = False
    try:
        for _ in range(min(jobs, len(chunks))):
            mine, theirs = context.Pipe()
            process = context.Process(target=_serve_chunks, args=(task, items, theirs))
            process.start()
            theirs.close()
            workers[mine] = (process, -1)
        pending = iter(range(len(chunks)))
        for conn in list(workers):
            _send_next(conn, workers, pending, chunks)
        while any(index >= 0 for _, index in workers.values()):
            for conn in wait([c for c, (_, i) in workers.items() if i >= 0]):
                process, index = workers[conn]
                results[index] = _received(conn, process)
                if progress:
                    progress(chunks[index][1] - chunks[index][0])
                _send_next(conn, workers, pending, chunks)
        finished = True
    finally:
        _stop(workers, wait=finished)
    return [result for part in results for result in part or ()]


def _map_here(
    task: Callable[[Item], Result],
    items: Sequence[Item],
    progress: Callable[[int], None] | None,
) -> list[Result]:
    results = []
    # the collector on for long runs only: the build pauses it, and its first collection
    # walks every object the build made since (~30 ms at 5,000 articles), more than a
    # few items' garbage is worth
    with collecting() if len(items) > 256 else contextlib.nullcontext():
        for item in items:
            results.append(task(item))
            if progress:
                progress(1)
    return results


def _send_next(
    conn: Connection,
    workers: dict[Connection, tuple[Any, int]],
    pending: Any,
    chunks: list[tuple[int, int]],
) -> None:
    process, _ = workers[conn]
    index = next(pending, -1)
    workers[conn] = (process, index)
    conn.send(chunks[index] if index >= 0 else None)


def _received(conn: Connection, process: Any) -> Any:
    try:
        ok, value = conn.recv()
    except EOFError:
        raise WorkFailed(f"a worker process ended (exit status {process.exitcode})") from None
    if not ok:
        raise value
    return value


def _stop(workers: dict[Connection, tuple[Any, int]], wait: bool) -> None:
    """End the workers: let them finish (``wait``: they were told there is no more
    work), or stop them at once (the map failed or was interrupted)."""
    for conn, (process, _) in workers.items():
        conn.close()
        if not wait:
            process.terminate()
    for process, _ in workers.values():
        process.join()


class Forked(Generic[Result]):
    """``function()`` run in a forked process beside the caller's own work; its result
    (or its error) comes back by :meth:`result`, and :meth:`cancel` stops it when it is
    no longer wanted. Where forking is not safe or not wanted (``fork=False``), the
    function runs at :meth:`result` time instead."""

    def __init__(self, function: Callable[[], Result], fork: bool) -> None:
        self.function = function
        self.process: Any = None
        self.receiver: Connection | None = None
        if fork and fork_is_safe():
            context = multiprocessing.get_context("fork")
            self.receiver, sender = context.Pipe(duplex=False)
            self.process = context.Process(target=_send_result, args=(function, sender))
            self.process.start()
            sender.close()

    def result(self) -> Result:
        if self.process is None:
            with collecting():
                return self.function()
        assert self.receiver is not None
        try:
            ok, value = self.receiver.recv()
        except EOFError:
            ok, value = False, WorkFailed(f"work ended (exit status {self.process.exitcode})")
        finally:
            self.receiver.close()
            self.process.join()
            self.process = None
        if not ok:
            raise value
        return value

    def cancel(self) -> None:
        """Stop the work if it is still running (its result is not wanted after all)."""
        if self.process is not None:
            if self.process.exitcode is None:
                self.process.terminate()
            self.process.join()
            if self.receiver is not None:
                self.receiver.close()
            self.process = None


class Handoff(Generic[Result]):
    """One value that one forked work hands another: made before both are forked, and
    closed in the parent once they are. The receiver gets None where the sender ended
    without sending. Each end is closed in the processes that do not use it, so the
    receiver sees the sender's end as soon as the sender's process closes it."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("fork")
        self._receiver, self._sender = context.Pipe(duplex=False)

    def send(self, value: Result) -> None:
        """In the sending work's process (once; later calls do nothing)."""
        self._receiver.close()
        if not self._sender.closed:
            with contextlib.suppress(OSError):  # the receiver went away
                self._sender.send(value)
            self._sender.close()

    def done(self) -> None:
        """In the sending work's process, when it ends: nothing (more) will be sent."""
        self._receiver.close()
        self._sender.close()

    def receive(self) -> Result | None:
        """In the receiving work's process: the value, or None if none came."""
        self._sender.close()
        try:
            return self._receiver.recv()  # type: ignore[no-any-return]
        except (EOFError, OSError):
            return None
        finally:
            self._receiver.close()

    def close(self) -> None:
        """In the parent, once both works are forked."""
        self._receiver.close()
        self._sender.close()


def _send_result(function: Callable[[], Any], sender: Connection) -> None:
    _as_child()
    with collecting():
        try:
            outcome = (True, function())
        except BaseException as exc:
            outcome = (False, _failure(exc))
    with contextlib.suppress(OSError):  # the caller went away without asking
        sender.send(outcome)
    sender.close()
