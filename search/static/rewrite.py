"""Rewriting the shards that hold the grams an update changes (see
:mod:`search.static.update`)."""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from search.static import varint
from search.static.postings import (
    Entry,
    Gram,
    Posting,
    Record,
    decode_record,
    empty_record,
    parse_shard,
)
from search.static.shards import BIG_RECORD, Big, Shard, fnv1a_one
from search.static.writer import store_shard

#: Gram -> document -> its postings now (field -> posting).
Changes = dict[Gram, dict[int, dict[int, Posting]]]


@dataclass
class Rewritten:
    """What rewriting the shards gives: the files written, every shard's name (in shard
    order), the bytes of the records kept inline, and the files the old shards named
    and the new ones name (once per naming: shards and big records' parts)."""

    files: dict[str, bytes]
    names: list[str]
    inline: int
    dropped: list[str]
    named: list[str]


def _read(folder: Path, rel: str) -> bytes:
    return gzip.decompress((folder / rel).read_bytes())


def shard_names(folder: Path, entry: dict[str, Any]) -> list[str]:
    """Every shard's name (hex), in shard order."""
    data = _read(folder, entry["shard_names"])
    return [data[at : at + 8].hex() for at in range(0, len(data), 8)]


def rewrite_shards(folder: Path, inline: int, entry: dict[str, Any], changes: Changes) -> Rewritten:
    """The shards with ``changes`` made to their grams' records; ``inline``: the bytes of
    the records kept inline before."""
    names = shard_names(folder, entry)
    count = len(names)
    by_shard: dict[int, list[Gram]] = {}
    for gram in changes:
        by_shard.setdefault(fnv1a_one(list(gram)) % count, []).append(gram)
    out = Rewritten({}, names, inline, [], [])
    for number in sorted(by_shard):
        old = names[number]
        entries = parse_shard(_read(folder, f"s/{old}.bin"))
        out.dropped += [f"s/{old}.bin", *_big_files(entries.values())]
        shard, out.inline = changed_shard(
            folder, number, entries, by_shard[number], changes, out.inline
        )
        names[number], parts = store_shard(shard, out.files)
        out.named += [f"s/{names[number]}.bin", *(f"b/{p}.bin" for p in parts)]
    return out


def _big_files(entries: Any) -> list[str]:
    return [f"b/{name}.bin" for e in entries if e.big for name, _ in e.big if name]


def changed_shard(
    folder: Path,
    number: int,
    entries: dict[Gram, Entry],
    grams: list[Gram],
    changes: Changes,
    inline: int,
) -> tuple[Shard, int]:
    """Shard ``number`` with the postings of ``grams`` changed; and the inline bytes."""
    for gram in grams:
        found = entries.pop(gram, None)
        if found is not None and found.data is not None:
            inline -= len(found.data)
        record = _record(folder, len(gram), found)
        for doc, postings in changes[gram].items():
            record.put(doc, postings)
        if record.empty():
            continue
        a, b = record.encode()
        if len(a) + len(b) > BIG_RECORD:
            entries[gram] = Entry(record.df(), None, None, (a, b))
        else:
            entries[gram] = Entry(record.df(), a + b, None)
            inline += len(a) + len(b)
    return assemble(number, entries), inline


def _record(folder: Path, order: int, found: Entry | None) -> Record:
    if found is None:
        return empty_record(order)
    if found.data is not None:
        return decode_record(order, found.df, found.data, None)
    assert found.big is not None
    (name_a, _), (name_b, _) = found.big
    a = _read(folder, f"b/{name_a}.bin") if name_a else b""
    b = _read(folder, f"b/{name_b}.bin") if name_b else b""
    return decode_record(order, found.df, a, b)


def assemble(number: int, entries: dict[Gram, Entry]) -> Shard:
    """A shard of ``entries``, laid out as :func:`search.static.shards.build_shards`
    lays them out (grams by order, then by code points)."""
    rows: list[int] = []
    data: list[bytes] = []
    bigs: list[Big] = []
    ordered = sorted(entries, key=lambda gram: (len(gram), gram))
    for gram in ordered:
        entry = entries[gram]
        rows += [len(gram), *gram, *entry.df]
        if entry.data is not None:
            rows.append(2 * len(entry.data))
            data.append(entry.data)
            continue
        rows.append(2 * len(bigs) + 1)
        if entry.parts is not None:
            bigs.append(Big(*entry.parts))
        else:
            bigs.append(Big(b"", b"", entry.big))
    header = varint.encode(np.asarray([len(ordered), *rows], dtype=np.uint64))
    return Shard(number, header, bigs, b"".join(data))


def count_references(
    present: set[str], shared: dict[str, int], dropped: list[str], named: list[str]
) -> tuple[set[str], dict[str, int]]:
    """After an update: the content-hashed files no longer named (to remove) and the new
    map of files named more than once. ``present``: the files there before; ``shared``:
    the map before; ``dropped``/``named``: the namings taken away and added."""
    counts: dict[str, int] = {}

    def current(name: str) -> int:
        if name in counts:
            return counts[name]
        return shared.get(name, 1 if name in present else 0)

    for name in dropped:
        counts[name] = current(name) - 1
    for name in named:
        counts[name] = current(name) + 1
    gone = {name for name, n in counts.items() if n <= 0}
    new_shared = dict(shared)
    for name, n in counts.items():
        if n > 1:
            new_shared[name] = n
        else:
            new_shared.pop(name, None)
    return gone, new_shared
