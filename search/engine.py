"""Everything that touches Whoosh: analyzers, schema, writing, live index, searching.

The rest of the package speaks in plain Python (query AST, dicts of stored fields), so
this module is the one to replace if Whoosh is.

Whoosh pickles the analyzer objects into the index's TOC, so the analyzer classes live
here, importable as ``search.engine.BigramAnalyzer`` / ``UnigramAnalyzer``.
"""

from __future__ import annotations

import contextlib
import functools
import heapq
import itertools
import operator
import os
import pickle
import re
import sys
import threading
import time
import types
import zlib
from array import array
from collections import Counter, OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any

from whoosh import collectors, fields, index, matching, query, scoring, sorting
from whoosh.analysis import Composable, Token
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3Codec, W3LeafMatcher, W3PostingsWriter
from whoosh.filedb import filetables
from whoosh.filedb.filestore import FileStorage
from whoosh.matching.wrappers import WrappingMatcher
from whoosh.system import pack_uint, pack_ushort
from whoosh.util.numeric import length_to_byte
from whoosh.writing import SegmentWriter

from search.analysis import (
    RUN_END,
    SPACE,
    Normaliser,
    Unit,
    gram_positions,
    grams,
    iter_runs,
    literal_units,
    positioned,
    release_memory,
    unit_counts,
)

#: Text fields searched for a literal, with their BM25F weights (title, slogans above body).
TEXT_FIELDS: dict[str, float] = {"title": 4.0, "slogans": 3.0, "body": 1.0}
#: The unigram field of indexes written before run-end terms (title, slogans and body,
#: for one-character literals); newer indexes find one unit by its terms' prefix.
CHARS_FIELD = "chars"
#: The facets counted.
FACET_FIELDS: tuple[str, ...] = ("county", "theme")
INDEX_NAME = "MAIN"


# --------------------------------------------------------------------------- analyzers


class _NgramAnalyzer(Composable):
    """Base of the two analyzers.

    The normaliser is not pickled (it holds an OpenCC object); it is rebuilt lazily from
    ``extra_pairs`` and ``fold`` (the base fold table, see
    :attr:`~search.analysis.Normaliser.base_fold`), which are pickled, so an index
    carries its own normalisation and opening it does not rebuild the fold table from
    OpenCC (~0.5 s). Indexes written before the fold was stored rebuild it.
    """

    def __init__(
        self, extra_pairs: Iterable[tuple[str, str]] = (), fold: dict[int, str] | None = None
    ) -> None:
        self.extra_pairs: tuple[tuple[str, str], ...] = tuple(sorted(set(extra_pairs)))
        self.fold = fold
        self._normaliser: Normaliser | None = None

    @property
    def normaliser(self) -> Normaliser:
        if self._normaliser is None:
            self._normaliser = Normaliser(self.extra_pairs, fold=self.fold)
        return self._normaliser

    def use(self, normaliser: Normaliser) -> None:
        """Share an already-built normaliser (built with the same extra pairs)."""
        self._normaliser = normaliser

    def __getstate__(self) -> dict[str, object]:
        if self.fold is None:
            return {"extra_pairs": self.extra_pairs}
        return {"extra_pairs": self.extra_pairs, "fold": self.fold}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.extra_pairs = tuple(tuple(p) for p in state.get("extra_pairs", ()))  # type: ignore[misc]
        self.fold = state.get("fold")
        self._normaliser = None

    def __eq__(self, other: object) -> bool:
        return (
            type(self) is type(other)
            and self.extra_pairs == other.extra_pairs  # type: ignore[attr-defined]
            and self.fold == other.fold  # type: ignore[attr-defined]
        )

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.extra_pairs))

    def units(self, value: str) -> Iterator[Unit]:
        raise NotImplementedError

    def __call__(  # Whoosh's analyzer signature
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for text, pos, start, end in self.units(value):
            token.text = text
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = text
            if positions:
                token.pos = start_pos + pos
            if chars:
                token.startchar = start_char + start
                token.endchar = start_char + end
            yield token


class BigramAnalyzer(_NgramAnalyzer):
    """Overlapping bigrams of units: any string of >= 2 units is a phrase of them. The
    last unit of a run also gives a run-end term (unit + line break), so that a unit
    occurs iff some term starts with it: one unit is found by those terms."""

    def units(self, value: str) -> Iterator[Unit]:
        norm, offsets = self.normaliser.normalise_with_offsets(value)
        for run in iter_runs(norm, offsets, len(value)):
            yield from grams(run)


class UnigramAnalyzer(_NgramAnalyzer):
    """Single units (spaces left out), so that one character finds too."""

    def units(self, value: str) -> Iterator[Unit]:
        norm, offsets = self.normaliser.normalise_with_offsets(value)
        for run in iter_runs(norm, offsets, len(value)):
            for unit in run:
                if unit[0] != SPACE:
                    yield unit


#: Position lists of one position, encoded (most postings: a bigram once in a field).
_ONE_POSITION: dict[int, bytes] = {}


def _one_position(pos: int) -> bytes:
    value = _ONE_POSITION[pos] = pack_uint(1) + pickle.dumps([pos], 2)
    return value


def _encode_positions(positions: list[int]) -> bytes:
    """Exactly ``whoosh.formats.Positions.encode``: the count, then the pickled deltas."""
    if len(positions) == 1:
        return _ONE_POSITION.get(positions[0]) or _one_position(positions[0])
    deltas = [b - a for a, b in zip([0, *positions], positions, strict=False)]
    return pack_uint(len(deltas)) + pickle.dumps(deltas, 2)


#: Frequencies, encoded as ``whoosh.formats.Frequency`` does.
_FREQ = [pack_uint(n) for n in range(256)]


def _encode_freq(freq: int) -> bytes:
    return _FREQ[freq] if freq < 256 else pack_uint(freq)


#: Postings per term: [docnum, freq, encoded value, docnum, freq, value, ...]
Accumulator = dict[str, list[Any]]


class GramField(fields.TEXT):
    """A TEXT field of unit bigrams with positions (:class:`BigramAnalyzer`), whose
    postings are computed directly from the normalised string: the same terms,
    frequencies, weights and encoded positions as Whoosh's analyzer and ``Positions``
    format give, without a Token object and a generator step per bigram."""

    def accumulate(self, value: str, docnum: int, terms: Accumulator) -> tuple[int, int]:
        """Add the postings of ``value`` to ``terms``; (postings added, field length)."""
        grams = gram_positions(self.analyzer.normaliser.normalise(value))
        one = _ONE_POSITION.get
        get = terms.get
        length = 0
        for gram, positions in grams.items():
            freq = len(positions)
            length += freq
            if freq == 1:
                vbytes = one(positions[0]) or _one_position(positions[0])
            else:
                vbytes = _encode_positions(positions)
            found = get(gram)
            if found is None:
                terms[gram] = [docnum, freq, vbytes]
            else:
                found += (docnum, freq, vbytes)
        return len(grams), length

    def index(self, value: Any, **kwargs: Any) -> Iterator[tuple[bytes, int, float, bytes]]:
        if not isinstance(value, str):
            yield from super().index(value, **kwargs)
            return
        boost = self.format.field_boost
        terms: Accumulator = {}
        self.accumulate(value, 0, terms)
        for term, (_, freq, vbytes) in terms.items():
            yield term.encode("utf-8"), freq, float(freq) * boost, vbytes


class UnitField(GramField):
    """A TEXT field of single units without positions (:class:`UnigramAnalyzer`,
    ``Frequency`` format), with its postings computed directly (see :class:`GramField`)."""

    def accumulate(self, value: str, docnum: int, terms: Accumulator) -> tuple[int, int]:
        counts = unit_counts(self.analyzer.normaliser.normalise(value))
        get = terms.get
        for unit, freq in counts.items():
            vbytes = _encode_freq(freq)
            found = get(unit)
            if found is None:
                terms[unit] = [docnum, freq, vbytes]
            else:
                found += (docnum, freq, vbytes)
        return len(counts), sum(counts.values())


def make_schema(
    extra_pairs: Iterable[tuple[str, str]] = (), fold: dict[int, str] | None = None
) -> fields.Schema:
    """The index's schema; ``fold``: the base fold table to store with the analyzer."""
    pairs = tuple(sorted(set(extra_pairs)))
    bigram = BigramAnalyzer(pairs, fold)
    text_fields = {
        name: GramField(
            analyzer=bigram,
            phrase=True,
            stored=name in ("title", "body"),
            field_boost=boost,
        )
        for name, boost in TEXT_FIELDS.items()
    }
    return fields.Schema(
        slug=fields.ID(stored=True, unique=True),
        county=fields.ID(stored=True, sortable=True),
        theme=fields.ID(stored=True, sortable=True),
        slogan=fields.KEYWORD(commas=True, lowercase=False, scorable=False),
        tag=fields.KEYWORD(commas=True, lowercase=False, scorable=False),
        year=fields.ID(),
        issue=fields.ID(stored=True),
        date=fields.ID(stored=True),
        # -YYYYMMDD: ascending is newest first. (A reversed facet on the date text
        # makes Whoosh scan the list of all dates for every hit.)
        newest=fields.NUMERIC(int, bits=32, signed=True, sortable=True),
        display=fields.STORED(),
        **text_fields,
    )


def share_normaliser(schema: fields.Schema, normaliser: Normaliser) -> None:
    """Make every analyzer of ``schema`` use ``normaliser`` (one fold table per process)."""
    for name in (*TEXT_FIELDS, CHARS_FIELD):
        if name not in schema:
            continue
        analyzer = schema[name].analyzer
        if (
            isinstance(analyzer, _NgramAnalyzer)
            and analyzer.extra_pairs == normaliser.extra_pairs
            and (analyzer.fold is None or analyzer.fold == normaliser.base_fold)
        ):
            analyzer.use(normaliser)


# --------------------------------------------------------------------------- writing


#: Posting blocks under this many bytes are stored uncompressed: compressing one costs
#: a zlib call (~17 us to set up; more where glibc gives the state's memory back each
#: time) and saves little or nothing. A block's info says whether it is compressed,
#: and Whoosh's reader looks.
_SMALL_BLOCK = 256


class _PostingsWriter(W3PostingsWriter):
    """Whoosh's postings writer, for the fields Whoosh writes (keywords, and every field
    of an update), with two changes to ``_write_block``: a block is pickled at
    protocol 4, not 2 (at protocol 2 each value, a posting's encoded positions, is
    pickled as a call of ``_codecs.encode`` on a ``str``: unpickling a block of 128
    postings cost ~85 us, at protocol 4 ~10 us), and a block under
    :data:`_SMALL_BLOCK` bytes is not compressed."""

    def _write_block(self, last: bool = False) -> None:
        if not self._blockcount:
            self._postfile.write(WHOOSH3_HEADER_MAGIC)
        self._terminfo.add_block(self)
        data = (self._mini_ids(), self._mini_weights(), self._mini_values())
        databytes = pickle.dumps(data, 4)
        comp = self._compression if len(databytes) >= _SMALL_BLOCK else 0
        if comp:
            databytes = zlib.compress(databytes, comp)
        ids = self._ids
        infobytes = pickle.dumps(
            (
                len(ids),
                ids[-1],
                self._maxweight,
                comp,
                length_to_byte(self._minlength),
                length_to_byte(self._maxlength),
            ),
            2,
        )
        blocklength = len(infobytes) + len(databytes)
        if last:
            blocklength *= -1
        self._postfile.write_int(blocklength)
        self._postfile.write(infobytes)
        self._postfile.write(databytes)
        self._blockcount += 1
        self._new_block()


class _Codec(W3Codec):
    """Whoosh's codec with :class:`_PostingsWriter` (reading is Whoosh's). Each segment
    keeps its codec in the TOC: this one pickles as Whoosh's own ``W3Codec``, which
    reads the same, so a TOC names no class that an older ``search`` lacks."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (W3Codec, (self._blocklimit, self._compression, self._inlinelimit))

    def postings_writer(self, dbfile: Any, byteids: bool = False) -> W3PostingsWriter:
        return _PostingsWriter(
            dbfile,
            blocklimit=self._blocklimit,
            byteids=byteids,
            compression=self._compression,
            inlinelimit=self._inlinelimit,
        )


#: pickle's batch of list items: a list of more than one item is pickled as MARK,
#: at most this many items, APPENDS, and again (``batch_list_exact`` in _pickle.c).
_PICKLE_BATCH = 1000
_MARK, _APPEND, _APPENDS, _TUPLE, _TUPLE3, _STOP = b"(", b"a", b"e", b"t", b"\x87", b"."
#: ``Positions`` value of one posting after its 4-byte count: ``pickle.dumps(deltas, 2)``
#: starts with PROTO 2, EMPTY_LIST, BINPUT 0.
_LIST_HEAD = b"\x80\x02]q\x00"


def _put_ints(out: Any, at: Any, values: Any) -> None:
    """Pickle the non-negative ints ``values`` (< 2**31) at byte offsets ``at`` of
    ``out``: BININT1 (``K``), BININT2 (``M``) or BININT (``J``), as pickle does."""
    small = values < 256
    at_k, v = at[small], values[small]
    out[at_k] = ord("K")
    out[at_k + 1] = v
    mid = ~small & (values < 65536)
    at_m, v = at[mid], values[mid]
    out[at_m] = ord("M")
    out[at_m + 1] = v & 255
    out[at_m + 2] = v >> 8
    big = values >= 65536
    if big.any():
        at_j, v = at[big], values[big]
        out[at_j] = ord("J")
        for i in range(4):
            out[at_j + 1 + i] = (v >> (8 * i)) & 255


def _int_sizes(values: Any) -> Any:
    """Bytes of each pickled int of :func:`_put_ints` (opcode included)."""
    import numpy as np

    return np.where(values < 256, 2, np.where(values < 65536, 3, 5))


def _within(sizes: Any, starts: Any, group: Any) -> Any:
    """Exclusive running sum of ``sizes`` inside each group (groups are consecutive
    runs beginning at the indexes ``starts``; ``group`` is each item's group)."""
    import numpy as np

    total = np.cumsum(sizes)
    total -= sizes
    return total - total[starts][group]


@dataclass
class _Blocks:
    """The posting blocks of one field of a segment, pickled, not yet compressed.

    ``data[offset[b]:offset[b] + size[b]]`` is block b's pickle (protocol 4) of
    ``(delta-encoded docnums, weights, encoded positions)``: what Whoosh's
    ``W3PostingsWriter._write_block`` pickles, without a Python object per posting."""

    terms: list[bytes]
    # numpy arrays: per block, then per term
    term_blocks: Any  # first block of each term, and the number of blocks at the end
    data: Any  # uint8
    offset: Any
    size: Any
    count: Any
    last_id: Any
    max_weight: Any
    min_length: Any  # as length_to_byte
    max_length: Any
    term_weight: Any
    term_docs: Any
    term_min_length: Any  # as length_to_byte
    term_max_length: Any
    term_max_weight: Any
    term_min_id: Any
    term_max_id: Any


def _length_bytes(lengths: Any) -> Any:
    """``whoosh.util.numeric.length_to_byte`` of each length."""
    import numpy as np
    from whoosh.util.numeric import _length_byte_cache

    table = np.frombuffer(_length_byte_cache, dtype=np.int32)
    return np.where(lengths >= 106374, 255, np.searchsorted(table, lengths, side="left"))


#: Array elements computed at a time where a whole-segment temporary would be large.
_STEP = 1 << 20
#: Occurrences whose blocks are laid out at a time (~80 bytes of temporaries each),
#: and at most so many terms (a few Python objects each until they are written).
_ENCODE_STEP = 1 << 18
_ENCODE_TERMS = 1 << 14


def _occurrences(texts: list[str]) -> tuple[Any, int, Any, Any, Any]:
    """Every term occurrence of ``texts``, sorted by (term, text, position).

    ``texts[i]`` is a document's :func:`~search.analysis.positioned` text plus
    :data:`~search.analysis.RUN_END`, so index = position: every character but a line
    break starts a term (a bigram, or a run-end term where the next one is the line
    break). Returns the code points present (sorted), their count n, and per
    occurrence its term key (first unit's rank * n + second unit's rank, so that key
    order is the terms' UTF-8 order), text index (int32) and position (uint32; the
    first and last may be views of one array).
    ``texts`` is emptied (its memory is what the arrays reuse)."""
    import numpy as np

    sizes = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    starts = np.cumsum(sizes) - sizes
    raw = "".join(texts).encode("utf-32-le")
    texts.clear()
    cps = np.frombuffer(raw, dtype=np.uint32)
    total = cps.size
    rank = np.zeros(0x110000, dtype=np.uint32)
    rank[cps] = 1
    chars = np.flatnonzero(rank)
    nchars = chars.size
    rank[chars] = np.arange(nchars, dtype=np.uint32)
    dense = rank[cps]
    del rank
    ends = np.flatnonzero(cps[:-1] == ord(RUN_END))  # a line break starts no term
    del cps, raw
    count = total - 1 - ends.size
    if nchars * nchars < 1 << 32 and total < 1 << 32:
        # one uint64 per occurrence, (key << 32) | index: one sort, no argsort
        key = np.empty(total - 1, dtype=np.uint64)
        for at in range(0, total - 1, _STEP):
            end = min(at + _STEP, total - 1)
            part = dense[at:end].astype(np.uint64)
            part *= nchars
            part += dense[at + 1 : end + 1]
            part <<= np.uint64(32)
            part |= np.arange(at, end, dtype=np.uint64)
            key[at:end] = part
        del dense
        key[ends] = np.uint64(nchars * nchars) << np.uint64(32)  # after every term
        del ends
        key.sort(kind="stable")  # timsort: runs of a text's repeated bigrams; ~15% faster
        key = key[:count]
        if sys.byteorder == "little":  # the halves in place: (index, term key) pairs
            halves = key.view(np.uint32).reshape(-1, 2)
            index, term_key = halves[:, 0], halves[:, 1]
        else:
            term_key = (key >> np.uint64(32)).astype(np.uint32)
            index = (key & np.uint64(0xFFFFFFFF)).astype(np.uint32)
        del key
    else:  # very many distinct characters or a huge segment: a stable argsort
        valid = np.ones(total - 1, dtype=bool)
        valid[ends] = False
        index = np.flatnonzero(valid)
        del valid, ends
        term_key = dense[index].astype(np.int64) * nchars + dense[index + 1]
        del dense
        order = np.argsort(term_key, kind="stable")
        term_key, index = term_key[order], index[order]
        del order
    text_of = np.repeat(np.arange(sizes.size, dtype=np.int32), sizes)
    doc = np.empty(count, dtype=np.int32)
    for at in range(0, count, _STEP):  # the index becomes the position, in place
        part = index[at : at + _STEP]
        which = text_of[part]
        doc[at : at + part.size] = which
        part -= starts[which].astype(index.dtype)
    return chars, nchars, term_key, doc, index


def _gram_blocks(
    texts: list[str], docnums: array, lengths: array, boost: float, limit: int
) -> Iterator[_Blocks]:
    """The posting blocks of a :class:`GramField` over a segment's documents, a few
    thousand terms at a time, in term order.

    ``texts``, ``docnums`` and ``lengths``: each document's text (as
    :func:`_occurrences` takes it; the list is emptied), docnum and field length.
    The occurrences are sorted once for the whole segment; the blocks' pickles are
    then laid out for about :data:`_ENCODE_STEP` occurrences at a time."""
    import numpy as np

    chars, nchars, term_key, doc, pos = _occurrences(texts)
    count = term_key.size
    if not count:
        return
    new = np.empty(count, dtype=bool)
    new[0] = True
    np.not_equal(term_key[1:], term_key[:-1], out=new[1:])
    new[1:] |= doc[1:] != doc[:-1]
    pstart = np.flatnonzero(new).astype(np.int32)  # each posting's first occurrence
    del new
    npost = pstart.size
    pdoc = doc[pstart]
    del doc
    pkey = term_key[pstart]
    pos = pos.astype(np.int32)  # a copy: the sort's array (term key, position) goes
    del term_key
    freq = np.diff(pstart, append=np.int32(count))
    pid = np.frombuffer(docnums, dtype=np.int64)[pdoc].astype(np.int32)
    plen = np.frombuffer(lengths, dtype=np.int64)[pdoc].astype(np.int32)
    del pdoc
    tnew = np.empty(npost, dtype=bool)
    tnew[0] = True
    np.not_equal(pkey[1:], pkey[:-1], out=tnew[1:])
    tstart = np.flatnonzero(tnew)  # each term's first posting
    del tnew
    tkey = pkey[tstart]
    del pkey
    tcount = np.diff(tstart, append=npost)
    toccur = pstart[tstart]
    nterms = tstart.size
    t0 = 0
    while t0 < nterms:
        t1 = int(np.searchsorted(toccur, toccur[t0] + _ENCODE_STEP, side="left"))
        t1 = min(max(t1, t0 + 1), t0 + _ENCODE_TERMS, nterms)
        p0, p1 = int(tstart[t0]), int(tstart[t1]) if t1 < nterms else npost
        o0, o1 = int(pstart[p0]), int(pstart[p1]) if p1 < npost else count
        yield _encode_blocks(
            _term_bytes(tkey[t0:t1], chars, nchars),
            tcount[t0:t1],
            pstart[p0:p1] - o0,
            freq[p0:p1],
            pid[p0:p1],
            plen[p0:p1],
            pos[o0:o1],
            boost,
            limit,
        )
        t0 = t1


def _encode_blocks(
    terms: list[bytes],
    tcount: Any,
    pstart: Any,
    freq: Any,
    pid: Any,
    plen: Any,
    pos: Any,
    boost: float,
    limit: int,
) -> _Blocks:
    """Blocks of ``limit`` postings of consecutive terms, pickled into one byte array.

    ``tcount``: postings per term; per posting its first occurrence in ``pos``, its
    frequency, docnum and field length; ``pos``: each occurrence's position."""
    import numpy as np

    npost = pstart.size
    count = pos.size
    tstart = np.cumsum(tcount) - tcount
    pterm = np.repeat(np.arange(tstart.size), tcount)
    within = np.arange(npost) - tstart[pterm]
    del pterm
    bnew = within % limit == 0
    bstart = np.flatnonzero(bnew)
    pblock = np.cumsum(bnew) - 1
    del bnew
    bcount = np.diff(bstart, append=npost)
    tblocks = np.cumsum((tcount + limit - 1) // limit)
    # weights: freq * boost, kept as float32 (Whoosh's array("f"))
    weight = (freq * boost).astype(np.float32)
    bmaxw = np.maximum.reduceat(weight, bstart)
    bminw = np.minimum.reduceat(weight, bstart)
    ones = (bmaxw == 1.0) & (bminw == 1.0)
    same = ~ones & (bmaxw == bminw)
    wsize = np.where(ones, 1, np.where(same, 9, 2 + 9 * bcount))
    # ids: delta-encoded inside a block
    idv = pid.copy()
    idv[1:] -= pid[:-1]
    idv[bstart] = pid[bstart]
    idsize = _int_sizes(idv)
    # values: per occurrence, the position delta; MARK and APPENDS around each batch
    # of a list of more than one item, APPEND after a lone item
    op = np.repeat(np.arange(npost, dtype=np.int32), freq)
    j = np.arange(count, dtype=np.int32) - pstart[op].astype(np.int32)
    delta = pos.copy()
    delta[1:] -= pos[:-1]
    delta[pstart] = pos[pstart]
    ofreq = freq[op]
    mark = ((j % _PICKLE_BATCH) == 0) & (ofreq > 1)
    close = ((j % _PICKLE_BATCH) == _PICKLE_BATCH - 1) | (j == ofreq - 1)
    del j
    isize = _int_sizes(delta)
    osize = isize + mark + close  # MARK before a batch, APPEND(S) after it
    vsize = 4 + len(_LIST_HEAD) + np.add.reduceat(osize, pstart) + 1
    vhead = np.where(vsize < 256, 2, 5)
    bidsize = np.add.reduceat(idsize, bstart)
    bvsize = np.add.reduceat(vhead + vsize, bstart)
    bsize = 3 + bidsize + 1 + wsize + 1 + bvsize + 3
    boff = np.cumsum(bsize) - bsize
    out = np.empty(int(bsize.sum()), dtype=np.uint8)
    # block frame: PROTO 4, MARK ids TUPLE, weights, MARK values TUPLE, TUPLE3, STOP
    out[boff] = 0x80
    out[boff + 1] = 4
    out[boff + 2] = ord(_MARK)
    wat = boff + 3 + bidsize + 1
    out[wat - 1] = ord(_TUPLE)
    vat = wat + wsize + 1
    out[vat - 1] = ord(_MARK)
    bend = boff + bsize
    out[bend - 3] = ord(_TUPLE)
    out[bend - 2] = ord(_TUPLE3)
    out[bend - 1] = ord(_STOP)
    _put_ints(out, boff[pblock] + 3 + _within(idsize, bstart, pblock), idv)
    del idv, idsize
    # weights: None, one float, or a tuple of floats (BINFLOAT, big-endian double)
    out[wat[ones]] = ord("N")
    one_at = wat[same]
    out[one_at] = ord("G")
    first = bmaxw[same].astype(">f8").view(np.uint8).reshape(-1, 8)
    out[one_at[:, None] + np.arange(1, 9)] = first
    many = ~(ones | same)
    out[wat[many]] = ord(_MARK)
    out[wat[many] + 1 + 9 * bcount[many]] = ord(_TUPLE)
    pmany = many[pblock]
    at_w = wat[pblock[pmany]] + 1 + 9 * (within[pmany] % limit)
    out[at_w] = ord("G")
    every = weight[pmany].astype(">f8").view(np.uint8).reshape(-1, 8)
    out[at_w[:, None] + np.arange(1, 9)] = every
    del at_w, every, pmany, weight, within
    # values: SHORT_BINBYTES or BINBYTES, then the value: count, pickled deltas
    vstart = vat[pblock] + _within(vhead + vsize, bstart, pblock)
    short = vhead == 2
    out[vstart[short]] = ord("C")
    out[vstart[short] + 1] = vsize[short]
    if not short.all():
        at_b, v = vstart[~short], vsize[~short]
        out[at_b] = ord("B")
        for i in range(4):
            out[at_b + 1 + i] = (v >> (8 * i)) & 255
    value = vstart + vhead
    del vstart, vhead
    head = np.empty((npost, 4 + len(_LIST_HEAD)), dtype=np.uint8)  # count, list head
    head[:, :4] = freq.astype(">u4").view(np.uint8).reshape(-1, 4)
    head[:, 4:] = np.frombuffer(_LIST_HEAD, dtype=np.uint8)
    out[value[:, None] + np.arange(head.shape[1])] = head
    del head
    out[value + vsize - 1] = ord(_STOP)
    item = value[op] + (4 + len(_LIST_HEAD)) + _within(osize, pstart, op) + mark
    del value, osize
    out[item[mark] - 1] = ord(_MARK)
    _put_ints(out, item, delta)
    after = item[close] + isize[close]
    out[after] = np.where(ofreq[close] > 1, ord(_APPENDS), ord(_APPEND))
    del item, after, delta, isize, op, ofreq, mark, close
    # statistics, as W3TermInfo.add_block gathers them
    return _Blocks(
        terms=terms,
        term_blocks=np.concatenate(([0], tblocks)),
        data=out,
        offset=boff,
        size=bsize,
        count=bcount,
        last_id=pid[bstart + bcount - 1],
        max_weight=np.maximum.reduceat(freq, bstart) * boost,
        min_length=_length_bytes(np.minimum.reduceat(plen, bstart)),
        max_length=_length_bytes(np.maximum.reduceat(plen, bstart)),
        term_weight=np.add.reduceat(freq * boost, tstart),
        term_docs=tcount,
        term_min_length=_length_bytes(np.minimum.reduceat(plen, tstart)),
        term_max_length=_length_bytes(np.maximum.reduceat(plen, tstart)),
        term_max_weight=np.maximum.reduceat(freq, tstart) * boost,
        term_min_id=pid[tstart],
        term_max_id=pid[tstart + tcount - 1],
    )


def _term_bytes(keys: Any, chars: Any, nchars: int) -> list[bytes]:
    """The UTF-8 text of each term key (first unit * nchars + second unit)."""
    import numpy as np

    pairs = np.empty((keys.size, 2), dtype=np.uint32)
    pairs[:, 0] = chars[keys // nchars]
    pairs[:, 1] = chars[keys % nchars]
    text = pairs.tobytes().decode("utf-32-le")
    return [text[i : i + 2].encode("utf-8") for i in range(0, len(text), 2)]


class _BulkWriter(SegmentWriter):
    """A segment writer for a fresh index: the postings of :class:`GramField` fields
    are computed for the whole segment at once at commit (:func:`_gram_blocks`), not
    per document and term.

    Whoosh's own path costs several Python calls per posting: a Token per bigram, a
    tuple into the posting pool (pickled to temporary run files and merged back when
    the pool is large), the field length read back from the per-document column for
    every posting, one ``add_posting`` call each, and a pickle of Python objects per
    block. Here a document's field is one normalised string until the commit, which
    sorts every bigram occurrence of the segment by (term, document, position) with
    numpy and lays out the pickles of all blocks in one byte array; Python then only
    compresses and writes each block and adds each term to the terms table.
    ``tests/search/test_engine.py`` checks that what Whoosh reads back (terms,
    postings, block and term statistics, lengths, stored fields) is what Whoosh's own
    writer writes. Other fields take Whoosh's path. Never merges: its commit adds one
    segment.
    """

    def __init__(self, ix: index.Index, **kwargs: Any) -> None:
        super().__init__(ix, **kwargs)
        names = [name for name, field_ in self.schema.items() if type(field_) is GramField]
        #: per field: each document's positioned text + RUN_END, its docnum and length
        self._texts: dict[str, list[str]] = {name: [] for name in names}
        self._docnums: dict[str, array] = {name: array("q") for name in names}
        self._lengths: dict[str, array] = {name: array("q") for name in names}
        #: bigram occurrences held (what the commit's memory grows with)
        self.postings = 0
        # the terms table: entries added in bulk, hash tables laid out with numpy, and
        # CRC-32 hashes (Whoosh's hash type 1: zlib.crc32, ~5x cheaper than its default
        # MD5, here and for each lookup); the type is in the file's header, just written
        tindex = self.fieldwriter._tindex
        tindex._bulk = []
        tindex._write_hashes = types.MethodType(_write_hashes, tindex)
        dbfile = tindex.dbfile
        end = dbfile.tell()
        dbfile.seek(tindex.startoffset + 4)  # after the 4-byte magic
        dbfile.write_byte(1)
        dbfile.seek(end)
        tindex.hashtype, tindex.hashfn = 1, filetables.crc_hash
        # each document's stored fields are a zlib stream too (Whoosh's column of
        # compressed pickles): written by the blocks' compressor, read by zlib
        stored = getattr(self.perdocwriter, "_colwriters", {}).get("_stored")
        child = getattr(stored, "_child", None)
        if child is not None and hasattr(child, "_compress"):
            child._compress, child._level = _compressor()

    def add_document(self, **values: Any) -> None:
        self.add_documents([values])

    def add_documents(self, rows: list[dict[str, Any]]) -> None:
        """Add ``rows`` (field values), their text fields normalised together
        (:meth:`~search.analysis.Normaliser.normalise_many`)."""
        normalised: dict[str, list[str]] = {}
        for name in self._texts:
            values = [row[name] for row in rows if isinstance(row.get(name), str)]
            normaliser = self.schema[name].analyzer.normaliser
            normalised[name] = normaliser.normalise_many(values)[::-1]
        for row in rows:
            self._add(row, normalised)

    def _add(self, values: dict[str, Any], normalised: dict[str, list[str]]) -> None:
        self._check_state()
        perdoc = self.perdocwriter
        schema = self.schema
        docnum = self.docnum
        add_post = self.pool.add
        names = sorted(name for name in values if not name.startswith("_"))
        self._check_fields(schema, names)
        perdoc.start_doc(docnum)
        try:
            for name in names:
                value = values[name]
                if value is None:
                    continue
                field_ = schema[name]
                length = 0
                texts = self._texts.get(name)
                if texts is not None and isinstance(value, str):
                    text = positioned(normalised[name].pop()) + RUN_END
                    length = len(text) - text.count(RUN_END)  # a term starts at every unit
                    texts.append(text)
                    self._docnums[name].append(docnum)
                    self._lengths[name].append(length)
                    self.postings += length
                elif texts is not None:
                    raise TypeError(f"{name}: a string, not {type(value).__name__}")
                elif field_.indexed:
                    for tbytes, freq, weight, vbytes in field_.index(value):
                        if field_.scorable:
                            length += freq
                        add_post((name, tbytes, docnum, weight, vbytes))
                if field_.vector:
                    raise NotImplementedError("term vectors")
                perdoc.add_field(name, field_, value if field_.stored else None, length)
                column = field_.column_type
                if column:
                    perdoc.add_column_value(name, column, field_.to_column_value(value))
        except Exception:
            perdoc.cancel_doc()
            raise
        perdoc.finish_doc()
        self._added = True
        self.docnum += 1

    def commit(self, mergetype: Any = None, optimize: bool = False, merge: bool = False) -> None:
        # merging would feed other segments' postings of the bulk fields into the pool
        super().commit(merge=False)

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        lengths = self.per_document_reader() if self.codec.length_stats else None
        writer = self.fieldwriter
        pending = sorted(name for name, texts in self._texts.items() if texts)
        for name, group in itertools.groupby(self.pool.iter_postings(), key=itemgetter(0)):
            if name in self._texts:
                raise RuntimeError(f"pool postings for {name}")
            while pending and pending[0] < name:
                self._write_field(pending.pop(0))
            scorable = self.schema[name].scorable
            # Whoosh reads the field length of every posting, and checks each time
            # that the length column exists (a stat call); unscored fields have none
            writer.add_postings(self.schema, lengths if scorable else None, group)
        while pending:
            self._write_field(pending.pop(0))
        writer.close()
        if lengths:
            lengths.close()

    def _write_field(self, name: str) -> None:
        field_ = self.schema[name]
        writer = self.fieldwriter
        writer.start_field(name, field_)
        chunks = _gram_blocks(
            self._texts.pop(name),
            self._docnums.pop(name),
            self._lengths.pop(name),
            float(field_.format.field_boost),
            self.codec._blocklimit,
        )
        _write_blocks(writer, chunks)
        writer.finish_field()


@functools.lru_cache(maxsize=1)
def _compressor() -> tuple[Any, int]:
    """The function that compresses the bulk writer's posting blocks, and its level.

    ISA-L's (``isal.isal_zlib``) at level 1 where it is installed: a zlib stream like
    zlib's own, which Whoosh's reader decompresses with ``zlib``, written ~3x as fast
    as zlib's level 3 (Whoosh's; 330 against 100 MB/s on the bench's blocks, where
    compressing was ~3.5 of ~13 CPU s at 5,000 articles) and ~7% larger. Else zlib at
    level 3. The level goes into each block's info, where the reader only asks
    whether the block is compressed."""
    try:
        from isal import isal_zlib
    except ImportError:
        return zlib.compress, 3
    return isal_zlib.compress, 1


def _write_blocks(writer: Any, chunks: Iterable[_Blocks]) -> None:
    """Write the blocks of :func:`_gram_blocks` to the field writer's postings file as
    ``W3PostingsWriter`` lays them out, and add each term's ``W3TermInfo`` to the terms
    table (:func:`_add_terms`). A term's postings are a header, then per block its
    length (negative for the last), its info (pickled at protocol 2: postings, last
    docnum, highest weight, compression, shortest and longest field length as bytes)
    and its data, compressed when it is :data:`_SMALL_BLOCK` bytes or more. All of it
    is laid out with numpy; Python compresses the large blocks, one call each."""
    import numpy as np

    postfile = writer._postfile
    prefix = pack_ushort(writer._fieldid)
    compress, comp = _compressor()
    at = postfile.tell()
    for blocks in chunks:
        data = memoryview(blocks.data)
        size, term_blocks = blocks.size, blocks.term_blocks
        big = np.flatnonzero(size >= _SMALL_BLOCK)
        packed = [
            compress(data[o : o + n], comp)
            for o, n in zip(blocks.offset[big].tolist(), size[big].tolist(), strict=True)
        ]
        dsize = size.copy()
        dsize[big] = [len(p) for p in packed]
        count_size, last_size = _int_sizes(blocks.count), _int_sizes(blocks.last_id)
        isize = 3 + count_size + last_size + 9 + 6 + 4
        rsize = 4 + isize + dsize  # a block's record: length, info, data
        first = term_blocks[:-1]
        bterm = np.repeat(np.arange(first.size), np.diff(term_blocks))
        tsize = len(WHOOSH3_HEADER_MAGIC) + np.add.reduceat(rsize, first)
        tstart = np.cumsum(tsize) - tsize
        out = np.empty(int(tsize.sum()), dtype=np.uint8)
        out[tstart[:, None] + np.arange(4)] = np.frombuffer(WHOOSH3_HEADER_MAGIC, np.uint8)
        rstart = tstart[bterm] + 4 + _within(rsize, first, bterm)
        length = isize + dsize
        length[term_blocks[1:] - 1] *= -1
        out[rstart[:, None] + np.arange(4)] = length.astype(">i4").view(np.uint8).reshape(-1, 4)
        info = rstart + 4
        out[info] = 0x80
        out[info + 1] = 2
        out[info + 2] = ord(_MARK)
        _put_ints(out, info + 3, blocks.count)
        _put_ints(out, info + 3 + count_size, blocks.last_id)
        g = info + 3 + count_size + last_size
        out[g] = ord("G")
        weight = blocks.max_weight.astype(">f8").view(np.uint8).reshape(-1, 8)
        out[g[:, None] + np.arange(1, 9)] = weight
        level = np.zeros(size.size, dtype=np.int64)
        level[big] = comp
        for i, values in enumerate((level, blocks.min_length, blocks.max_length)):
            out[g + 9 + 2 * i] = ord("K")
            out[g + 10 + 2 * i] = values
        out[g[:, None] + np.arange(15, 19)] = np.frombuffer(b"tq\x00.", np.uint8)
        dstart = info + isize
        small = np.flatnonzero(size < _SMALL_BLOCK)
        n = size[small]
        step = np.arange(int(n.sum()))
        shift = np.cumsum(n) - n
        out[np.repeat(dstart[small] - shift, n) + step] = blocks.data[
            np.repeat(blocks.offset[small] - shift, n) + step
        ]
        for d, p in zip(dstart[big].tolist(), packed, strict=True):
            out[d : d + len(p)] = np.frombuffer(p, dtype=np.uint8)
        postfile.write(memoryview(out))
        starts = (at + tstart).tolist()
        at += out.size
        starts.append(at)
        del data, packed, out
        _add_terms(writer._tindex, prefix, blocks, starts)
    assert postfile.tell() == at


#: ``W3TermInfo.to_bytes`` of a term whose postings are in the postings file:
#: ``!BfIBBfII``, then the postings' offset (``!q``) and length (``!i``).
_TERMINFO_DTYPE = [
    ("inlined", "u1"),
    ("weight", ">f4"),
    ("docs", ">u4"),
    ("min_length", "u1"),
    ("max_length", "u1"),
    ("max_weight", ">f4"),
    ("min_id", ">u4"),
    ("max_id", ">u4"),
    ("offset", ">i8"),
    ("length", ">i4"),
]


def _add_terms(tindex: Any, prefix: bytes, blocks: _Blocks, starts: list[int]) -> None:
    """``tindex.add(prefix + term, terminfo)`` for the terms of ``blocks`` (in order),
    in bulk: the records (``!ii`` lengths, key, value) in one write, their positions
    in the ordered index, and (hash, position) kept in arrays for :func:`_write_hashes`
    instead of a tuple each in Whoosh's per-bucket lists. ``starts``: each term's
    offset in the postings file, then the end of the last."""
    import numpy as np

    keys = [prefix + term for term in blocks.terms]
    if not keys:
        return
    if keys[0] <= tindex.lastkey:
        raise ValueError(f"Keys must increase: {tindex.lastkey!r}..{keys[0]!r}")
    count = len(keys)
    values = np.zeros(count, dtype=_TERMINFO_DTYPE)
    values["weight"] = blocks.term_weight
    values["docs"] = blocks.term_docs
    values["min_length"] = blocks.term_min_length
    values["max_length"] = blocks.term_max_length
    values["max_weight"] = blocks.term_max_weight
    values["min_id"] = blocks.term_min_id
    values["max_id"] = blocks.term_max_id
    ends = np.asarray(starts, dtype=np.int64)
    values["offset"] = ends[:-1]
    values["length"] = np.diff(ends)
    vsize = values.dtype.itemsize
    klen = np.fromiter(map(len, keys), dtype=np.int64, count=count)
    rsize = 8 + klen + vsize
    rstart = np.cumsum(rsize) - rsize
    out = np.empty(int(rsize.sum()), dtype=np.uint8)
    lengths = np.empty((count, 2), dtype=">i4")
    lengths[:, 0] = klen
    lengths[:, 1] = vsize
    out[rstart[:, None] + np.arange(8)] = lengths.view(np.uint8).reshape(count, 8)
    kbytes = np.frombuffer(b"".join(keys), dtype=np.uint8)
    kstart = np.cumsum(klen) - klen
    out[np.repeat(rstart + 8 - kstart, klen) + np.arange(kbytes.size)] = kbytes
    out[(rstart + 8 + klen)[:, None] + np.arange(vsize)] = values.view(np.uint8).reshape(
        count, vsize
    )
    dbfile = tindex.dbfile
    base = dbfile.tell()
    dbfile.write(out.tobytes())
    positions = rstart + base
    index = tindex.index  # GrowableArray of the records' positions, in key order
    last = int(positions[-1])
    try:
        array(index.typecode, [last])
    except OverflowError:
        index._retype(last)
    if isinstance(index.array, array):
        index.array.frombytes(positions.astype(_ARRAY_DTYPES[index.array.typecode]).tobytes())
    else:
        index.array.extend(positions.tolist())
    hashes = np.fromiter(map(tindex.hashfn, keys), dtype=np.uint64, count=count)
    tindex._bulk.append((hashes, positions))
    tindex.lastkey = keys[-1]


#: numpy dtypes of the array typecodes GrowableArray uses (native byte order).
_ARRAY_DTYPES = {"B": "u1", "H": "u2", "i": "i4", "I": "u4", "l": "i8", "q": "i8"}


def _write_hashes(self: Any) -> None:
    """``HashWriter._write_hashes`` (bound to a field writer's terms table) with the
    entries of :func:`_add_terms` too, and each bucket's table laid out with numpy:
    256 tables of twice as many (hash, position) slots as entries, an entry at the
    first free slot from (hash >> 8) % slots on (wrapping), (0, 0) for a free slot.
    The order entries are placed in differs from Whoosh's, so a table may differ;
    any such table answers a lookup the same (it probes from the home slot to the
    first free one)."""
    import numpy as np

    dbfile = self.dbfile
    own = [entry for bucket in self.buckets for entry in bucket]
    hashes = [np.asarray([h for h, _ in own], dtype=np.uint64)]
    positions = [np.asarray([p for _, p in own], dtype=np.int64)]
    for h, p in self._bulk:
        hashes.append(h)
        positions.append(p)
    allh, allp = np.concatenate(hashes), np.concatenate(positions)
    bucket = allh & 255
    order = np.argsort(bucket, kind="stable")
    allh, allp, bucket = allh[order], allp[order], bucket[order]
    bounds = np.searchsorted(bucket, np.arange(257)).tolist()
    for b in range(256):
        lo, hi = bounds[b], bounds[b + 1]
        n = hi - lo
        self.directory.append((dbfile.tell(), 2 * n))
        if not n:
            continue
        slots = 2 * n
        h, p = allh[lo:hi], allp[lo:hi]
        home = ((h >> np.uint64(8)) % np.uint64(slots)).astype(np.int64)
        by_home = np.argsort(home, kind="stable")
        home, h, p = home[by_home], h[by_home], p[by_home]
        idx = np.arange(n)
        slot = np.maximum.accumulate(home - idx) + idx  # the first free slot from home
        over = slot >= slots
        if over.any():  # wrapped past the end: the lowest free slots, in order
            free = np.setdiff1d(np.arange(slots), slot[~over], assume_unique=True)
            slot[over] = free[: int(over.sum())]
        table = np.zeros(slots, dtype=[("hash", ">u4"), ("position", ">i8")])
        table["hash"][slot] = h
        table["position"][slot] = p
        dbfile.write(table.tobytes())


def write_documents(
    index_dir: Path,
    rows: Iterable[dict[str, Any]],
    extra_pairs: Iterable[tuple[str, str]],
    normaliser: Normaliser | None = None,
    limitmb: int = 64,
    segment_positions: int = 4_000_000,
    batch: int = 256,
    block_postings: int = 1024,
) -> None:
    """Create a fresh index in ``index_dir`` from rows of field values.

    One process (the generator runs this beside page rendering). The text fields'
    normalised strings are held until a segment is written, every
    ``segment_positions`` term occurrences (~1,400 articles of 3,000 characters; the
    commit's arrays take ~30 bytes per occurrence), so memory stays bounded and a large
    bulletin gets a few segments. Rows are normalised ``batch`` at a time.

    Posting blocks hold ``block_postings`` postings, not Whoosh's 128: a block costs a
    zlib call (~17 us to set up, as much as compressing a 128-posting block) and, when
    read, a decompress and an unpickle; the engine reads whole posting lists, so
    larger blocks make both writing and queries faster (5,000 bench articles: writing
    -20%, queries -13%, index 97 -> 87 MB). Whoosh's reader takes any block size.
    """
    index_dir.mkdir(parents=True, exist_ok=True)
    if normaliser is None:
        normaliser = Normaliser(extra_pairs)
    schema = make_schema(extra_pairs, normaliser.base_fold)
    share_normaliser(schema, normaliser)
    ix = index.create_in(str(index_dir), schema, indexname=INDEX_NAME)
    codec = _Codec(blocklimit=block_postings)
    writer: _BulkWriter | None = None
    pending: list[dict[str, Any]] = []
    size = 0  # characters of the pending rows' text fields (>= their occurrences)
    try:
        for row in rows:
            if writer is None:
                writer = _BulkWriter(ix, limitmb=limitmb, codec=codec)
            pending.append(row)
            size += sum(len(row[n]) for n in TEXT_FIELDS if isinstance(row.get(n), str))
            if len(pending) >= batch or writer.postings + size >= segment_positions:
                writer.add_documents(pending)
                pending, size = [], 0
                if writer.postings >= segment_positions:
                    writer.commit()
                    writer = None
                    release_memory()
        if pending:
            if writer is None:
                writer = _BulkWriter(ix, limitmb=limitmb, codec=codec)
            writer.add_documents(pending)
        if writer is None and ix.doc_count_all() == 0:
            writer = _BulkWriter(ix, limitmb=limitmb, codec=codec)
        if writer is not None:
            writer.commit()
            writer = None
    except BaseException:
        if writer is not None:
            writer.cancel()
        raise
    finally:
        ix.close()


def index_pairs(index_dir: Path) -> tuple[tuple[str, str], ...]:
    """The extra folding pairs an existing index was written with."""
    return index_normalisation(index_dir)[0]


def index_normalisation(
    index_dir: Path,
) -> tuple[tuple[tuple[str, str], ...], dict[int, str] | None]:
    """The extra folding pairs and the base fold table an existing index was written
    with (no fold table: an index from before it was stored)."""
    ix = index.open_dir(str(index_dir), indexname=INDEX_NAME)
    try:
        analyzer = ix.schema["body"].analyzer
        assert isinstance(analyzer, _NgramAnalyzer)
        return analyzer.extra_pairs, analyzer.fold
    finally:
        ix.close()


def update_documents(
    index_dir: Path,
    rows: Iterable[dict[str, Any]],
    removed: Iterable[str],
    normaliser: Normaliser | None = None,
) -> None:
    """Replace the documents of ``rows`` (by slug) and delete ``removed`` in an existing
    index, as one new commit (existing segment files are not changed)."""
    ix = index.open_dir(str(index_dir), indexname=INDEX_NAME)
    if normaliser is not None:
        share_normaliser(ix.schema, normaliser)
    writer = ix.writer(codec=_Codec(blocklimit=1024))
    try:
        for slug in removed:
            writer.delete_by_term("slug", slug)
        for row in rows:
            if CHARS_FIELD in ix.schema:  # an index from before run-end terms
                parts = [row.get("title", ""), row.get("slogans", ""), row.get("body", "")]
                row = {**row, CHARS_FIELD: "\n".join(p for p in parts if p)}
            writer.update_document(**row)
    except BaseException:
        writer.cancel()
        raise
    writer.commit()
    ix.close()


# --------------------------------------------------------------------------- queries

#: The engine's query AST, built by :mod:`search.query`.


@dataclass(frozen=True, slots=True)
class Literal:
    """A string the text must contain verbatim (after normalisation)."""

    text: str


@dataclass(frozen=True, slots=True)
class Filter:
    """A keyword field equal to a value (county, theme, slogan, year...)."""

    field: str
    value: str


@dataclass(frozen=True, slots=True)
class AnyOf:
    """At least one of the clauses (``a OR b``)."""

    clauses: tuple[Literal | Filter, ...]


Clause = Literal | Filter | AnyOf


@dataclass(frozen=True, slots=True)
class Query:
    must: tuple[Clause, ...] = ()
    must_not: tuple[Clause, ...] = ()

    def literals(self) -> list[str]:
        """The positive literals, for highlighting."""
        out: list[str] = []
        for clause in self.must:
            items = clause.clauses if isinstance(clause, AnyOf) else (clause,)
            out.extend(c.text for c in items if isinstance(c, Literal))
        return out


@dataclass
class Hit:
    stored: dict[str, Any]
    score: float


@dataclass
class Outcome:
    total: int
    hits: list[Hit]
    facets: dict[str, dict[str, int]]
    partial: bool = False


def cover(count: int) -> list[int]:
    """Offsets of the bigrams a phrase of ``count`` bigrams must check: every other one,
    and the last. Bigram k covers units k and k+1, and positions are consecutive only
    inside a run, so bigrams at p, p+2, p+4... fix every unit of the string."""
    offsets = list(range(0, count, 2))
    if offsets[-1] != count - 1:
        offsets.append(count - 1)
    return offsets


class _PhraseMatcher(WrappingMatcher):
    """Documents of an intersection of bigram terms where the bigrams sit at the given
    offsets from one start position. Plain set arithmetic on decoded positions: several
    times faster than Whoosh's span machinery, which builds an object per position."""

    def __init__(self, child: Any, leaves: list[Any], offsets: list[int]) -> None:
        super().__init__(child)
        self._leaves = leaves
        self._offsets = offsets
        self._find()

    def _matches_here(self) -> bool:
        leaves, offsets = self._leaves, self._offsets
        starts = set(leaves[0].value_as("positions"))
        for leaf, offset in zip(leaves[1:], offsets[1:], strict=True):
            starts.intersection_update([p - offset for p in leaf.value_as("positions")])
            if not starts:
                return False
        return True

    def _find(self) -> None:
        child = self.child
        while child.is_active() and not self._matches_here():
            child.next()

    def copy(self) -> _PhraseMatcher:
        raise NotImplementedError  # never called by the collectors used here

    def replace(self, minquality: float = 0) -> Any:
        return self if self.is_active() else matching.NullMatcher()

    def all_ids(self) -> Iterator[int]:
        while self.is_active():
            yield self.id()
            self.next()

    def next(self) -> None:
        self.child.next()
        self._find()

    def skip_to(self, id: int) -> None:
        self.child.skip_to(id)
        self._find()

    def supports_block_quality(self) -> bool:
        return False


class GramPhrase(query.Phrase):
    """A phrase of overlapping bigrams, matched by :class:`_PhraseMatcher`."""

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        fieldname = self.fieldname
        if fieldname not in searcher.schema:
            return matching.NullMatcher()
        field_ = searcher.schema[fieldname]
        reader = searcher.reader()
        offsets = cover(len(self.words))
        leaves = []
        for k in offsets:
            word = field_.to_bytes(self.words[k])
            if (fieldname, word) not in reader:
                return matching.NullMatcher()
            leaves.append(query.Term(fieldname, self.words[k]).matcher(searcher, context))
        child = leaves[0]
        for leaf in leaves[1:]:
            child = matching.IntersectionMatcher(child, leaf)
        return _PhraseMatcher(child, leaves, offsets)


class UnitQuery(query.Prefix):
    """The documents whose field holds one unit: those with a term that starts with it
    (every unit starts a bigram or a run-end term). Bounded and internal: the terms are
    that unit's bigrams in the segment, never a reader's pattern. Scores a constant
    ``boost`` (the field's weight), like Whoosh's constant-score prefix queries, with
    the doc ids read straight from each posting list."""

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        if self.fieldname not in searcher.schema:
            return matching.NullMatcher()
        reader = searcher.reader()
        docs: set[int] = set()
        for btext in reader.expand_prefix(self.fieldname, self.text):
            docs.update(reader.postings(self.fieldname, btext).all_ids())
        if not docs:
            return matching.NullMatcher()
        return matching.ListMatcher(sorted(docs), all_weights=self.boost)


class _AndNotMatcher(matching.AndNotMatcher):
    """Whoosh's, with the first document checked too. Whoosh's ``_find_first`` looks
    at the excluded matcher only when both start on the same document, so where the
    excluded documents of a segment start earlier, the first positive document got
    through (``临 -county:临颍县`` answered an article of 临颍县)."""

    def _find_first(self) -> None:
        if self.a.is_active() and self.b.is_active():
            self._find_next()


class _AndNot(query.AndNot):
    def matcher(self, searcher: Any, context: Any = None) -> Any:
        positive = self.a.matcher(searcher, context)
        return _AndNotMatcher(positive, self.b.matcher(searcher, searcher.boolean_context()))


class _Deadline(collectors.WrappingCollector):
    """Stops collecting at a deadline, without the timer thread or SIGALRM that Whoosh's
    TimeLimitCollector uses (neither belongs in a threaded server)."""

    def __init__(self, child: collectors.Collector, deadline: float) -> None:
        self.child = child
        self.deadline = deadline
        self.timed_out = False

    def collect_matches(self) -> None:
        child = self.child
        monotonic = time.monotonic
        for n, sub_docnum in enumerate(child.matches()):
            if not n & 63 and monotonic() > self.deadline:
                self.timed_out = True
                raise collectors.TimeLimit
            child.collect(sub_docnum)


def _score(key: Any) -> float:
    """The BM25F score back from a sort key (ScoreFacet sorts on its negation)."""
    if isinstance(key, tuple):
        key = key[0]
    try:
        return -float(key)
    except (TypeError, ValueError):
        return 0.0


class ResultCache:
    """Recent outcomes of one index generation, so the next page, a facet click that
    returns to a query, or a popular term cost one lookup. Dropped with its generation."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[tuple[Any, ...], Outcome] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> Outcome | None:
        with self._lock:
            outcome = self._items.get(key)
            if outcome is not None:
                self._items.move_to_end(key)
            return outcome

    def put(self, key: tuple[Any, ...], outcome: Outcome) -> None:
        if self.size <= 0 or outcome.partial:
            return
        with self._lock:
            self._items[key] = outcome
            while len(self._items) > self.size:
                self._items.popitem(last=False)


# --------------------------------------------------------------------------- evaluation
#
# Whoosh's collectors cost ~20-30 us of Python per hit: a tree of matchers stepped one
# document at a time, a score, a sort key and a facet key per hit. Here a query is
# evaluated per segment into a plain dict {docnum: score}: posting lists are read a
# block (one unpickle) at a time, a phrase is checked with set operations on its
# bigrams' decoded positions, BM25F is computed exactly as Whoosh computes it (the same
# float operations, with each document's length term read once per index generation),
# facets are counted over per-segment columns read once per generation, and the page
# is a heap selection on (-score, newest, docnum), Whoosh's own sort key.


class _TimedOut(Exception):
    """The query's deadline passed."""


#: Whoosh's BM25F parameters (the searcher's weighting model).
_WEIGHTING = scoring.BM25F()


def _postings(
    reader: Any, fieldname: str, btext: bytes, values: bool
) -> tuple[list[int], list[float], list[Any]]:
    """(docnums, weights, values) of one term in a segment, deletions included.

    Whoosh's block layout (``whoosh.codec.whoosh3``): a block is one pickled tuple
    (delta-encoded ids, weights or None or one float, values); unpickled here a block at
    a time instead of stepping a matcher per posting."""
    field_ = reader.schema[fieldname]
    m = reader._terms.matcher(fieldname, btext, field_.format)
    ids: list[int] = []
    weights: list[float] = []
    vals: list[Any] = []
    if not isinstance(m, W3LeafMatcher) or m._fixedsize not in (None, 0) or m._byteids:
        while m.is_active():  # inlined postings and other layouts: the matcher interface
            ids.append(m.id())
            weights.append(m.weight())
            if values:
                vals.append(m.value())
            m.next()
        return ids, weights, vals
    postfile = m._postfile
    while not m._atend:
        data = postfile.get(m._dataoffset, m._nextoffset - m._dataoffset)
        if m._compression:
            data = zlib.decompress(data)
        bids, bweights, bvalues = pickle.loads(data)
        count = m._blocklength
        ids += itertools.accumulate(bids)
        if bweights is None:
            weights += [1.0] * count
        elif isinstance(bweights, float):
            weights += [bweights] * count
        else:
            weights += bweights
        if values and bvalues is not None:
            vals += bvalues
        if m._lastblock:
            break
        m._goto(m._nextoffset)
    return ids, weights, vals


#: Phrase candidates checked per step (the deadline is checked between steps).
_CHUNK = 1024


def _deltas(values: list[bytes]) -> list[list[int]]:
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


class _SegmentData:
    """What queries need of one segment besides postings, read once per index
    generation: deletions, facet names and the newest-first key per document, and the
    BM25F length term of each text field."""

    def __init__(self, reader: Any, avgfl: dict[str, float]) -> None:
        size = reader.doc_count_all()
        self.size = size
        self.deleted: frozenset[int] = (
            reader.deleted_docs_set if reader.has_deletions() else frozenset()
        )
        schema = reader.schema
        self.facets = {name: self._names(reader, schema, name) for name in FACET_FIELDS}
        self.newest: list[Any] = [0] * size
        if "newest" in schema and reader.has_column("newest"):
            column = reader.column_reader("newest", translate=False)
            self.newest = [column.sort_key(d) for d in range(size)]
        self.norms: dict[str, list[float]] = {}
        for name in schema.scorable_names():
            self.norms[name] = self._norms(reader, name, avgfl.get(name) or 1)

    def _names(self, reader: Any, schema: fields.Schema, name: str) -> list[Any]:
        """The facet name of each document, as Whoosh's column categorizer gives it."""
        size = self.size
        if name not in schema:
            return [None] * size
        field_ = schema[name]
        if reader.has_column(name):
            column = reader.column_reader(name, translate=False)
            keys = [column.sort_key(d) for d in range(size)]
            names = {key: field_.from_column_value(key) for key in set(keys)}
            return [names[key] for key in keys]
        out: list[Any] = [None] * size
        for btext in reader.lexicon(name):
            text = field_.from_bytes(btext)
            for d in reader.postings(name, btext).all_ids():
                out[d] = text
        return out

    def _norms(self, reader: Any, name: str, avgfl: float) -> list[float]:
        """``K1 * ((1 - B) + B * fl / avgfl)`` per document, the part of Whoosh's
        ``bm25`` that depends on the field length (the same float operations)."""
        B = _WEIGHTING._field_B.get(name, _WEIGHTING.B)
        K1 = _WEIGHTING.K1
        out = []
        for d in range(self.size):
            fl = reader.doc_field_length(d, name, 1)
            out.append(0.0 if fl is None else K1 * ((1 - B) + B * fl / avgfl))
        return out


class IndexData:
    """Per index generation, shared by its searchers: each segment's
    :class:`_SegmentData`, and a bounded LRU of the document sets of single units
    (a character's terms in a segment: hundreds of posting lists to read and unite)."""

    def __init__(self, unit_cache: int = 1_000_000) -> None:
        #: docnums the unit cache may hold in all (4 bytes each)
        self.unit_cache = unit_cache
        self._lock = threading.Lock()
        self._segments: dict[str, _SegmentData] = {}
        self._units: OrderedDict[tuple[str, str, str], array] = OrderedDict()
        self._unit_size = 0

    def segment(self, top: Any, reader: Any) -> _SegmentData:
        key = reader.segment().segment_id()
        data = self._segments.get(key)
        if data is None:
            avgfl = {name: top.avg_field_length(name) for name in top.schema.scorable_names()}
            data = _SegmentData(reader, avgfl)
            with self._lock:
                data = self._segments.setdefault(key, data)
        return data

    def unit(self, key: tuple[str, str, str]) -> array | None:
        with self._lock:
            found = self._units.get(key)
            if found is not None:
                self._units.move_to_end(key)
            return found

    def put_unit(self, key: tuple[str, str, str], docs: array) -> None:
        if len(docs) > self.unit_cache:
            return
        with self._lock:
            if key in self._units:
                return
            self._units[key] = docs
            self._unit_size += len(docs)
            while self._unit_size > self.unit_cache:
                _, old = self._units.popitem(last=False)
                self._unit_size -= len(old)


Scores = dict[int, float]


def _union(parts: list[Scores]) -> Scores:
    """Documents of any part, scores summed (a balanced tree, as Whoosh's ``Or``)."""
    if len(parts) == 1:
        return parts[0]
    half = len(parts) // 2
    a, b = _union(parts[:half]), _union(parts[half:])
    if len(a) < len(b):
        a, b = b, a
    out = dict(a)
    get = out.get
    for d, s in b.items():
        v = get(d)
        out[d] = s if v is None else v + s
    return out


def _intersect(a: Scores, b: Scores) -> Scores:
    """Documents of both, scores summed."""
    if len(b) < len(a):
        a, b = b, a
    return {d: s + b[d] for d, s in a.items() if d in b}


class _Run:
    """One query over one segment: each clause to {docnum: score}."""

    def __init__(self, owner: Searcher, sub: Any, data: _SegmentData, deadline: float) -> None:
        self.top = owner._searcher
        self.reader = sub.reader()
        self.schema = self.reader.schema
        self.segid = self.reader.segment().segment_id()
        self.seg = data
        self.owner = owner
        self.deadline = deadline

    def check(self) -> None:
        if time.monotonic() > self.deadline:
            raise _TimedOut

    def query(self, q: Query) -> Scores:
        # cheap clauses (filters, terms, units) first; phrases then check only the
        # documents those left
        must = sorted(q.must, key=self._cost)
        scored: Scores | None = None
        for clause in must:
            self.check()
            part = self.clause(clause, scored)
            if part is None:
                continue
            scored = part if scored is None else _intersect(scored, part)
            if not scored:
                return {}
        if scored is None:  # Whoosh's Every(): every document, score 1
            scored = dict.fromkeys(range(self.seg.size), 1.0)
        negative: set[int] = set()
        for clause in q.must_not:
            self.check()
            part = self.clause(clause, scored)
            if part:
                negative.update(part)
        deleted = self.seg.deleted
        if negative or deleted:
            scored = {d: s for d, s in scored.items() if d not in negative and d not in deleted}
        return scored

    def _cost(self, clause: Clause) -> int:
        if isinstance(clause, Literal):
            return 1 if len(literal_units(self.owner._normaliser, clause.text)) > 2 else 0
        if isinstance(clause, AnyOf):
            return max(self._cost(c) for c in clause.clauses)
        return 0

    def clause(self, clause: Clause, within: Scores | None) -> Scores | None:
        if isinstance(clause, Literal):
            return self.literal(clause.text, within)
        if isinstance(clause, Filter):
            found = self.owner._filter_term(clause)
            return {} if found is None else self.term(*found)
        parts = [p for p in (self.clause(c, within) for c in clause.clauses) if p is not None]
        return _union(parts) if parts else None

    def literal(self, text: str, within: Scores | None) -> Scores | None:
        units = literal_units(self.owner._normaliser, text)
        if not units:
            return None
        if len(units) == 1:
            if CHARS_FIELD in self.schema:  # an index from before run-end terms
                return self.term(CHARS_FIELD, units[0])
            return _union([self.unit(n, units[0], w) for n, w in TEXT_FIELDS.items()])
        grams = [a + b for a, b in itertools.pairwise(units)]
        if len(grams) == 1:
            return _union([self.term(name, grams[0]) for name in TEXT_FIELDS])
        return _union([self.phrase(name, grams, within) for name in TEXT_FIELDS])

    def _bytes(self, fieldname: str, text: str) -> bytes | None:
        if fieldname not in self.schema:
            return None
        try:
            btext = self.schema[fieldname].to_bytes(text)
        except ValueError:
            return None
        return btext if (fieldname, btext) in self.reader else None

    def _scores(self, fieldname: str, btext: bytes, ids: list[int], weights: list[float]) -> Scores:
        """The scores Whoosh's scorer for the term gives these postings: BM25F
        (``bm25(idf, tf, fl, avgfl, B, K1) = idf * ((tf * (K1 + 1)) / (tf + K1 * ((1 - B)
        + B * fl / avgfl)))``, the last factor read per document once per generation), or
        the posting's weight in a field that is not scorable (``WeightScorer``)."""
        if not self.schema[fieldname].scorable:
            return dict(zip(ids, weights, strict=True))
        idf = self.top.idf(fieldname, btext)
        c = _WEIGHTING.K1 + 1
        norms = self.seg.norms[fieldname]
        return {d: idf * ((w * c) / (w + norms[d])) for d, w in zip(ids, weights, strict=True)}

    def term(self, fieldname: str, text: str) -> Scores:
        btext = self._bytes(fieldname, text)
        if btext is None:
            return {}
        ids, weights, _ = _postings(self.reader, fieldname, btext, False)
        return self._scores(fieldname, btext, ids, weights)

    def unit(self, fieldname: str, unit: str, weight: float) -> Scores:
        """:class:`UnitQuery`: the documents of the terms that start with ``unit``,
        each scoring the field's weight. The document set is kept per generation."""
        if fieldname not in self.schema:
            return {}
        key = (self.segid, fieldname, unit)
        data = self.owner._data
        docs = data.unit(key)
        if docs is None:
            found: set[int] = set()
            reader = self.reader
            for btext in reader.expand_prefix(fieldname, unit):
                found.update(_postings(reader, fieldname, btext, False)[0])
            docs = array("I", sorted(found))
            data.put_unit(key, docs)
        return dict.fromkeys(docs, weight)

    def phrase(self, fieldname: str, grams: list[str], within: Scores | None) -> Scores:
        """:class:`GramPhrase`: the bigrams at :func:`cover` offsets, at offsets from
        one start position; scored as the sum of those bigrams' BM25F scores."""
        offsets = cover(len(grams))
        leaves = []
        for k in offsets:
            btext = self._bytes(fieldname, grams[k])
            if btext is None:
                return {}
            leaves.append((btext, *_postings(self.reader, fieldname, btext, True)))
        by_size = sorted(leaves, key=lambda leaf: len(leaf[1]))
        candidates = set(by_size[0][1])
        if within is not None:
            candidates.intersection_update(within)
        for leaf in by_size[1:]:
            if not candidates:
                return {}
            candidates.intersection_update(leaf[1])
        values = [dict(zip(leaf[1], leaf[3], strict=True)) for leaf in leaves]
        shifts = [-k for k in offsets[1:]]
        # two bigrams: a set of the positions of the one with fewer per document (its
        # weights / documents), probed by the other's (isdisjoint stops at a match)
        set_of_first = sum(leaves[0][2]) * len(leaves[-1][1]) <= sum(leaves[-1][2]) * len(
            leaves[0][1]
        )
        accumulate = itertools.accumulate
        ordered = list(candidates)
        matched: list[int] = []
        for start in range(0, len(ordered), _CHUNK):
            if time.monotonic() > self.deadline:
                raise _TimedOut
            chunk = ordered[start : start + _CHUNK]
            first, *rest = (_deltas(list(map(v.__getitem__, chunk))) for v in values)
            if len(rest) == 1 and set_of_first:
                second, shift = rest[0], shifts[0]
                matched += [
                    d
                    for d, a, b in zip(chunk, first, second, strict=True)
                    if not set(accumulate(a)).isdisjoint(accumulate(b, initial=shift))
                ]
                continue
            if len(rest) == 1:  # the set of the shorter lists, probed by the longer
                second, shift = rest[0], shifts[0]
                matched += [
                    d
                    for d, a, b in zip(chunk, first, second, strict=True)
                    if not set(accumulate(b, initial=shift)).isdisjoint(accumulate(a))
                ]
                continue
            if len(rest) == 2:
                (second, third), (shift2, shift3) = rest, shifts
                matched += [
                    d
                    for d, a, b, c in zip(chunk, first, second, third, strict=True)
                    if (starts := set(accumulate(a)).intersection(accumulate(b, initial=shift2)))
                    and not starts.isdisjoint(accumulate(c, initial=shift3))
                ]
                continue
            for i, d in enumerate(chunk):
                starts = set(accumulate(first[i]))
                for deltas, shift in zip(rest, shifts, strict=True):
                    starts.intersection_update(accumulate(deltas[i], initial=shift))
                    if not starts:
                        break
                else:
                    matched.append(d)
        if not matched:
            return {}
        total: list[float] | None = None
        for btext, ids, weights, _ in leaves:
            weight_of = dict(zip(ids, weights, strict=True))
            part = self._scores(fieldname, btext, matched, [weight_of[d] for d in matched])
            scores = list(part.values())
            total = scores if total is None else [a + b for a, b in zip(total, scores, strict=True)]
        assert total is not None
        return dict(zip(matched, total, strict=True))


class Searcher:
    """One Whoosh searcher plus the index-wide lookups a query needs."""

    def __init__(
        self,
        ix: index.Index,
        normaliser: Normaliser,
        names: dict[str, dict[str, str]],
        cache: ResultCache | None = None,
        data: IndexData | None = None,
    ) -> None:
        self._searcher = ix.searcher(weighting=scoring.BM25F())
        self._normaliser = normaliser
        self._names = names
        self._cache = cache or ResultCache(0)
        self._data = data or IndexData()

    def close(self) -> None:
        self._searcher.close()

    def is_current(self) -> bool:
        return bool(self._searcher.up_to_date())

    def _literal(self, text: str) -> query.Query | None:
        units = literal_units(self._normaliser, text)
        if not units:
            return None
        if len(units) == 1:
            if CHARS_FIELD in self._searcher.schema:  # an index from before run-end terms
                return query.Term(CHARS_FIELD, units[0])
            return query.Or([UnitQuery(n, units[0], boost=w) for n, w in TEXT_FIELDS.items()])
        grams = [a + b for a, b in itertools.pairwise(units)]
        if len(grams) == 1:
            return query.Or([query.Term(name, grams[0]) for name in TEXT_FIELDS])
        return query.Or([GramPhrase(name, grams) for name in TEXT_FIELDS])

    def _filter_term(self, flt: Filter) -> tuple[str, str] | None:
        """The (field, term) a filter stands for; None for a name the index lacks."""
        if flt.field == "year":
            return "year", flt.value.strip()
        key = self._normaliser.normalise(flt.value).strip()
        raw = self._names.get(flt.field, {}).get(key)
        return None if raw is None else (flt.field, raw)

    def _filter(self, flt: Filter) -> query.Query:
        found = self._filter_term(flt)
        return query.NullQuery if found is None else query.Term(*found)

    def _clause(self, clause: Clause) -> query.Query | None:
        if isinstance(clause, Literal):
            return self._literal(clause.text)
        if isinstance(clause, Filter):
            return self._filter(clause)
        parts = [q for q in (self._clause(c) for c in clause.clauses) if q is not None]
        return query.Or(parts) if parts else None

    def compile(self, q: Query) -> query.Query:
        must = [x for x in (self._clause(c) for c in q.must) if x is not None]
        must_not = [x for x in (self._clause(c) for c in q.must_not) if x is not None]
        positive: query.Query = query.And(must) if must else query.Every()
        if must_not:
            return _AndNot(positive, query.Or(must_not))
        return positive

    def search(self, q: Query, offset: int, limit: int, timeout: float) -> Outcome:
        key = (q, offset, limit)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        outcome = self._search(q, offset, limit, timeout)
        self._cache.put(key, outcome)
        return outcome

    def _search(self, q: Query, offset: int, limit: int, timeout: float) -> Outcome:
        """Evaluate ``q`` segment by segment (see :class:`_Run`): the exact total and
        facet counts, and the page by BM25F, ties newest first (then by docnum), as
        Whoosh's sorting collector orders them."""
        top = self._searcher
        deadline = time.monotonic() + timeout
        want = offset + limit
        best: list[tuple[float, Any, int]] = []
        counts: dict[str, Counter[Any]] = {name: Counter() for name in FACET_FIELDS}
        total = 0
        partial = False
        for sub, base in top.leaf_searchers():
            data = self._data.segment(top, sub.reader())
            try:
                scores = _Run(self, sub, data, deadline).query(q)
            except _TimedOut:
                partial = True  # the segments done so far
                break
            if not scores:
                continue
            total += len(scores)
            for name, counter in counts.items():
                counter.update(map(data.facets[name].__getitem__, scores))
            newest = data.newest.__getitem__
            keys = zip(
                map(operator.neg, scores.values()),
                map(newest, scores),
                map(base.__add__, scores),
                strict=True,
            )
            best = heapq.nsmallest(want, itertools.chain(best, keys))
        hits = [Hit(stored=top.stored_fields(d), score=-key) for key, _, d in best[offset:]]
        return Outcome(
            total=total,
            hits=hits,
            facets={
                name: {str(n): int(c) for n, c in counter.items() if n is not None}
                for name, counter in counts.items()
            },
            partial=partial,
        )

    def _search_whoosh(self, q: Query, offset: int, limit: int, timeout: float) -> Outcome:
        """The same through Whoosh's collectors (the reference :meth:`_search` is
        tested against; ~5x slower on common terms)."""
        compiled = self.compile(q)
        searcher = self._searcher
        facets = {name: sorting.FieldFacet(name, maptype=sorting.Count) for name in FACET_FIELDS}
        sortedby = sorting.MultiFacet([sorting.ScoreFacet(), sorting.FieldFacet("newest")])
        child = searcher.collector(limit=offset + limit, sortedby=sortedby, groupedby=facets)
        collector = _Deadline(child, time.monotonic() + timeout)
        with contextlib.suppress(collectors.TimeLimit):
            searcher.search_with_collector(compiled, collector)
        results = child.results()
        hits: list[Hit] = []
        for i in range(offset, min(offset + limit, results.scored_length())):
            hits.append(Hit(stored=results.fields(i), score=_score(results.score(i))))
        counts = {name: dict(results.groups(name)) for name in FACET_FIELDS}
        return Outcome(
            total=len(results),
            hits=hits,
            facets={
                k: {str(n): int(c) for n, c in v.items() if n is not None}
                for k, v in counts.items()
            },
            partial=collector.timed_out,
        )


# --------------------------------------------------------------------------- live index

_TOC = re.compile(rf"^_{INDEX_NAME}_([0-9]+)\.toc$")


def index_key(index_dir: Path) -> tuple[int, int, int] | None:
    """(st_dev, st_ino, TOC generation) of the index directory, or None if there is none."""
    try:
        st = os.stat(index_dir)
        gens = [int(m.group(1)) for m in map(_TOC.match, os.listdir(index_dir)) if m]
    except OSError:
        return None
    if not gens:
        return None
    return (st.st_dev, st.st_ino, max(gens))


@dataclass
class _Generation:
    """One opened version of the index and its pool of searchers."""

    key: tuple[int, int, int]
    ix: index.Index
    normaliser: Normaliser
    names: dict[str, dict[str, str]]
    cache: ResultCache
    data: IndexData
    pool: list[Searcher] = field(default_factory=list)
    busy: int = 0
    retired: bool = False


def _open(
    index_dir: Path,
    key: tuple[int, int, int],
    normalisers: dict[tuple, Normaliser],
    cache_size: int,
    unit_cache: int = 1_000_000,
) -> _Generation:
    storage = FileStorage(str(index_dir), readonly=True)
    ix = storage.open_index(INDEX_NAME)
    schema = ix.schema
    analyzer = schema["body"].analyzer
    pairs, fold = analyzer.extra_pairs, analyzer.fold
    kind = (pairs, None if fold is None else tuple(sorted(fold.items())))
    normaliser = normalisers.get(kind)
    if normaliser is None:
        normaliser = normalisers[kind] = Normaliser(pairs, fold=fold)
    share_normaliser(schema, normaliser)
    names: dict[str, dict[str, str]] = {}
    data = IndexData(unit_cache)
    with ix.searcher(weighting=scoring.BM25F()) as s:
        for name in ("county", "theme", "slogan"):
            names[name] = {
                normaliser.normalise(term).strip(): term
                for term in (t.decode("utf-8") for t in s.lexicon(name))
            }
        # a first use of every segment's files, so a vanished segment fails here;
        # and the per-segment columns, read before the first query needs them
        s.doc_count()
        for sub, _ in s.leaf_searchers():
            data.segment(s, sub.reader())
    return _Generation(
        key=key,
        ix=ix,
        normaliser=normaliser,
        names=names,
        cache=ResultCache(cache_size),
        data=data,
    )


class LiveIndex:
    """The index under ``index_dir``, reopened when the directory or its TOC changes.

    A swap of the whole output folder gives the directory a new inode; a commit in
    place gives a new TOC generation. Either is noticed at most ``interval`` seconds
    later. Requests in flight finish on the searcher they hold: on Linux an open file
    survives its deletion. An index that cannot be opened (a TOC whose segments are
    gone, a half-written folder) is retried and meanwhile the previous one serves.
    """

    def __init__(
        self,
        index_dir: Path,
        interval: float = 1.0,
        cache_size: int = 256,
        unit_cache: int = 1_000_000,
    ) -> None:
        self.index_dir = index_dir
        self.interval = interval
        self.cache_size = cache_size
        self.unit_cache = unit_cache
        self._lock = threading.Lock()
        self._current: _Generation | None = None
        self._checked = float("-inf")
        self._normalisers: dict[tuple, Normaliser] = {}
        self.last_error: str | None = None

    def _refresh(self, force: bool = False) -> _Generation | None:
        now = time.monotonic()
        with self._lock:
            if not force and now - self._checked < self.interval:
                return self._current
            self._checked = now
            key = index_key(self.index_dir)
            current = self._current
            if key is None or (current is not None and current.key == key and not force):
                return current
            for attempt in range(5):
                try:
                    gen = _open(
                        self.index_dir, key, self._normalisers, self.cache_size, self.unit_cache
                    )
                except Exception as exc:  # any failure to open: keep serving the old one
                    self.last_error = f"{type(exc).__name__}: {exc}"
                    time.sleep(0.02 * (attempt + 1))
                    key = index_key(self.index_dir)
                    if key is None:
                        break
                    continue
                self.last_error = None
                if current is not None:
                    current.retired = True
                    if current.busy == 0:
                        self._close(current)
                self._current = gen
                return gen
            return current

    @staticmethod
    def _close(gen: _Generation) -> None:
        for s in gen.pool:
            with contextlib.suppress(Exception):
                s.close()
        gen.pool.clear()
        with contextlib.suppress(Exception):
            gen.ix.close()

    def loaded(self) -> bool:
        return self._refresh() is not None

    def info(self) -> dict[str, Any]:
        gen = self._refresh()
        if gen is None:
            return {"loaded": False, "error": self.last_error}
        return {"loaded": True, "generation": gen.key[2], "documents": gen.ix.doc_count()}

    @contextlib.contextmanager
    def searcher(self, force: bool = False) -> Iterator[Searcher]:
        gen = self._refresh(force)
        if gen is None:
            raise IndexUnavailable(self.last_error or f"no search index in {self.index_dir}")
        with self._lock:
            gen.busy += 1
            searcher = gen.pool.pop() if gen.pool else None
        ok = False
        try:
            if searcher is None:
                searcher = Searcher(gen.ix, gen.normaliser, gen.names, gen.cache, gen.data)
            yield searcher
            ok = True
        finally:
            with self._lock:
                gen.busy -= 1
                if searcher is not None:
                    if ok and not gen.retired:
                        gen.pool.append(searcher)
                    else:
                        with contextlib.suppress(Exception):
                            searcher.close()
                if gen.retired and gen.busy == 0:
                    self._close(gen)

    def search(self, q: Query, offset: int, limit: int, timeout: float) -> Outcome:
        """Run ``q``; on a failure of the index files (swapped away under a searcher
        that had not read them yet), reopen and try once more."""
        try:
            with self.searcher() as s:
                return s.search(q, offset, limit, timeout)
        except IndexUnavailable:
            raise
        except Exception:
            with self.searcher(force=True) as s:
                return s.search(q, offset, limit, timeout)

    def normaliser(self) -> Normaliser | None:
        gen = self._refresh()
        return gen.normaliser if gen else None

    def close(self) -> None:
        with self._lock:
            if self._current is not None:
                self._current.retired = True
                if self._current.busy == 0:
                    self._close(self._current)
                self._current = None


class IndexUnavailable(Exception):
    """No index could be opened."""
