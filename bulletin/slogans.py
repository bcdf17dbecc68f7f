"""What counts as a slogan (提法): one definition for ``check``'s lint and ``import``.

A slogan is a phrase quoted in a body (“…”) that another article lists as a slogan, or a
short one shaped like a numbered work method:
two counted groups (三会一课, 四议两公开), a formula with a number (1+5+6+N, 坐班+五办), or a
numbered method by name (三动工作法, 五大工程). A quoted list (“一乡一业、一村一品”) is
read part by part.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterator

NUMERALS = "一二三四五六七八九十两双百千"
_QUOTE_RE = re.compile(r"“([^“”\n]{1,60})”")
_PART_SEPARATORS_RE = re.compile(r"[、，,；;：:。！!？?\s]+")
#: Two counted groups, as in 三会一课, 四议两公开, 六化一提升, 五抓五促, 一转三抓三提升.
_COUNTED_RE = re.compile(rf"[{NUMERALS}][^{NUMERALS}0-9]{{1,3}}[{NUMERALS}][^{NUMERALS}0-9]")
#: A formula with a number, as in 1+5+6+N, 4+4+2, 坐班+五办.
_FORMULA_RE = re.compile(rf"[0-9][+]|[+][0-9{NUMERALS}]")
#: A numbered method by name, as in 三动工作法, 五大工程.
_NAMED_METHOD_RE = re.compile(rf"[{NUMERALS}0-9].*(?:工作法|工程)$")
MAX_SLOGAN_LENGTH = 12


def normalise(text: str) -> str:
    """Compare slogans as readers see them: full-width digits and ＋ are the same."""
    return unicodedata.normalize("NFKC", text).strip()


def looks_like_numbered_method(text: str) -> bool:
    """True for short quoted text shaped like a numbered work method (三会一课, 1+5+6+N);
    false for ordinary quotations (有钱办事), terms (两委) and bare numbers (5·10)."""
    text = normalise(text)
    if not 2 < len(text) <= MAX_SLOGAN_LENGTH:
        return False
    return bool(
        _COUNTED_RE.search(text) or _FORMULA_RE.search(text) or _NAMED_METHOD_RE.search(text)
    )


def quoted(body: str, first_line: int = 1) -> Iterator[tuple[int, str, bool]]:
    """(line, text, single) of each “…” in ``body`` and of each part of a list quoted as
    one (“一乡一业、一村一品”); ``single`` is false for such a list as a whole."""
    for offset, line in enumerate(body.split("\n")):
        for match in _QUOTE_RE.finditer(line):
            whole = normalise(match.group(1))
            parts = [p for p in _PART_SEPARATORS_RE.split(whole) if p]
            for text in dict.fromkeys([whole, *parts]):
                yield first_line + offset, text, text != whole or len(parts) == 1


def is_slogan(text: str, single: bool, known: Collection[str] = ()) -> bool:
    """Whether a quoted text (normalised) is a slogan: another article's (``known``), or,
    quoted on its own, shaped like a numbered work method."""
    return text in known or (single and looks_like_numbered_method(text))


def method_slogans(body: str, known: Collection[str] = ()) -> list[str]:
    """The slogans of a body, in order of first quotation: every quoted phrase that the
    lint would flag if front matter left it out (``known``: the slogans other articles
    declare, normalised)."""
    found = [text for _, text, single in quoted(body) if is_slogan(text, single, known)]
    return list(dict.fromkeys(found))
