"""Whoosh's own ways, which the engine is tested against (the only test code that
imports Whoosh): the same query through Whoosh's queries, matchers, scorer and sorting
collector; an index written by Whoosh's standard writer, and what Whoosh reads back.

``search.whoosh.evaluate`` reads posting lists in blocks and computes BM25F itself;
here every piece is Whoosh's but for what the engine means differently on purpose:

- BM25F's statistics count the documents not deleted (:class:`LiveBM25F`: Whoosh's
  ``BM25FScorer`` with the idf and average field length over live documents), so an
  updated index answers as a fresh one;
- ties after the date are broken by slug, not docnum (a sort facet on the column);
- a phrase of bigrams is checked at the engine's cover offsets (:class:`GramPhrase`);
- Whoosh's ``AndNotMatcher`` lets the first document of a segment through where the
  excluded list starts earlier (``临 -county:临颍县`` answered an article of 临颍县):
  :class:`AndNotMatcher` checks it.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import time
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from whoosh import collectors, fields, formats, index, matching, query, scoring, sorting
from whoosh.codec.whoosh3 import W3Codec
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.filetables import OrderedHashReader, OrderedHashWriter
from whoosh.matching.wrappers import WrappingMatcher
from whoosh.searching import Searcher as WhooshSearcher

from search.analysis import Normaliser, literal_units
from search.layout import INDEX_NAME
from search.model import Clause, Filter, Hit, Literal, Outcome, Query
from search.whoosh import LiveIndex
from search.whoosh.evaluate import Searcher, cover
from search.whoosh.schema import FACET_FIELDS, TEXT_FIELDS, make_schema, share_normaliser


class PhraseMatcher(WrappingMatcher):
    """Documents of an intersection of bigram terms where the bigrams sit at the given
    offsets from one start position."""

    def __init__(self, child: Any, leaves: list[Any], offsets: list[int]) -> None:
        super().__init__(child)
        self._leaves = leaves
        self._offsets = offsets
        self._find()

    def _matches_here(self) -> bool:
        leaves, offsets = self._leaves, self._offsets
        starts = set(leaves[0].value_as("positions"))
        for leaf, offset in zip(leaves[1:], offsets[1:], strict=True):
            starts.intersection_update([p - offset for p in leaf.value_as("positions")])
            if not starts:
                return False
        return True

    def _find(self) -> None:
        while self.child.is_active() and not self._matches_here():
            self.child.next()

    def replace(self, minquality: float = 0) -> Any:
        return self if self.is_active() else matching.NullMatcher()

    def all_ids(self) -> Iterator[int]:
        while self.is_active():
            yield self.id()
            self.next()

    def next(self) -> None:
        self.child.next()
        self._find()

    def skip_to(self, id: int) -> None:
        self.child.skip_to(id)
        self._find()

    def supports_block_quality(self) -> bool:
        return False


class GramPhrase(query.Phrase):
    """A phrase of overlapping bigrams, matched by :class:`PhraseMatcher`."""

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        reader = searcher.reader()
        offsets = cover(len(self.words))
        leaves = []
        for k in offsets:
            word = searcher.schema[self.fieldname].to_bytes(self.words[k])
            if (self.fieldname, word) not in reader:
                return matching.NullMatcher()
            leaves.append(query.Term(self.fieldname, self.words[k]).matcher(searcher, context))
        child = leaves[0]
        for leaf in leaves[1:]:
            child = matching.IntersectionMatcher(child, leaf)
        return PhraseMatcher(child, leaves, offsets)


class UnitQuery(query.Prefix):
    """The documents whose field holds one unit (a term starts with it), scoring a
    constant ``boost`` (the field's weight)."""

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        reader = searcher.reader()
        docs: set[int] = set()
        for btext in reader.expand_prefix(self.fieldname, self.text):
            docs.update(reader.postings(self.fieldname, btext).all_ids())
        if not docs:
            return matching.NullMatcher()
        return matching.ListMatcher(sorted(docs), all_weights=self.boost)


class AndNotMatcher(matching.AndNotMatcher):
    """Whoosh's, with the first document checked too."""

    def _find_first(self) -> None:
        if self.a.is_active() and self.b.is_active():
            self._find_next()


class AndNot(query.AndNot):
    def matcher(self, searcher: Any, context: Any = None) -> Any:
        positive = self.a.matcher(searcher, context)
        return AndNotMatcher(positive, self.b.matcher(searcher, searcher.boolean_context()))


class LiveBM25F(scoring.BM25F):
    """Whoosh's BM25F with the document count, document frequency and average field
    length of the documents not deleted (the exact lengths from the fields' columns)."""

    def scorer(self, searcher: Any, fieldname: str, text: Any, qf: int = 1) -> Any:
        if not searcher.schema[fieldname].scorable:
            return scoring.WeightScorer.for_(searcher, fieldname, text)
        scorer = scoring.BM25FScorer(searcher, fieldname, text, self.B, self.K1, qf=qf)
        parent = searcher.get_parent()
        reader = parent.reader()
        documents = parent.doc_count()
        df = 0
        if (fieldname, text) in reader:
            df = sum(1 for _ in reader.postings(fieldname, text).all_ids())
        scorer.idf = math.log(documents / (df + 1)) + 1
        total = 0
        for leaf_reader, _ in reader.leaf_readers():
            column = leaf_reader.column_reader(fieldname, translate=False)
            total += sum(column[d] for d in leaf_reader.all_doc_ids())
        scorer.avgfl = (total / (documents or 1)) or 1
        return scorer


class Deadline(collectors.WrappingCollector):
    """Stops collecting at a deadline (no timer thread, no SIGALRM)."""

    def __init__(self, child: collectors.Collector, deadline: float) -> None:
        self.child = child
        self.deadline = deadline
        self.timed_out = False

    def collect_matches(self) -> None:
        for n, sub_docnum in enumerate(self.child.matches()):
            if not n & 63 and time.monotonic() > self.deadline:
                self.timed_out = True
                raise collectors.TimeLimit
            self.child.collect(sub_docnum)


def _literal(searcher: Searcher, text: str) -> query.Query | None:
    units = literal_units(searcher.normaliser, text)
    if not units:
        return None
    if len(units) == 1:
        return query.Or([UnitQuery(n, units[0], boost=w) for n, w in TEXT_FIELDS.items()])
    grams = [a + b for a, b in itertools.pairwise(units)]
    if len(grams) == 1:
        return query.Or([query.Term(name, grams[0]) for name in TEXT_FIELDS])
    return query.Or([GramPhrase(name, grams) for name in TEXT_FIELDS])


def _clause(searcher: Searcher, clause: Clause) -> query.Query | None:
    if isinstance(clause, Literal):
        return _literal(searcher, clause.text)
    if isinstance(clause, Filter):
        found = searcher.filter_term(clause)
        return query.NullQuery if found is None else query.Term(*found)
    parts = [q for q in (_clause(searcher, c) for c in clause.clauses) if q is not None]
    return query.Or(parts) if parts else None


def compile_query(searcher: Searcher, q: Query) -> query.Query:
    must = [x for x in (_clause(searcher, c) for c in q.must) if x is not None]
    must_not = [x for x in (_clause(searcher, c) for c in q.must_not) if x is not None]
    positive: query.Query = query.And(must) if must else query.Every()
    return AndNot(positive, query.Or(must_not)) if must_not else positive


def _score(key: Any) -> float:
    """The BM25F score back from a sort key (ScoreFacet sorts on its negation)."""
    if isinstance(key, tuple):
        key = key[0]
    try:
        return -float(key)
    except (TypeError, ValueError):
        return 0.0


def search_whoosh(searcher: Searcher, q: Query, offset: int, limit: int) -> Outcome:
    """``searcher.evaluate(q, offset, limit, ...)`` through Whoosh's collectors."""
    whoosh_searcher = WhooshSearcher(searcher.whoosh.reader(), LiveBM25F(), closereader=False)
    facets = {name: sorting.FieldFacet(name, maptype=sorting.Count) for name in FACET_FIELDS}
    sortedby = sorting.MultiFacet(
        [sorting.ScoreFacet(), sorting.FieldFacet("newest"), sorting.FieldFacet("slug")]
    )
    child = whoosh_searcher.collector(limit=offset + limit, sortedby=sortedby, groupedby=facets)
    collector = Deadline(child, time.monotonic() + 60)
    with contextlib.suppress(collectors.TimeLimit):
        whoosh_searcher.search_with_collector(compile_query(searcher, q), collector)
    results = child.results()
    hits = tuple(
        Hit(stored=results.fields(i), score=_score(results.score(i)))
        for i in range(offset, min(offset + limit, results.scored_length()))
    )
    counts = {name: dict(results.groups(name)) for name in FACET_FIELDS}
    return Outcome(
        total=len(results),
        hits=hits,
        facets={
            k: {str(n): int(c) for n, c in v.items() if n is not None} for k, v in counts.items()
        },
        partial=collector.timed_out,
    )


# --------------------------------------------------------------------------- Whoosh's writer


def open_index(folder: Path) -> Any:
    return index.open_dir(str(folder), indexname=INDEX_NAME)


def segment_codecs(folder: Path) -> list[tuple[str, int]]:
    """Each segment's codec as its TOC records it: (class name, block size)."""
    ix = open_index(folder)
    try:
        return [(type(s.codec()).__name__, s.codec()._blocklimit) for s in ix._segments()]
    finally:
        ix.close()


def reference_index(
    index_dir: Path, rows: list[dict[str, Any]], normaliser: Normaliser, block_postings: int
) -> None:
    """Whoosh's own path: plain TEXT fields with the index's analyzer, the standard
    writer, Whoosh's codec."""
    schema = make_schema(normaliser.extra_pairs)
    for name in TEXT_FIELDS:
        old = schema[name]
        schema.remove(name)
        text = fields.TEXT(
            analyzer=old.analyzer,
            phrase=True,
            stored=old.stored,
            field_boost=old.format.field_boost,
        )
        schema.add(name, text)
    share_normaliser(schema, normaliser)
    index_dir.mkdir(parents=True)
    ix = index.create_in(str(index_dir), schema, indexname=INDEX_NAME)
    with ix.writer(codec=W3Codec(blocklimit=block_postings)) as writer:
        for row in rows:
            writer.add_document(**row)


def dump_index(index_dir: Path) -> dict[Any, Any]:
    """What Whoosh reads back: every term's statistics and postings (with their block
    statistics), field lengths, stored fields."""
    ix = open_index(index_dir)
    out: dict[Any, Any] = {}
    with ix.reader() as reader:
        for fieldname, tbytes in reader.all_terms():
            info = reader.term_info(fieldname, tbytes)
            stats = (
                info.weight(),
                info.doc_frequency(),
                info.min_length(),
                info.max_length(),
                info.max_weight(),
                info.min_id(),
                info.max_id(),
            )
            m = reader.postings(fieldname, tbytes)
            postings = []
            while m.is_active():
                block = (m.block_min_length(), m.block_max_length(), m.block_max_weight())
                postings.append((m.id(), m.weight(), m.value(), *block))
                m.next()
            out[(fieldname, tbytes)] = (stats, postings)
        size = reader.doc_count_all()
        for name in sorted(ix.schema.names()):
            if ix.schema[name].scorable:
                out[("length", name)] = (
                    reader.field_length(name),
                    reader.min_field_length(name),
                    reader.max_field_length(name),
                    [reader.doc_field_length(d, name) for d in range(size)],
                )
        out["stored"] = [reader.stored_fields(d) for d in range(size)]
    ix.close()
    return out


def positions_value(positions: list[int]) -> bytes:
    """A posting's value as Whoosh's ``Positions`` format encodes it."""
    return formats.Positions().encode(positions)


def hash_file(folder: Path, keys: list[bytes], own: int, write_hashes: Any) -> Any:
    """A Whoosh ordered hash file of ``keys`` (value: the key reversed) whose hash
    tables ``write_hashes`` lays out: the first ``own`` entries from Whoosh's bucket
    lists, the rest from the bulk arrays the engine's terms table keeps. Returns
    Whoosh's reader of it."""
    import numpy as np

    storage = FileStorage(str(folder))
    writer = OrderedHashWriter(storage.create_file("t.hsh"))
    for key in keys:
        writer.add(key, key[::-1])
    entries = sorted((pos, h) for bucket in writer.buckets for h, pos in bucket)
    kept = {pos for pos, _ in entries[:own]}
    for bucket in writer.buckets:
        bucket[:] = [(h, pos) for h, pos in bucket if pos in kept]
    hashes = np.asarray([h for _, h in entries[own:]], dtype=np.uint64)
    writer._bulk = [(hashes, np.asarray([pos for pos, _ in entries[own:]], dtype=np.int64))]
    writer._write_hashes = types.MethodType(write_hashes, writer)
    size = writer.close()
    return OrderedHashReader(storage.open_file("t.hsh"), size)


def whoosh_scores(live: LiveIndex, fieldname: str, btext: bytes) -> dict[int, float]:
    """Whoosh's own BM25F score of a term in each document (one-segment index)."""
    with live.searcher() as s:
        scorer = scoring.BM25F().scorer(s.whoosh, fieldname, btext)
        m = s.whoosh.reader().postings(fieldname, btext)
        out = {}
        while m.is_active():
            out[m.id()] = scorer.score(m)
            m.next()
        return out
