"""The live index: the index of a built site, reopened when a build replaces it."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from whoosh.filedb.filestore import FileStorage

from search.analysis import Normaliser
from search.layout import INDEX_FORMAT, INDEX_NAME, format_error, index_format, index_key
from search.model import Outcome, Query
from search.whoosh.evaluate import ResultCache, Searcher
from search.whoosh.guard import block_reader
from search.whoosh.schema import NAMED_FIELDS, analyzer_of, share_normaliser
from search.whoosh.stats import IndexData


class IndexUnavailable(Exception):
    """No index could be opened."""


@dataclass
class _Generation:
    """One opened version of the index and its pool of searchers."""

    key: tuple[int, int, int]
    ix: Any
    normaliser: Normaliser
    names: dict[str, dict[str, str]]
    cache: ResultCache
    data: IndexData
    pool: list[Searcher] = field(default_factory=list)
    busy: int = 0
    retired: bool = False


def _open_index(index_dir: Path) -> Any:
    """Whoosh's index, or the reason it is not one this code reads."""
    found = index_format(index_dir)
    if found is not None and found != INDEX_FORMAT:
        raise format_error(index_dir, found)
    try:
        ix = FileStorage(str(index_dir), readonly=True).open_index(INDEX_NAME)
        analyzer_of(ix.schema)
    except (ImportError, AttributeError, TypeError) as exc:  # pickled classes of another
        raise format_error(index_dir, "unknown") from exc
    return ix


def _open(
    index_dir: Path,
    key: tuple[int, int, int],
    normalisers: dict[tuple[Any, ...], Normaliser],
    cache_size: int,
    unit_cache: int,
) -> _Generation:
    ix = _open_index(index_dir)
    analyzer = analyzer_of(ix.schema)
    kind = (analyzer.extra_pairs, tuple(sorted((analyzer.fold or {}).items())))
    normaliser = normalisers.get(kind)
    if normaliser is None:
        normaliser = normalisers[kind] = Normaliser(analyzer.extra_pairs, fold=analyzer.fold)
    share_normaliser(ix.schema, normaliser)
    names: dict[str, dict[str, str]] = {}
    with ix.searcher() as s:
        for name in NAMED_FIELDS:
            terms = (t.decode("utf-8") for t in s.lexicon(name))
            names[name] = {normaliser.normalise(term).strip(): term for term in terms}
        # a first use of every segment's files, so a vanished segment fails here; and
        # what queries need of each segment, read before the first query needs it
        data = IndexData(s, unit_cache)
    return _Generation(key, ix, normaliser, names, ResultCache(cache_size), data)


class LiveIndex:
    """The index under ``index_dir``, reopened when the directory or its TOC changes.

    A swap of the whole output folder gives the directory a new inode; a commit in
    place gives a new TOC generation. Either is noticed at most ``interval`` seconds
    later. Requests in flight finish on the searcher they hold: on Linux an open file
    survives its deletion. An index that cannot be opened (a TOC whose segments are
    gone, a half-written folder) is retried and meanwhile the previous one serves.
    ``fast``: the engine's own block reads; by default where
    :func:`search.whoosh.guard.block_reader` finds that they read as Whoosh's matcher.
    """

    def __init__(
        self,
        index_dir: Path,
        interval: float = 1.0,
        cache_size: int = 256,
        unit_cache: int = 1_000_000,
        fast: bool | None = None,
    ) -> None:
        self.index_dir = Path(index_dir)
        self.interval = interval
        self.cache_size = cache_size
        self.unit_cache = unit_cache
        self.fast = block_reader() if fast is None else fast
        self._lock = threading.Lock()
        self._current: _Generation | None = None
        self._checked = float("-inf")
        self._normalisers: dict[tuple[Any, ...], Normaliser] = {}
        self.last_error: str | None = None

    def _refresh(self, force: bool = False) -> _Generation | None:
        now = time.monotonic()
        with self._lock:
            if not force and now - self._checked < self.interval:
                return self._current
            self._checked = now
            key = index_key(self.index_dir)
            current = self._current
            if key is None or (current is not None and current.key == key and not force):
                return current
            gen = self._try_open(key)
            if gen is None:
                return current
            if current is not None:
                current.retired = True
                if current.busy == 0:
                    self._close(current)
            self._current = gen
            return gen

    def _try_open(self, key: tuple[int, int, int]) -> _Generation | None:
        """Open the index, a few times (a build may be mid-swap); None if it cannot."""
        for attempt in range(5):
            try:
                gen = _open(
                    self.index_dir, key, self._normalisers, self.cache_size, self.unit_cache
                )
            except Exception as exc:  # any failure to open: keep serving the old one
                self.last_error = f"{type(exc).__name__}: {exc}"
                time.sleep(0.02 * (attempt + 1))
                next_key = index_key(self.index_dir)
                if next_key is None:
                    return None
                key = next_key
                continue
            self.last_error = None
            return gen
        return None

    @staticmethod
    def _close(gen: _Generation) -> None:
        for s in gen.pool:
            with contextlib.suppress(Exception):
                s.close()
        gen.pool.clear()
        with contextlib.suppress(Exception):
            gen.ix.close()

    def loaded(self) -> bool:
        return self._refresh() is not None

    def info(self) -> dict[str, Any]:
        gen = self._refresh()
        if gen is None:
            return {"loaded": False, "error": self.last_error}
        return {"loaded": True, "generation": gen.key[2], "documents": gen.data.documents}

    @contextlib.contextmanager
    def searcher(self, force: bool = False) -> Iterator[Searcher]:
        gen = self._refresh(force)
        if gen is None:
            raise IndexUnavailable(self.last_error or f"no search index in {self.index_dir}")
        with self._lock:
            gen.busy += 1
            searcher = gen.pool.pop() if gen.pool else None
        ok = False
        try:
            if searcher is None:
                searcher = Searcher(
                    gen.ix.searcher(), gen.normaliser, gen.names, gen.data, gen.cache, self.fast
                )
            yield searcher
            ok = True
        finally:
            self._give_back(gen, searcher, ok)

    def _give_back(self, gen: _Generation, searcher: Searcher | None, ok: bool) -> None:
        with self._lock:
            gen.busy -= 1
            if searcher is not None:
                if ok and not gen.retired:
                    gen.pool.append(searcher)
                else:
                    with contextlib.suppress(Exception):
                        searcher.close()
            if gen.retired and gen.busy == 0:
                self._close(gen)

    def search(self, q: Query, offset: int, limit: int, timeout: float) -> Outcome:
        """Run ``q``; on a failure of the index files (swapped away under a searcher
        that had not read them yet), reopen and try once more."""
        try:
            with self.searcher() as s:
                return s.search(q, offset, limit, timeout)
        except IndexUnavailable:
            raise
        except Exception:
            with self.searcher(force=True) as s:
                return s.search(q, offset, limit, timeout)

    def normaliser(self) -> Normaliser | None:
        gen = self._refresh()
        return gen.normaliser if gen else None

    def close(self) -> None:
        with self._lock:
            if self._current is not None:
                self._current.retired = True
                if self._current.busy == 0:
                    self._close(self._current)
                self._current = None
