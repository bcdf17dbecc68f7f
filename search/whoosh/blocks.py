"""The posting blocks of a segment's bigram fields, laid out with numpy.

Whoosh's ``W3PostingsWriter._write_block`` pickles one block of a term's postings at a
time: ``(delta-encoded docnums, weights, encoded positions)``. Here every bigram
occurrence of a segment is sorted at once and the pickles of all blocks are laid out in
one byte array, byte for byte what pickle writes (protocol 4 for the data), without a
Python object per posting. ``tests/search/test_whoosh_writer.py`` compares the result with
Whoosh's own writer; :mod:`search.whoosh.guard` checks it at import.
"""

from __future__ import annotations

import functools
import sys
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from search.analysis import RUN_END

#: pickle's batch of list items: a list of more than one item is pickled as MARK,
#: at most this many items, APPENDS, and again (``batch_list_exact`` in _pickle.c).
PICKLE_BATCH = 1000
MARK, APPEND, APPENDS, TUPLE, TUPLE3, STOP = b"(", b"a", b"e", b"t", b"\x87", b"."
#: ``Positions`` value of one posting after its 4-byte count: ``pickle.dumps(deltas, 2)``
#: starts with PROTO 2, EMPTY_LIST, BINPUT 0.
LIST_HEAD = b"\x80\x02]q\x00"
#: Array elements computed at a time where a whole-segment temporary would be large.
_STEP = 1 << 20
#: Occurrences whose blocks are laid out at a time (~80 bytes of temporaries each),
#: and at most so many terms (a few Python objects each until they are written).
_ENCODE_STEP = 1 << 18
_ENCODE_TERMS = 1 << 14


def put_ints(out: Any, at: Any, values: Any) -> None:
    """Pickle the non-negative ints ``values`` (< 2**31) at byte offsets ``at`` of
    ``out``: BININT1 (``K``), BININT2 (``M``) or BININT (``J``), as pickle does."""
    small = values < 256
    at_k, v = at[small], values[small]
    out[at_k] = ord("K")
    out[at_k + 1] = v
    mid = ~small & (values < 65536)
    at_m, v = at[mid], values[mid]
    out[at_m] = ord("M")
    out[at_m + 1] = v & 255
    out[at_m + 2] = v >> 8
    big = values >= 65536
    if big.any():
        at_j, v = at[big], values[big]
        out[at_j] = ord("J")
        for i in range(4):
            out[at_j + 1 + i] = (v >> (8 * i)) & 255


def int_sizes(values: Any) -> Any:
    """Bytes of each pickled int of :func:`put_ints` (opcode included)."""
    return np.where(values < 256, 2, np.where(values < 65536, 3, 5))


def within(sizes: Any, starts: Any, group: Any) -> Any:
    """Exclusive running sum of ``sizes`` inside each group (groups are consecutive
    runs beginning at the indexes ``starts``; ``group`` is each item's group)."""
    total = np.cumsum(sizes)
    total -= sizes
    return total - total[starts][group]


@functools.lru_cache(maxsize=1)
def _length_table() -> Any:
    from whoosh.util.numeric import byte_to_length

    return np.array([byte_to_length(b) for b in range(256)], dtype=np.int64)


def length_bytes(lengths: Any) -> Any:
    """``whoosh.util.numeric.length_to_byte`` of each length: the first byte whose
    length is not smaller (255 past the last)."""
    return np.minimum(np.searchsorted(_length_table(), lengths, side="left"), 255)


@dataclass
class Blocks:
    """The posting blocks of consecutive terms of one field, pickled, not compressed.

    ``data[offset[b]:offset[b] + size[b]]`` is block b's pickle; the other arrays are
    per block, then per term (the statistics ``W3TermInfo.add_block`` gathers)."""

    terms: list[bytes]
    term_blocks: Any  # first block of each term, and the number of blocks at the end
    data: Any  # uint8
    offset: Any
    size: Any
    count: Any
    last_id: Any
    max_weight: Any
    min_length: Any  # as length_to_byte
    max_length: Any
    term_weight: Any
    term_docs: Any
    term_min_length: Any  # as length_to_byte
    term_max_length: Any
    term_max_weight: Any
    term_min_id: Any
    term_max_id: Any


# --------------------------------------------------------------------------- sorting


def _dense_codes(texts: list[str]) -> tuple[Any, Any, Any, Any]:
    """The code points of ``texts`` joined, as ranks among the code points present;
    returns (sizes of the texts, present code points sorted, ranks, offsets of the
    line breaks that are not the last character). ``texts`` is emptied."""
    sizes = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    raw = "".join(texts).encode("utf-32-le")
    texts.clear()
    cps = np.frombuffer(raw, dtype=np.uint32)
    rank = np.zeros(0x110000, dtype=np.uint32)
    rank[cps] = 1
    chars = np.flatnonzero(rank)
    rank[chars] = np.arange(chars.size, dtype=np.uint32)
    dense = rank[cps]
    ends = np.flatnonzero(cps[:-1] == ord(RUN_END))  # a line break starts no term
    return sizes, chars, dense, ends


def _sort_packed(dense: Any, ends: Any, nchars: int, count: int) -> tuple[Any, Any]:
    """(term key, index) sorted, as one uint64 per occurrence, (key << 32) | index:
    one sort, no argsort. The term key of index i is dense[i] * nchars + dense[i+1]."""
    total = dense.size
    key = np.empty(total - 1, dtype=np.uint64)
    for at in range(0, total - 1, _STEP):
        end = min(at + _STEP, total - 1)
        part = dense[at:end].astype(np.uint64)
        part *= nchars
        part += dense[at + 1 : end + 1]
        part <<= np.uint64(32)
        part |= np.arange(at, end, dtype=np.uint64)
        key[at:end] = part
    key[ends] = np.uint64(nchars * nchars) << np.uint64(32)  # after every term
    key.sort(kind="stable")  # timsort: runs of a text's repeated bigrams; ~15% faster
    key = key[:count]
    if sys.byteorder == "little":  # the halves in place: (index, term key) pairs
        halves = key.view(np.uint32).reshape(-1, 2)
        return halves[:, 1], halves[:, 0]
    return (key >> np.uint64(32)).astype(np.uint32), (key & np.uint64(0xFFFFFFFF)).astype(np.uint32)


def _sort_wide(dense: Any, ends: Any, nchars: int) -> tuple[Any, Any]:
    """:func:`_sort_packed` where keys do not fit 32 bits: a stable argsort."""
    valid = np.ones(dense.size - 1, dtype=bool)
    valid[ends] = False
    index = np.flatnonzero(valid)
    term_key = dense[index].astype(np.int64) * nchars + dense[index + 1]
    order = np.argsort(term_key, kind="stable")
    return term_key[order], index[order]


def occurrences(texts: list[str]) -> tuple[Any, int, Any, Any, Any]:
    """Every term occurrence of ``texts``, sorted by (term, text, position).

    ``texts[i]`` is a document's :func:`~search.analysis.positioned` text plus
    :data:`~search.analysis.RUN_END`, so index = position: every character but a line
    break starts a term (a bigram, or a run-end term where the next one is the line
    break). Returns the code points present (sorted), their count n, and per
    occurrence its term key (first unit's rank * n + second unit's rank, so that key
    order is the terms' UTF-8 order), text index (int32) and position.
    ``texts`` is emptied (its memory is what the arrays reuse)."""
    sizes, chars, dense, ends = _dense_codes(texts)
    nchars, total = chars.size, dense.size
    count = total - 1 - ends.size
    if nchars * nchars < 1 << 32 and total < 1 << 32:
        term_key, index = _sort_packed(dense, ends, nchars, count)
    else:  # very many distinct characters or a huge segment
        term_key, index = _sort_wide(dense, ends, nchars)
    del dense, ends
    starts = np.cumsum(sizes) - sizes
    text_of = np.repeat(np.arange(sizes.size, dtype=np.int32), sizes)
    doc = np.empty(count, dtype=np.int32)
    for at in range(0, count, _STEP):  # the index becomes the position, in place
        part = index[at : at + _STEP]
        which = text_of[part]
        doc[at : at + part.size] = which
        part -= starts[which].astype(index.dtype)
    return chars, nchars, term_key, doc, index


def _starts(keys: Any, *more: Any) -> Any:
    """Indexes where ``keys`` (or any of ``more``) differs from the item before."""
    new = np.empty(keys.size, dtype=bool)
    new[0] = True
    np.not_equal(keys[1:], keys[:-1], out=new[1:])
    for other in more:
        new[1:] |= other[1:] != other[:-1]
    return np.flatnonzero(new)


def gram_blocks(
    texts: list[str], docnums: array, lengths: array, boost: float, limit: int
) -> Iterator[Blocks]:
    """The posting blocks of a bigram field over a segment's documents, a few thousand
    terms at a time, in term order.

    ``texts``, ``docnums`` and ``lengths``: each document's text (as
    :func:`occurrences` takes it; the list is emptied), docnum and field length.
    The occurrences are sorted once for the whole segment; the blocks' pickles are
    then laid out for about :data:`_ENCODE_STEP` occurrences at a time."""
    chars, nchars, term_key, doc, pos = occurrences(texts)
    count = term_key.size
    if not count:
        return
    pstart = _starts(term_key, doc).astype(np.int32)  # each posting's first occurrence
    npost = pstart.size
    pdoc, pkey = doc[pstart], term_key[pstart]
    del doc, term_key
    pos = pos.astype(np.int32)  # a copy: the sort's array (term key, position) goes
    freq = np.diff(pstart, append=np.int32(count))
    pid = np.frombuffer(docnums, dtype=np.int64)[pdoc].astype(np.int32)
    plen = np.frombuffer(lengths, dtype=np.int64)[pdoc].astype(np.int32)
    del pdoc
    tstart = _starts(pkey)  # each term's first posting
    tkey, tcount, toccur = pkey[tstart], np.diff(tstart, append=npost), pstart[tstart]
    del pkey
    nterms = tstart.size
    t0 = 0
    while t0 < nterms:
        t1 = int(np.searchsorted(toccur, toccur[t0] + _ENCODE_STEP, side="left"))
        t1 = min(max(t1, t0 + 1), t0 + _ENCODE_TERMS, nterms)
        p0, p1 = int(tstart[t0]), int(tstart[t1]) if t1 < nterms else npost
        o0, o1 = int(pstart[p0]), int(pstart[p1]) if p1 < npost else count
        postings = _Postings(tcount[t0:t1], pstart[p0:p1] - o0, freq[p0:p1], pid[p0:p1])
        yield encode_blocks(
            term_bytes(tkey[t0:t1], chars, nchars), postings, plen[p0:p1], pos[o0:o1], boost, limit
        )
        t0 = t1


def term_bytes(keys: Any, chars: Any, nchars: int) -> list[bytes]:
    """The UTF-8 text of each term key (first unit * nchars + second unit)."""
    pairs = np.empty((keys.size, 2), dtype=np.uint32)
    pairs[:, 0] = chars[keys // nchars]
    pairs[:, 1] = chars[keys % nchars]
    text = pairs.tobytes().decode("utf-32-le")
    return [text[i : i + 2].encode("utf-8") for i in range(0, len(text), 2)]


# --------------------------------------------------------------------------- pickling


@dataclass
class _Postings:
    """Postings of consecutive terms: per term how many; per posting its first
    occurrence (in the positions array), frequency and docnum."""

    tcount: Any
    pstart: Any
    freq: Any
    pid: Any


@dataclass
class _Layout:
    """Where each block's pickle and its parts go in the output array."""

    limit: int
    tstart: Any  # each term's first posting
    bstart: Any  # each block's first posting
    bcount: Any  # postings per block
    pblock: Any  # each posting's block
    slot: Any  # each posting's index inside its block
    weight: Any  # each posting's weight, float32
    ones: Any  # per block: every weight 1.0 (pickled as None)
    same: Any  # per block: one weight for all (pickled as one float)
    idv: Any  # the docnums, delta-encoded inside a block
    idsize: Any
    boff: Any  # each block's offset, size, and where its weights and values start
    bsize: Any
    wat: Any
    vat: Any


def _layout(p: _Postings, vbytes: Any, boost: float, limit: int) -> _Layout:
    """Block boundaries and sizes; ``vbytes``: the pickled size of each posting's value
    (with its BINBYTES head)."""
    npost = p.pstart.size
    tstart = np.cumsum(p.tcount) - p.tcount
    slot = np.arange(npost) - tstart[np.repeat(np.arange(tstart.size), p.tcount)]
    bnew = slot % limit == 0
    bstart = np.flatnonzero(bnew)
    pblock = np.cumsum(bnew) - 1
    bcount = np.diff(bstart, append=npost)
    weight = (p.freq * boost).astype(np.float32)  # Whoosh's array("f")
    bmaxw, bminw = np.maximum.reduceat(weight, bstart), np.minimum.reduceat(weight, bstart)
    ones = (bmaxw == 1.0) & (bminw == 1.0)
    same = ~ones & (bmaxw == bminw)
    wsize = np.where(ones, 1, np.where(same, 9, 2 + 9 * bcount))
    idv = p.pid.copy()
    idv[1:] -= p.pid[:-1]
    idv[bstart] = p.pid[bstart]
    idsize = int_sizes(idv)
    bidsize = np.add.reduceat(idsize, bstart)
    bsize = 3 + bidsize + 1 + wsize + 1 + np.add.reduceat(vbytes, bstart) + 3
    boff = np.cumsum(bsize) - bsize
    wat = boff + 3 + bidsize + 1
    vat = wat + wsize + 1
    return _Layout(
        limit, tstart, bstart, bcount, pblock, slot, weight, ones, same, idv, idsize,
        boff, bsize, wat, vat,
    )  # fmt: skip


def _put_frames(out: Any, lay: _Layout) -> None:
    """Each block: PROTO 4, MARK ids TUPLE, weights, MARK values TUPLE, TUPLE3, STOP;
    the ids delta-encoded."""
    out[lay.boff] = 0x80
    out[lay.boff + 1] = 4
    out[lay.boff + 2] = ord(MARK)
    out[lay.wat - 1] = ord(TUPLE)
    out[lay.vat - 1] = ord(MARK)
    bend = lay.boff + lay.bsize
    out[bend - 3] = ord(TUPLE)
    out[bend - 2] = ord(TUPLE3)
    out[bend - 1] = ord(STOP)
    put_ints(out, lay.boff[lay.pblock] + 3 + within(lay.idsize, lay.bstart, lay.pblock), lay.idv)


def _put_weights(out: Any, lay: _Layout) -> None:
    """A block's weights: None (all 1.0), one float, or a tuple of floats (BINFLOAT,
    big-endian double)."""
    wat = lay.wat
    out[wat[lay.ones]] = ord("N")
    one_at = wat[lay.same]
    out[one_at] = ord("G")
    first = np.maximum.reduceat(lay.weight, lay.bstart)[lay.same]
    out[one_at[:, None] + np.arange(1, 9)] = first.astype(">f8").view(np.uint8).reshape(-1, 8)
    many = ~(lay.ones | lay.same)
    out[wat[many]] = ord(MARK)
    out[wat[many] + 1 + 9 * lay.bcount[many]] = ord(TUPLE)
    pmany = many[lay.pblock]
    at_w = wat[lay.pblock[pmany]] + 1 + 9 * (lay.slot[pmany] % lay.limit)
    out[at_w] = ord("G")
    every = lay.weight[pmany].astype(">f8").view(np.uint8).reshape(-1, 8)
    out[at_w[:, None] + np.arange(1, 9)] = every


@dataclass
class _Values:
    """Each posting's ``Positions`` value: its 4-byte count and ``pickle.dumps(deltas,
    2)``, as SHORT_BINBYTES or BINBYTES in the block."""

    op: Any  # each occurrence's posting
    delta: Any  # each occurrence's position delta
    isize: Any  # its pickled size
    mark: Any  # a MARK before it (a batch of a list of more than one starts)
    close: Any  # APPEND(S) after it (a batch ends)
    osize: Any
    vsize: Any  # each value's size
    vhead: Any  # its BINBYTES head's size


def _values(p: _Postings, pos: Any) -> _Values:
    npost, count = p.pstart.size, pos.size
    op = np.repeat(np.arange(npost, dtype=np.int32), p.freq)
    j = np.arange(count, dtype=np.int32) - p.pstart[op].astype(np.int32)
    delta = pos.copy()
    delta[1:] -= pos[:-1]
    delta[p.pstart] = pos[p.pstart]
    ofreq = p.freq[op]
    mark = ((j % PICKLE_BATCH) == 0) & (ofreq > 1)
    close = ((j % PICKLE_BATCH) == PICKLE_BATCH - 1) | (j == ofreq - 1)
    isize = int_sizes(delta)
    osize = isize + mark + close
    vsize = 4 + len(LIST_HEAD) + np.add.reduceat(osize, p.pstart) + 1
    vhead = np.where(vsize < 256, 2, 5)
    return _Values(op, delta, isize, mark, close, osize, vsize, vhead)


def _put_values(out: Any, lay: _Layout, p: _Postings, v: _Values) -> None:
    vstart = lay.vat[lay.pblock] + within(v.vhead + v.vsize, lay.bstart, lay.pblock)
    short = v.vhead == 2
    out[vstart[short]] = ord("C")
    out[vstart[short] + 1] = v.vsize[short]
    if not short.all():
        at_b, size = vstart[~short], v.vsize[~short]
        out[at_b] = ord("B")
        for i in range(4):
            out[at_b + 1 + i] = (size >> (8 * i)) & 255
    value = vstart + v.vhead
    head = np.empty((p.pstart.size, 4 + len(LIST_HEAD)), dtype=np.uint8)  # count, list head
    head[:, :4] = p.freq.astype(">u4").view(np.uint8).reshape(-1, 4)
    head[:, 4:] = np.frombuffer(LIST_HEAD, dtype=np.uint8)
    out[value[:, None] + np.arange(head.shape[1])] = head
    out[value + v.vsize - 1] = ord(STOP)
    item = value[v.op] + (4 + len(LIST_HEAD)) + within(v.osize, p.pstart, v.op) + v.mark
    out[item[v.mark] - 1] = ord(MARK)
    put_ints(out, item, v.delta)
    after = item[v.close] + v.isize[v.close]
    out[after] = np.where(p.freq[v.op[v.close]] > 1, ord(APPENDS), ord(APPEND))


def encode_blocks(
    terms: list[bytes], p: _Postings, plen: Any, pos: Any, boost: float, limit: int
) -> Blocks:
    """Blocks of ``limit`` postings of consecutive terms, pickled into one byte array.
    ``plen``: each posting's field length; ``pos``: each occurrence's position."""
    values = _values(p, pos)
    lay = _layout(p, values.vhead + values.vsize, boost, limit)
    out = np.empty(int(lay.bsize.sum()), dtype=np.uint8)
    _put_frames(out, lay)
    _put_weights(out, lay)
    _put_values(out, lay, p, values)
    bstart, bcount, tstart, freq, pid = lay.bstart, lay.bcount, lay.tstart, p.freq, p.pid
    return Blocks(
        terms=terms,
        term_blocks=np.concatenate(([0], np.cumsum((p.tcount + limit - 1) // limit))),
        data=out,
        offset=lay.boff,
        size=lay.bsize,
        count=bcount,
        last_id=pid[bstart + bcount - 1],
        max_weight=np.maximum.reduceat(freq, bstart) * boost,
        min_length=length_bytes(np.minimum.reduceat(plen, bstart)),
        max_length=length_bytes(np.maximum.reduceat(plen, bstart)),
        term_weight=np.add.reduceat(freq * boost, tstart),
        term_docs=p.tcount,
        term_min_length=length_bytes(np.minimum.reduceat(plen, tstart)),
        term_max_length=length_bytes(np.maximum.reduceat(plen, tstart)),
        term_max_weight=np.maximum.reduceat(freq, tstart) * boost,
        term_min_id=pid[tstart],
        term_max_id=pid[tstart + p.tcount - 1],
    )
