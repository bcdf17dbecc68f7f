"""The build cache: what the last build computed, so an edit redoes only what it touches.

Kept beside the output folder (``output.cache/``), never inside what gets deployed. It
remembers parsed files and rendered Markdown by the digest of their inputs, and for each
output file the key of everything that went into it; a page whose key is unchanged is
hard-linked from the previous output instead of rendered again. Every entry is keyed
by content, so a stale entry is never looked up; the whole cache is dropped when the
code, the templates or the Python packages change.

A cache is never trusted: it is read with an unpickler that only builds the project's
own content classes, checked for its format and fingerprint, and each output file it
would reuse is checked against the size, mtime and inode recorded when it was written.
Anything unexpected means a full build.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bulletin.model import Article

if TYPE_CHECKING:
    from bulletin.markup import Rendered

FORMAT = 1
PACKAGES = ("jinja2", "markdown", "pyyaml", "opencc", "whoosh-reloaded", "nh3", "pypinyin")
_ALLOWED = {
    ("bulletin.model", "Article"),
    ("bulletin.model", "Issue"),
    ("bulletin.model", "Page"),
    ("bulletin.model", "SiteConfig"),
    ("bulletin.markup", "Rendered"),
    ("bulletin.problems", "Problem"),
    ("datetime", "date"),
    ("builtins", "frozenset"),
    ("builtins", "set"),
}

FileStamp = tuple[int, int, int]  # size, mtime_ns, inode


def cache_path(output: Path) -> Path:
    return output.absolute().with_name(f"{output.name}.cache")


def digest(*parts: bytes | str) -> str:
    hasher = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        hasher.update(len(data).to_bytes(8, "little"))
        hasher.update(data)
    return hasher.hexdigest()


def tree_digest(folders: Iterable[Path], suffixes: tuple[str, ...] = ()) -> str:
    """Digest of every file's path and bytes under ``folders``."""
    parts: list[bytes | str] = []
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and (not suffixes or path.suffix in suffixes):
                parts += [path.relative_to(folder).as_posix(), path.read_bytes()]
    return digest(*parts)


def code_fingerprint() -> str:
    """What makes every cached result stale: the project's code, Python and the versions
    of the packages that shape the output. (Templates only make pages stale: they are
    part of each page's key.)"""
    here = Path(__file__).resolve().parent
    versions = []
    for name in PACKAGES:
        try:
            versions.append(f"{name}={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name}=?")
    return digest(
        f"format={FORMAT}",
        sys.version,
        ";".join(versions),
        tree_digest([here, here.parent / "search"], (".py",)),
    )


class _ContentPickler(pickle.Pickler):
    """Pickles page data for keys: an article stands for its digest, not its fields, so a
    list page's key costs one string per article."""

    def __init__(self, stream: io.BytesIO, article_digests: Mapping[int, str]) -> None:
        super().__init__(stream, protocol=5)
        self.article_digests = article_digests

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, Article):
            return str, (self.article_digests[id(obj)],)
        return NotImplemented


def data_key(data: Any, article_digests: Mapping[int, str]) -> str:
    stream = io.BytesIO()
    _ContentPickler(stream, article_digests).dump(data)
    return hashlib.sha256(stream.getvalue()).hexdigest()


class _SafeUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a build cache")
        return super().find_class(module, name)


@dataclass
class BuildCache:
    """What the last build left: reusable results and the keys of its output files."""

    fingerprint: str
    parsed: dict[str, Any] = field(default_factory=dict)  # source digest -> parse result
    bodies: dict[str, Rendered] = field(default_factory=dict)  # body key -> Markdown HTML
    files: dict[str, tuple[str, FileStamp]] = field(default_factory=dict)  # rel -> key, stamp
    documents: dict[str, str] = field(default_factory=dict)  # slug -> digest of search doc
    index_state: str = ""  # digest of what every index entry depends on (phrases, meta)
    output: str = ""  # the output folder these files are in
    loaded: bool = False  # False: no usable cache was found (a full build)

    @classmethod
    def load(cls, path: Path, fingerprint: str, output: Path) -> BuildCache:
        empty = cls(fingerprint)
        try:
            with path.joinpath("cache.pickle").open("rb") as handle:
                state = _SafeUnpickler(handle).load()
        except (
            OSError,
            EOFError,
            pickle.UnpicklingError,
            AttributeError,
            ValueError,
            TypeError,
            IndexError,
            KeyError,
            ImportError,
        ):
            return empty
        if (
            not isinstance(state, dict)
            or state.get("format") != FORMAT
            or state.get("fingerprint") != fingerprint
            or state.get("output") != str(output.absolute())
            or not all(
                isinstance(state.get(k), dict) for k in ("parsed", "bodies", "files", "documents")
            )
        ):
            return empty
        return cls(
            fingerprint=fingerprint,
            parsed=state["parsed"],
            bodies=state["bodies"],
            files=state["files"],
            documents=state["documents"],
            index_state=str(state.get("index_state", "")),
            output=state["output"],
            loaded=True,
        )

    def reusable(self, rel: str, key: str, output: Path) -> Path | None:
        """The previous output file for ``rel`` if its key matches and it is untouched."""
        entry = self.files.get(rel)
        if entry is None or entry[0] != key:
            return None
        path = output / rel
        try:
            stat = path.stat()
        except OSError:
            return None
        if (stat.st_size, stat.st_mtime_ns, stat.st_ino) != tuple(entry[1]):
            return None
        return path

    def save(
        self,
        path: Path,
        output: Path,
        parsed: Mapping[str, Any],
        bodies: Mapping[str, Rendered],
        file_keys: Mapping[str, str],
        documents: Mapping[str, str],
        index_state: str,
    ) -> None:
        """Record this build (after it was published into ``output``)."""
        files: dict[str, tuple[str, FileStamp]] = {}
        for rel, key in file_keys.items():
            try:
                stat = (output / rel).stat()
            except OSError:
                continue
            files[rel] = (key, (stat.st_size, stat.st_mtime_ns, stat.st_ino))
        state = {
            "format": FORMAT,
            "fingerprint": self.fingerprint,
            "output": str(output.absolute()),
            "parsed": dict(parsed),
            "bodies": dict(bodies),
            "files": files,
            "documents": dict(documents),
            "index_state": index_state,
        }
        path.mkdir(parents=True, exist_ok=True)
        temporary = path / f"cache.pickle.{os.getpid()}"
        with temporary.open("wb") as handle:
            pickle.dump(state, handle, protocol=5)
        os.replace(temporary, path / "cache.pickle")
