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
    order's sort order)."""
    heads = [_header_rows(rec) for rec in records]
    joined = [np.concatenate((rec.a, rec.b)) if rec.b.size else rec.a for rec in records]
    members: list[list[tuple[int, Any]]] = [[] for _ in range(count)]
    for o, rec in enumerate(records):
        shard = (fnv1a(rec.codes) % np.uint64(count)).astype(np.int64)
        order = np.argsort(shard, kind="stable")
        bounds = np.searchsorted(shard[order], np.arange(count + 1))
        for s in np.flatnonzero(np.diff(bounds)).tolist():
            members[s].append((o, order[bounds[s] : bounds[s + 1]]))
    return [_shard(s, members[s], records, heads, joined) for s in range(count)]


def _header_rows(rec: Records) -> Any:
    """Per gram: order, code points, documents per field, and L (1 where the record is
    big: set to its entry in the shard)."""
    terms = rec.codes.shape[0]
    length = rec.lengths()
    rows = np.empty((terms, 1 + rec.order + rec.df.shape[1] + 1), dtype=np.uint64)
    rows[:, 0] = rec.order
    rows[:, 1 : 1 + rec.order] = rec.codes
    rows[:, 1 + rec.order : -1] = rec.df
    rows[:, -1] = np.where(length > BIG_RECORD, 1, length * 2)
    return rows


def _shard(
    number: int,
    members: list[tuple[int, Any]],
    records: list[Records],
    heads: list[Any],
    joined: list[Any],
) -> Shard:
    head_parts: list[bytes] = []
    data_parts: list[bytes] = []
    bigs: list[Big] = []
    for o, idx in members:
        rec = records[o]
        rows = heads[o][idx]
        is_big = rows[:, -1] == 1
        if is_big.any():
            where = np.flatnonzero(is_big)
            rows[where, -1] = 2 * (len(bigs) + np.arange(where.size, dtype=np.uint64)) + 1
            for t in idx[where].tolist():
                a = rec.a[rec.a_start[t] : rec.a_start[t + 1]].tobytes()
                bigs.append(Big(a, rec.b[rec.b_start[t] : rec.b_start[t + 1]].tobytes()))
        head_parts.append(varint.encode(rows.reshape(-1)))
        data_parts.append(_inline(rec, joined[o], idx[~is_big]))
    header = varint.encode([sum(idx.size for _, idx in members)]) + b"".join(head_parts)
    return Shard(number, header, bigs, b"".join(data_parts))


def _inline(rec: Records, both: Any, terms: Any) -> bytes:
    """The records of ``terms`` (part A, then part B, for each), one after the other;
    ``both``: the parts A then the parts B of ``rec``."""
    if not terms.size:
        return b""
    if not rec.b.size:
        return _gather(rec.a, rec.a_start[terms], rec.a_start[terms + 1])
    at = rec.a.size
    starts = np.column_stack((rec.a_start[terms], rec.b_start[terms] + at)).ravel()
    ends = np.column_stack((rec.a_start[terms + 1], rec.b_start[terms + 1] + at)).ravel()
    return _gather(both, starts, ends)


def _gather(data: Any, starts: Any, ends: Any) -> bytes:
    """The slices ``data[starts[i]:ends[i]]``, concatenated."""
    lengths = (ends - starts).astype(np.int64)
    total = int(lengths.sum())
    if not total:
        return b""
    offsets = np.cumsum(lengths) - lengths
    idx = np.repeat(starts.astype(np.int64) - offsets, lengths) + np.arange(total)
    return data[idx].tobytes()
