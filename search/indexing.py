"""Writing the search index from the generator's documents: :func:`write_index` (a
fresh index), :func:`update_index` (the previous one with what changed), and when an
update is no longer worth it (:func:`rewrite_due`). Whoosh is imported only when an
index is written (:mod:`search.whoosh`), not by a build that keeps its index.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from search.analysis import IRREGULAR, Normaliser, release_memory
from search.documents import SearchDocument
from search.layout import INDEX_FORMAT, SearchMeta, index_file_names, index_format, index_key
from search.scripts import Converter, make_converter

#: Each update adds a small segment (Whoosh merges small ones as it commits), and every
#: query reads every segment; once updates have added this many segments since the
#: index was last written afresh, it is written afresh again (beside the pages).
MAX_UPDATE_SEGMENTS = 16


def rewrite_due(segments: int, segments_when_written: int) -> bool:
    """Whether an index of ``segments`` segments, which had ``segments_when_written``
    when it was last written afresh, should be written afresh rather than updated."""
    return segments >= segments_when_written + MAX_UPDATE_SEGMENTS


#: Where a writer may get the folding pairs counted elsewhere (None: count them here).
PairSource = Callable[[], set[tuple[str, str]] | None]

#: Joins texts for one OpenCC call: a private-use character no dictionary entry holds,
#: so no phrase matches across two texts.
_SEPARATOR = "\ue002"
#: Characters of text converted per OpenCC call and compared at a time (bounds the
#: memory of the arrays).
_BATCH_CHARS = 1_000_000
#: Below this many characters, texts are compared one by one, without numpy.
_FEW_CHARS = 200_000


def variant_pairs(
    documents: list[SearchDocument],
    variants: Iterable[str],
    phrases: Path | None,
    base: Normaliser,
    converters: Mapping[str, Converter] | None = None,
) -> set[tuple[str, str]]:
    """Character pairs that the site's own conversions produce in context but the
    context-free fold does not join (借 -> 藉 in 凭借): folded too, so a reader's query
    copied from a Traditional page finds the article.

    Each title, body and slogan is converted whole (OpenCC, ~0.25 us a character: most
    of the cost); where the conversion keeps its length, and normalisation keeps the
    length of both, each position whose normalised characters differ gives the pair of
    the original characters there. ``converters``: the site's converters by variant, if
    the caller has them (else they are made, ``make_converter(variant, phrases)``)."""
    pairs: set[tuple[str, str]] = set()
    texts = [t for doc in documents for t in (doc.title, doc.body, *doc.slogans)]
    if not texts:
        return pairs
    for variant in variants:
        converter = (converters or {}).get(variant) or make_converter(variant, phrases)
        for start, end in _batches(texts):
            batch = texts[start:end]
            pairs |= _text_pairs(batch, _convert_all(converter, batch), base)
    return pairs


def _batches(texts: list[str]) -> Iterator[tuple[int, int]]:
    """(start, end) of consecutive texts of about :data:`_BATCH_CHARS` characters."""
    start = 0
    while start < len(texts):
        end, size = start, 0
        while end < len(texts) and (end == start or size < _BATCH_CHARS):
            size += len(texts[end])
            end += 1
        yield start, end
        start = end


def _text_pairs(texts: list[str], converted: list[str], base: Normaliser) -> set[tuple[str, str]]:
    """The pairs of each text and its conversion: one by one for a handful (an edit:
    not worth importing numpy), else :func:`_differing_pairs`."""
    if sum(map(len, texts)) >= _FEW_CHARS:
        return _differing_pairs(texts, converted, base)
    pairs: set[tuple[str, str]] = set()
    for text, conv in zip(texts, converted, strict=True):
        pairs |= _pairs_of(text, conv, base)
    return pairs


def _convert_all(converter: Converter, texts: list[str]) -> list[str]:
    """``[converter.convert(t) for t in texts]`` in one OpenCC call where possible."""
    if not any(_SEPARATOR in t for t in texts):
        converted = converter.convert(_SEPARATOR.join(texts)).split(_SEPARATOR)
        if len(converted) == len(texts):
            return converted
    return [converter.convert(t) for t in texts]


def _pairs_of(text: str, converted: str, base: Normaliser) -> set[tuple[str, str]]:
    """The pairs of one text and its conversion, character by character (the rule)."""
    pairs: set[tuple[str, str]] = set()
    if len(converted) != len(text):
        return pairs
    norm_a, norm_b = base.normalise(text), base.normalise(converted)
    if norm_a == norm_b or len(norm_a) != len(norm_b):
        return pairs
    for i, (a, b) in enumerate(zip(norm_a, norm_b, strict=True)):
        if a != b and len(text) == len(norm_a):
            pairs.add((text[i], converted[i]))
    return pairs


def _differing_pairs(
    texts: list[str], converted: list[str], base: Normaliser
) -> set[tuple[str, str]]:
    """``set().union(*map(_pairs_of, texts, converted))``, with numpy: both sides
    normalised character by character (:meth:`Normaliser.codes`), and the (original,
    converted) pairs taken where those differ. A text whose characters (or its
    conversion's) do not all normalise to exactly one character takes
    :func:`_pairs_of`; so does a conversion of another length, which gives none."""
    import numpy as np

    kept = [c if len(c) == len(t) else t for t, c in zip(texts, converted, strict=True)]
    a = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32)
    b = np.frombuffer("".join(kept).encode("utf-32-le"), dtype=np.uint32)
    norm_a, norm_b = base.codes(a), base.codes(b)
    sizes = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    ends = np.cumsum(sizes)
    odd = np.concatenate(([0], np.cumsum((norm_a == IRREGULAR) | (norm_b == IRREGULAR))))
    slow = np.flatnonzero(odd[ends] - odd[ends - sizes]).tolist()
    pairs: set[tuple[str, str]] = set()
    for i in slow:
        pairs |= _pairs_of(texts[i], converted[i], base)
    diff = np.flatnonzero(norm_a != norm_b)
    if slow:
        diff = diff[~np.isin(np.searchsorted(ends, diff, side="right"), slow)]
    found = np.unique((a[diff].astype(np.uint64) << np.uint64(32)) | b[diff])
    for code in found.tolist():
        pairs.add((chr(code >> 32), chr(code & 0xFFFFFFFF)))
    return pairs


def _keywords(values: Iterable[str]) -> str:
    """Whoosh's comma-separated KEYWORD value; a comma inside a name becomes the
    full-width one so the name stays whole."""
    return ",".join(v.replace(",", "，").strip() for v in values if v and v.strip())


def document_row(doc: SearchDocument) -> dict[str, Any]:
    """The index's field values of one article."""
    slogans = [s for s in doc.slogans if s]
    display = {
        "title": doc.title,
        "county": doc.county,
        "theme": doc.theme,
        "variants": {
            name: {"title": s.title, "county": s.county, "theme": s.theme}
            for name, s in doc.shown.items()
        },
    }
    date = doc.date
    return {
        "slug": doc.slug,
        "title": doc.title,
        "slogans": "\n".join(slogans),
        "body": doc.body,
        "county": doc.county,
        "theme": doc.theme,
        "slogan": _keywords(slogans),
        "tag": _keywords(doc.tags),
        "year": doc.year,
        "issue": doc.issue,
        "date": date,
        "newest": -int(date.replace("-", "")) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", date) else 0,
        "display": json.dumps(display, ensure_ascii=False, sort_keys=True),
    }


def _phrases(index_dir: Path, meta: SearchMeta) -> Path | None:
    """The phrase dictionary beside the index (``_search/phrases.txt``), if any."""
    return index_dir.parent / meta.phrases if meta.phrases else None


def _other_variants(meta: SearchMeta) -> list[str]:
    return [v for v in meta.variants if v != "zh-hans"]


def write_index(
    index_dir: Path,
    documents: Iterable[SearchDocument],
    meta: SearchMeta,
    converters: Mapping[str, Converter] | None = None,
    counted_pairs: PairSource | None = None,
) -> None:
    """Write the index of ``documents`` to ``index_dir`` (created), in this one process
    (the generator runs it beside page rendering). ``meta``: the site's variants and
    phrase dictionary (beside the index); the caller writes it to ``meta.json``
    (:func:`search.layout.write_meta`). ``converters``: as for :func:`variant_pairs`;
    ``counted_pairs``: gives those pairs where another writer counts them over the same
    documents and converters (the static index's), else None."""
    from search.whoosh import write_documents

    index_dir = Path(index_dir)
    docs = list(documents)
    base = Normaliser()
    pairs = counted_pairs() if counted_pairs is not None else None
    if pairs is None:
        phrases = _phrases(index_dir, meta)
        pairs = variant_pairs(docs, _other_variants(meta), phrases, base, converters)
    release_memory()  # the converters
    normaliser = Normaliser(pairs, base=base)
    rows = (document_row(d) for d in docs)
    write_documents(index_dir, rows, normaliser)


def update_index(
    index_dir: Path,
    previous_dir: Path,
    documents: Iterable[SearchDocument],
    changed: set[str],
    removed: set[str],
    meta: SearchMeta,
    converters: Mapping[str, Converter] | None = None,
) -> bool:
    """Write ``index_dir`` as the index at ``previous_dir`` with the ``changed`` articles
    (slugs, taken from ``documents``) replaced and the ``removed`` ones deleted. It then
    answers every query exactly as a fresh index of the same documents (see
    :mod:`search.whoosh.stats`).

    The previous index's files are hard-linked, never changed: Whoosh writes a new
    segment and a new TOC beside them, so a service reading the previous index is not
    disturbed. Returns False, writing nothing, where an update cannot give the same
    answers as a fresh index (no previous index, one of another format, or changed
    articles that need folding pairs the previous index lacks); the caller then calls
    :func:`write_index`. The normalisation is the previous index's (its fold table,
    stored with it, is not rebuilt)."""
    from search.whoosh import index_normalisation, update_documents

    if index_key(previous_dir) is None or index_format(previous_dir) != INDEX_FORMAT:
        return False
    try:
        stored_pairs, fold = index_normalisation(previous_dir)
    except Exception:  # an unreadable previous index: write a fresh one
        return False
    changed_docs = [d for d in documents if d.slug in changed]
    base = Normaliser(fold=fold)
    phrases = _phrases(index_dir, meta)
    if not variant_pairs(changed_docs, _other_variants(meta), phrases, base, converters) <= set(
        stored_pairs
    ):
        return False
    _link_files(previous_dir, index_dir)
    if changed_docs or removed:
        normaliser = Normaliser(stored_pairs, base=base)
        rows = (document_row(d) for d in changed_docs)
        update_documents(index_dir, rows, sorted(removed), normaliser)
    return True


def _link_files(source: Path, target: Path) -> None:
    """Hard-link (else copy) the index files of ``source`` into a new folder."""
    target.mkdir(parents=True)
    for name in index_file_names(source):
        try:
            os.link(source / name, target / name)
        except OSError:
            shutil.copyfile(source / name, target / name)
