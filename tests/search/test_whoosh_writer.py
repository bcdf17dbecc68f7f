"""The fast indexing path writes what Whoosh's own path writes.

``BulkWriter`` sorts a segment's bigram occurrences with numpy and lays out the
blocks' pickles, the postings streams and the terms table itself; here an index
written that way is compared, term by term and posting by posting, with one written
by Whoosh's standard writer from plain ``TEXT`` fields with the same analyzers (and
the same block size), and the pieces are checked where pickle and the hash tables
have edges.
"""

from __future__ import annotations

import itertools
import pickle
import sys
import zlib
from array import array
from pathlib import Path

import pytest

import search.whoosh.writer as writer_module
from search.analysis import Normaliser, gram_positions, positioned
from search.documents import SearchDocument
from search.indexing import document_row
from search.layout import INDEX_NAME
from search.model import Literal, Query
from search.whoosh import LiveIndex, update_documents, write_documents
from search.whoosh.blocks import gram_blocks
from search.whoosh.terms import write_hashes
from tests.search.corpus import all_documents
from tests.search.oracle import (
    dump_index,
    hash_file,
    positions_value,
    reference_index,
    segment_codecs,
)


def _documents() -> list[SearchDocument]:
    docs = all_documents()
    # a term in more than one block (128 postings), odd spacing, empty and 1-unit runs
    extra = [
        SearchDocument.from_mapping(
            {
                "slug": f"extra-{i:03d}",
                "title": f"党建 {i}",
                "body": f"党建工作  第{i}篇\n\n村\n  Grid   2.0 \r\n凭借" + "党员" * (i % 7),
                "slogans": ["红色联盟", "", "五"][: i % 4],
                "county": "临颍县",
                "theme": "基层党建",
                "date": f"2016-01-{i % 28 + 1:02d}",
            }
        )
        for i in range(300)
    ]
    return docs + extra


@pytest.mark.parametrize("block_postings", [128, 1024])
def test_bulk_writer_writes_what_whoosh_writes(tmp_path: Path, block_postings: int) -> None:
    """Whoosh's writer with the same block size (128, Whoosh's own, puts some terms
    of the fixture in several blocks; 1024 is what write_index writes)."""
    normaliser = Normaliser([("借", "藉")])
    rows = [document_row(d) for d in _documents()]
    reference_index(tmp_path / "ref", rows, normaliser, block_postings)
    write_documents(tmp_path / "fast", rows, normaliser, batch=37, block_postings=block_postings)
    ref, fast = dump_index(tmp_path / "ref"), dump_index(tmp_path / "fast")
    assert ref.keys() == fast.keys()
    for key in ref:
        assert fast[key] == ref[key], key


def test_segments_answer_as_one(tmp_path: Path) -> None:
    normaliser = Normaliser()
    rows = [document_row(d) for d in _documents()]
    write_documents(tmp_path / "one", rows, normaliser)
    write_documents(tmp_path / "many", rows, normaliser, segment_positions=2000, batch=7)
    assert len(segment_codecs(tmp_path / "many")) > 3
    _same_answers(tmp_path / "one", tmp_path / "many")


def test_segments_of_one_document_with_empty_fields(tmp_path: Path) -> None:
    """A segment per document, the last with every text field empty."""
    docs = [
        {"slug": "title-only", "title": "党", "body": "", "slogans": [""], "date": ""},
        {"slug": "one-unit", "title": "五", "body": "村", "slogans": ["五"]},
        {"slug": "empty", "title": "", "body": "", "slogans": [], "date": "2016-01-01"},
    ]
    rows = [document_row(SearchDocument.from_mapping(d)) for d in docs]
    write_documents(tmp_path / "one", rows, Normaliser())
    write_documents(tmp_path / "many", rows, Normaliser(), segment_positions=1, batch=1)
    assert len(segment_codecs(tmp_path / "many")) == 3
    _same_answers(tmp_path / "one", tmp_path / "many")


def _same_answers(one_dir: Path, many_dir: Path) -> None:
    one, several = LiveIndex(one_dir), LiveIndex(many_dir)
    for literal in ("党建", "党", "凭借工作", "Grid 2.0", "村级集体经济", "五", "篇\n村"):
        q = Query(must=(Literal(literal),))
        a, b = one.search(q, 0, 1000, 10.0), several.search(q, 0, 1000, 10.0)
        assert (a.total, a.facets) == (b.total, b.facets), literal
        assert [(h.stored["slug"], round(h.score, 6)) for h in a.hits] == [
            (h.stored["slug"], round(h.score, 6)) for h in b.hits
        ], literal
    one.close()
    several.close()


def _expected_postings(
    texts: list[str], docnums: list[int]
) -> dict[bytes, list[tuple[int, int, bytes]]]:
    """Term -> [(docnum, freq, encoded positions)] as Whoosh's Positions format encodes
    them, from :func:`gram_positions` of each text."""
    out: dict[bytes, list[tuple[int, int, bytes]]] = {}
    for text, docnum in zip(texts, docnums, strict=True):
        for gram, positions in gram_positions(text).items():
            value = positions_value(positions)
            out.setdefault(gram.encode("utf-8"), []).append((docnum, len(positions), value))
    return dict(sorted(out.items()))


def test_block_pickles_at_the_edges() -> None:
    """The block layout where pickle changes opcodes: a bigram more than 1,000 times in
    one text (MARK/APPENDS batches of 1,000), positions and docnums of 256 and 65,536
    or more (BININT1/BININT2/BININT), a value of 256 bytes or more (BINBYTES), blocks
    of one, some and equal weights, a term in several blocks."""
    texts = [
        "党员" * 1500,
        "党员群众" + "x" * 70_000 + "党员",
        "党\n员 党员" * 40,
        "a",
        "",
        "ab\nab",
    ] + [f"党员第{i}篇" for i in range(300)]
    docnums = [0, 255, 256, 65_535, 65_536, 1 << 20] + [(1 << 20) + 7 * i for i in range(1, 301)]
    expected = _expected_postings([positioned(t) for t in texts], docnums)
    lengths = [sum(map(len, gram_positions(positioned(t)).values())) for t in texts]
    for limit in (128, 1024):
        got: dict[bytes, list[tuple[int, int, bytes]]] = {}
        for blocks in gram_blocks(
            [positioned(t) + "\n" for t in texts],
            array("q", docnums),
            array("q", lengths),
            3.0,
            limit,
        ):
            for t, term in enumerate(blocks.terms):
                postings = got.setdefault(term, [])
                for b in range(blocks.term_blocks[t], blocks.term_blocks[t + 1]):
                    data = bytes(blocks.data[blocks.offset[b] : blocks.offset[b] + blocks.size[b]])
                    ids, weights, values = pickle.loads(data)
                    assert len(ids) == blocks.count[b] <= limit
                    ids = list(itertools.accumulate(ids))
                    assert ids[-1] == blocks.last_id[b]
                    if weights is None:
                        weights = [1.0] * len(ids)
                    elif isinstance(weights, float):
                        weights = [weights] * len(ids)
                    freqs = [round(w / 3.0) for w in weights]
                    assert all(w == f * 3.0 for w, f in zip(weights, freqs, strict=True))
                    assert blocks.max_weight[b] == max(freqs) * 3.0
                    postings += zip(ids, freqs, values, strict=True)
        assert got == expected


def test_blocks_without_isal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where isal is not installed, the blocks and stored fields are zlib's (level 3)."""
    monkeypatch.setitem(sys.modules, "isal", None)
    writer_module.compressor.cache_clear()
    try:
        assert writer_module.compressor() == (zlib.compress, 3)
        normaliser = Normaliser()
        rows = [document_row(d) for d in _documents()[:60]]
        reference_index(tmp_path / "ref", rows, normaliser, 1024)
        write_documents(tmp_path / "fast", rows, normaliser)
        assert dump_index(tmp_path / "fast") == dump_index(tmp_path / "ref")
    finally:
        writer_module.compressor.cache_clear()


def test_hash_tables_laid_out_with_numpy_find_every_key(tmp_path: Path) -> None:
    """The terms table's hash tables (:func:`search.whoosh.terms.write_hashes`): every key found by
    Whoosh's reader, in order and by lookup, and a missing key not, with tables full
    enough to collide and wrap (two slots an entry, 20,000 keys in 256 tables), from
    Whoosh's own bucket entries and the bulk arrays together."""
    keys = [f"key{i:06d}".encode() for i in range(20_000)]
    reader = hash_file(tmp_path, keys, 300, write_hashes)
    assert [k for k, _ in reader.items()] == keys
    assert all(reader[key] == key[::-1] for key in keys)
    assert b"key999999" not in reader


def test_block_pickles_with_more_than_65535_distinct_characters() -> None:
    """A segment whose term keys do not fit 32 bits (the argsort path of the sort)."""
    chars = [chr(c) for c in (*range(0x4E00, 0xA000), *range(0x20000, 0x2B000))]
    assert len(chars) > 65_535
    texts = ["".join(chars), "".join(reversed(chars[:50_000])) + "\n" + chars[7] * 3]
    docnums = [3, 9]
    expected = _expected_postings([positioned(t) for t in texts], docnums)
    lengths = [sum(map(len, gram_positions(positioned(t)).values())) for t in texts]
    got: dict[bytes, list[tuple[int, int, bytes]]] = {}
    for blocks in gram_blocks(
        [positioned(t) + "\n" for t in texts], array("q", docnums), array("q", lengths), 1.0, 128
    ):
        for t, term in enumerate(blocks.terms):
            for b in range(blocks.term_blocks[t], blocks.term_blocks[t + 1]):
                data = bytes(blocks.data[blocks.offset[b] : blocks.offset[b] + blocks.size[b]])
                ids, weights, values = pickle.loads(data)
                if weights is None:
                    weights = [1.0] * len(ids)
                elif isinstance(weights, float):
                    weights = [weights] * len(ids)
                ids = list(itertools.accumulate(ids))
                freqs = [int(w) for w in weights]
                got.setdefault(term, []).extend(zip(ids, freqs, values, strict=True))
    assert got == expected


def test_the_toc_names_whooshs_codec(tmp_path: Path) -> None:
    """Segments written through the engine's codec (the bulk writer, an update) record
    Whoosh's ``W3Codec``, so an older ``search`` still opens the index."""
    rows = [document_row(d) for d in _documents()[:20]]
    write_documents(tmp_path, rows[:10], Normaliser(), block_postings=512)
    update_documents(tmp_path, rows[10:], ["extra-000"], Normaliser())
    tocs = list(tmp_path.glob(f"_{INDEX_NAME}_*.toc"))
    assert tocs and all(b"_Codec" not in toc.read_bytes() for toc in tocs)
    assert segment_codecs(tmp_path) == [("W3Codec", 512), ("W3Codec", 1024)]
