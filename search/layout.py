"""The ``_search/`` folder of a built site: where the index, ``meta.json`` and the
phrase dictionary live, which of the index's files are Whoosh's lock and segments, and
``meta.json`` itself (written here only, with the index format it goes with).

The generator (``bulletin/``) and the service ask this module instead of spelling paths;
the names of Whoosh's own files are checked against Whoosh in :mod:`search.whoosh.guard`.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Output-relative paths.
SEARCH_DIR = "_search"
INDEX_DIR = f"{SEARCH_DIR}/whoosh"
META = f"{SEARCH_DIR}/meta.json"
PHRASES = f"{SEARCH_DIR}/phrases.txt"

#: The version of what the index holds and how it is read. Bump it when an index
#: written before cannot be read as the code now reads it (a field, an analyzer, a
#: column); the service then says to rebuild, and a build writes the index afresh.
#: 2: exact per-document field lengths and the slug as columns, analyzers in
#: ``search.whoosh.schema`` (1: indexes before meta.json carried a format).
INDEX_FORMAT = 2

#: Whoosh's names inside the index folder: the index's name, its TOC files
#: (``_MAIN_<generation>.toc``), a segment's compound file, and the write lock
#: (``MAIN_WRITELOCK``; it is never copied or linked to another folder).
INDEX_NAME = "MAIN"
SEGMENT_SUFFIX = ".seg"
WRITE_LOCK = f"{INDEX_NAME}_WRITELOCK"
_TOC = re.compile(rf"^_{INDEX_NAME}_([0-9]+)\.toc$")


class IndexFormatError(Exception):
    """The index was written by another version of the search code: rebuild."""


def index_dir(output: Path) -> Path:
    """The Whoosh index of the site built into ``output``."""
    return Path(output) / INDEX_DIR


def meta_path(output: Path) -> Path:
    return Path(output) / META


def phrases_path(output: Path, meta: SearchMeta) -> Path | None:
    """The site's phrase dictionary, if ``meta`` names one."""
    return Path(output) / SEARCH_DIR / meta.phrases if meta.phrases else None


def is_write_lock(name: str) -> bool:
    return name == WRITE_LOCK or name.endswith("_WRITELOCK")


def index_file_names(folder: Path) -> list[str]:
    """The names of an index folder's files, sorted, its write lock left out."""
    if not folder.is_dir():
        return []
    return sorted(
        entry.name
        for entry in os.scandir(folder)
        if entry.is_file() and not is_write_lock(entry.name)
    )


def index_files(output: Path) -> list[str]:
    """The index's files in an output folder, as output-relative paths."""
    return [f"{INDEX_DIR}/{name}" for name in index_file_names(index_dir(output))]


def segment_files(files: list[str]) -> list[str]:
    """The segments' files among these index files (one compound file a segment)."""
    return [name for name in files if name.endswith(SEGMENT_SUFFIX)]


def count_segments(files: list[str]) -> int:
    """How many segments these index files hold."""
    return len(segment_files(files))


def index_key(folder: Path) -> tuple[int, int, int] | None:
    """(st_dev, st_ino, highest TOC generation) of an index folder; None without an index.
    A new folder swapped in, or a commit in place, changes it."""
    try:
        st = os.stat(folder)
        gens = [int(m.group(1)) for m in map(_TOC.match, os.listdir(folder)) if m]
    except OSError:
        return None
    if not gens:
        return None
    return (st.st_dev, st.st_ino, max(gens))


@dataclass(frozen=True)
class SearchMeta:
    """What the service needs to know of the site (``_search/meta.json``)."""

    variants: tuple[str, ...] = ("zh-hans", "zh-hant")
    default_variant: str = "zh-hans"
    base_path: str = "/"
    phrases: str | None = None  # a file name inside _search/
    format: int = INDEX_FORMAT

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> SearchMeta:
        """From parsed JSON (or a test's dict); a missing ``format`` is format 1."""
        variants = tuple(str(v) for v in data.get("variants") or cls.variants)
        phrases = data.get("phrases")
        fmt = data.get("format", 1)
        return cls(
            variants=variants,
            default_variant=str(data.get("default_variant") or variants[0]),
            base_path=str(data.get("base_path") or "/"),
            phrases=str(phrases) if phrases else None,
            format=fmt if isinstance(fmt, int) else 0,
        )

    def to_bytes(self) -> bytes:
        """meta.json's text: the one place it is written."""
        data = {
            "variants": list(self.variants),
            "default_variant": self.default_variant,
            "base_path": self.base_path,
            "phrases": self.phrases,
            "format": self.format,
        }
        return (json.dumps(data, ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode()


def write_meta(output: Path, meta: SearchMeta) -> None:
    path = meta_path(output)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(meta.to_bytes())


def read_meta(output: Path) -> SearchMeta | None:
    """``_search/meta.json`` of a built site; None where there is none (or it is not
    JSON: a site mid-copy)."""
    try:
        data = json.loads(meta_path(output).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return SearchMeta.from_mapping(data) if isinstance(data, dict) else None


def index_format(folder: Path) -> int | None:
    """The format the ``meta.json`` beside an index folder declares; None without one."""
    meta = read_meta(Path(folder).parent.parent)
    return None if meta is None else meta.format


def format_error(folder: Path, found: object) -> IndexFormatError:
    return IndexFormatError(
        f"{folder}: an index of format {found}, this search reads format {INDEX_FORMAT}: "
        "build the site again"
    )
