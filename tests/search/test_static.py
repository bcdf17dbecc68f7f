"""The static index's writer: Whoosh's length table, deterministic files, records that
hold every gram's postings, and updates that give the files a fresh write gives."""

from __future__ import annotations

import gzip
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from search.analysis import Normaliser
from search.documents import SearchDocument
from search.scripts import make_converter
from search.static import varint
from search.static.lengths import LENGTH_TABLE, length_bytes
from search.static.update import decode_record, doc_grams, parse_shard, update
from search.static.writer import (
    ENTRY,
    STATE,
    build_static_index,
    document_order,
    write_static_index,
)
from tests.search.corpus import all_documents

VARIANTS = ["zh-hans", "zh-hant"]


@pytest.fixture(scope="module")
def converters() -> dict[str, Any]:
    return {"zh-hant": make_converter("zh-hant")}


@pytest.fixture(scope="module")
def documents() -> list[SearchDocument]:
    docs = list(all_documents())
    # dates that tie, so the order falls back to the order given
    return [replace(d, date=d.date or "2016-01-01") for d in docs]


def test_length_table_is_whooshs() -> None:
    from whoosh.util.numeric import _length_byte_cache, length_to_byte

    assert list(_length_byte_cache) == LENGTH_TABLE
    lengths = np.arange(0, 120_000)
    assert length_bytes(lengths).tolist() == [length_to_byte(int(n)) for n in lengths]


def test_varints_round_trip() -> None:
    values = [0, 1, 127, 128, 300, 16383, 16384, 2**21, 2**28 + 5, 2**35, 2**62]
    assert varint.decode(varint.encode(np.asarray(values, dtype=np.uint64))) == values


def test_writes_are_deterministic(documents: list[SearchDocument], converters: Any) -> None:
    a = build_static_index(documents, VARIANTS, converters).files
    b = build_static_index(list(reversed(documents)), VARIANTS, converters).files
    assert a.keys() == b.keys()
    assert all(a[k] == b[k] for k in a)


def test_shards_hold_every_grams_postings(documents: list[SearchDocument], converters: Any) -> None:
    """Decoding every shard gives, for each gram, the postings of each document."""
    files = build_static_index(documents, VARIANTS, converters).files
    entry = json.loads(files[ENTRY])
    state = json.loads(gzip.decompress(files[STATE]))
    pairs = {(a, b) for a, b, _ in state["pairs"]}
    normaliser = Normaliser(pairs)
    ordered = [documents[i] for i in document_order(documents)]
    assert [d.slug for d in ordered] == [s for s, _ in state["docs"]]
    expected: dict[tuple[int, ...], dict[int, dict[int, Any]]] = {}
    for number, doc in enumerate(ordered):
        for gram, per in doc_grams(doc, normaliser).items():
            for field, posting in per.items():
                expected.setdefault(gram, {}).setdefault(field, {})[number] = posting
    got: dict[tuple[int, ...], dict[int, dict[int, Any]]] = {}
    assert len(state["shards"]) == entry["shards"]
    for name in state["shards"]:
        for codes, df, data, big in parse_shard(gzip.decompress(files[f"s/{name}.bin"])).grams:
            if data is not None:
                record = decode_record(len(codes), df, data, None)
            else:
                (name_a, _), (name_b, _) = big
                a = gzip.decompress(files[f"b/{name_a}.bin"]) if name_a else b""
                b = gzip.decompress(files[f"b/{name_b}.bin"]) if name_b else b""
                record = decode_record(len(codes), df, a, b)
            got[codes] = {f: per for f, per in enumerate(record.fields) if per}
    assert got.keys() == expected.keys()
    for gram, fields in expected.items():
        for field, per in fields.items():
            if len(gram) not in (2, 4):  # documents only
                assert set(got[gram][field]) == set(per), gram
            elif len(gram) == 2:  # and counts
                assert {d: c for d, (c, _) in got[gram][field].items()} == {
                    d: c for d, (c, _) in per.items()
                }
            else:
                assert got[gram][field] == per, gram


def _edits(docs: list[SearchDocument]) -> dict[str, list[SearchDocument]]:
    first, second = docs[3], docs[7]
    mid = len(first.body) // 2
    return {
        "append a paragraph": [
            replace(first, body=first.body + "\n基准补记：本段为测试追加的一句话。")
        ],
        "insert in the middle": [
            replace(first, body=first.body[:mid] + "新增的话语" + first.body[mid:])
        ],
        "delete a sentence": [replace(first, body=first.body[:mid] + first.body[mid + 40 :])],
        "new title": [replace(first, title=first.title + "（修订）")],
        "two articles": [
            replace(first, body=first.body.replace("的", "之", 3)),
            replace(second, body=second.body + "\n再补一句。"),
        ],
        "traditional text": [replace(second, body=second.body + "\n著力推進")],
    }


EDITS = [
    "append a paragraph",
    "insert in the middle",
    "delete a sentence",
    "new title",
    "two articles",
    "traditional text",
]


@pytest.mark.parametrize("edit", EDITS)
def test_update_gives_the_files_of_a_fresh_write(
    edit: str, documents: list[SearchDocument], converters: Any, tmp_path: Path
) -> None:
    write_static_index(tmp_path, documents, VARIANTS, converters)
    edited = {d.slug: d for d in _edits(documents)[edit]}
    new_docs = [edited.get(d.slug, d) for d in documents]
    fresh = build_static_index(new_docs, VARIANTS, converters).files
    result = update(tmp_path, new_docs, VARIANTS, converters)
    if result is None:
        pytest.skip(f"{edit}: the update asks for a fresh write (normalisation or shards)")
    changed, names = result
    assert names == set(fresh)
    before = {str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()}
    for rel in names:
        data = changed.files[rel] if rel in changed.files else (tmp_path / rel).read_bytes()
        assert data == fresh[rel], rel
    assert set(changed.files) <= names
    # only what changed is written again
    assert len(changed.files) < len(fresh) / 2 or len(fresh) < 40
    assert (names - set(changed.files)) <= before


def test_update_refuses_what_it_cannot_do(
    documents: list[SearchDocument], converters: Any, tmp_path: Path
) -> None:
    write_static_index(tmp_path, documents, VARIANTS, converters)
    assert update(tmp_path, documents[:-1], VARIANTS, converters) is None  # one removed
    moved = [replace(documents[0], date="2030-01-01"), *documents[1:]]
    assert update(tmp_path, moved, VARIANTS, converters) is None  # a new order
    unchanged = update(tmp_path, documents, VARIANTS, converters)
    assert unchanged is not None
    changed, names = unchanged
    assert not changed.files
    assert names == {str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()}
