"""Text analysis shared by indexing and querying: normalisation and character n-grams.

Why not words: an index built on word segmentation (jieba, charabia) misses text a page
plainly contains, because the query's segmentation differs from the text's. Here every
non-space character is a *unit*; a field is indexed as overlapping bigrams of units
(for phrase matching) and, in a separate field, as single units (so one character finds
too). A query string of n >= 2 units becomes the phrase of its n-1 bigrams at
consecutive positions, which matches exactly the texts that contain the string.

Units form *runs*: a line of text. Between runs (a newline, one slogan and the next)
the position jumps, so no bigram and no phrase spans two runs. Spaces inside a line
collapse to one space unit, so a quoted ``"web 2.0"`` matches ``web  2.0``.

Normalisation is per character and so context-free: NFKC, lower case, then OpenCC
``t2s`` of the single character, then a fold of script variants into one class (着/著,
里/裡/裏, 卫/衞...). Context-free matters: normalising a substring gives the
substring of the normalised text, which a phrase-level conversion does not guarantee.
The fold covers characters OpenCC only produces in context (``s2tw`` writes 着 as 著
in 着力, which single-character ``t2s`` leaves as 著); its cost is that a Simplified
query for 着 also finds 著.
"""

from __future__ import annotations

import functools
import itertools
import unicodedata
from collections.abc import Iterable, Iterator
from typing import Any

from search.scripts import VARIANT_CONFIGS, make_normaliser

#: Code point ranges whose single-character conversions build the fold table.
_CJK_RANGES: tuple[tuple[int, int], ...] = (
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0x20000, 0x2A6DF),
    (0x2F800, 0x2FA1F),
)

#: OpenCC configs (besides the site's own variants) whose single-character output is
#: folded together with the input.
_FOLD_CONFIGS: tuple[str, ...] = ("s2t", "t2s", "tw2s", "hk2s", "s2tw", "s2hk")

#: Characters that end a run (a line) rather than separate units within it.
_LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")

#: A unit that stands for a run of horizontal white space.
SPACE = " "

#: In :meth:`Normaliser.codes`: a character whose normalised form is not one character
#: (not a code point).
IRREGULAR = 0xFFFFFFFF


@functools.lru_cache(maxsize=1)
def _fold_table() -> dict[int, str]:
    """Code point -> representative of its script-variant class (min code point).

    Computed once per process (it costs about half a second) and never changed: callers
    copy it before adding pairs."""
    import opencc

    chars = [chr(cp) for lo, hi in _CJK_RANGES for cp in range(lo, hi + 1)]
    joined = "\n".join(chars)
    parent: dict[str, str] = {}

    def find(c: str) -> str:
        root = c
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(c, c) != root:
            parent[c], c = root, parent[c]
        return root

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            if rb < ra:
                ra, rb = rb, ra
            parent[rb] = ra

    configs = set(_FOLD_CONFIGS) | {c for c in VARIANT_CONFIGS.values() if c}
    for name in sorted(configs):
        converted = opencc.OpenCC(f"{name}.json").convert(joined).split("\n")
        if len(converted) != len(chars):
            continue
        for src, dst in zip(chars, converted, strict=True):
            if len(dst) == 1 and dst != src:
                union(src, dst)
    fold = {ord(c): find(c) for c in parent if find(c) != c}
    del chars, joined, converted
    release_memory()
    return fold


@functools.lru_cache(maxsize=1)
def _malloc_trim() -> Any:
    try:
        import ctypes

        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None


def release_memory() -> None:
    """Give the heap memory freed so far back to the system. glibc's malloc keeps it
    otherwise, in the process's RSS: the OpenCC converters the fold table and the
    variant pairs load (~27 MB each) and the index writer's arrays. Nothing happens
    where the C library is not glibc."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def _with_pairs(fold: dict[int, str], pairs: Iterable[tuple[str, str]]) -> dict[int, str]:
    """``fold`` with the classes of each pair's characters joined."""
    fold = dict(fold)
    for a, b in pairs:
        if len(a) != 1 or len(b) != 1:
            continue
        ra, rb = fold.get(ord(a), a), fold.get(ord(b), b)
        if ra == rb:
            continue
        keep, drop = min(ra, rb), max(ra, rb)
        for cp, rep in list(fold.items()):
            if rep == drop:
                fold[cp] = keep
        fold[ord(drop)] = keep
    return fold


class _CharTable(dict[int, str]):
    """``str.translate`` table filled lazily: code point -> normalised string."""

    def __init__(self, fold: dict[int, str], t2s: object) -> None:
        super().__init__()
        self._fold = fold
        self._t2s = t2s
        #: characters whose normalised form is not exactly one character
        self.irregular: set[str] = set()

    def __missing__(self, cp: int) -> str:
        char = chr(cp)
        out = []
        for c in unicodedata.normalize("NFKC", char).lower():
            if c in _LINE_BREAKS:
                out.append("\n")
            elif c.isspace():
                out.append(SPACE)
            elif ord(c) in self._fold:
                out.append(self._fold[ord(c)])
            elif ord(c) >= 0x2E80:
                simple = self._t2s.convert(c)  # type: ignore[attr-defined]
                out.append(self._fold.get(ord(simple), simple) if len(simple) == 1 else c)
            else:
                out.append(c)
        result = "".join(out)
        if len(result) != 1:
            self.irregular.add(char)
        self[cp] = result
        return result


class Normaliser:
    """Per-character NFKC + lower case + t2s + variant fold, with offsets back.

    Build one per process (the fold table takes a fraction of a second) and share it:
    it is safe across threads (the lazy table only ever gains identical entries).
    """

    def __init__(
        self,
        extra_pairs: Iterable[tuple[str, str]] = (),
        base: Normaliser | None = None,
        fold: dict[int, str] | None = None,
    ) -> None:
        """``base``: a normaliser whose fold table to start from (saves rebuilding it);
        ``fold``: the fold table to start from (an index's, see :attr:`base_fold`)."""
        self.extra_pairs: tuple[tuple[str, str], ...] = tuple(sorted(set(extra_pairs)))
        if base is not None:
            self._base_fold = base._base_fold
        else:
            self._base_fold = fold if fold is not None else _fold_table()
        fold = _with_pairs(self._base_fold, self.extra_pairs)
        self._table = _CharTable(fold, make_normaliser())
        self._codes: Any = None  # numpy: code point -> normalised one (normalise_many)
        self._known: Any = None

    @property
    def base_fold(self) -> dict[int, str]:
        """Code point -> representative of its class, before the extra pairs (computed
        from OpenCC's tables, ~0.5 s, unless given). Not to be changed."""
        return self._base_fold

    def normalise(self, text: str) -> str:
        return text.translate(self._table)

    def codes(self, cps: Any) -> Any:
        """Each code point of the numpy array ``cps`` (uint32) normalised: the code point
        of its normalised character, or ``IRREGULAR`` where that is not one character.
        The table is filled as characters come. For one thread at a time (the index
        writer's)."""
        import numpy as np

        if self._codes is None:
            self._codes = np.zeros(0x110000, dtype=np.uint32)
            self._known = np.zeros(0x110000, dtype=bool)
        codes, known = self._codes, self._known
        seen = np.zeros(0x110000, dtype=bool)
        seen[cps] = True
        seen &= ~known
        table = self._table
        for cp in np.flatnonzero(seen).tolist():
            norm = table[cp]
            codes[cp] = ord(norm) if len(norm) == 1 else IRREGULAR
        known |= seen
        return codes[cps]

    def normalise_many(self, texts: list[str]) -> list[str]:
        """``[self.normalise(t) for t in texts]``, with numpy: one array lookup per
        character (:meth:`codes`) instead of a dict lookup. A text with a character
        that does not normalise to exactly one character takes :meth:`normalise`."""
        import numpy as np

        raw = "".join(texts).encode("utf-32-le", errors="surrogatepass")
        out = self.codes(np.frombuffer(raw, dtype=np.uint32))
        del raw
        sizes = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        ends = np.cumsum(sizes)
        bad = out == IRREGULAR
        odd = np.concatenate(([0], np.cumsum(bad)))
        irregular = (odd[ends] - odd[ends - sizes]).tolist()
        out[bad] = 0  # those texts are normalised one by one
        joined = out.tobytes().decode("utf-32-le", errors="surrogatepass")
        return [
            self.normalise(text) if odd else joined[end - size : end]
            for text, odd, end, size in zip(
                texts, irregular, ends.tolist(), sizes.tolist(), strict=True
            )
        ]

    def normalise_with_offsets(self, text: str) -> tuple[str, list[int] | None]:
        """The normalised text and, unless it is the identity, a list mapping each
        normalised character's index to the index of the original character."""
        out = text.translate(self._table)
        irregular = self._table.irregular
        if len(out) == len(text) and (not irregular or irregular.isdisjoint(text)):
            return out, None
        offsets: list[int] = []
        table = self._table
        for i, char in enumerate(text):
            offsets.extend([i] * len(table[ord(char)]))
        return out, offsets


#: One unit of normalised text: (text, position, start, end), the span in the original.
Unit = tuple[str, int, int, int]


def iter_runs(norm: str, offsets: list[int] | None, length: int) -> Iterator[list[Unit]]:
    """Split normalised text into runs (lines) of units, with gapped positions.

    Positions are consecutive inside a run and jump by two between runs, so that
    neither a bigram nor a phrase of bigrams can join two runs.
    """
    pos = 0
    line_start = 0
    for line in norm.split("\n"):
        begin = line_start
        line_start += len(line) + 1
        if offsets is None and SPACE not in line:
            if line:
                yield [(c, pos + i, begin + i, begin + i + 1) for i, c in enumerate(line)]
                pos += len(line) + 1
            continue
        run: list[Unit] = []
        space_at = -1
        for i, char in enumerate(line, begin):
            if char == SPACE:
                if run and space_at < 0:
                    space_at = i
                continue
            if space_at >= 0:
                run.append(
                    (SPACE, pos, _orig(offsets, space_at), _orig_end(offsets, space_at, length))
                )
                pos += 1
                space_at = -1
            run.append((char, pos, _orig(offsets, i), _orig_end(offsets, i, length)))
            pos += 1
        if run:
            yield run
            pos += 1


def _orig(offsets: list[int] | None, i: int) -> int:
    return offsets[i] if offsets is not None else i


def _orig_end(offsets: list[int] | None, i: int, length: int) -> int:
    if offsets is None:
        return i + 1
    return offsets[i + 1] if i + 1 < len(offsets) else length


def bigrams(run: list[Unit]) -> Iterator[Unit]:
    for a, b in itertools.pairwise(run):
        yield (a[0] + b[0], a[1], a[2], b[3])


def grams(run: list[Unit]) -> Iterator[Unit]:
    """The indexed terms of a run: its bigrams, then the run-end term of its last unit."""
    yield from bigrams(run)
    text, pos, start, end = run[-1]
    yield (text + "\n", pos, start, end)


def literal_units(normaliser: Normaliser, literal: str) -> list[str]:
    """The units of a query literal: one run (line breaks and spaces collapse)."""
    norm = normaliser.normalise(literal).replace("\n", SPACE)
    units: list[str] = []
    for run in iter_runs(norm, None, len(norm)):
        units.extend(u[0] for u in run)
    return units


def collapse(line: str) -> str:
    """One run's units as a string: spaces trimmed and collapsed to one ``SPACE``."""
    if SPACE not in line:
        return line
    return SPACE.join([part for part in line.split(SPACE) if part])


def positioned(norm: str) -> str:
    """Normalised text as one string whose index is the unit's position: runs with
    spaces collapsed, joined by one line break (which is never a unit), so positions
    jump by two between runs exactly as in :func:`iter_runs`. A bigram of it that holds
    the line break spans two runs and is not a term."""
    if SPACE in norm:
        return "\n".join(filter(None, map(collapse, norm.split("\n"))))
    return "\n".join(filter(None, norm.split("\n")))


#: Second unit of a run-end term: a unit X ends a run as the term ``X + RUN_END``, so
#: that every unit starts some term and a unit occurs iff a term starts with it.
RUN_END = "\n"


def gram_positions(norm: str) -> dict[str, list[int]]:
    """Term -> its positions in normalised text: each bigram of a run at the position of
    its first unit, and the run-end term of each run's last unit (see :data:`RUN_END`):
    exactly :func:`iter_runs` and :func:`grams`, without a tuple per unit."""
    text = positioned(norm) + RUN_END
    grams: dict[str, list[int]] = {}
    get = grams.get
    for i in range(len(text) - 1):
        gram = text[i : i + 2]
        found = get(gram)
        if found is None:
            grams[gram] = [i]
        else:
            found.append(i)
    for gram in [g for g in grams if g[0] == RUN_END]:
        del grams[gram]
    return grams
