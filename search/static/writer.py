"""Writing the static search index: what the search page reads when no service answers.

``write_static_index(folder, documents, variants, converters)`` writes, into
``folder`` (``output/_search/static/``):

- ``entry.json``: the one file with a fixed name (small; a reader revalidates it):
  the document count, the fields' average lengths, the years' document ranges, and the
  content-hashed names of everything else;
- ``chars.*.bin``: the normalisation table (:mod:`search.static.chars`);
- ``names.*.bin``: county, theme and slogan names (normalised, as filters match them,
  and as each script shows them) and Whoosh's table of field lengths;
- ``docs-{variant}.*.bin``: per document its county, theme, field lengths (as Whoosh
  stores them: one byte) and the name of its fragment;
- ``slogans.*.bin``: the documents of each slogan (``slogan:``);
- ``d/*.bin``: directories naming the shards; ``s/*.bin``: the shards (every gram's
  document counts and small records); ``b/*.bin``: big records
  (:mod:`search.static.shards`);
- ``f/{variant}/{doc}-*.bin``: one fragment per document and script: slug, title,
  county, theme, date and body as that script's readers see them.

Every file but ``entry.json`` is stored gzip-compressed (the page decompresses it), so
a host sends it as it is and its bytes on disk are the bytes a reader loads.
Documents are numbered newest first (then in the order given, Whoosh's document
order), so the ties of a BM25F score fall in the service's order by number alone, and
a year is a range of numbers.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from search.analysis import Normaliser, positioned, release_memory
from search.documents import SearchDocument
from search.scripts import Converter, Identity
from search.static import varint
from search.static.chars import LINE_BREAKS, SPACES, UNICODE_VERSION, char_table, unassigned
from search.static.grams import FIELDS, all_grams, lay_out
from search.static.records import encode
from search.static.shards import DIRECTORY_SIZE, build_shards, shard_count

ENTRY = "entry.json"
FORMAT = 1
SOURCE_VARIANT = "zh-hans"
#: Whoosh's BM25F parameters and the text fields' weights (search/engine.py).
FIELD_WEIGHTS: dict[str, float] = {"title": 4.0, "slogans": 3.0, "body": 1.0}
BM25_B = 0.75
BM25_K1 = 1.2
#: gzip level of the stored files (deterministic: no time, no name).
GZIP_LEVEL = 9


@dataclass(frozen=True)
class Written:
    """What a write produced: output-relative file names (under the folder) -> bytes."""

    files: dict[str, bytes]


def gz(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0)


def hashed(prefix: str, data: bytes, suffix: str = ".bin") -> str:
    return f"{prefix}{hashlib.blake2b(data, digest_size=8).hexdigest()}{suffix}"


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
    pairs: set[tuple[str, str]] | None = None,
) -> Written:
    """Write the static index of ``documents`` into ``folder`` (created; files only
    added). ``converters``: each variant's converter (the site's, with its phrase
    dictionary); ``pairs``: the extra folding pairs, if the caller has them (else found
    from the conversions, as ``search.indexing.variant_pairs`` does for Whoosh)."""
    files = build_static_index(documents, variants, converters, pairs)
    folder.mkdir(parents=True, exist_ok=True)
    for rel, data in files.files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return files


def build_static_index(
    documents: Sequence[SearchDocument],
    variants: Sequence[str],
    converters: Mapping[str, Converter],
    pairs: set[tuple[str, str]] | None = None,
) -> Written:
    """The files of :func:`write_static_index`, in memory."""
    from search.indexing import variant_pairs

    order = document_order(documents)
    docs = [documents[i] for i in order]
    converted = {v: convert_documents(docs, converters[v]) for v in variants if v != SOURCE_VARIANT}
    base = Normaliser()
    if pairs is None:
        rows = [
            {
                "title": d.title,
                "body": d.body,
                "slogans": list(d.slogans),
                "converted": {
                    v: {"title": c[i][0], "body": c[i][1], "slogans": list(c[i][2])}
                    for v, c in converted.items()
                },
            }
            for i, d in enumerate(docs)
        ]
        pairs = variant_pairs(rows, list(converted), None, base)
        del rows
    normaliser = Normaliser(pairs, base=base)
    files: dict[str, bytes] = {}
    texts = {
        "title": [positioned(t) for t in normaliser.normalise_many([d.title for d in docs])],
        "slogans": [
            positioned(t) for t in normaliser.normalise_many(["\n".join(d.slogans) for d in docs])
        ],
        "body": [positioned(t) for t in normaliser.normalise_many([d.body for d in docs])],
    }
    lengths = {f: np.fromiter((len(t) - t.count("\n") for t in texts[f]), np.int64) for f in FIELDS}
    content_chars = set()
    for f in FIELDS:
        for t in texts[f]:
            content_chars.update(t)
    for d in docs:
        content_chars.update(d.title, d.body, *d.slogans)
    for conv in converted.values():
        for title, body, slogans in conv:
            content_chars.update(title, body, *slogans)
    corpus = lay_out(texts, len(docs))
    del texts
    grams = all_grams(corpus)
    del corpus
    records = [encode(grams.pop(o)) for o in sorted(grams)]
    release_memory()
    count = shard_count(records)
    shards = build_shards(records, count)
    del records
    directory: list[bytes] = []
    for shard in shards:
        names = []
        for big in shard.big:
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
        directory.append(bytes.fromhex(name))
    dirs = []
    for start in range(0, len(directory), DIRECTORY_SIZE):
        stored = gz(b"".join(directory[start : start + DIRECTORY_SIZE]))
        name = hashed("d/", stored)
        files[name] = stored
        dirs.append(name)
    entry: dict[str, Any] = {
        "format": FORMAT,
        "docs": len(docs),
        "avgfl": {f: (int(lengths[f].sum()) / (len(docs) or 1)) for f in FIELDS},
        "weights": FIELD_WEIGHTS,
        "bm25": {"B": BM25_B, "K1": BM25_K1},
        "years": _year_ranges(docs),
        "shards": count,
        "directory_size": DIRECTORY_SIZE,
        "directories": dirs,
    }
    table = char_table(normaliser, content_chars)
    chars = gz(
        json.dumps(
            {
                "table": table,
                "line_breaks": LINE_BREAKS,
                "spaces": SPACES,
                "unassigned": unassigned(),
                "unicode": UNICODE_VERSION,
            },
            ensure_ascii=False,
            sort_keys=True,
            separators=(",", ":"),
        ).encode("utf-8")
    )
    entry["chars"] = hashed("chars.", chars)
    files[entry["chars"]] = chars
    names, county_of, theme_of, slogan_docs = _names(docs, variants, normaliser, converters)
    stored = gz(json.dumps(names, ensure_ascii=False, sort_keys=True).encode("utf-8"))
    entry["names"] = hashed("names.", stored)
    files[entry["names"]] = stored
    stored = gz(_slogan_lists(slogan_docs))
    entry["slogans"] = hashed("slogans.", stored)
    files[entry["slogans"]] = stored
    entry["doc_tables"] = {}
    for variant in variants:
        frag_names = []
        converter = converters.get(variant) or Identity()
        for i, doc in enumerate(docs):
            fragment = _fragment(doc, i, variant, converted, converter)
            stored = gz(fragment)
            digest = hashlib.blake2b(stored, digest_size=4).digest()
            files[f"f/{variant}/{i}-{digest.hex()}.bin"] = stored
            frag_names.append(digest)
        table_bytes = _doc_table(len(docs), county_of, theme_of, lengths) + b"".join(frag_names)
        stored = gz(table_bytes)
        name = hashed(f"docs-{variant}.", stored)
        files[name] = stored
        entry["doc_tables"][variant] = name
    files[ENTRY] = (json.dumps(entry, ensure_ascii=False, sort_keys=True, indent=1) + "\n").encode(
        "utf-8"
    )
    return Written(files)


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
    from search.static.lengths import LENGTH_TABLE

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

    counties = sorted({d.county for d in docs})
    themes = sorted({d.theme for d in docs})
    slogan_names = sorted({_keyword(s) for d in docs for s in d.slogans if _keyword(s)})
    county_index = {c: i for i, c in enumerate(counties)}
    theme_index = {t: i for i, t in enumerate(themes)}
    slogan_index = {s: i for i, s in enumerate(slogan_names)}
    slogan_docs: dict[int, list[int]] = {}
    for i, doc in enumerate(docs):
        for s in sorted({slogan_index[_keyword(s)] for s in doc.slogans if _keyword(s)}):
            slogan_docs.setdefault(s, []).append(i)
    names = {
        "county": listing(counties),
        "theme": listing(themes),
        "slogan": [normaliser.normalise(s).strip() for s in slogan_names],
        "lengths": LENGTH_TABLE,
    }
    return (
        names,
        [county_index[d.county] for d in docs],
        [theme_index[d.theme] for d in docs],
        slogan_docs,
    )


def _keyword(value: str) -> str:
    """A slogan as Whoosh's comma-separated keyword field keeps it."""
    return value.replace(",", "，").strip()


def _slogan_lists(slogan_docs: dict[int, list[int]]) -> bytes:
    values: list[int] = [len(slogan_docs)]
    for s in sorted(slogan_docs):
        docs = slogan_docs[s]
        values += [s, len(docs)]
        values += [docs[0], *(b - a for a, b in zip(docs, docs[1:], strict=False))]
    return varint.encode(values)


def _doc_table(
    count: int, county_of: list[int], theme_of: list[int], lengths: dict[str, Any]
) -> bytes:
    from search.static.lengths import length_bytes

    values = np.concatenate(
        [
            np.asarray([count], dtype=np.int64),
            np.asarray(county_of, dtype=np.int64),
            np.asarray(theme_of, dtype=np.int64),
            *(length_bytes(lengths[f]) for f in FIELDS),
        ]
    )
    return varint.encode(values)


def _fragment(
    doc: SearchDocument,
    number: int,
    variant: str,
    converted: Mapping[str, list[tuple[str, str, tuple[str, ...]]]],
    converter: Converter,
) -> bytes:
    shown = doc.shown.get(variant)
    convert = converter.convert
    if variant in converted:
        title, body, _ = converted[variant][number]
    else:
        title, body = doc.title, doc.body
    data = {
        "slug": doc.slug,
        "title": shown.title if shown and shown.title else title,
        "county": shown.county if shown and shown.county else convert(doc.county),
        "theme": shown.theme if shown and shown.theme else convert(doc.theme),
        "date": doc.date,
        "body": body,
    }
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
