"""The index's analyzer and bigram fields: the terms Whoosh's analysis path gives, the
postings computed without it, and each document's exact length in a column."""

from __future__ import annotations

import pickle
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from search.analysis import Normaliser, gram_positions, grams, iter_runs
from search.documents import SearchDocument
from search.indexing import document_row
from search.whoosh import write_documents
from search.whoosh.schema import TEXT_FIELDS, BigramAnalyzer, exact_length, make_schema
from tests.search.corpus import all_documents
from tests.search.oracle import open_index

_NORMALISER = Normaliser()
_ALPHABET = st.sampled_from(list("党建村级集体经济着著裡里凭借 \n\r\t  ab1+·：。ＡＢﬁ①"))


@settings(max_examples=300, deadline=None)
@given(text=st.text(_ALPHABET, max_size=40))
def test_gram_positions_are_the_analyzer_terms(text: str) -> None:
    norm, offsets = _NORMALISER.normalise_with_offsets(text)
    expected: dict[str, list[int]] = {}
    for run in iter_runs(norm, offsets, len(text)):
        for gram, pos, _, _ in grams(run):
            expected.setdefault(gram, []).append(pos)
    assert gram_positions(norm) == expected
    assert exact_length(norm) == sum(map(len, expected.values()))


@settings(max_examples=200, deadline=None)
@given(text=st.text(_ALPHABET, max_size=40))
def test_a_fields_postings_are_the_analyzers(text: str) -> None:
    """``GramField.index`` (no Token objects) gives what Whoosh's TEXT field gives from
    the analyzer: terms, frequencies, weights and encoded positions."""
    schema = make_schema()
    field = schema["title"]
    field.analyzer.use(_NORMALISER)
    stock = super(type(field), field).index
    assert sorted(field.index(text)) == sorted(stock(text))


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


def test_analyzer_pickles_without_its_converter() -> None:
    analyzer = BigramAnalyzer([("借", "藉")])
    _ = analyzer.normaliser
    copy = pickle.loads(pickle.dumps(analyzer))
    assert copy == analyzer
    assert [t.text for t in copy("憑藉")] == [t.text for t in analyzer("凭借")]


def test_the_length_column_is_the_exact_field_length(tmp_path: Path) -> None:
    """One document a segment: each segment's total length (Whoosh's exact sum) is the
    document's column value, both for the bulk writer and Whoosh's own."""
    docs = [*all_documents()[:6], SearchDocument.from_mapping({"slug": "empty", "body": ""})]
    rows = [document_row(d) for d in docs]
    for fast in (True, False):
        folder = tmp_path / str(fast)
        write_documents(folder, rows, _NORMALISER, fast=fast, segment_positions=1, batch=1)
        ix = open_index(folder)
        with ix.reader() as reader:
            leaves = [r for r, _ in reader.leaf_readers()] if fast else [reader]
            for leaf in leaves:
                for name in TEXT_FIELDS:
                    column = leaf.column_reader(name, translate=False)
                    values = [column[d] for d in range(leaf.doc_count_all())]
                    assert sum(values) == leaf.field_length(name), (fast, name)
                    if fast:
                        assert len(values) == 1
        ix.close()
