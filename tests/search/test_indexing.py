"""Writing the index from the generator's documents: the variant pairs, the index's
rows, when to write afresh, and an update that answers every query exactly as an index
written afresh from the same documents (order, scores, totals, facets, snippets)."""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

import pytest
from hypothesis import given, settings

import search.analysis
from search.analysis import Normaliser
from search.documents import SearchDocument
from search.indexing import (
    MAX_UPDATE_SEGMENTS,
    _convert_all,
    _differing_pairs,
    _pairs_of,
    document_row,
    rewrite_due,
    update_index,
    variant_pairs,
    write_index,
)
from search.layout import SearchMeta, count_segments, index_dir, index_files, write_meta
from search.model import Outcome
from search.query import SearchRequest, Site, answer, parse
from search.scripts import make_converter
from search.whoosh import LiveIndex, index_normalisation
from tests.search.analysis_texts import TEXTS
from tests.search.corpus import all_documents

META = SearchMeta(variants=("zh-hans", "zh-hant"))


@pytest.fixture(scope="module")
def normaliser() -> Normaliser:
    return Normaliser()


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
    texts=TEXTS.map(
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
    texts = [t for d in docs for t in (d.title, d.body, *d.slogans)]
    converter = make_converter("zh-hant")
    expected: set[tuple[str, str]] = set()
    for text in texts:
        expected |= _pairs_of(text, converter.convert(text), normaliser)
    assert variant_pairs(docs, ["zh-hant"], None, normaliser) == expected


def test_document_row() -> None:
    doc = SearchDocument.from_mapping(
        {
            "slug": "a",
            "title": "标题",
            "body": "正文",
            "county": "临颍县",
            "theme": "基层党建",
            "date": "2016-08-15",
            "slogans": ["红色联盟", "一,二"],
            "tags": ["t"],
            "display": {"zh-hant": {"title": "標題", "county": "臨潁縣", "theme": "基層黨建"}},
        }
    )
    row = document_row(doc)
    assert row["slogans"] == "红色联盟\n一,二" and row["slogan"] == "红色联盟,一，二"
    assert (row["year"], row["newest"], row["tag"]) == ("2016", -20160815, "t")
    assert '"zh-hant": {"county": "臨潁縣"' in row["display"]
    assert document_row(dataclasses.replace(doc, date=""))["newest"] == 0


def test_rewrite_is_due_after_so_many_update_segments() -> None:
    assert not rewrite_due(3, 3)
    assert not rewrite_due(3 + MAX_UPDATE_SEGMENTS - 1, 3)
    assert rewrite_due(3 + MAX_UPDATE_SEGMENTS, 3)


# --------------------------------------------------------------------------- updates


def _corpus() -> list[SearchDocument]:
    """The sample articles and 150 recombined from their sentences (ties, long lists)."""
    docs = all_documents()
    rng = random.Random(11)
    sentences = [s for d in docs for s in d.body.replace("\n", "。").split("。") if len(s) > 4]
    counties, themes = ["临颍县", "郾城区", "舞阳县"], ["基层党建", "社会治理"]
    for i in range(150):
        body = "\n".join(
            "。".join(rng.choice(sentences) for _ in range(rng.randint(1, 3)))
            for _ in range(rng.randint(1, 4))
        )
        docs.append(
            SearchDocument.from_mapping(
                {
                    "slug": f"gen-{i:03d}",
                    "title": rng.choice(sentences)[:12],
                    "body": body,
                    "county": rng.choice(counties),
                    "theme": rng.choice(themes),
                    "slogans": [rng.choice(sentences)[:4]] if i % 3 else [],
                    "date": f"{rng.randint(2015, 2016)}-0{rng.randint(1, 2)}-01",
                }
            )
        )
    return docs


def _queries(docs: list[SearchDocument]) -> list[str]:
    rng = random.Random(5)
    words = ["党", "村", "党建", "集体经济", "基层党建", "群众", "支部 OR 党委", "党员 -服务"]
    for _ in range(40):
        body = rng.choice(docs).body
        start = rng.randrange(max(1, len(body) - 8))
        piece = body[start : start + rng.randint(1, 6)].strip()
        if piece and " " not in piece:
            words.append(piece)
    words += ["county:临颍县", "党 theme:基层党建", "year:2016 村", "新增 一段"]
    return words


def _edit(docs: list[SearchDocument], step: int) -> tuple[list[SearchDocument], set[str], set[str]]:
    """The documents after one editing step, the changed slugs and the removed ones."""
    rng = random.Random(step)
    docs = list(docs)
    changed: set[str] = set()
    for i in rng.sample(range(len(docs)), 6):
        d = docs[i]
        docs[i] = dataclasses.replace(d, body=d.body + f"\n新增一段：第{step}次修改，党建工作。")
        changed.add(d.slug)
    removed = {docs.pop(rng.randrange(len(docs))).slug for _ in range(3)} - changed
    for k in range(2):
        new = dataclasses.replace(rng.choice(docs), slug=f"added-{step}-{k}", title="新增文章")
        docs.append(new)
        changed.add(new.slug)
    return docs, changed - removed, removed


def _updated(tmp_path: Path, steps: int) -> tuple[Path, list[SearchDocument]]:
    """A site whose index was written once and updated ``steps`` times, each update
    into a new folder as a build does (the previous files hard-linked)."""
    docs = _corpus()
    output = tmp_path / "site-0"
    write_index(index_dir(output), docs, META)
    write_meta(output, META)
    for step in range(1, steps + 1):
        docs, changed, removed = _edit(docs, step)
        previous, output = output, tmp_path / f"site-{step}"
        assert update_index(index_dir(output), index_dir(previous), docs, changed, removed, META)
        write_meta(output, META)
    return output, docs


def _answers(live: LiveIndex, queries: list[str]) -> list[tuple[object, ...]]:
    """Every hit of every query, with its exact score, and the total and facets."""
    out = []
    for q in queries:
        outcome: Outcome = live.search(parse(q), 0, 1000, 60.0)
        hits = [(h.stored["slug"], h.score) for h in outcome.hits]
        out.append((q, outcome.total, outcome.facets, hits))
    return out


def test_an_updated_index_answers_exactly_as_a_fresh_one(tmp_path: Path) -> None:
    updated, docs = _updated(tmp_path, steps=4)
    assert count_segments(index_files(updated)) > 1
    fresh = tmp_path / "fresh"
    write_index(index_dir(fresh), docs, META)
    write_meta(fresh, META)
    queries = _queries(docs)
    a = LiveIndex(index_dir(updated), cache_size=0)
    b = LiveIndex(index_dir(fresh), cache_size=0)
    assert a.info()["documents"] == b.info()["documents"] == len(docs)
    assert _answers(a, queries) == _answers(b, queries)
    site = Site(
        ["zh-hans", "zh-hant"], "zh-hans", "/", {v: make_converter(v) for v in META.variants}
    )
    for q in queries:
        for variant in META.variants:
            for page in (1, 2):
                request = SearchRequest(q, variant, page=page, per_page=7)
                assert answer(a, request, site) == answer(b, request, site), (q, variant)
    a.close()
    b.close()


def test_update_uses_the_stored_fold(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    docs = all_documents()
    previous = tmp_path / "a"
    write_index(index_dir(previous), docs, META)
    write_meta(previous, META)
    pairs, fold = index_normalisation(index_dir(previous))
    assert fold == Normaliser().base_fold

    edited = list(docs)
    edited[1] = dataclasses.replace(
        docs[1], body=docs[1].body + "\n新增一段：凭借群众路线，着力推进。"
    )
    removed = edited.pop(2).slug

    def no_fold_table() -> dict[int, str]:
        raise AssertionError("the fold table was rebuilt")

    monkeypatch.setattr(search.analysis, "_fold_table", no_fold_table)
    updated = index_dir(tmp_path / "b")
    assert update_index(updated, index_dir(previous), edited, {edited[1].slug}, {removed}, META)
    assert index_normalisation(updated) == (pairs, fold)


def test_no_update_of_an_index_of_another_format(tmp_path: Path) -> None:
    docs = all_documents()[:3]
    previous = tmp_path / "a"
    write_index(index_dir(previous), docs, META)
    target = index_dir(tmp_path / "b")
    # no meta.json beside it: its format is unknown
    assert not update_index(target, index_dir(previous), docs, set(), set(), META)
    write_meta(previous, dataclasses.replace(META, format=1))
    assert not update_index(target, index_dir(previous), docs, set(), set(), META)
    assert not target.exists()
    write_meta(previous, META)
    assert update_index(target, index_dir(previous), docs, set(), set(), META)
