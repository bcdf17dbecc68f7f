"""The static search index: what the search page reads where no service answers.

Written from the same documents (:class:`search.documents.SearchDocument`) and the
same analysis (:mod:`search.analysis`) as the Whoosh index; read by
``templates/assets/search-static.js``. Imports nothing from ``bulletin`` or Whoosh.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from search.documents import SearchDocument
from search.scripts import Converter
from search.static.writer import ENTRY, build_static_index, write_static_index

#: Where the files go, relative to the output folder.
FOLDER = "_search/static"

__all__ = ["ENTRY", "FOLDER", "build_static_index", "static_index_files", "write_static_index"]


def static_index_files(
    documents: Iterable[SearchDocument | Mapping[str, Any]],
    variants: Sequence[str],
    converters: Mapping[str, Converter],
) -> dict[str, bytes]:
    """The static index's files (output-relative path -> bytes) for ``documents``."""
    docs = [
        d if isinstance(d, SearchDocument) else SearchDocument.from_mapping(d) for d in documents
    ]
    written = build_static_index(docs, variants, converters)
    return {f"{FOLDER}/{rel}": data for rel, data in written.files.items()}
