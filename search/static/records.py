"""Each gram's record, encoded as varints (:mod:`search.static.varint`), for all grams
of an order at once.

A record has two parts. Part A: for each field with postings (title, slogans, body, in
that order), the documents (the first as is, then differences), then for orders 2 and
4 each document's count of the gram. Part B (order 4 only): for each field, for each
document, the gram's positions (the first as is, then differences). A reader knows
each field's document count from the record's header (see :mod:`search.static.shards`),
so the record carries no lengths of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from search.static import varint
from search.static.grams import FIELDS, Grams


@dataclass
class Records:
    """The encoded records of one order's grams, one after the other."""

    order: int
    codes: Any  # (terms, order) uint32
    df: Any  # (terms, fields) int64: documents per field
    data: Any  # uint8: every record
    start: Any  # int64 (terms + 1): each record's first byte, then the end
    split: Any  # int64 (terms): where part B starts (= the record's end without one)


def encode(grams: Grams) -> Records:
    order = grams.order
    counts = order in (2, 4)
    tp = grams.term_postings
    terms = tp.size - 1
    npost = int(tp[-1])
    term_of = np.repeat(np.arange(terms, dtype=np.int64), np.diff(tp))
    field = grams.field.astype(np.int64)
    doc = grams.doc.astype(np.int64)
    df = np.bincount(term_of * len(FIELDS) + field, minlength=terms * len(FIELDS))
    df = df.reshape(terms, len(FIELDS))
    # groups: the postings of one gram in one field
    gnew = np.ones(npost, dtype=bool)
    if npost > 1:
        gnew[1:] = (term_of[1:] != term_of[:-1]) | (field[1:] != field[:-1])
    gstart = np.flatnonzero(gnew)
    group_of = np.cumsum(gnew) - 1
    gsize = np.diff(gstart, append=npost)
    delta = doc.copy()
    if npost > 1:
        delta[1:] -= doc[:-1]
    delta[gstart] = doc[gstart]
    per = 2 if counts else 1
    sec1_group = gsize * per  # values of part A per group
    g_excl = np.cumsum(sec1_group) - sec1_group
    # occurrences (order 4): positions in part B
    count = grams.count.astype(np.int64)
    occ_total = np.zeros(terms, dtype=np.int64)
    if grams.positions is not None:
        occ_total = np.add.reduceat(count, tp[:-1]) if npost else occ_total
        occ_total[np.diff(tp) == 0] = 0
    occ_before = np.cumsum(occ_total) - occ_total  # positions of earlier grams
    first_group = np.searchsorted(gstart, tp[:-1])  # each gram's first group
    sec1_term = np.add.reduceat(sec1_group, first_group)
    term_base = g_excl[first_group] + occ_before
    total = int(sec1_group.sum() + occ_total.sum())
    values = np.empty(total, dtype=np.uint32)  # every value < 2**32
    rank = np.arange(npost, dtype=np.int64) - gstart[group_of]
    base = g_excl[group_of] + occ_before[term_of]
    values[base + rank] = delta
    if counts:
        values[base + gsize[group_of] + rank] = count
    if grams.positions is not None and npost:
        pos = grams.positions.astype(np.int64)
        ostart = np.cumsum(count) - count
        pdelta = pos.copy()
        if pos.size > 1:
            pdelta[1:] -= pos[:-1]
        pdelta[ostart] = pos[ostart]
        occ_term = np.repeat(term_of, count)
        first_occ = np.cumsum(occ_total) - occ_total
        at = (
            term_base[occ_term]
            + sec1_term[occ_term]
            + (np.arange(pos.size, dtype=np.int64) - first_occ[occ_term])
        )
        values[at] = pdelta
        del pos, ostart, pdelta, occ_term, at
    size = varint.sizes(values)
    byte_at = np.zeros(total + 1, dtype=np.int64)
    np.cumsum(size, out=byte_at[1:])
    data = np.empty(int(byte_at[-1]), dtype=np.uint8)
    varint.put(data, byte_at[:-1], values, size)
    start = np.append(byte_at[term_base], byte_at[-1])
    split = byte_at[term_base + sec1_term]
    return Records(order, grams.codes, df, data, start, split)
