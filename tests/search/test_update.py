"""``update_index`` keeps the previous index's normalisation without rebuilding it, and
answers as a fresh index does (totals, hits and facets; scores count deleted postings
until a merge, as Whoosh's do)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import search.analysis
from search.analysis import Normaliser
from search.engine import Literal, LiveIndex, Query, index_normalisation
from search.indexing import update_index, write_index
from tests.search.corpus import all_documents

META = {"variants": ["zh-hans", "zh-hant"], "default_variant": "zh-hans", "base_path": "/"}


def _answers(index_dir: Path) -> list[tuple[int, list[str], dict[str, dict[str, int]]]]:
    live = LiveIndex(index_dir, cache_size=0)
    out = []
    for literal in ("党建", "党", "凭借", "村级集体经济", "新增一段", "着力"):
        outcome = live.search(Query(must=(Literal(literal),)), 0, 1000, 10.0)
        out.append((outcome.total, sorted(h.stored["slug"] for h in outcome.hits), outcome.facets))
    live.close()
    return out


def test_update_uses_the_stored_fold_and_answers_as_a_fresh_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs: list[dict[str, Any]] = all_documents()
    previous = tmp_path / "a" / "_search" / "whoosh"
    write_index(previous, docs, META)
    pairs, fold = index_normalisation(previous)
    assert fold == Normaliser().base_fold

    edited = [dict(d) for d in docs]
    edited[1]["body"] += "\n新增一段：凭借群众路线，着力推进。"
    removed = edited.pop(2)["slug"]

    def no_fold_table() -> dict[int, str]:
        raise AssertionError("the fold table was rebuilt")

    monkeypatch.setattr(search.analysis, "_fold_table", no_fold_table)
    updated = tmp_path / "b" / "_search" / "whoosh"
    assert update_index(updated, previous, edited, {edited[1]["slug"]}, {removed}, META)
    assert index_normalisation(updated) == (pairs, fold)
    updated_answers = _answers(updated)  # opened with the stored fold too
    monkeypatch.undo()

    fresh = tmp_path / "c" / "_search" / "whoosh"
    write_index(fresh, edited, META)
    assert updated_answers == _answers(fresh)
    assert updated_answers[4][0] == 1
