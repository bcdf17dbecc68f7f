"""The fast indexing path writes what Whoosh's own path writes.

``GramField``/``UnitField`` compute postings without Whoosh's token machinery and
``_BulkWriter`` hands them to the codec in blocks; here an index written that way is
compared, term by term and posting by posting, with one written by Whoosh's standard
writer from plain ``TEXT`` fields with the same analyzers.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import fields, index

from search.analysis import Normaliser, gram_positions, grams, iter_runs, unit_counts
from search.engine import (
    INDEX_NAME,
    TEXT_FIELDS,
    Literal,
    LiveIndex,
    Query,
    make_schema,
    share_normaliser,
    write_documents,
)
from search.indexing import document_row
from tests.search.corpus import all_documents

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
    units: dict[str, int] = {}
    for run in iter_runs(norm, offsets, len(text)):
        for unit in run:
            if unit[0] != " ":
                units[unit[0]] = units.get(unit[0], 0) + 1
    assert dict(unit_counts(norm)) == units


def _documents() -> list[dict[str, Any]]:
    docs = all_documents()
    # a term in more than one block (128 postings), odd spacing, empty and 1-unit runs
    extra = [
        {
            "slug": f"extra-{i:03d}",
            "title": f"党建 {i}",
            "body": f"党建工作  第{i}篇\n\n村\n  Grid   2.0 \r\n凭借" + "党员" * (i % 7),
            "slogans": ["红色联盟", "", "五"][: i % 4],
            "county": "临颍县",
            "theme": "基层党建",
            "date": f"2016-01-{i % 28 + 1:02d}",
        }
        for i in range(300)
    ]
    return docs + extra


def _reference(index_dir: Path, rows: list[dict[str, Any]], normaliser: Normaliser) -> None:
    """Whoosh's own path: plain TEXT fields, the standard writer."""
    schema = make_schema(normaliser.extra_pairs)
    for name in TEXT_FIELDS:
        old = schema[name]
        schema.remove(name)
        schema.add(
            name,
            fields.TEXT(
                analyzer=old.analyzer,
                phrase=True,
                stored=old.stored,
                field_boost=old.format.field_boost,
            ),
        )
    share_normaliser(schema, normaliser)
    index_dir.mkdir(parents=True)
    ix = index.create_in(str(index_dir), schema, indexname=INDEX_NAME)
    with ix.writer() as writer:
        for row in rows:
            writer.add_document(**row)


def _dump(index_dir: Path) -> dict[str, Any]:
    ix = index.open_dir(str(index_dir), indexname=INDEX_NAME)
    out: dict[str, Any] = {}
    with ix.reader() as reader:
        names = sorted(ix.schema.names())
        for fieldname, tbytes in reader.all_terms():
            info = reader.term_info(fieldname, tbytes)
            stats = (
                info.weight(),
                info.doc_frequency(),
                info.min_length(),
                info.max_length(),
                info.max_weight(),
                info.min_id(),
                info.max_id(),
            )
            matcher = reader.postings(fieldname, tbytes)
            postings = []
            while matcher.is_active():
                postings.append(
                    (
                        matcher.id(),
                        matcher.weight(),
                        matcher.value(),
                        matcher.block_min_length(),
                        matcher.block_max_length(),
                        matcher.block_max_weight(),
                    )
                )
                matcher.next()
            out[(fieldname, tbytes)] = (stats, postings)
        for name in names:
            if not ix.schema[name].scorable:
                continue
            out[("length", name)] = (
                reader.field_length(name),
                reader.min_field_length(name),
                reader.max_field_length(name),
                [reader.doc_field_length(d, name) for d in range(reader.doc_count_all())],
            )
        out["stored"] = [reader.stored_fields(d) for d in range(reader.doc_count_all())]
    ix.close()
    return out


def test_bulk_writer_writes_what_whoosh_writes(tmp_path: Path) -> None:
    normaliser = Normaliser([("借", "藉")])
    rows = [document_row(d) for d in _documents()]
    _reference(tmp_path / "ref", rows, normaliser)
    write_documents(tmp_path / "fast", rows, normaliser.extra_pairs, normaliser)
    ref, fast = _dump(tmp_path / "ref"), _dump(tmp_path / "fast")
    assert ref.keys() == fast.keys()
    for key in ref:
        assert fast[key] == ref[key], key


def test_segments_answer_as_one(tmp_path: Path) -> None:
    normaliser = Normaliser()
    rows = [document_row(d) for d in _documents()]
    write_documents(tmp_path / "one", rows, (), normaliser)
    write_documents(tmp_path / "many", rows, (), normaliser, segment_positions=2000)
    many = index.open_dir(str(tmp_path / "many"), indexname=INDEX_NAME)
    assert len(many._segments()) > 3
    many.close()
    one, several = LiveIndex(tmp_path / "one"), LiveIndex(tmp_path / "many")
    for literal in ("党建", "党", "凭借工作", "Grid 2.0", "村级集体经济", "五", "篇\n村"):
        q = Query(must=(Literal(literal),))
        a, b = one.search(q, 0, 1000, 10.0), several.search(q, 0, 1000, 10.0)
        assert (a.total, a.facets) == (b.total, b.facets), literal
        assert [(h.stored["slug"], round(h.score, 6)) for h in a.hits] == [
            (h.stored["slug"], round(h.score, 6)) for h in b.hits
        ], literal
    assert list(itertools.islice(rows, 1))  # rows were a list, reused
