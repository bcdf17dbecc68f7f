"""Reading a term's postings and decoding positions, a block at a time.

Whoosh's matchers step one posting at a time (several Python calls each); here a
posting list is read a block at a time: one decompress and one unpickle per block of
1,024 postings. Where :mod:`search.whoosh.guard` finds Whoosh's block layout changed,
``fast=False`` reads every list through Whoosh's own matcher instead.
"""

from __future__ import annotations

import itertools
import pickle
import zlib
from typing import Any

from whoosh.codec.whoosh3 import W3LeafMatcher

#: (docnums, weights, encoded values) of one term in one segment.
Postings = tuple[list[int], list[float], list[Any]]


def read_postings(
    reader: Any, fieldname: str, btext: bytes, fast: bool, values: bool = True
) -> Postings:
    """The postings of one term in a segment: with ``fast``, deleted documents included
    (the caller leaves them out); else Whoosh's matcher, which leaves them out.
    ``values``: with the encoded values (positions), else an empty list of them."""
    if not fast:
        return _through_matcher(reader.postings(fieldname, btext), values)
    field_ = reader.schema[fieldname]
    m = reader._terms.matcher(fieldname, btext, field_.format)
    if not isinstance(m, W3LeafMatcher) or m._fixedsize not in (None, 0) or m._byteids:
        return _through_matcher(m, values)  # inlined postings and other layouts
    ids: list[int] = []
    weights: list[float] = []
    vals: list[Any] = []
    postfile = m._postfile
    while not m._atend:
        data = postfile.get(m._dataoffset, m._nextoffset - m._dataoffset)
        if m._compression:
            data = zlib.decompress(data)
        bids, bweights, bvalues = pickle.loads(data)
        ids += itertools.accumulate(bids)
        if bweights is None:
            weights += [1.0] * m._blocklength
        elif isinstance(bweights, float):
            weights += [bweights] * m._blocklength
        else:
            weights += bweights
        if values:
            vals += [None] * m._blocklength if bvalues is None else bvalues
        if m._lastblock:
            break
        m._goto(m._nextoffset)
    return ids, weights, vals


def _through_matcher(m: Any, values: bool) -> Postings:
    """Whoosh's own way: the matcher's id, weight and value of each posting."""
    ids: list[int] = []
    weights: list[float] = []
    vals: list[Any] = []
    while m.is_active():
        ids.append(m.id())
        weights.append(m.weight())
        if values:
            vals.append(m.value())
        m.next()
    return ids, weights, vals


def deltas(values: list[bytes]) -> list[list[int]]:
    """The position deltas of encoded ``Positions`` values, unpickled at once.

    A value is a 4-byte count and ``pickle.dumps(deltas, 2)``: ``\\x80\\x02``, a list
    built by opcodes that memoize only the list itself (ints are never memoized), and
    ``.``. Those bodies inside one list frame unpickle as the list of the lists, in one
    C call instead of one call per value (~2x faster). Anything unexpected falls back
    to one ``loads`` per value, which is what Whoosh's ``Positions.decode_positions``
    does."""
    try:
        out = pickle.loads(b"\x80\x02](" + b"".join([v[6:-1] for v in values]) + b"e.")
    except Exception:
        out = None
    if out is None or len(out) != len(values):
        out = [pickle.loads(v[4:] if v.endswith(b".") else v[4:] + b".") for v in values]
    return out
