"""Writing the bulk writer's blocks into Whoosh's files: each term's postings stream
(as ``W3PostingsWriter`` lays it out) and its entry in the terms table (Whoosh's
ordered hash file), in bulk with numpy."""

from __future__ import annotations

from array import array
from collections.abc import Callable
from typing import Any

import numpy as np
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC
from whoosh.system import pack_ushort

from search.whoosh.blocks import MARK, Blocks, int_sizes, put_ints, within

#: ``W3TermInfo.to_bytes`` of a term whose postings are in the postings file:
#: ``!BfIBBfII``, then the postings' offset (``!q``) and length (``!i``).
TERMINFO_DTYPE = [
    ("inlined", "u1"),
    ("weight", ">f4"),
    ("docs", ">u4"),
    ("min_length", "u1"),
    ("max_length", "u1"),
    ("max_weight", ">f4"),
    ("min_id", ">u4"),
    ("max_id", ">u4"),
    ("offset", ">i8"),
    ("length", ">i4"),
]
#: numpy dtypes of the array typecodes GrowableArray uses (native byte order).
_ARRAY_DTYPES = {"B": "u1", "H": "u2", "i": "i4", "I": "u4", "l": "i8", "q": "i8"}


def write_blocks(
    postfile: Any, blocks: Blocks, compress: tuple[Callable[..., bytes], int], small: int
) -> list[int]:
    """Write the terms' postings streams: a header, then per block its length (negative
    for the last), its info (pickled at protocol 2: postings, last docnum, highest
    weight, compression, shortest and longest field length as bytes) and its data,
    compressed when it is ``small`` bytes or more (one call per block). Returns each
    term's offset in the postings file, then the end of the last."""
    function, level = compress
    big = np.flatnonzero(blocks.size >= small)
    data = memoryview(blocks.data)
    packed = [
        function(data[o : o + n], level)
        for o, n in zip(blocks.offset[big].tolist(), blocks.size[big].tolist(), strict=True)
    ]
    dsize = blocks.size.copy()
    dsize[big] = [len(p) for p in packed]
    isize = 3 + int_sizes(blocks.count) + int_sizes(blocks.last_id) + 9 + 6 + 4
    rsize = 4 + isize + dsize  # a block's record: length, info, data
    first = blocks.term_blocks[:-1]
    bterm = np.repeat(np.arange(first.size), np.diff(blocks.term_blocks))
    tsize = len(WHOOSH3_HEADER_MAGIC) + np.add.reduceat(rsize, first)
    tstart = np.cumsum(tsize) - tsize
    out = np.empty(int(tsize.sum()), dtype=np.uint8)
    out[tstart[:, None] + np.arange(4)] = np.frombuffer(WHOOSH3_HEADER_MAGIC, np.uint8)
    rstart = tstart[bterm] + 4 + within(rsize, first, bterm)
    length = isize + dsize
    length[blocks.term_blocks[1:] - 1] *= -1
    out[rstart[:, None] + np.arange(4)] = length.astype(">i4").view(np.uint8).reshape(-1, 4)
    levels = np.zeros(blocks.size.size, dtype=np.int64)
    levels[big] = level
    _put_infos(out, rstart + 4, blocks, levels)
    dstart = rstart + 4 + isize
    _put_data(out, dstart, blocks, small)
    for d, p in zip(dstart[big].tolist(), packed, strict=True):
        out[d : d + len(p)] = np.frombuffer(p, dtype=np.uint8)
    at = postfile.tell()
    postfile.write(memoryview(out))
    return [*(at + tstart).tolist(), at + out.size]


def _put_infos(out: Any, info: Any, blocks: Blocks, levels: Any) -> None:
    """Each block's info tuple, pickled at protocol 2."""
    count_size = int_sizes(blocks.count)
    out[info] = 0x80
    out[info + 1] = 2
    out[info + 2] = ord(MARK)
    put_ints(out, info + 3, blocks.count)
    put_ints(out, info + 3 + count_size, blocks.last_id)
    g = info + 3 + count_size + int_sizes(blocks.last_id)
    out[g] = ord("G")
    weight = blocks.max_weight.astype(">f8").view(np.uint8).reshape(-1, 8)
    out[g[:, None] + np.arange(1, 9)] = weight
    for i, values in enumerate((levels, blocks.min_length, blocks.max_length)):
        out[g + 9 + 2 * i] = ord("K")
        out[g + 10 + 2 * i] = values
    out[g[:, None] + np.arange(15, 19)] = np.frombuffer(b"tq\x00.", np.uint8)


def _put_data(out: Any, dstart: Any, blocks: Blocks, small: int) -> None:
    """The blocks stored uncompressed, copied in one indexing operation."""
    which = np.flatnonzero(blocks.size < small)
    n = blocks.size[which]
    step = np.arange(int(n.sum()))
    shift = np.cumsum(n) - n
    out[np.repeat(dstart[which] - shift, n) + step] = blocks.data[
        np.repeat(blocks.offset[which] - shift, n) + step
    ]


def add_terms(tindex: Any, fieldid: int, blocks: Blocks, starts: list[int]) -> None:
    """``tindex.add(prefix + term, terminfo)`` for the terms of ``blocks`` (in order),
    in bulk: the records (``!ii`` lengths, key, value) in one write, their positions
    in the ordered index, and (hash, position) kept in arrays for :func:`write_hashes`
    instead of a tuple each in Whoosh's per-bucket lists. ``starts``: each term's
    offset in the postings file, then the end of the last."""
    prefix = pack_ushort(fieldid)
    keys = [prefix + term for term in blocks.terms]
    if not keys:
        return
    if keys[0] <= tindex.lastkey:
        raise ValueError(f"Keys must increase: {tindex.lastkey!r}..{keys[0]!r}")
    out, rstart = _term_records(keys, _term_infos(blocks, starts))
    dbfile = tindex.dbfile
    positions = rstart + dbfile.tell()
    dbfile.write(out.tobytes())
    index = tindex.index  # GrowableArray of the records' positions, in key order
    last = int(positions[-1])
    try:
        array(index.typecode, [last])
    except OverflowError:
        index._retype(last)
    if isinstance(index.array, array):
        index.array.frombytes(positions.astype(_ARRAY_DTYPES[index.array.typecode]).tobytes())
    else:
        index.array.extend(positions.tolist())
    hashes = np.fromiter(map(tindex.hashfn, keys), dtype=np.uint64, count=len(keys))
    tindex._bulk.append((hashes, positions))
    tindex.lastkey = keys[-1]


def _term_infos(blocks: Blocks, starts: list[int]) -> Any:
    values = np.zeros(len(blocks.terms), dtype=TERMINFO_DTYPE)
    values["weight"] = blocks.term_weight
    values["docs"] = blocks.term_docs
    values["min_length"] = blocks.term_min_length
    values["max_length"] = blocks.term_max_length
    values["max_weight"] = blocks.term_max_weight
    values["min_id"] = blocks.term_min_id
    values["max_id"] = blocks.term_max_id
    ends = np.asarray(starts, dtype=np.int64)
    values["offset"] = ends[:-1]
    values["length"] = np.diff(ends)
    return values


def _term_records(keys: list[bytes], values: Any) -> tuple[Any, Any]:
    """The hash file's records (``!ii`` key and value lengths, key, value) laid out in
    one array, and each record's offset in it."""
    count = len(keys)
    vsize = values.dtype.itemsize
    klen = np.fromiter(map(len, keys), dtype=np.int64, count=count)
    rsize = 8 + klen + vsize
    rstart = np.cumsum(rsize) - rsize
    out = np.empty(int(rsize.sum()), dtype=np.uint8)
    lengths = np.empty((count, 2), dtype=">i4")
    lengths[:, 0] = klen
    lengths[:, 1] = vsize
    out[rstart[:, None] + np.arange(8)] = lengths.view(np.uint8).reshape(count, 8)
    kbytes = np.frombuffer(b"".join(keys), dtype=np.uint8)
    kstart = np.cumsum(klen) - klen
    out[np.repeat(rstart + 8 - kstart, klen) + np.arange(kbytes.size)] = kbytes
    at = (rstart + 8 + klen)[:, None] + np.arange(vsize)
    out[at] = values.view(np.uint8).reshape(count, vsize)
    return out, rstart


def write_hashes(self: Any) -> None:
    """``HashWriter._write_hashes`` (bound to a field writer's terms table) with the
    entries of :func:`add_terms` too, and each bucket's table laid out with numpy:
    256 tables of twice as many (hash, position) slots as entries, an entry at the
    first free slot from (hash >> 8) % slots on (wrapping), (0, 0) for a free slot.
    The order entries are placed in differs from Whoosh's, so a table may differ;
    any such table answers a lookup the same (it probes from the home slot to the
    first free one)."""
    own = [entry for bucket in self.buckets for entry in bucket]
    hashes = [np.asarray([h for h, _ in own], dtype=np.uint64), *(h for h, _ in self._bulk)]
    positions = [np.asarray([p for _, p in own], dtype=np.int64), *(p for _, p in self._bulk)]
    allh, allp = np.concatenate(hashes), np.concatenate(positions)
    bucket = allh & 255
    order = np.argsort(bucket, kind="stable")
    allh, allp, bucket = allh[order], allp[order], bucket[order]
    bounds = np.searchsorted(bucket, np.arange(257)).tolist()
    dbfile = self.dbfile
    for b in range(256):
        lo, hi = bounds[b], bounds[b + 1]
        self.directory.append((dbfile.tell(), 2 * (hi - lo)))
        if hi > lo:
            dbfile.write(_hash_table(allh[lo:hi], allp[lo:hi]))


def _hash_table(h: Any, p: Any) -> bytes:
    """One bucket's table of (hash, position) slots, linear probing."""
    n = h.size
    slots = 2 * n
    home = ((h >> np.uint64(8)) % np.uint64(slots)).astype(np.int64)
    by_home = np.argsort(home, kind="stable")
    home, h, p = home[by_home], h[by_home], p[by_home]
    idx = np.arange(n)
    slot = np.maximum.accumulate(home - idx) + idx  # the first free slot from home
    over = slot >= slots
    if over.any():  # wrapped past the end: the lowest free slots, in order
        free = np.setdiff1d(np.arange(slots), slot[~over], assume_unique=True)
        slot[over] = free[: int(over.sum())]
    table = np.zeros(slots, dtype=[("hash", ">u4"), ("position", ">i8")])
    table["hash"][slot] = h
    table["position"][slot] = p
    return table.tobytes()
