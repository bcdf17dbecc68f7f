"""Pure per-item work spread over processes, for full builds on every core.

Workers are forked after the parent has built everything the work needs (the content
model, the Jinja environment, the OpenCC converters) and the list of work items, so
nothing large is pickled on the way there: a worker is sent a range of indexes into
the items it inherited, and sends back the results. Fork is unsafe in a process that runs other
threads (``build.py serve``), so there, and for small batches, the work runs in-process.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

# The task and items of a worker process, set once when the worker starts (see _start);
# the parent never sets them.
_worker_task: Callable[[Any], Any] | None = None
_worker_items: Sequence[Any] = ()


def _start(task: Callable[[Any], Any], items: Sequence[Any]) -> None:
    global _worker_task, _worker_items
    _worker_task, _worker_items = task, items
    gc.enable()  # the parent may build with the collector off (see collecting)


@contextlib.contextmanager
def collecting() -> Iterator[None]:
    """The cyclic garbage collector on for a stretch of rendering work (a build turns it
    off while it loads and keys its data: its many long-lived objects made each full
    collection slow, ~0.2 s of a one-article rebuild)."""
    was = gc.isenabled()
    gc.enable()
    try:
        yield
    finally:
        if not was:
            gc.disable()


def _run_chunk(bounds: tuple[int, int]) -> list[Any]:
    assert _worker_task is not None
    return [_worker_task(_worker_items[i]) for i in range(*bounds)]


def fork_is_safe() -> bool:
    """Whether this process may fork: the platform can, and no other thread runs."""
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def parallel_map(
    task: Callable[[Item], Result],
    items: Sequence[Item],
    jobs: int,
    chunk_size: int = 32,
    progress: Callable[[int], None] | None = None,
) -> list[Result]:
    """``[task(item) for item in items]``, in order, on ``jobs`` processes when worth it."""
    if jobs <= 1 or len(items) < 4 * chunk_size or not fork_is_safe():
        results = []
        # a few items leave little garbage; a collection then costs more than it frees
        with collecting() if len(items) > 256 else contextlib.nullcontext():
            for item in items:
                results.append(task(item))
                if progress:
                    progress(1)
        return results
    chunks = [(i, min(i + chunk_size, len(items))) for i in range(0, len(items), chunk_size)]
    results = []
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(
        jobs, mp_context=context, initializer=_start, initargs=(task, items)
    ) as pool:
        for (start, stop), part in zip(chunks, pool.map(_run_chunk, chunks), strict=True):
            results.extend(part)
            if progress:
                progress(stop - start)
    return results


def _collected(function: Callable[[], None]) -> None:
    with collecting():
        function()


class Background:
    """A function run in a forked process beside the caller's own work (the search
    index is written while the pages render); ``join`` raises if it failed. Runs the
    function at ``join`` time instead where forking is not safe or not wanted."""

    def __init__(self, function: Callable[[], None], fork: bool) -> None:
        self.function = function
        self.process: multiprocessing.process.BaseProcess | None = None
        if fork and fork_is_safe():
            self.process = multiprocessing.get_context("fork").Process(
                target=_collected, args=(function,)
            )
            self.process.start()

    def join(self) -> None:
        if self.process is None:
            _collected(self.function)
            return
        self.process.join()
        if self.process.exitcode != 0:
            raise RuntimeError(f"background work failed (exit status {self.process.exitcode})")

    def cancel(self) -> None:
        """Stop the work if it is still running (the build failed before joining it)."""
        if self.process is not None and self.process.is_alive():
            self.process.terminate()
            self.process.join()


class Forked(Generic[Result]):
    """A function run in a forked process beside the caller's own work, its (pickled)
    result read back by :meth:`result`; run there and then instead where forking is
    not safe or not wanted."""

    def __init__(self, function: Callable[[], Result], fork: bool) -> None:
        self.function = function
        self.process: multiprocessing.process.BaseProcess | None = None
        if fork and fork_is_safe():
            self.receiver, sender = multiprocessing.Pipe(duplex=False)
            self.process = multiprocessing.get_context("fork").Process(
                target=_send_result, args=(function, sender)
            )
            self.process.start()
            sender.close()

    def result(self) -> Result:
        if self.process is None:
            return self.function()
        try:
            ok, value = self.receiver.recv()
        except EOFError:
            ok, value = False, None
        self.receiver.close()
        self.process.join()
        self.process = None
        return value if ok else self.function()  # it failed there: here, to raise

    def cancel(self) -> None:
        """Stop the work if its result is not wanted after all (the caller failed)."""
        if self.process is not None and self.process.exitcode is None:
            self.process.terminate()
            self.process.join()
            self.receiver.close()


def _send_result(function: Callable[[], Any], sender: Any) -> None:
    try:
        result = (True, function())
    except Exception:
        result = (False, None)
    with contextlib.suppress(OSError):  # the caller went away without asking
        sender.send(result)
    sender.close()
