"""Normalisation and n-gram units: context-free, position-gapped, offsets kept."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from search.analysis import Normaliser, bigrams, iter_runs, literal_units
from tests.search.analysis_texts import TEXTS


@pytest.fixture(scope="module")
def normaliser() -> Normaliser:
    return Normaliser()


def test_normalises_script_width_and_case(normaliser: Normaliser) -> None:
    assert normaliser.normalise("ＡＢＣ１２３") == "abc123"
    assert normaliser.normalise("紅色聯盟") == normaliser.normalise("红色联盟")
    assert normaliser.normalise("村裡") == normaliser.normalise("村里")
    # s2tw writes 着 as 著 in context: both fold into one class
    assert normaliser.normalise("著力") == normaliser.normalise("着力")


def test_normalisation_is_context_free(normaliser: Normaliser) -> None:
    text = "临颍县：组建“红色联盟”，Grid 2.0，①号"
    whole = normaliser.normalise(text)
    assert "".join(normaliser.normalise(c) for c in text) == whole


def test_offsets_point_into_the_original(normaliser: Normaliser) -> None:
    text = "第①条ﬁ村"
    norm, offsets = normaliser.normalise_with_offsets(text)
    assert norm == "第1条fi村"
    assert offsets == [0, 1, 2, 3, 3, 4]


def test_runs_break_at_lines_and_collapse_spaces() -> None:
    runs = list(iter_runs("ab  c\nde", None, 8))
    assert [[u[0] for u in run] for run in runs] == [["a", "b", " ", "c"], ["d", "e"]]
    first, second = runs
    assert second[0][1] > first[-1][1] + 1  # a gap: no phrase joins two lines


def test_bigrams_keep_punctuation_so_phrases_never_skip_it() -> None:
    grams = [g[0] for run in iter_runs("县：组", None, 3) for g in bigrams(run)]
    assert grams == ["县：", "：组"]  # no "县组"


def test_literal_units(normaliser: Normaliser) -> None:
    assert literal_units(normaliser, "  Web   2.0 ") == ["w", "e", "b", " ", "2", ".", "0"]
    assert literal_units(normaliser, "紅色") == literal_units(normaliser, "红色")


@settings(max_examples=200, deadline=None)
@given(texts=TEXTS)
def test_normalise_many_is_normalise(normaliser: Normaliser, texts: list[str]) -> None:
    assert normaliser.normalise_many(texts) == [normaliser.normalise(t) for t in texts]
