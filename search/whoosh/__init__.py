"""The search engine on Whoosh: the only code that imports ``whoosh``.

- :mod:`~search.whoosh.schema`: the fields and the bigram analyzer;
- :mod:`~search.whoosh.writer` (with :mod:`~search.whoosh.blocks` and
  :mod:`~search.whoosh.terms`): writing a fresh index in bulk, updating one;
- :mod:`~search.whoosh.evaluate` (with :mod:`~search.whoosh.postings` and
  :mod:`~search.whoosh.stats`): answering a :class:`search.model.Query`;
- :mod:`~search.whoosh.live`: the index of a built site, reopened when it changes;
- :mod:`~search.whoosh.guard`: which fast paths this Whoosh allows (names checked at
  import, behaviour before first use).

Replacing the engine means replacing this package behind the same few names.
"""

from search.whoosh.guard import block_reader, bulk_writer
from search.whoosh.live import IndexUnavailable, LiveIndex
from search.whoosh.writer import index_normalisation, update_documents, write_documents

__all__ = [
    "IndexUnavailable",
    "LiveIndex",
    "block_reader",
    "bulk_writer",
    "index_normalisation",
    "update_documents",
    "write_documents",
]
