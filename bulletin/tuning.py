"""Every number that sets how fast a build runs, in one place, with the measurement
behind it. None of them changes what a build writes: tests pass other values (a
``Tuning`` of their own) to reach the other side of each threshold.

The figures are of this project's 2-core machine at 5,000 generated articles
(``bench/run.py``); see README "Figures".
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Tuning:
    #: From this many output files of the last build on, they are checked against their
    #: stamps in a process of their own while the content is read: ~14,000 stats took
    #: ~85 ms of a one-article rebuild in-process, ~10 ms of waiting beside the read.
    check_outputs_apart_from: int = 2000
    #: From this many articles on (and with more than one job), the search index is
    #: written in a process of its own beside the pages; below it, forking costs more
    #: than it saves (~10 CPU s for the index at 5,000 articles, ~0.05 s at 100).
    index_apart_from: int = 200
    #: Items a worker process takes at a time: parsing (~0.5 ms a file), rendering
    #: Markdown (~1 ms an article), rendering pages (~2 ms a page with its conversion).
    #: Smaller chunks balanced worse across two workers; larger ones cost more to send.
    parse_chunk: int = 64
    markdown_chunk: int = 16
    page_chunk: int = 32
    #: A previous output tree of at most this many files is deleted at once; a larger
    #: one by a process in the background (a whole site's tree: ~2 s on this ext4).
    small_previous_tree: int = 256
    #: The journal of the cache state may grow to this share of the state file (and to
    #: at least ``journal_floor`` bytes) before the state is written afresh: applying a
    #: record costs about as much as reading its share of the state, and writing the
    #: whole state cost ~0.07 s of a one-article rebuild.
    journal_share: float = 0.25
    journal_floor: int = 1 << 20
    #: See :func:`collector_paused`; False for a process that ends after the build.
    collect_after: bool = True

    def journal_limit(self, state_size: int) -> int:
        """Bytes of journal allowed beside a state file of ``state_size`` bytes."""
        return max(self.journal_floor, int(state_size * self.journal_share))


DEFAULT = Tuning()


@contextlib.contextmanager
def collector_paused(collect_after: bool) -> Iterator[Callable[[], None]]:
    """The cyclic garbage collector off while a build runs; yields ``settle()``, which
    the build calls once what it has loaded lives to its end, before it forks: those
    objects are frozen, so no collection walks them again, in this process or in the
    workers it forks (where each collection of the ~10^5-10^6 objects of a build at
    5,000 articles cost ~0.1 s of CPU per process, and touched their pages).

    ``collect_after``: give the build's objects back to the collector and collect
    them when it ends (~0.1 s at 5,000 articles): what a process that goes on needs
    (``serve``, the tests: without it each build's cycles stayed, ~30 MB a rebuild).
    The command line, which exits right after the build, freezes them all instead, so
    that the interpreter's exit does not walk them (its exit took ~0.15 s longer at
    5,000 articles, as long as the build's last stages)."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield gc.freeze
    finally:
        if was_on:
            gc.enable()
        if collect_after:
            gc.unfreeze()
            gc.collect()
        else:
            gc.freeze()


@contextlib.contextmanager
def collecting() -> Iterator[None]:
    """The collector on for a stretch of work that makes garbage (rendering pages)."""
    was_on = gc.isenabled()
    gc.enable()
    try:
        yield
    finally:
        if not was_on:
            gc.disable()
