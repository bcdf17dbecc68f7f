"""Reading shards and records back, and changing one document's postings in them (what
an update does), with numpy: a record is decoded, spliced and encoded as arrays."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from search.static import varint
from search.static.grams import FIELDS, ORDERS
from search.static.records import has_counts

Gram = tuple[int, ...]
#: A document's posting in one field: its count (1 where counts are not kept) and its
#: places, (run, offset) pairs (order 4; else empty).
Posting = tuple[int, tuple[tuple[int, int], ...]]
#: A big record's parts as a shard names them: (name, length) of part A and of part B.
BigNames = tuple[tuple[str, int], tuple[str, int]]


@dataclass
class Entry:
    """A gram of a shard: its documents per field, and its record: inline (``data``:
    both parts), big and stored (``big``: where its parts are) or big and new
    (``parts``: part A and part B)."""

    df: list[int]
    data: bytes | None
    big: BigNames | None
    parts: tuple[bytes, bytes] | None = None


def parse_shard(data: bytes) -> dict[Gram, Entry]:
    """A shard's grams, in the shard's order."""
    raw = np.frombuffer(data, dtype=np.uint8)
    values = varint.decode_array(raw).tolist()
    ends = varint.ends(raw)
    at = 1
    heads = []
    for _ in range(values[0]):
        order = values[at]
        codes = tuple(values[at + 1 : at + 1 + order])
        at += 1 + order
        heads.append((codes, values[at : at + len(FIELDS)], values[at + len(FIELDS)]))
        at += len(FIELDS) + 1
    bigs: list[BigNames] = []
    count, at = values[at], at + 1
    for _ in range(count):
        names = []
        for _part in range(2):
            hi, lo, length = values[at : at + 3]
            at += 3
            names.append((f"{(hi << 32) | lo:016x}" if (hi or lo) else "", length))
        bigs.append((names[0], names[1]))
    byte = int(ends[at - 1])
    out: dict[Gram, Entry] = {}
    for codes, df, length in heads:
        if length & 1:
            out[codes] = Entry(df, None, bigs[(length - 1) // 2])
        else:
            out[codes] = Entry(df, data[byte : byte + length // 2], None)
            byte += length // 2
    return out


@dataclass
class Field:
    """One field's postings of a record: documents (ascending), their counts, and the
    part B values of each document's places (order 4)."""

    docs: Any  # int64
    counts: Any  # int64
    places: list[Any]  # per document: its part B values (int64 arrays)


@dataclass
class Record:
    """One gram's postings, decoded."""

    order: int
    fields: list[Field]

    def df(self) -> list[int]:
        return [int(f.docs.size) for f in self.fields]

    def empty(self) -> bool:
        return not any(f.docs.size for f in self.fields)

    def encode(self) -> tuple[bytes, bytes]:
        """(part A, part B) as :mod:`search.static.records` lays them out."""
        columns = []
        for field in self.fields:
            deltas = np.diff(field.docs, prepend=0)
            columns.append(
                np.column_stack((deltas, field.counts)).ravel()
                if has_counts(self.order)
                else deltas
            )
        a = varint.encode(np.concatenate(columns).astype(np.uint64))
        if self.order != ORDERS[-1]:
            return a, b""
        places = [p for field in self.fields for p in field.places]
        b = varint.encode(np.concatenate(places).astype(np.uint64)) if places else b""
        return a, b

    def put(self, doc: int, postings: Mapping[int, Posting]) -> None:
        """Make ``postings`` (field -> posting) document ``doc``'s postings."""
        for f, field in enumerate(self.fields):
            i = int(np.searchsorted(field.docs, doc))
            present = i < field.docs.size and field.docs[i] == doc
            new = postings.get(f)
            if present:
                field.docs = np.delete(field.docs, i)
                field.counts = np.delete(field.counts, i)
                if field.places:
                    del field.places[i]
            if new is not None:
                field.docs = np.insert(field.docs, i, doc)
                field.counts = np.insert(field.counts, i, new[0])
                if self.order == ORDERS[-1]:
                    field.places.insert(i, place_values(new[1]))


def empty_record(order: int) -> Record:
    return Record(order, [_field([], [], []) for _ in FIELDS])


def _field(docs: Any, counts: Any, places: list[Any]) -> Field:
    return Field(np.asarray(docs, dtype=np.int64), np.asarray(counts, dtype=np.int64), places)


def decode_record(order: int, df: list[int], a: bytes, b: bytes | None) -> Record:
    """A record from its parts; ``b`` None: both parts in ``a`` (an inline record)."""
    values = varint.decode_array(a).astype(np.int64)
    per = 2 if has_counts(order) else 1
    split = sum(df) * per
    rest = values[split:] if b is None else varint.decode_array(b).astype(np.int64)
    fields = []
    at = place_at = 0
    for n in df:
        block = values[at : at + n * per].reshape(n, per)
        at += n * per
        docs = np.cumsum(block[:, 0])
        counts = block[:, 1] if per == 2 else np.ones(n, dtype=np.int64)
        places: list[Any] = []
        if order == ORDERS[-1]:
            bounds = place_at + 2 * np.concatenate(([0], np.cumsum(counts)))
            edges = bounds.tolist()
            places = [rest[s:e] for s, e in itertools.pairwise(edges)]
            place_at = int(bounds[-1])
        fields.append(_field(docs, counts, places))
    return Record(order, fields)


def place_values(places: tuple[tuple[int, int], ...]) -> Any:
    """A document's part B values for its places (in text order)."""
    out: list[int] = []
    last_run = last_offset = -1
    for run, offset in places:
        out += [run, offset - last_offset if run == last_run else offset]
        last_run, last_offset = run, offset
    return np.asarray(out, dtype=np.int64)


def decode_places(values: Any) -> tuple[tuple[int, int], ...]:
    """The places of one document's part B values (the inverse of :func:`place_values`)."""
    out: list[tuple[int, int]] = []
    items = values.tolist()
    last_run = offset = -1
    for k in range(0, len(items), 2):
        run, value = items[k], items[k + 1]
        offset = offset + value if out and run == last_run else value
        out.append((run, offset))
        last_run = run
    return tuple(out)
