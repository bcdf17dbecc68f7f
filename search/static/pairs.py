"""The extra folding pairs (``search.indexing.variant_pairs``'s rule), counted per
document, so that an update knows when an edit adds or drops one.

The rule: a text and its conversion by the site's converter, where both have the same
length and normalise character by character to the same length, give the pair of the
original characters wherever their normalised characters differ. The set of pairs of
a corpus is what ``variant_pairs`` finds; here each pair also has the number of
documents that give it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

from search.analysis import IRREGULAR, Normaliser

#: A document's texts (title, body, slogans...) and, per variant, their conversions.
Texts = Sequence[str]


def _pairs_of(text: str, converted: str, base: Normaliser) -> set[tuple[str, str]]:
    pairs: set[tuple[str, str]] = set()
    if len(converted) != len(text):
        return pairs
    norm_a, norm_b = base.normalise(text), base.normalise(converted)
    if norm_a == norm_b or len(norm_a) != len(norm_b) or len(text) != len(norm_a):
        return pairs
    for i, (a, b) in enumerate(zip(norm_a, norm_b, strict=True)):
        if a != b:
            pairs.add((text[i], converted[i]))
    return pairs


def pair_counts(
    texts: Sequence[Texts], conversions: Sequence[Sequence[Texts]], base: Normaliser
) -> Counter[tuple[str, str]]:
    """Pair -> the number of documents that give it. ``texts[d]``: document d's texts;
    ``conversions[v][d]``: their conversion by variant v's converter."""
    counts: Counter[tuple[str, str]] = Counter()
    for converted in conversions:
        flat_a: list[str] = []
        flat_b: list[str] = []
        owner: list[int] = []
        for d, (own, conv) in enumerate(zip(texts, converted, strict=True)):
            for a, b in zip(own, conv, strict=True):
                if len(a) == len(b) and a != b:
                    flat_a.append(a)
                    flat_b.append(b)
                    owner.append(d)
        if not flat_a:
            continue
        a = np.frombuffer("".join(flat_a).encode("utf-32-le"), dtype=np.uint32)
        b = np.frombuffer("".join(flat_b).encode("utf-32-le"), dtype=np.uint32)
        na, nb = base.codes(a), base.codes(b)
        sizes = np.fromiter(map(len, flat_a), dtype=np.int64, count=len(flat_a))
        text_of = np.repeat(np.arange(sizes.size), sizes)
        odd = np.zeros(sizes.size, dtype=bool)
        bad = (na == IRREGULAR) | (nb == IRREGULAR)
        odd[text_of[bad]] = True
        diff = np.flatnonzero((na != nb) & ~odd[text_of])
        doc = np.asarray(owner, dtype=np.uint64)[text_of[diff]]
        # (pair, document), each once
        key = np.stack([a[diff].astype(np.uint64), b[diff].astype(np.uint64), doc], axis=1)
        key = np.unique(key, axis=0)
        pair_docs: dict[tuple[int, int], set[int]] = {}
        for x, y, d in key.tolist():
            pair_docs.setdefault((x, y), set()).add(d)
        for i in np.flatnonzero(odd).tolist():
            for pair in _pairs_of(flat_a[i], flat_b[i], base):
                pair_docs.setdefault((ord(pair[0]), ord(pair[1])), set()).add(owner[i])
        for (x, y), docs in pair_docs.items():
            counts[(chr(x), chr(y))] += len(docs)
    # summed over variants: a document that gives a pair in two counts twice (an update
    # takes off what the document gave, so only zero matters)
    return counts
