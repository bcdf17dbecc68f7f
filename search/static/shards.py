"""Grams' records grouped into shard files by a hash of the gram, big records apart.

A query needs the records of a few grams. Each gram's record is found in the shard of
its hash (FNV-1a of its code points, modulo the shard count), which a reader fetches
whole: the shard is also the dictionary (each gram's document counts per field, which
plan the query rarest first). A record over :data:`BIG_RECORD` bytes is a file of its
own (two: documents and positions), fetched only when the plan needs it, so a shard
stays small and a query pays for the big records it uses, not its neighbours'.

Shard file (varints): the number of grams; per gram its order, code points, document
count per field and ``L`` (even: the record follows inline, ``L / 2`` bytes; odd: the
record is big, entry ``(L - 1) / 2`` of the big table); the number of big entries; per
big entry the name of its part A (two 32-bit halves), its length, the name of part B
(0, 0 without one) and its length; then the inline records, in the grams' order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from search.static import varint
from search.static.records import Records

#: A record larger than this (bytes, before compression) is a file of its own. Measured
#: at 5,000 bench articles (bench/static_search.py): see docs/search.md.
BIG_RECORD = 1024
#: Shards are sized for about this many bytes of inline records each (a power of two
#: of shards; the count depends on the whole corpus, so a build and a rebuild agree).
SHARD_BYTES = 8192

FNV_OFFSET = 0x811C9DC5
FNV_PRIME = 0x01000193


def fnv1a(codes: Any) -> Any:
    """FNV-1a (32-bit) of each row of code points (uint32 array, (n, order))."""
    h = np.full(codes.shape[0], FNV_OFFSET, dtype=np.uint64)
    mask = np.uint64(0xFFFFFFFF)
    for j in range(codes.shape[1]):
        h ^= codes[:, j].astype(np.uint64)
        h = (h * np.uint64(FNV_PRIME)) & mask
    return h


def fnv1a_one(codes: list[int]) -> int:
    h = FNV_OFFSET
    for cp in codes:
        h = ((h ^ cp) * FNV_PRIME) & 0xFFFFFFFF
    return h


def shard_count(records: list[Records]) -> tuple[int, int]:
    """A power of two, from the bytes of the records that stay inline; and those bytes."""
    inline = 0
    for rec in records:
        lengths = rec.lengths()
        inline += int(lengths[lengths <= BIG_RECORD].sum())
    return count_for(inline), inline


def count_for(inline: int) -> int:
    count = 1
    while count * SHARD_BYTES < inline:
        count *= 2
    return count


@dataclass
class Big:
    """One big record's parts (A: documents and counts; B: positions, maybe empty), or
    where they are stored already: each part's name (hex; "" for none) and length."""

    a: bytes
    b: bytes
    stored: tuple[tuple[str, int], tuple[str, int]] | None = None

    def lengths(self) -> tuple[int, int]:
        if self.stored is not None:
            return self.stored[0][1], self.stored[1][1]
        return len(self.a), len(self.b)


@dataclass
class Shard:
    number: int
    header: bytes  # the header and big table, without the big parts' names
    big: list[Big]
    data: bytes

    def content(self, names: list[tuple[str, str]]) -> bytes:
        """The shard's bytes, given the names (hex) of its big records' parts."""
        table: list[int] = [len(self.big)]
        for (name_a, name_b), big in zip(names, self.big, strict=True):
            for name, length in zip((name_a, name_b), big.lengths(), strict=True):
                value = int(name, 16) if name else 0
                table += [value >> 32, value & 0xFFFFFFFF, length]
        return self.header + varint.encode(table) + self.data


def build_shards(records: list[Records], count: int) -> list[Shard]:
    """Every gram's header and record, grouped by shard (grams in order, then in their
    order's sort order). Each order's headers and inline records are encoded at once,
    in shard order, and cut into each shard's part (not encoded shard by shard)."""
    heads: list[list[bytes]] = [[] for _ in range(count)]
    data: list[list[bytes]] = [[] for _ in range(count)]
    bigs: list[list[Big]] = [[] for _ in range(count)]
    grams = np.zeros(count, dtype=np.int64)
    for rec in records:
        shard = (fnv1a(rec.codes) % np.uint64(count)).astype(np.int64)
        order = np.argsort(shard, kind="stable")
        shard = shard[order]
        bounds = np.searchsorted(shard, np.arange(count + 1))
        rows = _header_rows(rec, order)
        is_big = rows[:, -1] == 1
        big = np.flatnonzero(is_big)
        big_shard = shard[big]
        before = np.fromiter(map(len, bigs), dtype=np.int64, count=count)[big_shard]
        rank = np.arange(big.size, dtype=np.int64) - np.searchsorted(big_shard, big_shard)
        rows[big, -1] = (2 * (before + rank) + 1).astype(np.uint64)
        for t, s in zip(order[big].tolist(), big_shard.tolist(), strict=True):
            a = rec.a[rec.a_start[t] : rec.a_start[t + 1]].tobytes()
            bigs[s].append(Big(a, rec.b[rec.b_start[t] : rec.b_start[t + 1]].tobytes()))
        head, head_at = _encode_rows(rows)
        inline_at = np.zeros(order.size + 1, dtype=np.int64)
        np.cumsum(np.where(is_big, 0, rec.lengths()[order]), out=inline_at[1:])
        inline = _inline(rec, order[~is_big])
        del rows, is_big
        for s in np.flatnonzero(np.diff(bounds)).tolist():
            lo, hi = bounds[s], bounds[s + 1]
            heads[s].append(head[head_at[lo] : head_at[hi]])
            data[s].append(inline[inline_at[lo] : inline_at[hi]])
        grams += np.diff(bounds)
    counts, counts_at = _encode_rows(grams.reshape(-1, 1))
    return [
        Shard(
            s,
            counts[counts_at[s] : counts_at[s + 1]] + b"".join(heads[s]),
            bigs[s],
            b"".join(data[s]),
        )
        for s in range(count)
    ]


def _encode_rows(rows: Any) -> tuple[bytes, list[int]]:
    """The varints of a 2-D array's values, row after row, and where each row's start
    (then the end)."""
    values = rows.reshape(-1)
    sizes = varint.sizes(values)
    at = np.zeros(rows.shape[0] + 1, dtype=np.int64)
    np.cumsum(sizes.reshape(rows.shape).sum(axis=1, dtype=np.int64), out=at[1:])
    return varint.encode_array(values, sizes).tobytes(), at.tolist()


def _header_rows(rec: Records, terms: Any) -> Any:
    """Per gram of ``terms`` (indexes in ``rec``): order, code points, documents per
    field, and L (1 where the record is big: set to its entry in the shard)."""
    length = rec.lengths()[terms]
    rows = np.empty((terms.size, 1 + rec.order + rec.df.shape[1] + 1), dtype=np.uint64)
    rows[:, 0] = rec.order
    rows[:, 1 : 1 + rec.order] = rec.codes[terms]
    rows[:, 1 + rec.order : -1] = rec.df[terms]
    rows[:, -1] = np.where(length > BIG_RECORD, 1, length * 2)
    return rows


def _inline(rec: Records, terms: Any) -> bytes:
    """The records of ``terms`` (part A, then part B, for each), one after the other."""
    if not terms.size:
        return b""
    if not rec.b.size:
        return _gather(rec.a, rec.a_start[terms], rec.a_start[terms + 1])
    at = rec.a.size
    starts = np.column_stack((rec.a_start[terms], rec.b_start[terms] + at)).ravel()
    ends = np.column_stack((rec.a_start[terms + 1], rec.b_start[terms + 1] + at)).ravel()
    return _gather(np.concatenate((rec.a, rec.b)), starts, ends)


def _gather(data: Any, starts: Any, ends: Any) -> bytes:
    """The slices ``data[starts[i]:ends[i]]``, concatenated."""
    lengths = (ends - starts).astype(np.int64)
    total = int(lengths.sum())
    if not total:
        return b""
    offsets = np.cumsum(lengths) - lengths
    idx = np.repeat(starts.astype(np.int64) - offsets, lengths) + np.arange(total)
    return data[idx].tobytes()
