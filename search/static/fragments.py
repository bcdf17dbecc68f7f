"""Per-document fragments: what a result shows (title, county, theme, date) and the body
its snippet is cut from, in every script, in one file per document.

The sources' script is stored as it is; another script is stored as the few places
where its text differs from the sources' text converted character by character with
that script's table (``script-{variant}.*.bin``: each character OpenCC converts on its
own, in the ranges the normalisation table covers). OpenCC converts most characters as
it converts them alone, so a Traditional fragment costs a few bytes beside the
Simplified one (both were ~23 MB at 5,000 bench articles). ``search-static.js`` rebuilds
each text; ``tests/browser/test_static_search.py`` checks the result against the site's
converter for every document.

A fragment is JSON (UTF-16, which deflate packs ~10 % smaller than UTF-8 for Chinese):
``slug``, ``date``, the sources' ``title``, ``county``, ``theme`` and ``body``,
``slogans`` and, where it is not the title shown, ``indexed_title`` (what an update needs
of the indexed text), and ``variants``: per other script, per text that does not
convert character by character, either the text itself (its length differs) or a flat
list ``[skip, replacement, skip, replacement...]`` (characters kept, then characters
replaced, from where the last replacement ended).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from search.documents import SearchDocument
from search.scripts import Converter, Identity
from search.static.chars import candidates

#: The script the sources are written in: stored as it is.
SOURCE_VARIANT = "zh-hans"
#: The texts of a fragment, in the order the writer lists them.
SHOWN = ("title", "county", "theme", "body")
#: Joins characters for one OpenCC call (a private-use character no phrase holds).
SEPARATOR = "\ue002"


def script_pairs(converter: Converter) -> dict[str, str]:
    """Character -> the one character ``converter`` makes of it alone, where that differs."""
    chars = [c for c in candidates() if c not in (SEPARATOR, "\x00")]
    converted = converter.convert(SEPARATOR.join(chars)).split(SEPARATOR)
    if len(converted) != len(chars):
        converted = [converter.convert(c) for c in chars]
    return {a: b for a, b in zip(chars, converted, strict=True) if a != b and len(b) == 1}


def script_table(pairs: Mapping[str, str]) -> bytes:
    """The pairs as the page reads them: each character and its conversion, UTF-16."""
    return "".join(a + b for a, b in sorted(pairs.items())).encode("utf-16-le")


def lookup(pairs: Mapping[str, str]) -> Any:
    """Code point -> code point, the pairs applied (uint32, every code point)."""
    table = np.arange(0x110000, dtype=np.uint32)
    if pairs:
        table[np.fromiter(map(ord, pairs), np.int64)] = np.fromiter(
            map(ord, pairs.values()), np.uint32
        )
    return table


def source_texts(doc: SearchDocument, body: str | None = None) -> tuple[str, ...]:
    """A document's title, county, theme and body as the sources' script shows them."""
    shown = doc.shown.get(SOURCE_VARIANT)
    return (
        shown.title if shown and shown.title else doc.title,
        shown.county if shown and shown.county else doc.county,
        shown.theme if shown and shown.theme else doc.theme,
        doc.body if body is None else body,
    )


def variant_texts(
    doc: SearchDocument, variant: str, converted: tuple[str, str], converter: Converter
) -> tuple[str, ...]:
    """Its title, county, theme and body in ``variant`` (``converted``: its title and
    body converted by the site's converter)."""
    shown = doc.shown.get(variant)
    convert = converter.convert
    return (
        shown.title if shown and shown.title else converted[0],
        shown.county if shown and shown.county else convert(doc.county),
        shown.theme if shown and shown.theme else convert(doc.theme),
        converted[1],
    )


def differences(bases: Sequence[str], targets: Sequence[str], table: Any) -> list[Any]:
    """For each (base, target): None where the target is the base converted character
    by character (``table``: :func:`lookup`), the target where their lengths differ,
    else the flat list of replacements."""
    out: list[Any] = [None] * len(bases)
    same = []
    for i, (base, target) in enumerate(zip(bases, targets, strict=True)):
        if len(base) != len(target):
            out[i] = target
        elif base:
            same.append(i)
    if not same:
        return out
    a = _codes([bases[i] for i in same])
    b = _codes([targets[i] for i in same])
    sizes = np.fromiter((len(bases[i]) for i in same), np.int64, len(same))
    starts = np.cumsum(sizes) - sizes
    wrong = np.flatnonzero(table[a] != b)
    owner = np.searchsorted(starts, wrong, side="right") - 1
    for k in np.unique(owner).tolist():
        at = wrong[owner == k] - starts[k]
        out[same[k]] = _replacements(targets[same[k]], at.tolist())
    return out


def _codes(texts: list[str]) -> Any:
    return np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), np.uint32)


def _replacements(target: str, places: list[int]) -> list[Any]:
    """``[skip, text, ...]`` for the runs of consecutive ``places`` of ``target``."""
    out: list[Any] = []
    end = 0
    run_start = places[0]
    for i, place in enumerate(places):
        last = i + 1 == len(places) or places[i + 1] != place + 1
        if last:
            out += [run_start - end, target[run_start : place + 1]]
            end = place + 1
            if i + 1 < len(places):
                run_start = places[i + 1]
    return out


def apply(base: str, change: Any, pairs: Mapping[str, str]) -> str:
    """A text rebuilt from its base and its entry in ``variants`` (as the page does)."""
    if isinstance(change, str):
        return change
    chars = [pairs.get(c, c) for c in base]
    change = change or []
    at = 0
    for skip, text in zip(change[0::2], change[1::2], strict=True):
        at += skip
        chars[at : at + len(text)] = list(text)
        at += len(text)
    return "".join(chars)


def fragment(doc: SearchDocument, base: Sequence[str], variants: Mapping[str, Any]) -> bytes:
    """A document's fragment: ``base``, its texts in the sources' script (:data:`SHOWN`);
    ``variants``: per other script, its changes (None: converts character by character)."""
    data: dict[str, Any] = {"slug": doc.slug, "date": doc.date}
    data.update(zip(SHOWN, base, strict=True))
    if doc.title != base[0]:
        data["indexed_title"] = doc.title
    data["slogans"] = list(doc.slogans)
    data["variants"] = {
        v: {name: c for name, c in zip(SHOWN, changes, strict=True) if c is not None}
        for v, changes in sorted(variants.items())
    }
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-16-le")


def read_fragment(raw: bytes) -> dict[str, Any]:
    return json.loads(raw.decode("utf-16-le"))


def all_fragments(
    docs: Sequence[SearchDocument],
    converted: Mapping[str, Sequence[tuple[str, str, tuple[str, ...]]]],
    converters: Mapping[str, Converter],
    tables: Mapping[str, Any],
) -> list[bytes]:
    """Every document's fragment (``converted[variant][i]``: document i's title, body
    and slogans converted for that variant; ``tables``: each variant's :func:`lookup`)."""
    bases = [source_texts(doc) for doc in docs]
    changes: dict[str, list[list[Any]]] = {}
    for variant, table in tables.items():
        converter = converters.get(variant) or Identity()
        targets = [
            variant_texts(doc, variant, (conv[0], conv[1]), converter)
            for doc, conv in zip(docs, converted[variant], strict=True)
        ]
        flat = differences(
            [t for base in bases for t in base], [t for texts in targets for t in texts], table
        )
        n = len(SHOWN)
        changes[variant] = [flat[i * n : (i + 1) * n] for i in range(len(docs))]
    return [
        fragment(doc, base, {v: c[i] for v, c in changes.items()})
        for i, (doc, base) in enumerate(zip(docs, bases, strict=True))
    ]
