"""The static index's postings, computed for the whole corpus at once with numpy.

The three text fields of every document (normalised as :mod:`search.analysis` does, as
:func:`~search.analysis.positioned` strings: runs joined by a line break, so a
character's index is its position) are laid end to end, all titles, then all slogans,
then all bodies, each text followed by a line break. A *gram* of order k is k
consecutive units inside one run (no line break among them). For each order, one sort
of ``(gram key << bits) | index`` orders the occurrences by (gram, field, document,
position), which is the order the records are written in.

Orders and what is kept (see ``docs/search.md``, Search without a service):

- 1 (a unit): the documents per field (a one-character query);
- 2 (a bigram): the documents and frequency per field (two units; BM25F of phrases);
- 3: the documents per field (a three-unit phrase);
- 4: the documents, frequency and places per field (four units by their documents;
  longer phrases by the places of their 4-grams).

A place is a run and an offset in that run, not a position in the whole text, and a
run is named by a number drawn from its own text (:func:`run_ids`), not by its rank:
an edit inside one paragraph, or a paragraph added or removed, moves the places of that
paragraph's grams only, so an incremental update rewrites few records.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

#: The text fields, in the order their sections appear in a record.
FIELDS: tuple[str, ...] = ("title", "slogans", "body")
ORDERS: tuple[int, ...] = (1, 2, 3, 4)
NEWLINE = ord("\n")
#: A text's runs are named by numbers below a power of two at least this and at least
#: twice the number of runs. 128: every number of a text of up to 64 runs is still a
#: one-byte varint, and a paragraph added renumbers no other run until the text passes
#: 64 runs. (With 16, a text passing 8, 16 or 32 runs had every run renumbered, so
#: every record of the document's grams rewritten: at 5,000 bench articles one such
#: edit rewrote 1,020 shards, 3.1 s of CPU against ~0.4 s, bench/static_search.py.)
MIN_RUN_SLOTS = 128


@dataclass
class Grams:
    """The postings of one order, sorted by (gram, field, document)."""

    order: int
    codes: Any  # (terms, order) uint32: each gram's code points
    term_postings: Any  # int64 (terms + 1): each gram's first posting, then the end
    field: Any  # per posting: uint8
    doc: Any  # per posting: int32
    count: Any  # per posting: occurrences (int32)
    runs: Any  # per occurrence, in posting order: its run (int32); order 4 only, else None
    offsets: Any  # per occurrence: its offset in that run (int32); order 4 only


@dataclass
class Corpus:
    """The fields' texts laid end to end, as code points, with each index's text
    (field * docs + doc), its run's number in that text (:func:`run_ids`) and its
    offset in the run."""

    cps: Any  # uint32
    segment: Any  # int32 per index
    run: Any  # int32 per index
    offset: Any  # int32 per index
    docs: int


def lay_out(texts: dict[str, list[str]], docs: int) -> Corpus:
    """``texts[field][doc]``: each field's positioned normalised text per document."""
    parts: list[str] = []
    for name in FIELDS:
        for text in texts[name]:
            parts.append(text)
            parts.append("\n")
    lengths = np.fromiter(map(len, parts), dtype=np.int64, count=len(parts))
    lengths = lengths[0::2] + 1
    raw = "".join(parts).encode("utf-32-le", errors="surrogatepass")
    del parts
    cps = np.frombuffer(raw, dtype=np.uint32)
    segment = np.repeat(np.arange(lengths.size, dtype=np.int32), lengths)
    ids = [i for name in FIELDS for text in texts[name] for i in run_ids(text.split("\n"))]
    run, offset = _places(cps, np.asarray(ids, dtype=np.int32))
    return Corpus(cps, segment, run, offset, docs)


def run_ids(runs: Sequence[str]) -> list[int]:
    """A number for each run of a text, unique in the text, drawn from the run's own
    text: its CRC-32 modulo the slots (a power of two), else the next free slot (runs
    placed in the order of (home slot, text, rank)). So adding, removing or editing a
    run renumbers only the runs whose slots it takes or frees."""
    slots = MIN_RUN_SLOTS
    while slots < 2 * len(runs):
        slots *= 2
    homes = [zlib.crc32(run.encode("utf-8", "surrogatepass")) % slots for run in runs]
    taken = [False] * slots
    ids = [0] * len(runs)
    for i in sorted(range(len(runs)), key=lambda i: (homes[i], runs[i], i)):
        slot = homes[i]
        while taken[slot]:
            slot = (slot + 1) % slots
        taken[slot] = True
        ids[i] = slot
    return ids


def _places(cps: Any, ids: Any) -> tuple[Any, Any]:
    """Each index's run number (``ids``: each run's, in layout order) and its offset in
    the run (each text ends with a line break)."""
    breaks = cps == NEWLINE
    before = np.cumsum(breaks, dtype=np.int32)
    before -= breaks  # line breaks before each index, in the whole layout: its run
    run = ids[before]
    last = np.where(breaks, np.arange(cps.size, dtype=np.int32), np.int32(-1))
    np.maximum.accumulate(last, out=last)  # the last line break at or before each index
    offset = np.arange(cps.size, dtype=np.int32)
    offset -= last
    offset -= 1
    return run, offset


def iter_grams(corpus: Corpus) -> Iterator[Grams]:
    """The postings of each order in turn (one order's arrays live at a time)."""
    cps = corpus.cps
    size = cps.size
    lut = np.zeros(0x110000, dtype=np.int64)
    lut[cps] = 1
    chars = np.flatnonzero(lut)
    n = int(chars.size)
    lut[chars] = np.arange(n)
    rank = lut[cps]
    del lut
    unit = cps != NEWLINE
    # the rank of the gram of the previous order at each index where one starts (one
    # buffer for every order: an order reads it only where the order before wrote it)
    prefix_rank = np.empty(size, dtype=np.int64)
    valid = unit
    for order in ORDERS:
        if order > 1:
            valid = valid[:-1] & unit[order - 1 :]
        starts = np.flatnonzero(valid)
        if order == 1:
            key = rank[starts]
        else:
            key = prefix_rank[starts]
            key *= n
            key += rank[order - 1 :][starts]
        sorted_key, index = _sort(key, starts, size)
        del key, starts
        new = np.empty(sorted_key.size, dtype=bool)
        if sorted_key.size:
            new[0] = True
            np.not_equal(sorted_key[1:], sorted_key[:-1], out=new[1:])
        del sorted_key
        if order < ORDERS[-1]:
            ranks = np.cumsum(new, dtype=np.int64)
            ranks -= 1
            prefix_rank[index] = ranks
            del ranks
        grams = _postings(order, corpus, index, new)
        del new, index
        if order == ORDERS[-1]:
            del prefix_rank, rank
        yield grams


def _sort(key: Any, index: Any, size: int) -> tuple[Any, Any]:
    """``(key, index)`` pairs sorted by key, then index: one sort of one uint64 per pair
    where both fit, else a stable argsort. ``key`` and ``index`` are non-negative int64
    arrays; ``key`` is overwritten (packed in place, no copies)."""
    bits = max(int(size).bit_length(), 1)
    top = int(key.max()) if key.size else 0
    if top.bit_length() + bits <= 64:
        packed = key.view(np.uint64)
        packed <<= np.uint64(bits)
        packed |= index.view(np.uint64)
        packed.sort()
        mask = np.uint64((1 << bits) - 1)
        index = np.bitwise_and(packed, mask).view(np.int64)
        packed >>= np.uint64(bits)
        return packed, index
    order = np.argsort(key, kind="stable")
    return key[order], index[order]


def _postings(order: int, corpus: Corpus, index: Any, new_gram: Any) -> Grams:
    """Group sorted occurrences into postings (gram, field, document)."""
    docs = corpus.docs
    segment = corpus.segment[index]  # (field, doc) text of each occurrence
    new = new_gram.copy()
    if segment.size > 1:
        new[1:] |= segment[1:] != segment[:-1]
    first = np.flatnonzero(new)  # each posting's first occurrence
    count = np.diff(first, append=index.size).astype(np.int32)
    seg = segment[first]
    del segment, new
    last = order == ORDERS[-1]
    runs = corpus.run[index] if last else None
    offsets = corpus.offset[index] if last else None
    terms = np.flatnonzero(new_gram)
    # the postings that start a gram (every gram's first occurrence starts a posting)
    term_postings = np.append(np.flatnonzero(new_gram[first]), first.size)
    starts_at = index[terms]
    codes = np.empty((terms.size, order), dtype=np.uint32)
    for j in range(order):
        codes[:, j] = corpus.cps[starts_at + j]
    return Grams(
        order=order,
        codes=codes,
        term_postings=term_postings,
        field=(seg // docs).astype(np.uint8),
        doc=(seg % docs).astype(np.int32, copy=False),
        count=count,
        runs=runs,
        offsets=offsets,
    )
