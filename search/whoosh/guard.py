"""At import: does this Whoosh work as the engine's fast paths expect?

The bulk writer and the block reader use Whoosh's internals (``W3PostingsWriter``'s
block layout, the terms table's hash file, the stored fields' compressor, the leaf
matcher's offsets), which ``whoosh-reloaded`` may change in any release. So before
they are used, a small index is written both ways and read both ways, in memory
(~50 ms), the way bulletin/markup.py checks Python-Markdown:

- the bulk writer must write what Whoosh's own writer writes (terms, postings,
  lengths, stored fields, columns), else every index is written by Whoosh's writer;
- the block reader must read what Whoosh's matcher reads, else every posting list is
  read through the matcher;
- the file names :mod:`search.layout` knows (TOC, segments, the write lock) must be
  Whoosh's, and Whoosh's own writer and reader must work: else importing
  ``search.whoosh`` stops with one message naming the installed version.

A fallback is slower, never a different answer (``tests/search/test_whoosh_guard.py``
forces it and compares). The outcome is one line on stderr when a fast path is off.
"""

from __future__ import annotations

import importlib.metadata
import logging
from dataclasses import dataclass
from typing import Any

from search.analysis import Normaliser
from search.layout import INDEX_NAME, SEGMENT_SUFFIX, WRITE_LOCK

TESTED = "2.7.5"
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


class WhooshMismatch(ImportError):
    """The installed Whoosh cannot serve this search at all."""


@dataclass(frozen=True)
class Internals:
    """Which fast paths this Whoosh allows."""

    writer: bool
    reader: bool


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


def _write(fast: bool, normaliser: Normaliser) -> Any:
    from whoosh.filedb.filestore import RamStorage

    from search.whoosh.writer import write_into

    return write_into(RamStorage(), _rows(), normaliser, fast, block_postings=4)


def _reads_alike(ix: Any) -> bool:
    """The block reader and Whoosh's matcher give the same postings of every term."""
    from search.whoosh.postings import read_postings

    with ix.reader() as reader:
        for fieldname, btext in reader.all_terms():
            fast = read_postings(reader, fieldname, btext, True)
            if fast != read_postings(reader, fieldname, btext, False):
                return False
    return True


def _check_layout(ix: Any) -> None:
    """The names :mod:`search.layout` knows are the ones Whoosh gives its files."""
    names = list(ix.storage.list())
    toc = [n for n in names if n.startswith(f"_{INDEX_NAME}_") and n.endswith(".toc")]
    if not toc or not any(n.endswith(SEGMENT_SUFFIX) for n in names):
        raise WhooshMismatch(f"an index's files are not named as expected: {sorted(names)}")
    writer = ix.writer()
    try:
        if WRITE_LOCK not in ix.storage.locks:
            raise WhooshMismatch(f"the write lock is not {WRITE_LOCK}")
    finally:
        writer.cancel()


def check() -> Internals:
    """Write and read a small index both ways; which fast paths answer as Whoosh does."""
    normaliser = Normaliser(fold={})  # not OpenCC's fold table (~0.5 s)
    try:
        stock = _write(False, normaliser)
        expected = _dump(stock)
    except Exception as exc:
        raise WhooshMismatch(f"Whoosh's own writer fails: {exc!r}") from exc
    _check_layout(stock)
    try:
        reader = _reads_alike(stock)
    except Exception:
        reader = False
    try:
        writer = _dump(_write(True, normaliser)) == expected
    except Exception:
        writer = False
    return Internals(writer=writer, reader=reader)


def _version() -> str:
    try:
        return importlib.metadata.version("whoosh-reloaded")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _checked() -> Internals:
    try:
        internals = check()
    except WhooshMismatch as exc:
        raise WhooshMismatch(
            f"search: whoosh-reloaded {_version()} does not work as {TESTED} did ({exc}); "
            f"install whoosh-reloaded~={TESTED}"
        ) from None
    off = [name for name in ("writer", "reader") if not getattr(internals, name)]
    if off:
        logging.getLogger("search").warning(
            "search: whoosh-reloaded %s differs from %s: using Whoosh's own %s (slower)",
            _version(),
            TESTED,
            " and ".join(off),
        )
    return internals


INTERNALS = _checked()
