"""Evaluating a query: segment by segment, into plain dicts ``{docnum: score}``.

Whoosh's collectors cost ~20-30 us of Python per hit (a tree of matchers stepped one
document at a time, a score, a sort key and a facet key per hit). Here posting lists
are read a block at a time (:mod:`search.whoosh.postings`), a phrase is checked with set
operations on its bigrams' decoded positions, BM25F is computed as Whoosh computes it
over the documents not deleted (:mod:`search.whoosh.stats`), facets are counted over
columns read once per generation, and the page is a heap selection on (-score, newest,
slug): an order that does not depend on where a document sits in the index.
``tests/search/oracle.py`` asks the same through Whoosh's collectors; the tests compare.
"""

from __future__ import annotations

import heapq
import itertools
import operator
import threading
import time
from array import array
from collections import Counter, OrderedDict
from typing import Any

from search.analysis import Normaliser, literal_units
from search.model import AnyOf, Clause, Filter, Hit, Literal, Outcome, Query
from search.whoosh.postings import Postings, deltas, read_postings
from search.whoosh.schema import FACET_FIELDS, TEXT_FIELDS
from search.whoosh.stats import K1, IndexData, SegmentData

#: Phrase candidates checked per step (the deadline is checked between steps).
CHUNK = 1024

Scores = dict[int, float]


class TimedOut(Exception):
    """The query's deadline passed."""


class ResultCache:
    """Recent outcomes of one index generation, so the next page, a facet click that
    returns to a query, or a popular term cost one lookup. Dropped with its generation."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[tuple[Any, ...], Outcome] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> Outcome | None:
        with self._lock:
            outcome = self._items.get(key)
            if outcome is not None:
                self._items.move_to_end(key)
            return outcome

    def put(self, key: tuple[Any, ...], outcome: Outcome) -> None:
        if self.size <= 0 or outcome.partial:
            return
        with self._lock:
            self._items[key] = outcome
            while len(self._items) > self.size:
                self._items.popitem(last=False)


def cover(count: int) -> list[int]:
    """Offsets of the bigrams a phrase of ``count`` bigrams must check: every other one,
    and the last. Bigram k covers units k and k+1, and positions are consecutive only
    inside a run, so bigrams at p, p+2, p+4... fix every unit of the string."""
    offsets = list(range(0, count, 2))
    if offsets[-1] != count - 1:
        offsets.append(count - 1)
    return offsets


def union(parts: list[Scores]) -> Scores:
    """Documents of any part, scores summed (a balanced tree, as Whoosh's ``Or``; the
    tree's shape depends only on the number of parts, so a document's sum is the same
    float in whatever segment it sits)."""
    if len(parts) == 1:
        return parts[0]
    half = len(parts) // 2
    a, b = union(parts[:half]), union(parts[half:])
    if len(a) < len(b):
        a, b = b, a
    out = dict(a)
    get = out.get
    for d, s in b.items():
        v = get(d)
        out[d] = s if v is None else v + s
    return out


def intersect(a: Scores, b: Scores) -> Scores:
    """Documents of both, scores summed."""
    if len(b) < len(a):
        a, b = b, a
    return {d: s + b[d] for d, s in a.items() if d in b}


class Evaluation:
    """One query over the index: the terms' statistics, read once for all segments."""

    def __init__(self, searcher: Searcher, deadline: float) -> None:
        self.searcher = searcher
        self.deadline = deadline
        self._postings: dict[tuple[str, str, bytes], Postings] = {}

    def check(self) -> None:
        if time.monotonic() > self.deadline:
            raise TimedOut

    def postings(self, segid: str, reader: Any, fieldname: str, btext: bytes) -> Postings:
        """A term's postings in a segment with deletions, read once per query."""
        key = (segid, fieldname, btext)
        found = self._postings.get(key)
        if found is None:
            found = read_postings(reader, fieldname, btext, self.searcher.fast)
            self._postings[key] = found
        return found

    def idf(self, fieldname: str, btext: bytes) -> float:
        """BM25F's idf of a term over the documents not deleted (a segment with
        deletions counts the term's postings of the others); kept per generation."""
        data = self.searcher.data
        key = (fieldname, btext)
        found = data.idfs.get(key)
        if found is None:
            df = 0
            for segid, reader in self.searcher.readers:
                deleted = data.segments[segid].deleted
                if not deleted:
                    df += reader.doc_frequency(fieldname, btext)
                elif (fieldname, btext) in reader:
                    ids = self.postings(segid, reader, fieldname, btext)[0]
                    df += sum(1 for d in ids if d not in deleted)
            found = data.idf(df)
            data.keep_idf(key, found)
        return found


class _Run:
    """One query over one segment: each clause to {docnum: score}."""

    def __init__(self, evaluation: Evaluation, segid: str, reader: Any) -> None:
        self.ev = evaluation
        self.searcher = evaluation.searcher
        self.reader = reader
        self.segid = segid
        self.seg: SegmentData = evaluation.searcher.data.segments[segid]

    def query(self, q: Query) -> Scores:
        # cheap clauses (filters, terms, units) first; phrases then check only the
        # documents those left
        scored: Scores | None = None
        for clause in sorted(q.must, key=self._cost):
            self.ev.check()
            part = self.clause(clause, scored)
            if part is None:
                continue
            scored = part if scored is None else intersect(scored, part)
            if not scored:
                return {}
        if scored is None:  # no positive clause: every document, score 1 (Whoosh's Every)
            scored = dict.fromkeys(range(self.seg.size), 1.0)
        negative: set[int] = set()
        for clause in q.must_not:
            self.ev.check()
            negative.update(self.clause(clause, scored) or ())
        deleted = self.seg.deleted
        if negative or deleted:
            scored = {d: s for d, s in scored.items() if d not in negative and d not in deleted}
        return scored

    def _cost(self, clause: Clause) -> int:
        if isinstance(clause, Literal):
            return 1 if len(literal_units(self.searcher.normaliser, clause.text)) > 2 else 0
        if isinstance(clause, AnyOf):
            return max(self._cost(c) for c in clause.clauses)
        return 0

    def clause(self, clause: Clause, within: Scores | None) -> Scores | None:
        if isinstance(clause, Literal):
            return self.literal(clause.text, within)
        if isinstance(clause, Filter):
            found = self.searcher.filter_term(clause)
            return {} if found is None else self.term(*found)
        parts = [p for p in (self.clause(c, within) for c in clause.clauses) if p is not None]
        return union(parts) if parts else None

    def literal(self, text: str, within: Scores | None) -> Scores | None:
        units = literal_units(self.searcher.normaliser, text)
        if not units:
            return None
        if len(units) == 1:
            return union([self.unit(n, units[0], w) for n, w in TEXT_FIELDS.items()])
        grams = [a + b for a, b in itertools.pairwise(units)]
        if len(grams) == 1:
            return union([self.term(name, grams[0]) for name in TEXT_FIELDS])
        return union([self.phrase(name, grams, within) for name in TEXT_FIELDS])

    def _bytes(self, fieldname: str, text: str) -> bytes | None:
        try:
            btext = self.reader.schema[fieldname].to_bytes(text)
        except ValueError:
            return None
        return btext if (fieldname, btext) in self.reader else None

    def _postings(self, fieldname: str, btext: bytes, values: bool = True) -> Postings:
        """A term's postings here: read once per query where the segment has deletions
        (its idf read them too), else read and let go with the segment."""
        if self.seg.deleted:
            return self.ev.postings(self.segid, self.reader, fieldname, btext)
        return read_postings(self.reader, fieldname, btext, self.searcher.fast, values)

    def scores(self, fieldname: str, btext: bytes, ids: list[int], weights: list[float]) -> Scores:
        """BM25F of these postings (the length term read once per generation), or the
        posting's weight in a field that is not scored (Whoosh's ``WeightScorer``)."""
        if fieldname not in TEXT_FIELDS:
            return dict(zip(ids, weights, strict=True))
        idf = self.ev.idf(fieldname, btext)
        c = K1 + 1
        norms = self.seg.norms[fieldname]
        return {d: idf * ((w * c) / (w + norms[d])) for d, w in zip(ids, weights, strict=True)}

    def term(self, fieldname: str, text: str) -> Scores:
        btext = self._bytes(fieldname, text)
        if btext is None:
            return {}
        ids, weights, _ = self._postings(fieldname, btext, values=False)
        return self.scores(fieldname, btext, ids, weights)

    def unit(self, fieldname: str, unit: str, weight: float) -> Scores:
        """The documents of the terms that start with ``unit``, each scoring the field's
        weight (as Whoosh's constant-score prefix queries do). The document set is kept
        per generation: bounded and internal, never a reader's pattern."""
        key = (self.segid, fieldname, unit)
        data = self.searcher.data
        docs = data.unit(key)
        if docs is None:
            found: set[int] = set()
            fast = self.searcher.fast
            for btext in self.reader.expand_prefix(fieldname, unit):
                found.update(read_postings(self.reader, fieldname, btext, fast, values=False)[0])
            docs = array("I", sorted(found))
            data.put_unit(key, docs)
        return dict.fromkeys(docs, weight)

    def phrase(self, fieldname: str, grams: list[str], within: Scores | None) -> Scores:
        """The bigrams at :func:`cover` offsets, at those offsets from one start
        position; scored as the sum of those bigrams' BM25F scores."""
        offsets = cover(len(grams))
        leaves: list[tuple[bytes, Postings]] = []
        for k in offsets:
            btext = self._bytes(fieldname, grams[k])
            if btext is None:
                return {}
            leaves.append((btext, self._postings(fieldname, btext)))
        candidates = _candidates([leaf[1][0] for leaf in leaves], within)
        if not candidates:
            return {}
        matched = self._matching(candidates, [leaf[1] for leaf in leaves], offsets)
        total: list[float] | None = None
        for btext, (ids, weights, _) in leaves:
            weight_of = dict(zip(ids, weights, strict=True))
            part = self.scores(fieldname, btext, matched, [weight_of[d] for d in matched])
            scores = list(part.values())
            total = scores if total is None else [a + b for a, b in zip(total, scores, strict=True)]
        return dict(zip(matched, total or [], strict=True))

    def _matching(
        self, candidates: list[int], leaves: list[Postings], offsets: list[int]
    ) -> list[int]:
        """The candidates where the leaves' positions line up, :data:`CHUNK` at a time."""
        values = [dict(zip(ids, vals, strict=True)) for ids, _, vals in leaves]
        shifts = [-k for k in offsets[1:]]
        # two bigrams: a set of the positions of the one with fewer per document (its
        # weights / documents), probed by the other's (isdisjoint stops at a match)
        (ids0, w0, _), (ids1, w1, _) = leaves[0], leaves[-1]
        set_of_first = sum(w0) * len(ids1) <= sum(w1) * len(ids0)
        matched: list[int] = []
        for start in range(0, len(candidates), CHUNK):
            self.ev.check()
            chunk = candidates[start : start + CHUNK]
            decoded = [deltas(list(map(v.__getitem__, chunk))) for v in values]
            matched += _aligned(chunk, decoded, shifts, set_of_first)
        return matched


def _candidates(id_lists: list[list[int]], within: Scores | None) -> list[int]:
    """The documents in every list (and in ``within``), smallest list first."""
    by_size = sorted(id_lists, key=len)
    candidates = set(by_size[0])
    if within is not None:
        candidates.intersection_update(within)
    for ids in by_size[1:]:
        if not candidates:
            break
        candidates.intersection_update(ids)
    return list(candidates)


def _aligned(
    chunk: list[int], decoded: list[list[list[int]]], shifts: list[int], set_of_first: bool
) -> list[int]:
    """The documents of ``chunk`` where some start position has every bigram at its
    offset (``decoded``: per leaf, each document's position deltas)."""
    accumulate = itertools.accumulate
    first, *rest = decoded
    if len(rest) == 1:
        second, shift = rest[0], shifts[0]
        if set_of_first:
            return [
                d
                for d, a, b in zip(chunk, first, second, strict=True)
                if not set(accumulate(a)).isdisjoint(accumulate(b, initial=shift))
            ]
        return [
            d
            for d, a, b in zip(chunk, first, second, strict=True)
            if not set(accumulate(b, initial=shift)).isdisjoint(accumulate(a))
        ]
    if len(rest) == 2:
        (second, third), (shift2, shift3) = rest, shifts
        return [
            d
            for d, a, b, c in zip(chunk, first, second, third, strict=True)
            if (starts := set(accumulate(a)).intersection(accumulate(b, initial=shift2)))
            and not starts.isdisjoint(accumulate(c, initial=shift3))
        ]
    matched = []
    for i, d in enumerate(chunk):
        starts = set(accumulate(first[i]))
        for positions, shift in zip(rest, shifts, strict=True):
            starts.intersection_update(accumulate(positions[i], initial=shift))
            if not starts:
                break
        else:
            matched.append(d)
    return matched


class Searcher:
    """One Whoosh searcher plus what the generation shares (normaliser, filter names,
    statistics, cache). ``fast``: read postings a block at a time (see the guard)."""

    def __init__(
        self,
        whoosh_searcher: Any,
        normaliser: Normaliser,
        names: dict[str, dict[str, str]],
        data: IndexData,
        cache: ResultCache | None = None,
        fast: bool = True,
    ) -> None:
        self.whoosh = whoosh_searcher
        self.normaliser = normaliser
        self.names = names
        self.data = data
        self.cache = cache or ResultCache(0)
        self.fast = fast
        #: (segment id, reader) of each segment, with the first docnum of each
        self.readers: list[tuple[str, Any]] = []
        self.bases: list[int] = []
        for sub, base in whoosh_searcher.leaf_searchers():
            reader = sub.reader()
            if not reader.doc_count_all():
                continue  # an index of no documents (a site of none): Whoosh's EmptyReader
            self.readers.append((reader.segment().segment_id(), reader))
            self.bases.append(base)

    def close(self) -> None:
        self.whoosh.close()

    def filter_term(self, flt: Filter) -> tuple[str, str] | None:
        """The (field, term) a filter stands for; None for a name the index lacks."""
        if flt.field == "year":
            return "year", flt.value.strip()
        key = self.normaliser.normalise(flt.value).strip()
        raw = self.names.get(flt.field, {}).get(key)
        return None if raw is None else (flt.field, raw)

    def search(self, q: Query, offset: int, limit: int, timeout: float) -> Outcome:
        key = (q, offset, limit)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        outcome = self.evaluate(q, offset, limit, timeout)
        self.cache.put(key, outcome)
        return outcome

    def evaluate(self, q: Query, offset: int, limit: int, timeout: float) -> Outcome:
        """The exact total and facet counts, and the page by BM25F, ties newest first,
        then by slug."""
        evaluation = Evaluation(self, time.monotonic() + timeout)
        best: list[tuple[float, int, int]] = []
        counts: dict[str, Counter[Any]] = {name: Counter() for name in FACET_FIELDS}
        total, partial = 0, False
        for (segid, reader), base in zip(self.readers, self.bases, strict=True):
            try:
                scores = _Run(evaluation, segid, reader).query(q)
            except TimedOut:
                partial = True  # the segments done so far
                break
            seg = self.data.segments[segid]
            total += len(scores)
            for name, counter in counts.items():
                counter.update(map(seg.facets[name].__getitem__, scores))
            keys = zip(
                map(operator.neg, scores.values()),
                map(seg.order.__getitem__, scores),  # newest first, then by slug
                map(base.__add__, scores),
                strict=True,
            )
            best = heapq.nsmallest(offset + limit, itertools.chain(best, keys))
        stored = self.whoosh.stored_fields
        return Outcome(
            total=total,
            hits=tuple(Hit(stored=stored(key[-1]), score=-key[0]) for key in best[offset:]),
            facets={
                name: {str(n): int(c) for n, c in counter.items() if n is not None}
                for name, counter in counts.items()
            },
            partial=partial,
        )
