"""Writing the index: a fresh index with the bulk writer, an update with Whoosh's own.

Whoosh's own indexing path costs several Python calls per posting (a Token per bigram,
a tuple into the posting pool, pickled to run files and merged back, the field length
read back from a column for every posting, one ``add_posting`` each). The bulk writer
(:class:`BulkWriter`) keeps a document's text field as one normalised string until the
segment is committed, then sorts every bigram occurrence of the segment with numpy
(:mod:`search.whoosh.blocks`) and writes the blocks, postings streams and terms table
itself (numpy is imported only then). Where :mod:`search.whoosh.guard` finds Whoosh's
internals changed, every index is written by Whoosh's standard writer instead
(``fast=False``): slower, the same answers. Updates always use Whoosh's own writer.
"""

from __future__ import annotations

import functools
import itertools
import pickle
import types
import zlib
from array import array
from collections.abc import Iterable
from operator import itemgetter
from pathlib import Path
from typing import Any

from whoosh import index
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3Codec, W3PostingsWriter
from whoosh.filedb import filetables
from whoosh.filedb.filestore import FileStorage
from whoosh.util.numeric import length_to_byte
from whoosh.writing import SegmentWriter

from search.analysis import RUN_END, Normaliser, positioned, release_memory
from search.layout import INDEX_NAME
from search.whoosh.schema import (
    TEXT_FIELDS,
    GramField,
    analyzer_of,
    make_schema,
    share_normaliser,
)

#: Posting blocks under this many bytes are stored uncompressed: compressing one costs
#: a zlib call (~17 us to set up) and saves little or nothing. A block's info says
#: whether it is compressed, and Whoosh's reader looks.
SMALL_BLOCK = 256
#: Postings per block, not Whoosh's 128: a block costs a zlib call and, when read, a
#: decompress and an unpickle; the evaluation reads whole posting lists, so larger
#: blocks make writing and queries faster (5,000 bench articles: writing -20 %, queries
#: -13 %, index 97 -> 87 MB). Whoosh's reader takes any block size.
BLOCK_POSTINGS = 1024


class _PostingsWriter(W3PostingsWriter):
    """Whoosh's postings writer (keyword fields, and every field of an update) with two
    changes to ``_write_block``: a block is pickled at protocol 4, not 2 (at protocol 2
    each value is pickled as a call of ``_codecs.encode`` on a ``str``: unpickling a
    block of 128 postings cost ~85 us, at protocol 4 ~10 us), and a block under
    :data:`SMALL_BLOCK` bytes is not compressed."""

    def _write_block(self, last: bool = False) -> None:
        if not self._blockcount:
            self._postfile.write(WHOOSH3_HEADER_MAGIC)
        self._terminfo.add_block(self)
        data = (self._mini_ids(), self._mini_weights(), self._mini_values())
        databytes = pickle.dumps(data, 4)
        comp = self._compression if len(databytes) >= SMALL_BLOCK else 0
        if comp:
            databytes = zlib.compress(databytes, comp)
        ids = self._ids
        info = (len(ids), ids[-1], self._maxweight, comp)
        lengths = (length_to_byte(self._minlength), length_to_byte(self._maxlength))
        infobytes = pickle.dumps((*info, *lengths), 2)
        blocklength = len(infobytes) + len(databytes)
        self._postfile.write_int(-blocklength if last else blocklength)
        self._postfile.write(infobytes)
        self._postfile.write(databytes)
        self._blockcount += 1
        self._new_block()


class _Codec(W3Codec):
    """Whoosh's codec with :class:`_PostingsWriter` (reading is Whoosh's). Each segment
    keeps its codec in the TOC: this one pickles as Whoosh's own ``W3Codec``, which
    reads the same, so a TOC names no class of this package."""

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


def codec(fast: bool, block_postings: int = BLOCK_POSTINGS) -> W3Codec:
    """The bulk writer's codec (``fast``), else Whoosh's own with the same block size."""
    return _Codec(blocklimit=block_postings) if fast else W3Codec(blocklimit=block_postings)


@functools.lru_cache(maxsize=1)
def compressor() -> tuple[Any, int]:
    """The function that compresses the bulk writer's posting blocks, and its level.

    ISA-L's (``isal.isal_zlib``) at level 1 where it is installed: a zlib stream like
    zlib's own, which Whoosh's reader decompresses with ``zlib``, written ~3x as fast
    as zlib's level 3 (Whoosh's; 330 against 100 MB/s on the bench's blocks) and ~7 %
    larger. Else zlib at level 3. The level goes into each block's info, where the
    reader only asks whether the block is compressed."""
    try:
        from isal import isal_zlib
    except ImportError:
        return zlib.compress, 3
    return isal_zlib.compress, 1


class BulkWriter(SegmentWriter):
    """A segment writer for a fresh index: the postings of :class:`GramField` fields
    are computed for the whole segment at once at commit (``blocks.gram_blocks``), not
    per document and term. Other fields take Whoosh's path. Never merges: its commit
    adds one segment. ``tests/search/test_whoosh_writer.py`` checks that what Whoosh
    reads back is what its own writer writes."""

    def __init__(self, ix: index.Index, **kwargs: Any) -> None:
        super().__init__(ix, **kwargs)
        names = [name for name, field_ in self.schema.items() if type(field_) is GramField]
        #: per field: each document's positioned text + RUN_END, its docnum and length
        self._texts: dict[str, list[str]] = {name: [] for name in names}
        self._docnums: dict[str, array] = {name: array("q") for name in names}
        self._lengths: dict[str, array] = {name: array("q") for name in names}
        #: bigram occurrences held (what the commit's memory grows with)
        self.postings = 0
        self._bulk_terms_table()
        # each document's stored fields are a zlib stream too (Whoosh's column of
        # compressed pickles): written by the blocks' compressor, read by zlib
        stored = self.perdocwriter._colwriters["_stored"]._child
        stored._compress, stored._level = compressor()

    def _bulk_terms_table(self) -> None:
        """The terms table takes entries in bulk (``terms.add_terms``), lays out its hash
        tables with numpy (``terms.write_hashes``), and uses CRC-32 hashes (Whoosh's hash
        type 1: ``zlib.crc32``, ~5x cheaper than its default MD5, here and at each
        lookup); the type is in the file's header, just written."""
        from search.whoosh.terms import write_hashes  # numpy: not for an update

        tindex = self.fieldwriter._tindex
        tindex._bulk = []
        tindex._write_hashes = types.MethodType(write_hashes, tindex)
        dbfile = tindex.dbfile
        end = dbfile.tell()
        dbfile.seek(tindex.startoffset + 4)  # after the 4-byte magic
        dbfile.write_byte(1)
        dbfile.seek(end)
        tindex.hashtype, tindex.hashfn = 1, filetables.crc_hash

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
        names = sorted(name for name in values if not name.startswith("_"))
        self._check_fields(self.schema, names)
        perdoc.start_doc(self.docnum)
        try:
            for name in names:
                if values[name] is not None:
                    self._add_field(name, values[name], normalised)
        except Exception:
            perdoc.cancel_doc()
            raise
        perdoc.finish_doc()
        self._added = True
        self.docnum += 1

    def _add_field(self, name: str, value: Any, normalised: dict[str, list[str]]) -> None:
        field_ = self.schema[name]
        texts = self._texts.get(name)
        length, column_value = 0, None
        if texts is not None:
            if not isinstance(value, str):
                raise TypeError(f"{name}: a string, not {type(value).__name__}")
            text = positioned(normalised[name].pop()) + RUN_END
            length = column_value = len(text) - text.count(RUN_END)  # a term at every unit
            texts.append(text)
            self._docnums[name].append(self.docnum)
            self._lengths[name].append(length)
            self.postings += length
        elif field_.indexed:
            for tbytes, freq, weight, vbytes in field_.index(value):
                if field_.scorable:
                    length += freq
                self.pool.add((name, tbytes, self.docnum, weight, vbytes))
        if field_.vector:
            raise NotImplementedError("term vectors")
        self.perdocwriter.add_field(name, field_, value if field_.stored else None, length)
        if field_.column_type:
            if column_value is None:
                column_value = field_.to_column_value(value)
            self.perdocwriter.add_column_value(name, field_.column_type, column_value)

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
            # Whoosh reads the field length of every posting, and checks each time
            # that the length column exists (a stat call); unscored fields have none
            writer.add_postings(self.schema, lengths if self.schema[name].scorable else None, group)
        while pending:
            self._write_field(pending.pop(0))
        writer.close()
        if lengths:
            lengths.close()

    def _write_field(self, name: str) -> None:
        from search.whoosh.blocks import gram_blocks
        from search.whoosh.terms import add_terms, write_blocks

        field_ = self.schema[name]
        writer = self.fieldwriter
        writer.start_field(name, field_)
        chunks = gram_blocks(
            self._texts.pop(name),
            self._docnums.pop(name),
            self._lengths.pop(name),
            float(field_.format.field_boost),
            self.codec._blocklimit,
        )
        for blocks in chunks:
            starts = write_blocks(writer._postfile, blocks, compressor(), SMALL_BLOCK)
            add_terms(writer._tindex, writer._fieldid, blocks, starts)
        writer.finish_field()


def _text_size(row: dict[str, Any]) -> int:
    return sum(len(row[n]) for n in TEXT_FIELDS if isinstance(row.get(n), str))


def write_documents(
    index_dir: Path,
    rows: Iterable[dict[str, Any]],
    normaliser: Normaliser,
    *,
    fast: bool | None = None,
    segment_positions: int = 4_000_000,
    batch: int = 256,
    block_postings: int = BLOCK_POSTINGS,
) -> None:
    """Create a fresh index in ``index_dir`` from rows of field values.

    The text fields' normalised strings are held until a segment is written, every
    ``segment_positions`` term occurrences (~1,400 articles of 3,000 characters; the
    commit's arrays take ~30 bytes per occurrence), so memory stays bounded and a large
    bulletin gets a few segments. Rows are normalised ``batch`` at a time. ``fast``:
    the bulk writer, else Whoosh's own (one segment); by default the bulk writer where
    :func:`search.whoosh.guard.bulk_writer` finds that it writes what Whoosh writes."""
    if fast is None:
        from search.whoosh.guard import bulk_writer

        fast = bulk_writer()
    index_dir.mkdir(parents=True, exist_ok=True)
    storage = FileStorage(str(index_dir))
    ix = write_into(storage, rows, normaliser, fast, segment_positions, batch, block_postings)
    ix.close()


def write_into(
    storage: Any,
    rows: Iterable[dict[str, Any]],
    normaliser: Normaliser,
    fast: bool,
    segment_positions: int = 4_000_000,
    batch: int = 256,
    block_postings: int = BLOCK_POSTINGS,
) -> index.Index:
    """:func:`write_documents` into a Whoosh storage; returns the index, open."""
    schema = make_schema(normaliser.extra_pairs, normaliser.base_fold)
    share_normaliser(schema, normaliser)
    ix = storage.create_index(schema, indexname=INDEX_NAME)
    try:
        if fast:
            _write_bulk(ix, rows, codec(True, block_postings), segment_positions, batch)
        else:
            with ix.writer(codec=codec(False, block_postings)) as writer:
                for row in rows:
                    writer.add_document(**row)
    except BaseException:
        ix.close()
        raise
    return ix


def _write_bulk(
    ix: index.Index, rows: Iterable[dict[str, Any]], codec_: W3Codec, segment: int, batch: int
) -> None:
    writer: BulkWriter | None = None
    pending: list[dict[str, Any]] = []
    size = 0  # characters of the pending rows' text fields (>= their occurrences)
    try:
        for row in rows:
            writer = writer or BulkWriter(ix, codec=codec_, limitmb=64)
            pending.append(row)
            size += _text_size(row)
            if len(pending) >= batch or writer.postings + size >= segment:
                writer.add_documents(pending)
                pending, size = [], 0
                if writer.postings >= segment:
                    writer.commit()
                    writer = None
                    release_memory()
        if pending or (writer is None and ix.doc_count_all() == 0):
            writer = writer or BulkWriter(ix, codec=codec_, limitmb=64)
            writer.add_documents(pending)
        if writer is not None:
            writer.commit()
            writer = None
    except BaseException:
        if writer is not None:
            writer.cancel()
        raise


def index_normalisation(index_dir: Path) -> tuple[tuple[tuple[str, str], ...], dict[int, str]]:
    """The extra folding pairs and the base fold table an existing index was written with."""
    ix = index.open_dir(str(index_dir), indexname=INDEX_NAME)
    try:
        analyzer = analyzer_of(ix.schema)
        if analyzer.fold is None:
            raise TypeError("an index without its fold table")
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
    index, as one new commit (existing segment files are not changed). Whoosh's own
    writer and codec: an update's segment is small, and its path uses no internals (so
    it needs no check, and an edit's build does not pay for one)."""
    ix = index.open_dir(str(index_dir), indexname=INDEX_NAME)
    if normaliser is not None:
        share_normaliser(ix.schema, normaliser)
    writer = ix.writer(codec=codec(False))
    try:
        for slug in removed:
            writer.delete_by_term("slug", slug)
        for row in rows:
            writer.update_document(**row)
    except BaseException:
        writer.cancel()
        raise
    writer.commit()
    ix.close()
