"""Each gram's record, encoded as varints (:mod:`search.static.varint`), for all grams
of an order at once.

A record has two parts. Part A: for each field with postings (title, slogans, body, in
that order), each document (the first as is, then the difference from the one before)
followed, for orders 2 and 4, by the gram's count in it. Part B (order 4 only): for each
field, for each document, the gram's places in text order, each a pair: the run's
number (:func:`search.static.grams.run_ids`) and the offset in the run, less the place
before's where that is in the same run.
A reader knows each field's document count from the record's header (see
:mod:`search.static.shards`), so the record carries no lengths of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from search.static import varint
from search.static.grams import FIELDS, Grams


@dataclass
class Records:
    """The encoded records of one order's grams: parts A one after the other, parts B
    one after the other (empty below order 4), and where each gram's parts start."""

    order: int
    codes: Any  # (terms, order) uint32
    df: Any  # (terms, fields) int64: documents per field
    a: Any  # uint8: every part A
    a_start: Any  # int64 (terms + 1): each part A's first byte, then the end
    b: Any  # uint8: every part B
    b_start: Any  # int64 (terms + 1)

    def lengths(self) -> Any:
        """Each record's bytes (both parts)."""
        return np.diff(self.a_start) + np.diff(self.b_start)


def has_counts(order: int) -> bool:
    return order in (2, 4)


def encode(grams: Grams) -> Records:
    tp = grams.term_postings
    terms = tp.size - 1
    postings = np.diff(tp)
    term_of = np.repeat(np.arange(terms, dtype=np.int64), postings)
    field = grams.field.astype(np.int64)
    df = np.bincount(term_of * len(FIELDS) + field, minlength=terms * len(FIELDS))
    df = df.reshape(terms, len(FIELDS))
    group = np.ones(term_of.size, dtype=bool)  # a posting that starts a (gram, field)
    group[1:] = (term_of[1:] != term_of[:-1]) | (field[1:] != field[:-1])
    del term_of, field
    values = _deltas(grams.doc, group)
    per = 1
    if has_counts(grams.order):
        values = np.column_stack((values, grams.count.astype(np.uint32))).ravel()
        per = 2
    a, a_start = _encode_terms(values, postings * per)
    b, b_start = np.zeros(0, dtype=np.uint8), np.zeros(terms + 1, dtype=np.int64)
    if grams.runs is not None:
        values = place_values(grams.runs, grams.offsets, grams.count)
        occurrences = np.add.reduceat(grams.count, tp[:-1], dtype=np.int64) if terms else []
        b, b_start = _encode_terms(values, np.asarray(occurrences, dtype=np.int64) * 2)
    return Records(grams.order, grams.codes, df, a, a_start, b, b_start)


def _deltas(doc: Any, group: Any) -> Any:
    """Each document minus the one before it in its group (the first as it is)."""
    values = doc.astype(np.uint32)
    values[1:] -= values[:-1].copy()
    values[group] = doc[group]
    return values


def place_values(runs: Any, offsets: Any, count: Any) -> Any:
    """Part B's values for places in text order, per posting: two per place, its run's
    number and its offset (less the offset before it, in the same run)."""
    first = np.zeros(runs.size, dtype=bool)  # the first place of each posting
    first[(np.cumsum(count, dtype=np.int64) - count)[count > 0]] = True
    run = runs.astype(np.uint32)
    offset = offsets.astype(np.uint32)
    same = ~first
    same[1:] &= run[1:] == run[:-1]
    offset_value = offset.copy()
    offset_value[1:] -= offset[:-1]
    offset_value = np.where(same, offset_value, offset)
    return np.column_stack((run, offset_value)).ravel()


def _encode_terms(values: Any, counts: Any) -> tuple[Any, Any]:
    """The varints of ``values`` (uint8 array), and where each term's start, given how
    many values each term has (every term at least one)."""
    sizes = varint.sizes(values).astype(np.uint8)
    start = np.zeros(counts.size + 1, dtype=np.int64)
    if counts.size:
        value_start = np.cumsum(counts) - counts
        np.cumsum(np.add.reduceat(sizes, value_start, dtype=np.int64), out=start[1:])
    return varint.encode_array(values, sizes), start
