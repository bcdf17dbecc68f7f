"""Does this Whoosh work as the engine's fast paths expect?

The bulk writer and the block reader use Whoosh's internals (``W3PostingsWriter``'s
block layout, the terms table's hash file, the stored fields' compressor, the leaf
matcher's offsets), which ``whoosh-reloaded`` may change in any release. They are
checked the way bulletin/markup.py checks Python-Markdown:

- at import, that every internal name they use is there, and that the file names
  :mod:`search.layout` knows (TOC, segments) are Whoosh's: a missing name turns its
  fast path off; other file names stop the import with one message naming the version;
- before a process first uses a fast path, that it behaves as Whoosh's own path: a small
  index is written in memory by the bulk writer and by Whoosh's writer and what Whoosh
  reads back compared (~45 ms, once per process that writes an index afresh), and every
  posting list of it read by the block reader and by Whoosh's matcher (~30 ms, once
  per process that searches). A difference turns that path off; a Whoosh whose own
  writer fails, or whose write lock has another name, stops with one message.

Updates use Whoosh's own writer and codec (no internals), so an edit's build pays for
no check. A fallback is slower, never another answer (``tests/search/test_whoosh_guard.py``
forces it and compares). One line on stderr says when a fast path is off.
"""

from __future__ import annotations

import functools
import importlib.metadata
import logging
from dataclasses import dataclass
from typing import Any

from whoosh import index
from whoosh.codec import base, whoosh3
from whoosh.filedb import filetables
from whoosh.util import numeric

from search.analysis import Normaliser
from search.layout import INDEX_NAME, SEGMENT_SUFFIX, WRITE_LOCK

TESTED = "2.7.5"

#: The internal names each fast path uses (an attribute of a class or module).
_WRITER_NAMES: dict[Any, tuple[str, ...]] = {
    whoosh3.W3PostingsWriter: (
        "_write_block", "_new_block", "_mini_ids", "_mini_weights", "_mini_values",
    ),
    whoosh3.W3Codec: ("postings_writer", "length_stats"),
    whoosh3: ("WHOOSH3_HEADER_MAGIC",),
    filetables.HashWriter: ("_write_hashes",),
    filetables: ("crc_hash",),
    numeric: ("byte_to_length", "length_to_byte"),
}  # fmt: skip
_READER_NAMES: dict[Any, tuple[str, ...]] = {
    whoosh3.W3LeafMatcher: ("_goto",),
}


class WhooshMismatch(ImportError):
    """The installed Whoosh cannot serve this search at all."""


@dataclass(frozen=True)
class Internals:
    """Which fast paths this Whoosh allows."""

    writer: bool
    reader: bool


def _version() -> str:
    try:
        return importlib.metadata.version("whoosh-reloaded")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _stop(why: str) -> WhooshMismatch:
    return WhooshMismatch(
        f"search: whoosh-reloaded {_version()} does not work as {TESTED} did ({why}); "
        f"install whoosh-reloaded~={TESTED}"
    )


def _names_there(names: dict[Any, tuple[str, ...]]) -> bool:
    return all(hasattr(owner, name) for owner, attrs in names.items() for name in attrs)


def _off(path: str) -> None:
    logging.getLogger("search").warning(
        "search: whoosh-reloaded %s differs from %s: using Whoosh's own %s (slower)",
        _version(),
        TESTED,
        path,
    )


def _check_names() -> Internals:
    """At import: the file names Whoosh gives, and the internal names of each path."""
    toc = getattr(index.TOC, "_filename", lambda *_: None)(INDEX_NAME, 7)
    if toc != f"_{INDEX_NAME}_7.toc" or base.Segment.COMPOUND_EXT != SEGMENT_SUFFIX:
        raise _stop(f"its files are named {toc!r}, *{base.Segment.COMPOUND_EXT}")
    internals = Internals(_names_there(_WRITER_NAMES), _names_there(_READER_NAMES))
    for path in ("writer", "reader"):
        if not getattr(internals, path):
            _off(path)
    return internals


NAMES = _check_names()

# --------------------------------------------------------------------------- probes

_SENTENCES = ("村级集体经济", "党建工作\n", "三会一课，", "Grid 2.0 ", "经济" * 40)


def _rows() -> list[dict[str, Any]]:
    """12 small documents: terms in several blocks of 4, one far longer than others."""
    rows = []
    for i in range(12):
        body = "".join(_SENTENCES[(i * k) % len(_SENTENCES)] for k in range(1, i % 7 + 2))
        rows.append(
            {
                "slug": f"doc-{(i * 7) % 12:02d}",
                "title": "党建" if i % 3 else "",
                "body": body,
                "slogans": "三会一课" if i % 2 else "",
                "county": ("临颍县", "郾城区")[i % 2],
                "theme": "基层党建",
                "slogan": "三会一课" if i % 2 else "",
                "year": str(2010 + i % 5),
                "newest": -20100101 - i,
                "display": "{}",
            }
        )
    return rows


def _write(fast: bool) -> Any:
    """The probe's index, in memory, by the bulk writer or Whoosh's own."""
    from whoosh.filedb.filestore import RamStorage

    from search.whoosh.writer import write_into

    normaliser = Normaliser(fold={})  # not OpenCC's fold table (~0.5 s)
    return write_into(RamStorage(), _rows(), normaliser, fast, block_postings=4)


def _dump(ix: Any) -> dict[Any, Any]:
    """What Whoosh reads back of an index: terms with their postings and statistics,
    per-document lengths, stored fields and columns."""
    out: dict[Any, Any] = {}
    with ix.reader() as reader:
        size = reader.doc_count_all()
        for fieldname, btext in reader.all_terms():
            m = reader.postings(fieldname, btext)
            info = reader.term_info(fieldname, btext)
            postings = []
            while m.is_active():
                postings.append((m.id(), m.weight(), m.value()))
                m.next()
            out[fieldname, btext] = (info.doc_frequency(), info.weight(), postings)
        for name in ix.schema.names():
            if ix.schema[name].scorable:
                out["length", name] = [reader.doc_field_length(d, name) for d in range(size)]
            if reader.has_column(name):
                column = reader.column_reader(name, translate=False)
                out["column", name] = [column[d] for d in range(size)]
        out["stored"] = [reader.stored_fields(d) for d in range(size)]
    return out


@functools.lru_cache(maxsize=1)
def _stock() -> tuple[Any, dict[Any, Any]]:
    """Whoosh's own index of the probe and what it reads back; stops where Whoosh's own
    writer fails or its write lock has another name than :mod:`search.layout` knows."""
    try:
        ix = _write(False)
        expected = _dump(ix)
        writer = ix.writer()
    except Exception as exc:
        raise _stop(f"its own writer fails: {exc!r}") from exc
    try:
        if WRITE_LOCK not in ix.storage.locks:
            raise _stop(f"the write lock is not {WRITE_LOCK}")
    finally:
        writer.cancel()
    return ix, expected


def check_writer() -> bool:
    """Whether the bulk writer writes what Whoosh's own writer writes."""
    if not _names_there(_WRITER_NAMES):
        return False
    expected = _stock()[1]
    try:
        return _dump(_write(True)) == expected
    except Exception:
        return False


def check_reader() -> bool:
    """Whether the block reader reads every posting list as Whoosh's matcher does."""
    from search.whoosh.postings import read_postings

    if not _names_there(_READER_NAMES):
        return False
    try:
        with _stock()[0].reader() as reader:
            return all(
                read_postings(reader, name, btext, True)
                == read_postings(reader, name, btext, False)
                for name, btext in reader.all_terms()
            )
    except Exception:
        return False


@functools.lru_cache(maxsize=1)
def bulk_writer() -> bool:
    """Use the bulk writer (checked once per process, before its first use)."""
    ok = check_writer()
    if not ok and NAMES.writer:
        _off("writer")
    return ok


@functools.lru_cache(maxsize=1)
def block_reader() -> bool:
    """Use the block reader (checked once per process, before its first use)."""
    ok = check_reader()
    if not ok and NAMES.reader:
        _off("reader")
    return ok


def check() -> Internals:
    """Both probes, afresh (what :func:`bulk_writer` and :func:`block_reader` keep)."""
    _stock.cache_clear()
    return Internals(writer=check_writer(), reader=check_reader())
