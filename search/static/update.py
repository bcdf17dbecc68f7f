"""Updating the static index where only some documents' content changed.

An edit changes a few grams' records (the edited documents' postings in them), so only
their shards, the edited documents' fragments, the document tables and the entry are
written again; every other file keeps its (content-hashed) name. The files are exactly
those a fresh write gives (``tests/search/test_static.py`` checks): the same records,
the same shard count, the same normalisation. Where that cannot be had cheaply (a
document added, removed or moved by its date, a county, theme or slogan name added or
gone, a folding pair gained or lost, the shard count changed), :func:`update` answers
None and the caller writes the index afresh.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from search.analysis import Normaliser
from search.documents import SearchDocument
from search.scripts import Converter, Identity
from search.static import varint
from search.static.grams import FIELDS, ORDERS, all_grams, lay_out
from search.static.lengths import length_bytes
from search.static.pairs import pair_counts
from search.static.shards import BIG_RECORD, Big, Shard, count_for, fnv1a_one
from search.static.writer import (
    ENTRY,
    FORMAT,
    SOURCE_VARIANT,
    STATE,
    Corpus,
    Written,
    convert_documents,
    directories,
    doc_table,
    document_digest,
    document_order,
    field_texts,
    fragment,
    gz,
    make_entry,
    make_state,
    outside_candidates,
    own_texts,
    put,
    raw_names,
    slogan_lists,
    store_shard,
)

#: A document's postings of one gram: field -> positions (empty where not kept).
Postings = dict[int, tuple[int, ...]]
Gram = tuple[int, ...]
#: A big record's parts as a shard names them: (name, length) of part A and of part B.
BigNames = tuple[tuple[str, int], tuple[str, int]]


def _read(folder: Path, rel: str) -> bytes:
    return gzip.decompress((folder / rel).read_bytes())


def doc_grams(
    doc: SearchDocument, normaliser: Normaliser
) -> dict[Gram, dict[int, tuple[int, tuple[int, ...]]]]:
    """Every gram of one document: gram -> field -> (count, positions)."""
    texts = {f: t[:1] for f, t in field_texts([doc], normaliser).items()}
    grams = all_grams(lay_out(texts, 1))
    out: dict[Gram, dict[int, tuple[int, tuple[int, ...]]]] = {}
    for order in ORDERS:
        g = grams[order]
        codes = g.codes.tolist()
        bounds = g.term_postings.tolist()
        count = g.count.tolist()
        field = g.field.tolist()
        occ = np.concatenate(([0], np.cumsum(g.count))).tolist()
        positions = g.positions.tolist() if g.positions is not None else None
        for t, gram in enumerate(codes):
            per: dict[int, tuple[int, tuple[int, ...]]] = {}
            for p in range(bounds[t], bounds[t + 1]):
                pos = tuple(positions[occ[p] : occ[p + 1]]) if positions is not None else ()
                per[field[p]] = (count[p], pos)
            out[tuple(gram)] = per
    return out


@dataclass
class Record:
    """One gram's postings, decoded: per field (docs, counts, positions per doc)."""

    order: int
    fields: list[dict[int, tuple[int, tuple[int, ...]]]]  # field -> doc -> (count, positions)

    def df(self) -> list[int]:
        return [len(f) for f in self.fields]

    def encode(self) -> tuple[bytes, bytes]:
        """(part A, part B) as :mod:`search.static.records` lays them out."""
        counts = self.order in (2, 4)
        a: list[int] = []
        b: list[int] = []
        for per in self.fields:
            docs = sorted(per)
            last = 0
            for d in docs:
                a.append(d - last)
                last = d
            if counts:
                a += [per[d][0] for d in docs]
        if self.order == ORDERS[-1]:
            for per in self.fields:
                for d in sorted(per):
                    last = 0
                    for p in per[d][1]:
                        b.append(p - last)
                        last = p
        return varint.encode(np.asarray(a, dtype=np.uint64)), varint.encode(
            np.asarray(b, dtype=np.uint64)
        )


def decode_record(order: int, df: list[int], a: bytes, b: bytes | None) -> Record:
    """A record from its parts; ``b`` None: both parts in ``a`` (an inline record)."""
    values = varint.decode(a)
    counts = order in (2, 4)
    if b is None:
        split = sum(df) * (2 if counts else 1)
        pos_values = values[split:]
        values = values[:split]
    fields: list[dict[int, tuple[int, tuple[int, ...]]]] = []
    at = 0
    for n in df:
        docs: list[int] = []
        last = 0
        for v in values[at : at + n]:
            last += v
            docs.append(last)
        at += n
        cs = values[at : at + n] if counts else [1] * n
        if counts:
            at += n
        fields.append({d: (c, ()) for d, c in zip(docs, cs, strict=True)})
    if order == ORDERS[-1]:
        pos = varint.decode(b) if b is not None else pos_values
        at = 0
        for per in fields:
            for d in sorted(per):
                c = per[d][0]
                run: list[int] = []
                last = 0
                for v in pos[at : at + c]:
                    last += v
                    run.append(last)
                at += c
                per[d] = (c, tuple(run))
    return Record(order, fields)


@dataclass
class ParsedShard:
    """A shard's grams in order: (order, codes, df, inline record or big parts)."""

    grams: list[tuple[Gram, list[int], bytes | None, BigNames | None]]


def parse_shard(data: bytes) -> ParsedShard:
    values_at = 0
    raw = data

    def take() -> int:
        nonlocal values_at
        value = shift = 0
        while True:
            byte = raw[values_at]
            values_at += 1
            value |= (byte & 0x7F) << shift
            if byte < 0x80:
                return value
            shift += 7

    count = take()
    heads = []
    for _ in range(count):
        order = take()
        codes = tuple(take() for _ in range(order))
        df = [take() for _ in FIELDS]
        heads.append((codes, df, take()))
    bigs: list[tuple[tuple[str, int], tuple[str, int]]] = []
    for _ in range(take()):
        names = []
        for _part in range(2):
            hi, lo, length = take(), take(), take()
            names.append((f"{(hi << 32) | lo:016x}" if (hi or lo) else "", length))
        bigs.append((names[0], names[1]))
    grams: list[tuple[Gram, list[int], bytes | None, BigNames | None]] = []
    at = values_at
    for codes, df, length in heads:
        if length & 1:
            grams.append((codes, df, None, bigs[(length - 1) // 2]))
        else:
            grams.append((codes, df, raw[at : at + length // 2], None))
            at += length // 2
    return ParsedShard(grams)


def _sort_key(gram: Gram) -> tuple[int, Gram]:
    return (len(gram), gram)


def update(
    folder: Path,
    documents: Sequence[SearchDocument],
    variants: Sequence[str],
    converters: Mapping[str, Converter],
) -> tuple[Written, set[str]] | None:
    """The files that change (relative to ``folder``, the previous index) and the names
    of all files of the new index; None where a fresh write is needed."""
    try:
        state = json.loads(_read(folder, STATE))
        entry = json.loads((folder / ENTRY).read_text("utf-8"))
    except (OSError, ValueError, EOFError):
        return None
    if state.get("format") != FORMAT or state["variants"] != list(variants):
        return None
    if SOURCE_VARIANT not in variants:
        return None
    docs = [documents[i] for i in document_order(documents)]
    if [d.slug for d in docs] != [s for s, _ in state["docs"]]:
        return None
    names = raw_names(docs)
    if names != state["names"]:
        return None
    doc_digests = [document_digest(d) for d in docs]
    changed = [i for i, d in enumerate(doc_digests) if d != state["docs"][i][1]]
    old_docs = {i: _previous_document(folder, entry, docs[i], i) for i in changed}
    if any(d is None for d in old_docs.values()):
        return None
    olds = {i: d for i, d in old_docs.items() if d is not None}
    if outside_candidates([*olds.values(), *(docs[i] for i in changed)], {}):
        return None  # characters outside the table's ranges: their entries may change
    base = Normaliser(fold={int(k): v for k, v in state["fold"].items()})
    counts = Counter({(a, b): n for a, b, n in state["pairs"]})
    conv = {v: converters[v] for v in variants if v != SOURCE_VARIANT}
    before = _pairs(list(olds.values()), conv, base)
    after = _pairs([docs[i] for i in changed], conv, base)
    new_counts = counts - before + after  # (a count that falls to zero is dropped)
    if set(new_counts) != set(counts):
        return None  # the normalisation changes: a fresh write
    normaliser = Normaliser(set(new_counts), base=base)
    return _apply(
        folder, entry, state, docs, changed, olds, normaliser, new_counts, converters, doc_digests
    )


def _pairs(
    docs: list[SearchDocument], converters: Mapping[str, Converter], base: Normaliser
) -> Counter[tuple[str, str]]:
    if not docs:
        return Counter()
    conversions = [
        [(t, b, *s) for t, b, s in convert_documents(docs, c)] for c in converters.values()
    ]
    return pair_counts([own_texts(d) for d in docs], conversions, base)


def _previous_document(
    folder: Path, entry: dict[str, Any], doc: SearchDocument, number: int
) -> SearchDocument | None:
    """A document as the previous index held it, from its fragment in the sources'
    script (which keeps the indexed title and slogans)."""
    table = _read(folder, entry["doc_tables"][SOURCE_VARIANT])
    n = entry["docs"]
    digest = table[len(table) - 4 * n + 4 * number : len(table) - 4 * n + 4 * number + 4]
    try:
        frag = json.loads(_read(folder, f"f/{SOURCE_VARIANT}/{number}-{digest.hex()}.bin"))
    except (OSError, ValueError, EOFError):
        return None
    source = frag.get("source") or {}
    return SearchDocument(
        slug=frag["slug"],
        title=source.get("title", ""),
        body=frag["body"],
        county=doc.county,
        theme=doc.theme,
        date=frag["date"],
        slogans=tuple(source.get("slogans", ())),
    )


def _apply(
    folder: Path,
    entry: dict[str, Any],
    state: dict[str, Any],
    docs: list[SearchDocument],
    changed: list[int],
    olds: dict[int, SearchDocument],
    normaliser: Normaliser,
    pairs: Counter[tuple[str, str]],
    converters: Mapping[str, Converter],
    doc_digests: list[str],
) -> tuple[Written, set[str]] | None:
    files: dict[str, bytes] = {}
    shard_names: list[str] = list(state["shards"])
    bigs: list[list[str]] = [list(b) for b in state["bigs"]]
    count = len(shard_names)
    # the grams whose postings of a changed document differ: gram -> doc -> new postings
    diffs: dict[Gram, dict[int, dict[int, tuple[int, tuple[int, ...]]]]] = {}
    for i in changed:
        old, new = doc_grams(olds[i], normaliser), doc_grams(docs[i], normaliser)
        for gram in old.keys() | new.keys():
            if old.get(gram) != new.get(gram):
                diffs.setdefault(gram, {})[i] = new.get(gram, {})
    by_shard: dict[int, list[Gram]] = {}
    for gram in diffs:
        by_shard.setdefault(fnv1a_one(list(gram)) % count, []).append(gram)
    inline = int(state["inline"])
    for number in sorted(by_shard):
        shard, inline = _update_shard(
            folder, shard_names[number], number, by_shard[number], diffs, inline
        )
        shard_names[number], bigs[number] = store_shard(shard, files)
    if count_for(inline) != count:
        return None  # a fresh write lays the grams out in another number of shards
    # field lengths, document tables, fragments, slogans
    texts = field_texts([docs[i] for i in changed], normaliser)
    old_texts = field_texts([olds[i] for i in changed], normaliser)
    totals = dict(state["totals"])
    new_lengths: dict[int, list[int]] = {}
    for k, i in enumerate(changed):
        row = []
        for f in FIELDS:
            before = len(old_texts[f][k]) - old_texts[f][k].count("\n")
            after = len(texts[f][k]) - texts[f][k].count("\n")
            totals[f] += after - before
            row.append(after)
        new_lengths[i] = row
    names = state["names"]  # as checked: the documents' own
    county_index = {c: n for n, c in enumerate(names["county"])}
    theme_index = {t: n for n, t in enumerate(names["theme"])}
    variants = list(state["variants"])
    changed_docs = [docs[i] for i in changed]
    converted = {
        v: dict(zip(changed, convert_documents(changed_docs, converters[v]), strict=True))
        for v in variants
        if v != SOURCE_VARIANT
    }
    tables: dict[str, str] = {}
    all_names: set[str] = set()
    for variant in variants:
        table = _read(folder, entry["doc_tables"][variant])
        n = len(docs)
        values = varint.decode(table[: len(table) - 4 * n])
        county_of, theme_of = values[1 : 1 + n], values[1 + n : 1 + 2 * n]
        columns = [values[1 + (2 + f) * n : 1 + (3 + f) * n] for f in range(len(FIELDS))]
        digests = [
            table[len(table) - 4 * n + 4 * d : len(table) - 4 * n + 4 * d + 4] for d in range(n)
        ]
        converter = converters.get(variant) or Identity()
        for i in changed:
            county_of[i] = county_index[docs[i].county]
            theme_of[i] = theme_index[docs[i].theme]
            for f in range(len(FIELDS)):
                columns[f][i] = int(length_bytes([new_lengths[i][f]])[0])
            own = converted[variant][i] if variant in converted else None
            stored = gz(fragment(docs[i], variant, own, converter))
            digests[i] = hashlib.blake2b(stored, digest_size=4).digest()
            files[f"f/{variant}/{i}-{digests[i].hex()}.bin"] = stored
        tables[variant] = put(
            files, f"docs-{variant}.", gz(doc_table(county_of, theme_of, columns, digests))
        )
        all_names.update(f"f/{variant}/{d}-{digests[d].hex()}.bin" for d in range(n))
    slogans_name = entry["slogans"]
    if any(tuple(olds[i].slogans) != tuple(docs[i].slogans) for i in changed):
        slogans_name = put(files, "slogans.", gz(slogan_lists(_slogan_docs(docs, names))))
    named = {"chars": entry["chars"], "names": entry["names"], "slogans": slogans_name}
    dirs = directories(shard_names, files)
    files[ENTRY] = make_entry(docs, totals, shard_names, dirs, named, tables)
    corpus = Corpus(docs, variants, converters, {}, pairs, normaliser)
    extra = set(state["extra_chars"])
    files[STATE] = make_state(corpus, inline, totals, extra, shard_names, bigs, doc_digests)
    all_names |= {ENTRY, STATE, *named.values(), *tables.values(), *dirs}
    all_names |= {f"s/{name}.bin" for name in shard_names}
    all_names |= {f"b/{name}.bin" for names_ in bigs for name in names_}
    return Written({r: d for r, d in files.items() if not _kept(folder, r, d)}), all_names


def _kept(folder: Path, rel: str, data: bytes) -> bool:
    """Whether the previous index has this file already (a hashed name: if it is there)."""
    path = folder / rel
    if rel in (ENTRY, STATE):
        return path.is_file() and path.read_bytes() == data
    return path.is_file()


def _slogan_docs(
    docs: Sequence[SearchDocument], names: dict[str, list[str]]
) -> dict[int, list[int]]:
    from search.static.writer import _keyword

    index = {s: n for n, s in enumerate(names["slogan"])}
    out: dict[int, list[int]] = {}
    for i, doc in enumerate(docs):
        for s in sorted({index[_keyword(s)] for s in doc.slogans if _keyword(s)}):
            out.setdefault(s, []).append(i)
    return out


def _update_shard(
    folder: Path,
    name: str,
    number: int,
    grams: list[Gram],
    diffs: dict[Gram, dict[int, dict[int, tuple[int, tuple[int, ...]]]]],
    inline: int,
) -> tuple[Shard, int]:
    """The shard with the postings of ``grams`` changed; and the inline byte count."""
    parsed = parse_shard(_read(folder, f"s/{name}.bin"))
    # gram -> (df, inline record, big record's parts read, big record as stored)
    entries: dict[Gram, tuple[list[int], bytes | None, tuple[bytes, bytes] | None, Any]] = {}
    for codes, df, data, big in parsed.grams:
        entries[codes] = (df, data, None, big)
    for gram in grams:
        order = len(gram)
        found = entries.pop(gram, None)
        if found is None:
            record = Record(order, [{}, {}, {}])
        else:
            df, data, _, big = found
            if data is not None:
                inline -= len(data)
                record = decode_record(order, df, data, None)
            else:
                (name_a, _), (name_b, _) = big
                a = _read(folder, f"b/{name_a}.bin") if name_a else b""
                b = _read(folder, f"b/{name_b}.bin") if name_b else b""
                record = decode_record(order, df, a, b)
        for doc, per in diffs[gram].items():
            for field in record.fields:
                field.pop(doc, None)
            for f, posting in per.items():
                record.fields[f][doc] = posting
        if not any(record.fields):
            continue
        a, b = record.encode()
        if len(a) + len(b) > BIG_RECORD:
            entries[gram] = (record.df(), None, (a, b), None)
        else:
            entries[gram] = (record.df(), a + b, None, None)
            inline += len(a) + len(b)
    rows: list[int] = []
    data_parts: list[bytes] = []
    bigs: list[Big] = []
    ordered = sorted(entries, key=_sort_key)
    for codes in ordered:
        df, data, parts, stored = entries[codes]
        rows += [len(codes), *codes, *df]
        if data is not None:
            rows.append(2 * len(data))
            data_parts.append(data)
        else:
            rows.append(2 * len(bigs) + 1)
            bigs.append(Big(parts[0], parts[1]) if parts else Big(b"", b"", stored))
    header = varint.encode(np.asarray([len(ordered), *rows], dtype=np.uint64))
    return Shard(number, header, bigs, b"".join(data_parts)), inline
