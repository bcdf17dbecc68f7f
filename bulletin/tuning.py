"""Every number that sets how fast a build runs, in one place, with the measurement
behind it. None of them changes what a build writes: tests pass other values (a
``Tuning`` of their own) to reach the other side of each threshold.

The figures are of this project's 2-core machine at 5,000 generated articles
(``bench/run.py``); see README "Figures".
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
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

    def journal_limit(self, state_size: int) -> int:
        """Bytes of journal allowed beside a state file of ``state_size`` bytes."""
        return max(self.journal_floor, int(state_size * self.journal_share))


DEFAULT = Tuning()


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while a build runs, and a full collection
    after it. The build holds ~10^5-10^6 long-lived objects (the cache state, the
    model, page data), and each automatic full collection walked them all (~0.05 s of
    a 0.6 s one-article rebuild at 5,000 articles). Its object graph ends in cycles
    (page specs and the renderer refer to each other), which the collector would
    leave in its oldest generation for a long time: collected at once, a process that
    builds again and again (``serve``, the tests) keeps its memory flat, and one that
    ends has that much less to free on its way out."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()
        gc.collect()


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
