"""The import-time check of Whoosh's internals, and the fallback it chooses: Whoosh's
own writer and matcher answer exactly as the fast paths do."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import pytest

import search.whoosh.blocks
import search.whoosh.guard as guard
import search.whoosh.postings
from search.analysis import Normaliser
from search.indexing import document_row
from search.query import parse
from search.whoosh import LiveIndex, update_documents, write_documents
from search.whoosh.postings import W3LeafMatcher
from search.whoosh.writer import SegmentWriter
from tests.search.corpus import all_documents

QUERIES = [
    "党",
    "村",
    "党建",
    "基层党建",
    "集体经济 -服务",
    "支部 OR 党委",
    "county:临颍县 村",
    "Grid 2.0",
]


def test_this_whoosh_allows_both_fast_paths() -> None:
    """whoosh-reloaded as pinned: the bulk writer and the block reader are used."""
    assert guard.Internals(writer=True, reader=True) == guard.NAMES
    assert guard.check() == guard.Internals(writer=True, reader=True)
    assert guard.bulk_writer() and guard.block_reader()


def _index(folder: Path, fast: bool) -> LiveIndex:
    """The sample articles written, then updated (3 replaced, 2 deleted)."""
    docs = all_documents()
    normaliser = Normaliser()
    write_documents(folder, (document_row(d) for d in docs), normaliser, fast=fast)
    changed = [dataclasses.replace(d, title=d.title + "（修订）") for d in docs[3:6]]
    rows = [document_row(d) for d in changed]
    update_documents(folder, rows, [d.slug for d in docs[:2]], normaliser)
    return LiveIndex(folder, cache_size=0, fast=fast)


def test_the_fallback_answers_as_the_fast_paths(tmp_path: Path) -> None:
    """Whoosh's own writer and matcher (what a changed Whoosh gets) against the bulk
    writer and block reader: the same hits, scores, totals and facets."""
    fast, stock = _index(tmp_path / "fast", True), _index(tmp_path / "stock", False)
    mixed = LiveIndex(tmp_path / "fast", cache_size=0, fast=False)
    for q in QUERIES:
        answers = []
        for live in (fast, stock, mixed):
            outcome = live.search(parse(q), 0, 1000, 30.0)
            hits = [(h.stored["slug"], h.score) for h in outcome.hits]
            answers.append((outcome.total, outcome.facets, hits))
        assert answers[0] == answers[1] == answers[2], q
        assert answers[0][0] > 0, q
    for live in (fast, stock, mixed):
        live.close()


def test_a_reader_that_differs_turns_the_block_reader_off(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    read = search.whoosh.postings.read_postings

    def drops_the_last(reader: object, fieldname: str, btext: bytes, fast: bool) -> object:
        ids, weights, values = read(reader, fieldname, btext, fast)
        return (ids[:-1], weights[:-1], values[:-1]) if fast else (ids, weights, values)

    monkeypatch.setattr(search.whoosh.postings, "read_postings", drops_the_last)
    assert guard.check() == guard.Internals(writer=True, reader=False)
    guard.block_reader.cache_clear()
    try:
        with caplog.at_level(logging.WARNING, logger="search"):
            assert not guard.block_reader()
    finally:
        guard.block_reader.cache_clear()
    assert "using Whoosh's own reader (slower)" in caplog.text


def test_a_missing_internal_name_turns_its_path_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """(Whoosh itself uses the name too, so nothing else is asked of it here.)"""
    assert guard._names_there(guard._READER_NAMES)
    monkeypatch.delattr(W3LeafMatcher, "_goto")
    assert not guard._names_there(guard._READER_NAMES)
    assert not guard.check_reader()


def test_blocks_that_read_otherwise_turn_the_bulk_writer_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(search.whoosh.blocks, "LIST_HEAD", b"\x80\x02]q\x01")
    assert guard.check() == guard.Internals(writer=False, reader=True)


def test_a_whoosh_whose_writer_fails_stops_with_one_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def fails(self: object, **fields: object) -> None:
        raise TypeError("add_document() got an unexpected keyword argument")

    monkeypatch.setattr(SegmentWriter, "add_document", fails)
    with pytest.raises(guard.WhooshMismatch) as stopped:
        guard.check()
    message = str(stopped.value)
    assert message.startswith("search: whoosh-reloaded 2.7.5 does not work as 2.7.5 did")
    assert message.endswith("install whoosh-reloaded~=2.7.5") and "\n" not in message
    monkeypatch.undo()
    guard.check()  # the probe's index of Whoosh's own, kept for the process, is sound again


def test_file_names_other_than_whooshs_stop_with_one_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(guard, "WRITE_LOCK", "MAIN_LOCK")
    with pytest.raises(guard.WhooshMismatch, match="the write lock is not MAIN_LOCK"):
        guard.check()
    monkeypatch.setattr(guard, "SEGMENT_SUFFIX", ".segment")
    with pytest.raises(guard.WhooshMismatch, match=r"its files are named '_MAIN_7.toc', \*.seg"):
        guard._check_names()
    monkeypatch.undo()
    guard.check()
