"""The static index's writer: Whoosh's length table, deterministic files, records that
hold every gram's postings, fragments that give every script's text, and updates that
give the files a fresh write gives."""

from __future__ import annotations

import gzip
import json
import zlib
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from search.analysis import Normaliser
from search.documents import SearchDocument
from search.scripts import make_converter
from search.static import FOLDER, PreviousIndex, static_index_files, varint
from search.static.fragments import SHOWN, apply, read_fragment, source_texts, variant_texts
from search.static.lengths import LENGTH_TABLE, length_bytes
from search.static.postings import decode_places, decode_record, parse_shard
from search.static.state import State
from search.static.update import doc_grams, gram_changes, update
from search.static.writer import (
    ENTRY,
    STATE,
    build_static_index,
    document_order,
    field_texts,
    write_static_index,
)
from tests.search.corpus import all_documents

VARIANTS = ["zh-hans", "zh-hant"]
KEY = "phrases-1"


@pytest.fixture(scope="module")
def converters() -> dict[str, Any]:
    return {"zh-hant": make_converter("zh-hant")}


@pytest.fixture(scope="module")
def documents() -> list[SearchDocument]:
    docs = list(all_documents())
    # dates that tie, so the order falls back to the order given
    return [replace(d, date=d.date or "2016-01-01") for d in docs]


@pytest.fixture(scope="module")
def written(documents: list[SearchDocument], converters: Any) -> dict[str, bytes]:
    return build_static_index(documents, VARIANTS, converters, KEY).files


def test_length_table_is_whooshs() -> None:
    from whoosh.util.numeric import _length_byte_cache, length_to_byte

    assert list(_length_byte_cache) == LENGTH_TABLE
    lengths = np.arange(0, 120_000)
    assert length_bytes(lengths).tolist() == [length_to_byte(int(n)) for n in lengths]


def test_varints_round_trip() -> None:
    values = [0, 1, 127, 128, 300, 16383, 16384, 2**21, 2**28 + 5, 2**35, 2**62]
    encoded = varint.encode(np.asarray(values, dtype=np.uint64))
    assert varint.decode(encoded) == values
    assert varint.decode_array(encoded).tolist() == values
    many = np.random.default_rng(7).integers(0, 2**33, size=varint.CHUNK + 5, dtype=np.uint64)
    assert (varint.decode_array(varint.encode(many)) == many).all()  # past one chunk


def test_writes_are_deterministic(
    documents: list[SearchDocument], converters: Any, written: dict[str, bytes]
) -> None:
    again = build_static_index(list(reversed(documents)), VARIANTS, converters, KEY).files
    assert written.keys() == again.keys()
    assert all(written[k] == again[k] for k in written)


def test_the_pairs_it_shares_are_those_the_whoosh_writer_counts(
    documents: list[SearchDocument], converters: Any, written: dict[str, bytes]
) -> None:
    """A build hands the Whoosh index's writer the folding pairs this writer counts
    (bulletin/site_index.py), so both must be variant_pairs' over the same documents."""
    from search.indexing import variant_pairs

    shared: list[set[tuple[str, str]]] = []
    again = build_static_index(documents, VARIANTS, converters, KEY, share_pairs=shared.append)
    assert again.files == written
    expected = variant_pairs(documents, ["zh-hant"], None, Normaliser(), converters)
    assert shared == [expected] and expected  # the sample content gives some


def _postings(files: dict[str, bytes]) -> dict[tuple[int, ...], dict[int, Any]]:
    """Every gram's postings, decoded from the shards: gram -> field -> doc -> posting."""
    entry = json.loads(files[ENTRY])
    got: dict[tuple[int, ...], dict[int, Any]] = {}
    data = gzip.decompress(files[entry["shard_names"]])
    names = [data[at : at + 8].hex() for at in range(0, len(data), 8)]
    assert len(names) == entry["shards"]
    for name in names:
        for codes, e in parse_shard(gzip.decompress(files[f"s/{name}.bin"])).items():
            if e.data is not None:
                record = decode_record(len(codes), e.df, e.data, None)
            else:
                assert e.big is not None
                (name_a, _), (name_b, _) = e.big
                a = gzip.decompress(files[f"b/{name_a}.bin"]) if name_a else b""
                b = gzip.decompress(files[f"b/{name_b}.bin"]) if name_b else b""
                record = decode_record(len(codes), e.df, a, b)
            got[codes] = {
                f: {
                    d: (c, decode_places(p) if p is not None else ())
                    for d, c, p in zip(
                        field.docs.tolist(),
                        field.counts.tolist(),
                        field.places or [None] * field.docs.size,
                        strict=True,
                    )
                }
                for f, field in enumerate(record.fields)
                if field.docs.size
            }
    return got


def test_shards_hold_every_grams_postings(
    documents: list[SearchDocument], written: dict[str, bytes]
) -> None:
    """Decoding every shard gives, for each gram, the postings of each document: the
    documents per field, their counts (orders 2 and 4) and places (order 4)."""
    state = State.from_bytes(written[STATE])
    assert state is not None
    normaliser = Normaliser(set(state.pairs))
    ordered = [documents[i] for i in document_order(documents)]
    assert [d.slug for d in ordered] == list(state.slugs)
    texts = field_texts(ordered, normaliser)
    expected: dict[tuple[int, ...], dict[int, dict[int, Any]]] = {}
    for number in range(len(ordered)):
        grams = doc_grams({f: texts[f][number] for f in texts})
        for gram, per in grams.items():
            for field, posting in per.items():
                codes = tuple(map(ord, gram))
                expected.setdefault(codes, {}).setdefault(field, {})[number] = posting
    got = _postings(written)
    assert got.keys() == expected.keys()
    for gram, fields in expected.items():
        assert set(got[gram]) == set(fields), gram
        for field, per in fields.items():
            if len(gram) in (1, 3):  # documents only
                assert set(got[gram][field]) == set(per), gram
            else:
                assert got[gram][field] == per, gram


def test_places_are_runs_and_offsets(written: dict[str, bytes]) -> None:
    """A 4-gram's place is its run (a line of the field) and its offset in that run."""
    got = _postings(written)
    fours = [g for g in got if len(g) == 4]
    assert any(
        run > 0 for g in fours for per in got[g].values() for _, p in per.values() for run, _ in p
    )


def test_fragments_give_every_script(
    documents: list[SearchDocument], converters: Any, written: dict[str, bytes]
) -> None:
    """One fragment per document; the Traditional texts, rebuilt from the Simplified
    ones with the script table and the fragment's changes (as the page rebuilds them),
    are the site converter's."""
    entry = json.loads(written[ENTRY])
    table = gzip.decompress(written[entry["scripts"]["zh-hant"]]).decode("utf-16-le")
    pairs = {table[i]: table[i + 1] for i in range(0, len(table), 2)}
    ordered = [documents[i] for i in document_order(documents)]
    fragments = sorted(k for k in written if k.startswith("f/"))
    assert len(fragments) == len(ordered)
    converter = converters["zh-hant"]
    for name in fragments:
        number = int(name[2:].split("-")[0])
        doc = ordered[number]
        frag = read_fragment(gzip.decompress(written[name]))
        assert frag["slug"] == doc.slug
        base = [frag[k] for k in SHOWN]
        assert base == list(source_texts(doc))
        converted = (converter.convert(doc.title), converter.convert(doc.body))
        expected = variant_texts(doc, "zh-hant", converted, converter)
        changes = frag["variants"]["zh-hant"]
        rebuilt = [apply(b, changes.get(k), pairs) for k, b in zip(SHOWN, base, strict=True)]
        assert rebuilt == list(expected), doc.slug


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
        "insert a paragraph": [
            replace(first, body=first.body[:mid] + "\n新起一段。\n" + first.body[mid:])
        ],
        "delete a sentence": [replace(first, body=first.body[:mid] + first.body[mid + 40 :])],
        "new title": [replace(first, title=first.title + "（修订）")],
        "two articles": [
            replace(first, body=first.body.replace("的", "之", 3)),
            replace(second, body=second.body + "\n再补一句。"),
        ],
        "traditional text": [replace(second, body=second.body + "\n著力推進")],
        "other slogans": [replace(first, slogans=tuple(reversed(second.slogans)))],
        "nothing the index holds": [replace(first, tags=("新标签",))],
    }


EDITS = list(_edits([SearchDocument("x", "", "", "", "", "")] * 8))


def _documents(docs: list[SearchDocument]) -> Any:
    return lambda slugs: [d for d in docs if slugs is None or d.slug in slugs]


def _folder_files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("edit", EDITS)
def test_update_gives_the_files_of_a_fresh_write(
    edit: str, documents: list[SearchDocument], converters: Any, tmp_path: Path
) -> None:
    folder = tmp_path / FOLDER
    write_static_index(folder, documents, VARIANTS, converters, KEY)
    edited = {d.slug: d for d in _edits(documents)[edit]}
    new_docs = [edited.get(d.slug, d) for d in documents]
    fresh = build_static_index(new_docs, VARIANTS, converters, KEY).files
    result = update(folder, list(edited.values()), frozenset(edited), VARIANTS, converters, KEY)
    assert result is not None, f"{edit}: the update asks for a fresh write"
    changed, names = result
    assert names == set(fresh)
    before = _folder_files(folder)
    for rel in names:
        data = changed.files[rel] if rel in changed.files else (folder / rel).read_bytes()
        assert data == fresh[rel], rel
    assert set(changed.files) <= names
    assert (names - set(changed.files)) <= before
    if edit == "nothing the index holds":
        assert set(changed.files) <= {ENTRY, STATE}


def test_a_paragraph_added_renumbers_no_other_run() -> None:
    """Run numbers are drawn from each run's own text, modulo slots that stay the same
    from 1 to 64 runs: adding a paragraph (past 8, 16 or 32 of them too) leaves the
    other runs' numbers, so the records of their grams, as they were."""
    from search.static.grams import run_ids

    homes: set[int] = set()
    runs: list[str] = []
    for n in range(1000):  # paragraphs whose CRC-32 homes differ (no run probes past one)
        run = f"第{n}段：村集体经济收入稳步增长。"
        home = zlib.crc32(run.encode()) % 128
        if home not in homes:
            homes.add(home)
            runs.append(run)
    for count in (1, 8, 9, 16, 17, 32, 33, 63):
        ids = run_ids(runs[:count])
        assert max(ids) < 128  # one-byte varints
        assert run_ids(runs[: count + 1])[:count] == ids, count


def test_an_edit_in_a_paragraph_changes_that_paragraphs_grams_only(
    documents: list[SearchDocument],
) -> None:
    """Places are runs and offsets: inserting words in one paragraph changes the
    postings of grams of that paragraph (before or after) only."""
    doc = next(d for d in documents if d.body.count("\n") >= 4)
    lines = doc.body.split("\n")
    at = len(lines) // 2
    edited_line = lines[at][:3] + "新增的话语" + lines[at][3:]
    edited = replace(doc, body="\n".join([*lines[:at], edited_line, *lines[at + 1 :]]))
    normaliser = Normaliser()
    changes = gram_changes({0: edited}, {0: doc}, normaliser)
    paragraph = {
        tuple(map(ord, run[o : o + k]))
        for text in normaliser.normalise_many([lines[at], edited_line])
        for run in text.split("\n")
        for k in (1, 2, 3, 4)
        for o in range(len(run) - k + 1)
    }
    assert changes and set(changes) <= paragraph


def test_static_index_files_updates_or_writes_afresh(
    documents: list[SearchDocument], converters: Any, tmp_path: Path
) -> None:
    """Through the entry point: the same files either way, the update asking only for the
    changed documents."""
    write_static_index(tmp_path / FOLDER, documents, VARIANTS, converters, KEY)
    edited = replace(documents[5], body=documents[5].body + "\n补记。")
    new_docs = [edited if d.slug == edited.slug else d for d in documents]
    asked: list[frozenset[str] | None] = []

    def given(slugs: frozenset[str] | None) -> list[SearchDocument]:
        asked.append(slugs)
        return _documents(new_docs)(slugs)

    previous = PreviousIndex(tmp_path, frozenset({edited.slug}))
    made = static_index_files(given, VARIANTS, converters, KEY, previous)
    assert asked == [frozenset({edited.slug})]
    fresh = build_static_index(new_docs, VARIANTS, converters, KEY).files
    assert made.names == {f"{FOLDER}/{r}" for r in fresh}
    assert len(made.files) < len(fresh) / 2
    # another key (the site's phrases changed): written afresh, from every document
    asked.clear()
    other = static_index_files(given, VARIANTS, converters, "phrases-2", previous)
    assert asked == [frozenset({edited.slug}), None]
    assert len(other.files) == len(fresh)


def test_update_refuses_what_it_cannot_do(
    documents: list[SearchDocument], converters: Any, tmp_path: Path
) -> None:
    folder = tmp_path / FOLDER
    write_static_index(folder, documents, VARIANTS, converters, KEY)

    def attempt(docs: list[SearchDocument], changed: set[str], key: str = KEY) -> Any:
        return update(folder, docs, frozenset(changed), VARIANTS, converters, key)

    last = documents[-1]
    assert attempt([], {last.slug}) is None  # one removed
    assert attempt([replace(last, slug="new-one")], {"new-one"}) is None  # one added
    moved = replace(documents[0], date="2030-01-01")
    assert attempt([moved], {moved.slug}) is None  # a new order
    assert attempt([documents[0]], {documents[0].slug}, key="other") is None
    new_county = replace(documents[0], county="新设县")
    assert attempt([new_county], {new_county.slug}) is None  # a new name
    unchanged = attempt([], set())
    assert unchanged is not None
    changed, names = unchanged
    assert not changed.files
    assert names == _folder_files(folder)


def test_varints_of_large_arrays_are_written_chunk_by_chunk_into_one_array() -> None:
    values = np.arange(varint.CHUNK + 5, dtype=np.uint64) * np.uint64(997)
    values[::3] = 2**63 - 1  # nine bytes
    encoded = varint.encode_array(values, varint.sizes(values))
    assert encoded.size == int(varint.sizes(values).sum(dtype=np.int64))
    assert np.array_equal(varint.decode_array(encoded), values)
