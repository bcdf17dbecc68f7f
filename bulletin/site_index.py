"""The site's search indexes, from the build's side: what they need (:func:`plan_index`)
and writing them beside the pages (:class:`Indexing`).

Both are written by ``search`` from the same plain documents (:mod:`search.documents`):
the Whoosh index for the search service (updated with the articles whose document
changed, or written afresh, into a scratch folder beside the output) and the static
index the search page reads where no service answers (``search.static``: files,
updated from the previous output's where it can be). Each in a process of its own from
the moment the content is loaded; the pages' staging folder gets them when all is done.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from bulletin.bodies import Bodies
from bulletin.cache import PreviousBuild
from bulletin.hashing import digest
from bulletin.model import Site
from bulletin.parallel import Forked, Handoff, fork_is_safe
from bulletin.render import search_documents, search_meta
from bulletin.variants import Variant
from search import layout
from search.indexing import rewrite_due, update_index, write_index
from search.layout import SearchMeta
from search.static import PreviousIndex, StaticFiles, static_index_files

#: The cache's key of the static index's files (they are checked as the index's are).
STATIC_KEY = "static"


@dataclass(frozen=True)
class IndexPlan:
    """What the search index needs this build."""

    files: Mapping[str, bytes]  # _search/ files beside the index (phrases, meta)
    meta: SearchMeta
    state: str  # digest of what every document of the index depends on
    documents: Mapping[str, tuple[str, str]]  # slug -> what its document depends on
    mode: Literal["unchanged", "update", "fresh"]
    changed: frozenset[str]  # slugs whose document changed (an update)
    removed: frozenset[str]  # slugs no longer published (an update)
    current: tuple[str, ...]  # the index's files in the output now
    static_before: frozenset[str] = frozenset()  # the static index's files, as recorded


def plan_index(
    site: Site, bodies: Bodies, phrases: bytes, previous: PreviousBuild, output: Path
) -> IndexPlan:
    meta = search_meta(site, _base_path(site.config.base_url), has_phrases=True)
    files = {layout.PHRASES: phrases, layout.META: meta.to_bytes()}
    issue_titles = {issue.slug: issue.title for issue in site.issues}
    # what an article's search document depends on, as strings compared for equality:
    # its body key stands for its file, and its issue's title is in the document
    documents = {
        a.slug: (f"{bodies.keys[a.slug]}:{a.issue}", issue_titles.get(a.issue, ""))
        for a in site.articles
    }
    state = digest(*files.values())
    current = layout.index_files(output)
    before = previous.state
    reusable = (
        previous.loaded
        and before.index_state == state
        and bool(current)
        and not rewrite_due(layout.count_segments(current), before.index_segments)
        and not previous.changed_files(str(output), current)
        and all(before.files[rel][0] == "index" for rel in current)
    )
    changed = frozenset(s for s, d in documents.items() if before.documents.get(s) != d)
    removed = frozenset(before.documents) - frozenset(documents)
    mode: Literal["unchanged", "update", "fresh"] = "fresh"
    if reusable:
        mode = "update" if changed or removed else "unchanged"
    static_before = frozenset(r for r, e in before.files.items() if e[0] == STATIC_KEY)
    return IndexPlan(
        files, meta, state, documents, mode, changed, removed, tuple(current), static_before
    )


def _base_path(base_url: str) -> str:
    return urlsplit(base_url).path or "/"


def segments_after(plan: IndexPlan, now: list[str], recorded: int) -> int:
    """The number of segments of the index when it was last written afresh: an update
    keeps the previous segment files and adds one; when Whoosh merged small ones away,
    or the index was written afresh, the count is taken afresh."""
    before = set(layout.segment_files(list(plan.current)))
    fresh = not before or not before <= set(layout.segment_files(now))
    return layout.count_segments(now) if fresh else recorded


class Indexing:
    """The index being written for a build (``with Indexing(...) as indexing``): in a
    forked process from the start (``fork``), or here when :meth:`place` asks for it.
    :meth:`place` moves it into the staging tree; the scratch folder beside the output
    is removed when the ``with`` ends, whatever happened."""

    def __init__(
        self,
        plan: IndexPlan,
        site: Site,
        bodies: Bodies,
        variants: Mapping[str, Variant],
        output: Path,
        fork: bool,
    ) -> None:
        self.plan = plan
        self.site, self.bodies, self.variants = site, bodies, variants
        self.output = output
        self.scratch = output.with_name(f".{output.name}.index-{os.getpid()}")
        self.fork = fork
        self.work: Forked[None] | None = None
        self.static: Forked[StaticFiles] | None = None
        self.static_made: StaticFiles | None = None

    def __enter__(self) -> Indexing:
        pairs = self._pairs_handoff()
        if self.plan.mode != "unchanged":
            self.scratch.mkdir(parents=True)
            (self.scratch / "phrases.txt").write_bytes(self.plan.files[layout.PHRASES])
            self.work = Forked(lambda: self._write(pairs), fork=self.fork)
        if self.plan.mode != "unchanged" or not self.plan.static_before:
            self.static = Forked(lambda: self._write_static(pairs), fork=self.fork)
        if pairs is not None:
            pairs.close()
        return self

    def _pairs_handoff(self) -> Handoff[set[tuple[str, str]]] | None:
        """Where both indexes are written afresh, each in a process of its own, the
        static index's writer hands the Whoosh index's the folding pairs it counts (both
        convert every text to count them: ~4 s of CPU at 5,000 bench articles, once)."""
        both_fresh = self.plan.mode == "fresh" and not self.plan.static_before
        return Handoff() if both_fresh and self.fork and fork_is_safe() else None

    def __exit__(self, *exc: object) -> None:
        for work in (self.work, self.static):
            if work is not None:
                work.cancel()
        shutil.rmtree(self.scratch, ignore_errors=True)

    def place(self, staging: Path) -> None:
        """Wait for the Whoosh index and move it into ``staging`` (if it was written)."""
        if self.work is None:
            return
        self.work.result()
        self.work = None
        layout.index_dir(staging).parent.mkdir(parents=True, exist_ok=True)
        os.rename(self.scratch / "whoosh", layout.index_dir(staging))

    def static_files(self) -> StaticFiles:
        """Wait for the static index: the files it writes and the names of all of them
        (when the documents are the last build's: none, and the names it recorded)."""
        if self.static_made is None:
            work, self.static = self.static, None
            made = work.result() if work is not None else None
            self.static_made = made or StaticFiles({}, self.plan.static_before)
        return self.static_made

    def _documents(self, slugs: frozenset[str] | None = None) -> Iterator[Any]:
        issues = {issue.slug: issue for issue in self.site.issues}
        chosen = None if slugs is None else set(slugs)
        return search_documents(self.site, self.bodies, self.variants, issues, slugs=chosen)

    def _write(self, pairs: Handoff[set[tuple[str, str]]] | None = None) -> None:
        """Update the previous index with what changed, or write a fresh one (with the
        folding pairs from ``pairs``, where it gives them)."""
        plan, index_dir = self.plan, self.scratch / "whoosh"
        converters = {name: variant.converter for name, variant in self.variants.items()}
        meta = plan.meta
        if plan.mode == "update":
            update = self._documents(plan.changed)
            previous = layout.index_dir(self.output)
            args = (index_dir, previous, update, set(plan.changed), set(plan.removed))
            if update_index(*args, meta, converters):
                return
            shutil.rmtree(index_dir, ignore_errors=True)
        counted = pairs.receive if pairs is not None else None
        write_index(index_dir, self._documents(), meta, converters, counted)

    def _write_static(self, pairs: Handoff[set[tuple[str, str]]] | None = None) -> StaticFiles:
        """The static index: updated from the previous output's where only some
        documents changed (those the plan names, the phrases being the same: the
        plan's state), else written afresh (the same files either way), telling
        ``pairs`` the folding pairs it counts."""
        converters = {name: variant.converter for name, variant in self.variants.items()}
        plan, previous = self.plan, None
        if plan.static_before:
            previous = PreviousIndex(self.output, plan.changed | plan.removed)
        variants = list(self.variants)
        share = pairs.send if pairs is not None else None
        try:
            return static_index_files(
                self._documents, variants, converters, plan.state, previous, share
            )
        finally:
            if pairs is not None:
                pairs.done()
