"""What queries need of an index generation besides postings, read once when it is
opened: per segment the deletions, facet names, sort keys and BM25F length terms; for
the index the statistics of BM25F over the documents not deleted.

BM25F is computed here as Whoosh's ``scoring.BM25F`` computes it (the same float
operations: ``tests/search/test_whoosh_evaluate.py`` compares the scores), with one
difference that makes an updated index answer exactly as one written afresh: the
document count, each term's document frequency and each field's average length count
only the documents not deleted (Whoosh counts a deleted document until its segment
is merged away).
"""

from __future__ import annotations

import threading
from array import array
from collections import OrderedDict
from math import log
from typing import Any

from search.whoosh.schema import FACET_FIELDS, TEXT_FIELDS

#: Whoosh's BM25F parameters (``scoring.BM25F()``'s defaults; a test compares scores).
B = 0.75
K1 = 1.2
#: Terms whose idf a generation keeps (~150 bytes each; Whoosh's searcher keeps all).
MAX_IDFS = 100_000


def bm25_idf(documents: int, doc_frequency: int) -> float:
    """``WeightingModel.idf``: ``log(N / (df + 1)) + 1``."""
    return log(documents / (doc_frequency + 1)) + 1


def bm25_norm(field_length: int, avgfl: float) -> float:
    """The part of Whoosh's ``bm25`` that depends on the field length:
    ``K1 * ((1 - B) + B * fl / avgfl)``."""
    return K1 * ((1 - B) + B * field_length / avgfl)


def bm25(idf: float, tf: float, norm: float) -> float:
    """``scoring.bm25(idf, tf, fl, avgfl, B, K1)``, with its length part given."""
    return idf * ((tf * (K1 + 1)) / (tf + norm))


class SegmentData:
    """One segment's deletions, each document's facet names, newest-first key, slug
    (the last tie-break) and exact field lengths; the BM25F length terms are set once
    the index's averages are known (:meth:`set_norms`)."""

    def __init__(self, reader: Any) -> None:
        size = self.size = reader.doc_count_all()
        self.deleted: frozenset[int] = frozenset(
            filter(reader.is_deleted, range(size)) if reader.has_deletions() else ()
        )
        self.facets = {name: self._names(reader, name) for name in FACET_FIELDS}
        self.newest = self._column(reader, "newest")
        self.slugs = self._column(reader, "slug")
        self.lengths = {name: self._column(reader, name) for name in TEXT_FIELDS}
        self.norms: dict[str, list[float]] = {}
        #: each document's order among ties on score (set by :class:`IndexData`)
        self.order: list[int] = []
        self._reader = reader

    @staticmethod
    def _column(reader: Any, name: str) -> list[Any]:
        column = reader.column_reader(name, translate=False)
        return [column.sort_key(d) for d in range(reader.doc_count_all())]

    @staticmethod
    def _names(reader: Any, name: str) -> list[str]:
        """The facet name of each document, as Whoosh's column categorizer gives it."""
        field_ = reader.schema[name]
        keys = SegmentData._column(reader, name)
        names = {key: field_.from_column_value(key) for key in set(keys)}
        return [names[key] for key in keys]

    def live_length(self, name: str) -> int:
        """The field's total length over the documents not deleted (exact ints)."""
        lengths = self.lengths[name]
        return sum(lengths) - sum(lengths[d] for d in self.deleted)

    def set_norms(self, avgfl: dict[str, float]) -> None:
        """Each document's BM25F length term, from the length Whoosh scores with (a
        byte's approximation, as its scorer reads it)."""
        lengths = self._reader.doc_field_length
        for name, average in avgfl.items():
            norms = self.norms[name] = [0.0] * self.size  # no length: no posting to score
            for d in range(self.size):
                fl = lengths(d, name, 1)
                if fl is not None:
                    norms[d] = bm25_norm(fl, average)
        self._reader = None


class IndexData:
    """Per index generation, shared by its searchers: each segment's
    :class:`SegmentData`, the live document count and average field lengths, and a
    bounded LRU of the document sets of single units (a character's terms in a segment:
    hundreds of posting lists to read and unite)."""

    def __init__(self, top: Any, unit_cache: int = 1_000_000) -> None:
        self.segments: dict[str, SegmentData] = {}
        for sub, _ in top.leaf_searchers():
            reader = sub.reader()
            if not reader.doc_count_all():
                continue  # an index of no documents has Whoosh's EmptyReader: no columns
            self.segments[reader.segment().segment_id()] = SegmentData(reader)
        #: documents not deleted, and their average field lengths (as Whoosh divides)
        self.documents = sum(s.size - len(s.deleted) for s in self.segments.values())
        self.avgfl = {
            name: (sum(s.live_length(name) for s in self.segments.values()) / (self.documents or 1))
            or 1
            for name in TEXT_FIELDS
        }
        for segment in self.segments.values():
            segment.set_norms(self.avgfl)
        self._set_order()
        #: each term's idf, once computed (fixed for a generation; emptied when full)
        self.idfs: dict[tuple[str, bytes], float] = {}
        #: docnums the unit cache may hold in all (4 bytes each)
        self.unit_cache = unit_cache
        self._lock = threading.Lock()
        self._units: OrderedDict[tuple[str, str, str], array] = OrderedDict()
        self._unit_size = 0

    def _set_order(self) -> None:
        """Each document's place among ties on score: newest first, then by slug, as one
        int (a document's docnum changes when an update moves it to a new segment)."""
        ranks = {slug: rank for rank, slug in enumerate(sorted({
            slug for segment in self.segments.values() for slug in segment.slugs
        }))}  # fmt: skip
        width = len(ranks) + 1
        for segment in self.segments.values():
            segment.order = [
                newest * width + ranks[slug]
                for newest, slug in zip(segment.newest, segment.slugs, strict=True)
            ]

    def idf(self, doc_frequency: int) -> float:
        return bm25_idf(self.documents, doc_frequency)

    def keep_idf(self, key: tuple[str, bytes], idf: float) -> None:
        if len(self.idfs) >= MAX_IDFS:
            self.idfs.clear()
        self.idfs[key] = idf

    def unit(self, key: tuple[str, str, str]) -> array | None:
        with self._lock:
            found = self._units.get(key)
            if found is not None:
                self._units.move_to_end(key)
            return found

    def put_unit(self, key: tuple[str, str, str], docs: array) -> None:
        if len(docs) > self.unit_cache:
            return
        with self._lock:
            if key in self._units:
                return
            self._units[key] = docs
            self._unit_size += len(docs)
            while self._unit_size > self.unit_cache:
                _, old = self._units.popitem(last=False)
                self._unit_size -= len(old)
