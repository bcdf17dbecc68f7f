"""Digests that key what a build remembers: of strings and bytes, and of folders."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path


def digest(*parts: bytes | str) -> str:
    """SHA-256 of ``parts``, each length-prefixed (no two lists of parts share one)."""
    hasher = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        hasher.update(len(data).to_bytes(8, "little"))
        hasher.update(data)
    return hasher.hexdigest()


def tree_digest(folders: Iterable[Path], suffixes: tuple[str, ...] = ()) -> str:
    """Digest of every file's path and bytes under ``folders`` (only ``suffixes``, if
    given), in sorted order."""
    parts: list[bytes | str] = []
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and (not suffixes or path.suffix in suffixes):
                parts += [path.relative_to(folder).as_posix(), path.read_bytes()]
    return digest(*parts)
