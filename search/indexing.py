"""Writing the search index: the generator's entry point :func:`write_index`."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from search.analysis import IRREGULAR, Normaliser, release_memory
from search.scripts import Converter, make_converter

#: Separator for Whoosh's comma-separated KEYWORD fields; a comma inside a name is
#: replaced by the full-width one so the name stays whole.
_COMMA = ","


def _keywords(values: Iterable[str]) -> str:
    return _COMMA.join(v.replace(",", "，").strip() for v in values if v and v.strip())


#: Joins texts for one OpenCC call: a private-use character no dictionary entry holds,
#: so no phrase matches across two texts.
_SEPARATOR = "\ue002"
#: Characters of text converted per OpenCC call and compared at a time (bounds the
#: memory of the arrays).
_BATCH_CHARS = 1_000_000
#: Below this many characters, texts are compared one by one, without numpy.
_FEW_CHARS = 200_000


def variant_pairs(
    documents: list[dict[str, Any]],
    variants: Iterable[str],
    phrases: Path | None,
    base: Normaliser,
    converters: Mapping[str, Converter] | None = None,
) -> set[tuple[str, str]]:
    """Character pairs that the site's own conversions produce in context but the
    context-free fold does not join (借 -> 藉 in 凭借): folded too, so a reader's query
    copied from a Traditional page finds the article.

    Each title, body and slogan is converted whole; where the conversion keeps its
    length, and normalisation keeps the length of both, each position whose
    normalised characters differ gives the pair of the original characters there.

    The conversion is OpenCC's (~0.25 us a character: most of the cost), unless a
    document brings it: ``doc["converted"][variant]``, a dict of ``title``, ``body``
    and ``slogans`` (a list), each the site converter's output for the document's
    own field. ``converters``: the site's converters by variant, if the caller has
    them (else they are made, ``make_converter(variant, phrases)``, ~40-80 ms each)."""
    pairs: set[tuple[str, str]] = set()
    for variant in variants:
        texts: list[str] = []  # to convert
        given: list[str] = []  # with their conversion in the document
        conversions: list[str] = []
        for doc in documents:
            own = (doc.get("title", ""), doc.get("body", ""), *doc.get("slogans", []))
            theirs = _given_conversion(doc, variant)
            if theirs is not None and len(theirs) == len(own):
                given += own
                conversions += theirs
            else:
                texts += own
        for start, end in _batches(given):
            pairs |= _text_pairs(given[start:end], conversions[start:end], base)
        if not texts:
            continue
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


def _given_conversion(doc: dict[str, Any], variant: str) -> tuple[str, ...] | None:
    """The document's own conversion of its title, body and slogans, if it has one."""
    converted = (doc.get("converted") or {}).get(variant)
    if not isinstance(converted, dict) or not {"title", "body", "slogans"} <= converted.keys():
        return None
    fields = (converted["title"], converted["body"], *converted["slogans"])
    return fields if all(isinstance(f, str) for f in fields) else None


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


def document_row(doc: dict[str, Any]) -> dict[str, Any]:
    """The Whoosh field values of one article."""
    slogans = [s for s in doc.get("slogans") or [] if s]
    title = doc.get("title", "")
    body = doc.get("body", "")
    date = str(doc.get("date", ""))
    display = {
        "title": title,
        "county": doc.get("county", ""),
        "theme": doc.get("theme", ""),
        "variants": doc.get("display") or {},
    }
    return {
        "slug": doc["slug"],
        "title": title,
        "slogans": "\n".join(slogans),
        "body": body,
        "county": doc.get("county", ""),
        "theme": doc.get("theme", ""),
        "slogan": _keywords(slogans),
        "tag": _keywords(doc.get("tags") or []),
        "year": date[:4],
        "issue": doc.get("issue") or "",
        "date": date,
        "newest": -int(date.replace("-", "")) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", date) else 0,
        "display": json.dumps(display, ensure_ascii=False, sort_keys=True),
    }


def write_index(
    index_dir: Path,
    documents: Iterable[dict[str, Any]],
    meta: dict[str, Any],
    converters: Mapping[str, Converter] | None = None,
) -> None:
    """Write the Whoosh index of ``documents`` to ``index_dir`` (created) and ``meta`` to
    ``index_dir/../meta.json``, in this one process (the generator runs it beside page
    rendering; see ``docs/search.md``, Writing the index). ``converters``: as for
    :func:`variant_pairs`."""
    from search.engine import write_documents

    index_dir = Path(index_dir)
    docs = list(documents)
    phrases_name = meta.get("phrases")
    phrases = (index_dir.parent / phrases_name) if phrases_name else None
    variants = [v for v in meta.get("variants", []) if v != "zh-hans"]
    base = Normaliser()
    pairs = variant_pairs(docs, variants, phrases, base, converters)
    release_memory()  # the converters
    normaliser = Normaliser(pairs, base=base)
    write_documents(index_dir, (document_row(d) for d in docs), pairs, normaliser)
    meta_path = index_dir.parent / "meta.json"
    meta_path.write_text(
        json.dumps(meta, ensure_ascii=False, sort_keys=True, indent=2) + "\n", encoding="utf-8"
    )


def update_index(
    index_dir: Path,
    previous_dir: Path,
    documents: Iterable[dict[str, Any]],
    changed: set[str],
    removed: set[str],
    meta: dict[str, Any],
    converters: Mapping[str, Converter] | None = None,
) -> bool:
    """Write ``index_dir`` as the index at ``previous_dir`` with the ``changed`` articles
    (slugs, taken from ``documents``) replaced and the ``removed`` ones deleted.

    The previous index's files are hard-linked, never changed: Whoosh writes a new
    segment and a new TOC beside them, so a service reading the previous index is not
    disturbed. Returns False, writing nothing, where an update cannot give the same
    answers as a fresh index (no previous index, or the changed articles need folding
    pairs the previous index lacks); the caller then calls :func:`write_index`.
    The normalisation is the previous index's (its fold table, stored with it, is
    not rebuilt). ``converters``: as for :func:`variant_pairs`.
    """
    from search.engine import INDEX_NAME, index_normalisation, update_documents

    if not any(previous_dir.glob(f"_{INDEX_NAME}_*.toc")):
        return False
    try:
        stored_pairs, fold = index_normalisation(previous_dir)
    except Exception:  # an unreadable previous index: write a fresh one
        return False
    old_pairs = set(stored_pairs)
    changed_docs = [d for d in documents if d["slug"] in changed]
    phrases_name = meta.get("phrases")
    phrases = (index_dir.parent / phrases_name) if phrases_name else None
    variants = [v for v in meta.get("variants", []) if v != "zh-hans"]
    base = Normaliser(fold=fold)
    if not variant_pairs(changed_docs, variants, phrases, base, converters) <= old_pairs:
        return False
    index_dir.mkdir(parents=True)
    for path in sorted(previous_dir.iterdir()):
        if path.is_file() and not path.name.endswith("_WRITELOCK"):
            try:
                os.link(path, index_dir / path.name)
            except OSError:
                shutil.copyfile(path, index_dir / path.name)
    normaliser = Normaliser(old_pairs, base=base)
    rows = (document_row(d) for d in changed_docs)
    if changed_docs or removed:
        update_documents(index_dir, rows, sorted(removed), normaliser)
    (index_dir.parent / "meta.json").write_text(
        json.dumps(meta, ensure_ascii=False, sort_keys=True, indent=2) + "\n", encoding="utf-8"
    )
    return True
