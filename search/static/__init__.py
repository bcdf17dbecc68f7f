"""The static search index: what the search page reads where no service answers.

Written from the same documents (:class:`search.documents.SearchDocument`) and the
same analysis (:mod:`search.analysis`) as the Whoosh index; read by
``templates/assets/search-static.js``. Imports nothing from ``bulletin`` or Whoosh.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from search.documents import SearchDocument
from search.scripts import Converter
from search.static.writer import ENTRY, STATE, build_static_index, write_static_index

#: Where the files go, relative to the output folder.
FOLDER = "_search/static"

__all__ = [
    "ENTRY",
    "FOLDER",
    "StaticFiles",
    "build_static_index",
    "static_index_files",
    "write_static_index",
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


def static_index_files(
    documents: Iterable[SearchDocument],
    variants: Sequence[str],
    converters: Mapping[str, Converter],
    previous: Path | None = None,
) -> StaticFiles:
    """The static index of ``documents``: updated from the one in ``previous`` (an
    output folder) where only some documents' content changed, else written afresh.
    Either way the files are those a fresh write gives."""
    from search.static.update import update

    docs = list(documents)
    if previous is not None and (previous / FOLDER / STATE).is_file():
        try:
            result = update(previous / FOLDER, docs, variants, converters)
        except (OSError, ValueError, EOFError, KeyError, IndexError, zlib.error):
            result = None  # a previous index that does not read back: write afresh
        if result is not None:
            changed, names = result
            return StaticFiles(
                {f"{FOLDER}/{r}": d for r, d in changed.files.items()},
                frozenset(f"{FOLDER}/{r}" for r in names),
            )
    written = build_static_index(docs, variants, converters)
    files = {f"{FOLDER}/{rel}": data for rel, data in written.files.items()}
    return StaticFiles(files, frozenset(files))
