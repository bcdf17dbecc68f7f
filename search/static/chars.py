"""The normalisation of :mod:`search.analysis` as data the browser loads.

``search-static.js`` normalises a character as the Python side does, in three steps: a
character in the table is replaced by its entry; one unassigned in Python's Unicode
(:func:`unassigned`) is kept as it is; any other is taken through the browser's own
NFKC and lower case, and each character of that is a line break (the
:data:`LINE_BREAKS`), a space (:data:`SPACES`, Python's ``str.isspace``), or its entry
in the table, or itself. The table holds every character for which those steps would
otherwise differ from :class:`~search.analysis.Normaliser`: the fold of script variants
and OpenCC's ``t2s`` (of every character of the code point ranges OpenCC's tables
cover, and the rest of the Basic Multilingual Plane), the site's extra pairs, and any
character of the content outside those ranges. ``tests/browser/test_static_search.py``
runs the browser's normaliser on every character of those ranges and of the content
and compares.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from search.analysis import _CJK_RANGES, _LINE_BREAKS, SPACE, Normaliser

LINE_BREAKS = "".join(sorted(_LINE_BREAKS))
#: Unicode's version here: a browser's may be newer and give characters that are
#: unassigned here a mapping; those are listed (:func:`unassigned`) and kept as they are.
UNICODE_VERSION = unicodedata.unidata_version
SPACES = "".join(c for c in map(chr, range(0x3000 + 1)) if c.isspace() and c not in _LINE_BREAKS)


def candidates() -> Iterable[str]:
    """Every character the table is computed for: the Basic Multilingual Plane (its
    surrogates aside) and OpenCC's supplementary ranges."""
    for cp in range(0x10000):
        if not 0xD800 <= cp <= 0xDFFF:
            yield chr(cp)
    for lo, hi in _CJK_RANGES:
        if hi > 0xFFFF:
            yield from map(chr, range(lo, hi + 1))


def unassigned() -> list[int]:
    """The BMP's ranges of characters unassigned in this Python's Unicode, as a flat
    list of (start - previous end, end - start) pairs; analysis leaves them as they are
    (a newer browser might not)."""
    flat: list[int] = []
    start, last = -1, 0
    for cp in range(0x10001):
        missing = cp < 0x10000 and unicodedata.category(chr(cp)) == "Cn"
        if missing and start < 0:
            start = cp
        elif not missing and start >= 0:
            flat += [start - last, cp - 1 - start]
            last, start = cp - 1, -1
    return flat


def is_candidate(char: str) -> bool:
    cp = ord(char)
    if cp <= 0xFFFF:
        return not 0xD800 <= cp <= 0xDFFF
    return any(lo <= cp <= hi for lo, hi in _CJK_RANGES)


def _emulate(char: str, table: dict[str, str]) -> str:
    """What the browser's steps give for ``char`` with ``table`` (Python's NFKC)."""
    found = table.get(char)
    if found is not None:
        return found
    out = []
    for c in unicodedata.normalize("NFKC", char).lower():
        if c in _LINE_BREAKS:
            out.append("\n")
        elif c.isspace():
            out.append(SPACE)
        else:
            out.append(table.get(c, c))
    return "".join(out)


def char_table(normaliser: Normaliser, content_chars: Iterable[str]) -> dict[str, str]:
    """Character -> normalised string, for every character where the browser's steps
    need it (see the module docstring)."""
    normalise = normaliser.normalise
    table: dict[str, str] = {}
    # first the characters that are their own NFKC and lower case: the fold and t2s
    others: list[str] = []
    for char in candidates():
        if unicodedata.normalize("NFKC", char).lower() == char:
            norm = normalise(char)
            if norm != char and char not in _LINE_BREAKS and not char.isspace():
                table[char] = norm
        else:
            others.append(char)
    # content outside those ranges (unassigned here: listed, whatever they normalise to)
    extra = sorted(c for c in set(content_chars) if not is_candidate(c))
    for char in [*others, *extra]:
        norm = normalise(char)
        if _emulate(char, table) != norm or unicodedata.category(char) == "Cn":
            table[char] = norm
    return dict(sorted(table.items()))
