"""Writing the static search index: what the search page reads when no service answers.

``write_static_index(folder, documents, variants, converters)`` writes, into
``folder`` (``output/_search/static/``):

- ``entry.json``: the one file with a fixed name (small; a reader revalidates it):
  the document count, the fields' average lengths, the years' document ranges, and the
  content-hashed names of everything else;
- ``chars.*.bin``: the normalisation table (:mod:`search.static.chars`);
- ``names.*.bin``: county, theme and slogan names (normalised, as filters match them,
  and as each script shows them) and Whoosh's table of field lengths;
- ``docs.*.bin``: per document its county, theme, field lengths (as Whoosh stores them:
  one byte) and the digest of its fragment;
- ``slogans.*.bin``: the documents of each slogan (``slogan:``);
- ``script-{variant}.*.bin``: each character that script's converter changes on its
  own (:mod:`search.static.fragments`);
- ``shards.*.bin``: every shard's name (8 bytes each, in shard order: loaded with the
  tables, so a query fetches its shards at once); ``s/*.bin``: the shards (every gram's
  document counts and small records); ``b/*.bin``: big records
  (:mod:`search.static.shards`);
- ``f/{doc}-*.bin``: one fragment per document: slug, title, county, theme, date and
  body in every script (:mod:`search.static.fragments`).

Every file but ``entry.json`` is stored gzip-compressed (the page decompresses it), so
a host sends it as it is and its bytes on disk are the bytes a reader loads.
Documents are numbered newest first (then in the order given, Whoosh's document
order), so the ties of a BM25F score fall in the service's order by number alone, and
a year is a range of numbers.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from search.analysis import Normaliser, positioned, release_memory
from search.documents import SearchDocument
from search.scripts import Converter
from search.static import ENTRY, STATE, PairSink, varint
from search.static.chars import (
    LINE_BREAKS,
    SPACES,
    UNICODE_VERSION,
    char_table,
    is_candidate,
    unassigned,
)
from search.static.fragments import (
    SOURCE_VARIANT,
    all_fragments,
    lookup,
    script_pairs,
    script_table,
)
from search.static.grams import FIELDS, iter_grams, lay_out
from search.static.lengths import LENGTH_TABLE, length_bytes
from search.static.pairs import pair_counts
from search.static.records import encode
from search.static.shards import Shard, build_shards, shard_count
from search.static.state import FORMAT, State
from search.static.stored import gz, hashed

#: Whoosh's BM25F parameters and the text fields' weights (search/engine.py).
FIELD_WEIGHTS: dict[str, float] = {"title": 4.0, "slogans": 3.0, "body": 1.0}
BM25_B = 0.75
BM25_K1 = 1.2


@dataclass(frozen=True)
class Written:
    """What a write produced: output-relative file names (under the folder) -> bytes."""

    files: dict[str, bytes]


def put(files: dict[str, bytes], prefix: str, stored: bytes) -> str:
    name = hashed(prefix, stored)
    files[name] = stored
    return name


def fragment_name(number: int, digest: bytes) -> str:
    return f"f/{number}-{digest.hex()}.bin"


def store_fragment(files: dict[str, bytes], number: int, raw: bytes) -> bytes:
    """Store a document's fragment; its digest (4 bytes, in its name and the docs table)."""
    stored = gz(raw)
    digest = hashlib.blake2b(stored, digest_size=4).digest()
    files[fragment_name(number, digest)] = stored
    return digest


def document_order(documents: Sequence[SearchDocument]) -> list[int]:
    """Indexes of ``documents`` newest first, then in the order given."""

    def newest(i: int) -> tuple[int, int]:
        date = documents[i].date
        digits = date.replace("-", "")
        value = -int(digits) if len(date) == 10 and digits.isdigit() else 0
        return (value, i)

    return sorted(range(len(documents)), key=newest)


def convert_documents(
    documents: Sequence[SearchDocument], converter: Converter
) -> list[tuple[str, str, tuple[str, ...]]]:
    """Each document's title, body and slogans as ``converter`` writes them, with one
    OpenCC call per ~1M characters (texts joined by a character no phrase holds)."""
    separator = "\ue002"
    texts: list[str] = []
    for doc in documents:
        texts += [doc.title, doc.body, *doc.slogans]
    if any(separator in t for t in texts):
        out = [converter.convert(t) for t in texts]
    else:
        out = []
        start = 0
        while start < len(texts):
            end, size = start, 0
            while end < len(texts) and (end == start or size < 1_000_000):
                size += len(texts[end])
                end += 1
            parts = converter.convert(separator.join(texts[start:end])).split(separator)
            if len(parts) != end - start:
                parts = [converter.convert(t) for t in texts[start:end]]
            out += parts
            start = end
    result = []
    at = 0
    for doc in documents:
        n = 2 + len(doc.slogans)
        title, body, *slogans = out[at : at + n]
        result.append((title, body, tuple(slogans)))
        at += n
    return result


def write_static_index(
    folder: Path,
    documents: Sequence[SearchDocument],
    variants: Sequence[str],
    converters: Mapping[str, Converter],
    key: str = "",
) -> Written:
    """Write the static index of ``documents`` into ``folder`` (created; files only
    added). ``converters``: each variant's converter (the site's, with its phrase
    dictionary), for the variants not written in the sources' script; ``key``: what
    else their texts depend on, as the caller names it (an update needs the same)."""
    files = build_static_index(documents, variants, converters, key)
    folder.mkdir(parents=True, exist_ok=True)
    for rel, data in files.files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return files


@dataclass
class Corpus:
    """The documents in index order, and what every step of the writer reads."""

    docs: list[SearchDocument]
    variants: list[str]
    converters: Mapping[str, Converter]
    converted: dict[str, list[tuple[str, str, tuple[str, ...]]]]
    pair_counts: Counter[tuple[str, str]]
    normaliser: Normaliser

    @classmethod
    def make(
        cls,
        documents: Sequence[SearchDocument],
        variants: Sequence[str],
        converters: Mapping[str, Converter],
        base: Normaliser | None = None,
        share_pairs: PairSink | None = None,
    ) -> Corpus:
        """``share_pairs``: told the folding pairs as soon as they are counted (the
        Whoosh index's writer needs the same, over the same documents)."""
        docs = [documents[i] for i in document_order(documents)]
        converted = {
            v: convert_documents(docs, converters[v]) for v in variants if v != SOURCE_VARIANT
        }
        base = base or Normaliser()
        counts = pair_counts(
            [own_texts(d) for d in docs],
            [[(t, b, *s) for t, b, s in conv] for conv in converted.values()],
            base,
        )
        if share_pairs is not None:
            share_pairs(set(counts))
        normaliser = Normaliser(set(counts), base=base)
        return cls(docs, list(variants), converters, converted, counts, normaliser)


def own_texts(doc: SearchDocument) -> tuple[str, ...]:
    """The texts of a document that are indexed: title, body, each slogan."""
    return (doc.title, doc.body, *doc.slogans)


def field_texts(docs: Sequence[SearchDocument], normaliser: Normaliser) -> dict[str, list[str]]:
    """Each field's normalised, positioned text per document (as the Whoosh index's)."""
    values = {
        "title": [d.title for d in docs],
        "slogans": ["\n".join(d.slogans) for d in docs],
        "body": [d.body for d in docs],
    }
    return {f: [positioned(t) for t in normaliser.normalise_many(values[f])] for f in FIELDS}


def unit_count(text: str) -> int:
    """The units of a positioned text (its length without the line breaks)."""
    return len(text) - text.count("\n")


@dataclass
class Postings:
    """What writing the shards leaves for the rest of the index."""

    shard_names: list[str]
    inline: int  # bytes of the records kept in shards
    lengths: dict[str, Any]  # field -> each document's length (int64 array)
    shared: dict[str, int]  # content-hashed names named more than once, and how often


def build_static_index(
    documents: Sequence[SearchDocument],
    variants: Sequence[str],
    converters: Mapping[str, Converter],
    key: str = "",
    share_pairs: PairSink | None = None,
) -> Written:
    """The files of :func:`write_static_index`, in memory (``share_pairs``: as for
    :meth:`Corpus.make`)."""
    corpus = Corpus.make(documents, variants, converters, share_pairs=share_pairs)
    files: dict[str, bytes] = {}
    postings = write_postings(corpus, files)
    return finish(corpus, files, postings, key)


def write_postings(corpus: Corpus, files: dict[str, bytes]) -> Postings:
    """Store the shards and big records of the corpus's grams."""
    texts = field_texts(corpus.docs, corpus.normaliser)
    lengths = {f: np.fromiter(map(unit_count, texts[f]), np.int64) for f in FIELDS}
    laid = lay_out(texts, len(corpus.docs))
    del texts
    records = [encode(grams) for grams in iter_grams(laid)]
    del laid
    release_memory()
    count, inline = shard_count(records)
    shards = build_shards(records, count)
    del records
    stored = [store_shard(shard, files) for shard in shards]
    names = [name for name, _ in stored]
    return Postings(names, inline, lengths, shared_names(names, [b for _, b in stored]))


def shared_names(shard_names: Sequence[str], bigs: Sequence[Sequence[str]]) -> dict[str, int]:
    """The files (``s/*.bin``, ``b/*.bin``) that more than one shard or big record's part
    is stored as (the same bytes), and how many are."""
    counts = Counter(f"s/{name}.bin" for name in shard_names)
    for names in bigs:
        counts.update(f"b/{name}.bin" for name in names)
    return {name: n for name, n in counts.items() if n > 1}


def store_shard(shard: Shard, files: dict[str, bytes]) -> tuple[str, list[str]]:
    """Store a shard and its big records' parts; the shard's name (hex) and the names of
    the parts it refers to (once per reference)."""
    names = []
    for big in shard.big:
        if big.stored is not None:  # kept from the previous index
            names.append((big.stored[0][0], big.stored[1][0]))
            continue
        pair = []
        for part in (big.a, big.b):
            if part:
                stored = gz(part)
                name = hashed("", stored, "")
                files[f"b/{name}.bin"] = stored
                pair.append(name)
            else:
                pair.append("")
        names.append((pair[0], pair[1]))
    stored = gz(shard.content(names))
    name = hashed("", stored, "")
    files[f"s/{name}.bin"] = stored
    return name, [n for pair in names for n in pair if n]


def finish(corpus: Corpus, files: dict[str, bytes], postings: Postings, key: str) -> Written:
    """Everything but the shards: tables, fragments, the entry and the
    writer's state."""
    docs, variants = corpus.docs, corpus.variants
    extra_chars = outside_candidates(docs, corpus.converted)
    named: dict[str, Any] = {
        "chars": put(files, "chars.", gz(chars_data(corpus.normaliser, extra_chars)))
    }
    names, county_of, theme_of, slogan_docs = _names(
        docs, variants, corpus.normaliser, corpus.converters
    )
    stored = gz(json.dumps(names, ensure_ascii=False, sort_keys=True).encode("utf-8"))
    named["names"] = put(files, "names.", stored)
    named["slogans"] = put(files, "slogans.", gz(slogan_lists(slogan_docs)))
    pairs = {v: script_pairs(corpus.converters[v]) for v in variants if v != SOURCE_VARIANT}
    scripts = {v: put(files, f"script-{v}.", gz(script_table(p))) for v, p in pairs.items()}
    raw = all_fragments(
        docs, corpus.converted, corpus.converters, {v: lookup(p) for v, p in pairs.items()}
    )
    digests = [store_fragment(files, i, fragment) for i, fragment in enumerate(raw)]
    del raw
    length_columns = [length_bytes(postings.lengths[f]).tolist() for f in FIELDS]
    table = put(files, "docs.", gz(doc_table(county_of, theme_of, length_columns, digests)))
    totals = {f: int(postings.lengths[f].sum()) for f in FIELDS}
    named["shard_names"] = store_shard_names(postings.shard_names, files)
    named |= {"doc_table": table, "scripts": scripts}
    years = _year_ranges(docs)
    shards = len(postings.shard_names)
    files[ENTRY] = make_entry(len(docs), years, variants, totals, shards, named)
    state = State(
        key=key,
        variants=tuple(variants),
        slugs=tuple(d.slug for d in docs),
        names=raw_names(docs),
        inline=postings.inline,
        totals=totals,
        pairs=dict(corpus.pair_counts),
        fold=corpus.normaliser.base_fold,
        extra_chars="".join(sorted(extra_chars)),
        shared=postings.shared,
    )
    files[STATE] = state.to_bytes()
    return Written(files)


def chars_data(normaliser: Normaliser, extra_chars: set[str]) -> bytes:
    """The normalisation table's file (before compression)."""
    data = {
        "table": char_table(normaliser, extra_chars),
        "line_breaks": LINE_BREAKS,
        "spaces": SPACES,
        "unassigned": unassigned(),
        "unicode": UNICODE_VERSION,
    }
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def store_shard_names(shard_names: list[str], files: dict[str, bytes]) -> str:
    """Store the file of the shards' names (8 bytes each, in shard order); its name."""
    return put(files, "shards.", gz(b"".join(bytes.fromhex(n) for n in shard_names)))


def make_entry(
    count: int,
    years: list[list[Any]],
    variants: Sequence[str],
    totals: dict[str, int],
    shards: int,
    named: dict[str, Any],
) -> bytes:
    """``count`` documents; ``named``: the names of the tables (``chars``, ``names``,
    ``slogans``, ``doc_table``, ``shard_names``, ``scripts``)."""
    entry: dict[str, Any] = {
        "format": FORMAT,
        "docs": count,
        "avgfl": {f: totals[f] / (count or 1) for f in FIELDS},
        "weights": FIELD_WEIGHTS,
        "bm25": {"B": BM25_B, "K1": BM25_K1},
        "years": years,
        "shards": shards,
        "source": SOURCE_VARIANT,
        "variants": list(variants),
        **named,
    }
    return (json.dumps(entry, ensure_ascii=False, sort_keys=True, indent=1) + "\n").encode()


def outside_candidates(
    docs: Sequence[SearchDocument], converted: Mapping[str, Sequence[tuple[str, str, Any]]]
) -> set[str]:
    """The content's characters outside the ranges the table is computed for."""
    texts = ["".join(own_texts(d)) for d in docs]
    for conv in converted.values():
        texts += ["".join((t, b, *s)) for t, b, s in conv]
    cps = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    present = np.zeros(0x110000, dtype=bool)
    present[cps] = True
    return {chr(cp) for cp in np.flatnonzero(present).tolist() if not is_candidate(chr(cp))}


def _year_ranges(docs: Sequence[SearchDocument]) -> list[list[Any]]:
    """[year, first, end] for each run of documents of one year (newest first)."""
    runs: list[list[Any]] = []
    for i, doc in enumerate(docs):
        if runs and runs[-1][0] == doc.year:
            runs[-1][2] = i + 1
        else:
            runs.append([doc.year, i, i + 1])
    return runs


def _names(
    docs: Sequence[SearchDocument],
    variants: Sequence[str],
    normaliser: Normaliser,
    converters: Mapping[str, Converter],
) -> tuple[dict[str, Any], list[int], list[int], dict[int, list[int]]]:
    """The names file's data, each document's county and theme, and each slogan's
    documents. Names are listed in Python's order of the raw names (the facets' order
    of ties), each with its filter key (normalised, stripped, as the service matches)."""

    def listing(values: list[str]) -> list[dict[str, Any]]:
        return [
            {
                "key": normaliser.normalise(v).strip(),
                "shown": {
                    variant: (converters[variant].convert(v) if variant in converters else v)
                    for variant in variants
                },
            }
            for v in values
        ]

    raw = raw_names(docs)
    county_index = {c: i for i, c in enumerate(raw["county"])}
    theme_index = {t: i for i, t in enumerate(raw["theme"])}
    names = {
        "county": listing(raw["county"]),
        "theme": listing(raw["theme"]),
        "slogan": [normaliser.normalise(s).strip() for s in raw["slogan"]],
        "lengths": LENGTH_TABLE,
    }
    return (
        names,
        [county_index[d.county] for d in docs],
        [theme_index[d.theme] for d in docs],
        slogan_docs(docs, raw["slogan"]),
    )


def slogan_docs(docs: Sequence[SearchDocument], slogans: Sequence[str]) -> dict[int, list[int]]:
    """Each slogan's (number in ``slogans``) documents, ascending."""
    index = {s: n for n, s in enumerate(slogans)}
    out: dict[int, list[int]] = {}
    for i, doc in enumerate(docs):
        for s in sorted({index[keyword(s)] for s in doc.slogans if keyword(s)}):
            out.setdefault(s, []).append(i)
    return out


def raw_names(docs: Sequence[SearchDocument]) -> dict[str, list[str]]:
    """The counties, themes and slogans of the documents, each sorted."""
    return {
        "county": sorted({d.county for d in docs}),
        "theme": sorted({d.theme for d in docs}),
        "slogan": sorted({keyword(s) for d in docs for s in d.slogans if keyword(s)}),
    }


def keyword(value: str) -> str:
    """A slogan as Whoosh's comma-separated keyword field keeps it."""
    return value.replace(",", "，").strip()


def slogan_lists(slogan_docs: dict[int, list[int]]) -> bytes:
    values: list[int] = [len(slogan_docs)]
    for s in sorted(slogan_docs):
        docs = slogan_docs[s]
        values += [s, len(docs)]
        values += [docs[0], *(b - a for a, b in itertools.pairwise(docs))]
    return varint.encode(values)


def doc_table(
    county_of: Sequence[int],
    theme_of: Sequence[int],
    length_columns: Sequence[Sequence[int]],
    digests: Sequence[bytes],
) -> bytes:
    """Varints: the count, each document's county, theme and (per field) length byte;
    then each document's fragment digest (4 bytes)."""
    values = [len(county_of), *county_of, *theme_of]
    for column in length_columns:
        values += column
    return varint.encode(np.asarray(values, dtype=np.int64)) + b"".join(digests)
