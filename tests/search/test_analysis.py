"""Normalisation and n-gram units: context-free, position-gapped, offsets kept."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import search.indexing
from search.analysis import Normaliser, bigrams, iter_runs, literal_units
from search.engine import BigramAnalyzer, UnigramAnalyzer
from search.indexing import _convert_all, _differing_pairs, _pairs_of, variant_pairs
from search.scripts import make_converter
from tests.search.corpus import all_documents


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


def test_mixed_latin_numbers_and_chinese() -> None:
    analyzer = BigramAnalyzer()
    tokens = [(t.text, t.pos) for t in analyzer("1+2+3+X，5·10与365天", positions=True)]
    texts = [t for t, _ in tokens]
    assert texts[:7] == ["1+", "+2", "2+", "+3", "3+", "+x", "x,"]
    assert "5·" in texts and "·1" in texts and "5天" in texts
    assert [p for _, p in tokens] == list(range(len(tokens)))


def test_chars_map_back_to_the_original_text() -> None:
    analyzer = BigramAnalyzer()
    text = "甲乙\n丙丁"
    spans = [(t.text, text[t.startchar : t.endchar]) for t in analyzer(text, chars=True)]
    # each run's last unit also gives a run-end term, so a single unit is found
    assert spans == [("甲乙", "甲乙"), ("乙\n", "乙"), ("丙丁", "丙丁"), ("丁\n", "丁")]


def test_unigrams_leave_spaces_out() -> None:
    assert [t.text for t in UnigramAnalyzer()("a b")] == ["a", "b"]


def test_literal_units(normaliser: Normaliser) -> None:
    assert literal_units(normaliser, "  Web   2.0 ") == ["w", "e", "b", " ", "2", ".", "0"]
    assert literal_units(normaliser, "紅色") == literal_units(normaliser, "红色")


def test_analyzer_pickles_without_its_converter() -> None:
    import pickle

    analyzer = BigramAnalyzer([("借", "藉")])
    _ = analyzer.normaliser
    copy = pickle.loads(pickle.dumps(analyzer))
    assert copy == analyzer
    assert [t.text for t in copy("憑藉")] == [t.text for t in analyzer("凭借")]


_TEXTS = st.lists(
    st.text(
        st.sampled_from(list("党建村里裡着著凭借藉乾干後后 \n\r\tＡaﬁ①㎡\U00020000：，")),
        max_size=30,
    ),
    max_size=8,
)


@settings(max_examples=200, deadline=None)
@given(texts=_TEXTS)
def test_normalise_many_is_normalise(normaliser: Normaliser, texts: list[str]) -> None:
    assert normaliser.normalise_many(texts) == [normaliser.normalise(t) for t in texts]


class _Scrambler:
    """A converter that changes length, swaps characters in context and maps to
    characters that normalise to two (what the per-text rule has to skip)."""

    def convert(self, text: str) -> str:
        return (
            text.replace("凭借", "憑藉")
            .replace("后来", "後來")
            .replace("ff", "ﬀ")
            .replace("村村", "村")
        )


@settings(max_examples=200, deadline=None)
@given(
    texts=_TEXTS.map(
        lambda ts: [t.replace("a", "凭借").replace("Ａ", "村村").replace("：", "ff") for t in ts]
    )
)
def test_differing_pairs_follow_the_per_text_rule(normaliser: Normaliser, texts: list[str]) -> None:
    converter = _Scrambler()
    converted = [converter.convert(t) for t in texts]
    expected: set[tuple[str, str]] = set()
    for text, conv in zip(texts, converted, strict=True):
        expected |= _pairs_of(text, conv, normaliser)
    assert _differing_pairs(texts, converted, normaliser) == expected
    assert _convert_all(converter, texts) == converted


def test_variant_pairs_of_the_sample_content(normaliser: Normaliser) -> None:
    """One OpenCC call per batch and the numpy comparison give the per-text pairs."""
    docs = all_documents()
    texts = [t for d in docs for t in (d["title"], d["body"], *d.get("slogans", []))]
    converter = make_converter("zh-hant")
    expected: set[tuple[str, str]] = set()
    for text in texts:
        expected |= _pairs_of(text, converter.convert(text), normaliser)
    assert variant_pairs(docs, ["zh-hant"], None, normaliser) == expected


def test_variant_pairs_take_the_documents_own_conversion(
    normaliser: Normaliser, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = all_documents()
    expected = variant_pairs(docs, ["zh-hant"], None, normaliser)
    converter = make_converter("zh-hant")
    given = [
        {
            **d,
            "converted": {
                "zh-hant": {
                    "title": converter.convert(d["title"]),
                    "body": converter.convert(d["body"]),
                    "slogans": [converter.convert(s) for s in d.get("slogans", [])],
                }
            },
        }
        for d in docs
    ]

    def no_converter(*args: object) -> None:
        raise AssertionError("a converter was made")

    monkeypatch.setattr(search.indexing, "make_converter", no_converter)
    assert variant_pairs(given, ["zh-hant"], None, normaliser) == expected
    # a document without its conversion (or with a partial one) is converted
    monkeypatch.undo()
    extra = {"slug": "x", "title": "凭借", "body": "凭借群众", "slogans": []}
    partial = {**extra, "converted": {"zh-hant": {"title": "凭借", "body": "凭借群众"}}}
    assert ("借", "藉") in variant_pairs([*given, partial], ["zh-hant"], None, normaliser)
