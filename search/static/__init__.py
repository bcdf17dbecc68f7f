"""The static search index: what the search page reads where no service answers.

Written from the same documents (:class:`search.documents.SearchDocument`) and the
same analysis (:mod:`search.analysis`) as the Whoosh index; read by
``templates/assets/search-static.js``. Imports nothing from ``bulletin`` or Whoosh;
numpy only when an index is written (so a build that keeps the index does not load it).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from search.documents import SearchDocument
from search.scripts import Converter

#: Where the files go, relative to the output folder.
FOLDER = "_search/static"
#: The two files with fixed names (every other name is content-hashed).
ENTRY = "entry.json"
STATE = "state.bin"

#: The documents, all of them (None) or those of some slugs.
Documents = Callable[[frozenset[str] | None], Iterable[SearchDocument]]
#: Where a writer tells the folding pairs it counts (see static_index_files).
PairSink = Callable[[set[tuple[str, str]]], None]

__all__ = [
    "ENTRY",
    "FOLDER",
    "STATE",
    "Documents",
    "PairSink",
    "PreviousIndex",
    "StaticFiles",
    "static_index_files",
]


@dataclass(frozen=True)
class StaticFiles:
    """A static index: the files to write (output-relative path -> bytes) and the
    paths of all its files (an update writes only what changed)."""

    files: dict[str, bytes]
    names: frozenset[str]

    def to_write(self, output: Path) -> dict[str, bytes]:
        """The files that ``output`` does not hold already. A name is content-hashed
        but for ``entry.json`` and ``state.bin``, which are compared."""
        out = {}
        for rel, data in self.files.items():
            path = output / rel
            if rel in (f"{FOLDER}/{ENTRY}", f"{FOLDER}/{STATE}"):
                if path.is_file() and path.read_bytes() == data:
                    continue
            elif path.is_file():
                continue
            out[rel] = data
        return out


@dataclass(frozen=True)
class PreviousIndex:
    """The index the last build wrote, for an update: ``output``, the output folder
    that holds it; ``changed``, the slugs whose documents may differ from the ones it was
    written from (edited, added or removed)."""

    output: Path
    changed: frozenset[str]


def static_index_files(
    documents: Documents,
    variants: Sequence[str],
    converters: Mapping[str, Converter],
    key: str = "",
    previous: PreviousIndex | None = None,
    share_pairs: PairSink | None = None,
) -> StaticFiles:
    """The static index of ``documents``: updated from the one ``previous`` names where
    only some documents' content changed (only those documents are asked for), else
    written afresh. Either way the files are those a fresh write gives. ``key``: what
    else the documents' texts depend on, as the caller names it (the site's phrases,
    its converters); the index records it, and one of another key is written afresh.
    ``share_pairs``: told the folding pairs when the index is written afresh (see
    :meth:`search.static.writer.Corpus.make`)."""
    if previous is not None and (previous.output / FOLDER / STATE).is_file():
        from search.static.update import update

        try:
            changed = list(documents(previous.changed))
            folder = previous.output / FOLDER
            result = update(folder, changed, previous.changed, variants, converters, key)
        except (OSError, ValueError, EOFError, KeyError, IndexError, zlib.error):
            result = None  # a previous index that does not read back: write afresh
        if result is not None:
            written, names = result
            return StaticFiles(
                {f"{FOLDER}/{r}": d for r, d in written.files.items()},
                frozenset(f"{FOLDER}/{r}" for r in names),
            )
    from search.static.writer import build_static_index

    docs = list(documents(None))
    built = build_static_index(docs, variants, converters, key, share_pairs=share_pairs)
    files = {f"{FOLDER}/{rel}": data for rel, data in built.files.items()}
    return StaticFiles(files, frozenset(files))
