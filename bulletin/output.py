"""Writing the site atomically: build a staging folder beside the output, then swap.

A failed build leaves the previous output untouched. On Linux the swap is one
``renameat2(RENAME_EXCHANGE)``, so readers (nginx, the search service) never see a
missing folder; elsewhere two renames. The previous tree is kept beside the output as
``NAME.previous`` until the next build, so a search service still reading the old index
can finish its requests; then it is renamed to a hidden ``.NAME.trash-PID-N`` and
deleted in the background.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gzip
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from search import layout

AT_FDCWD = -100
RENAME_EXCHANGE = 2


def staging_path(output: Path) -> Path:
    return output.with_name(f"{output.name}.staging-{os.getpid()}")


def previous_path(output: Path) -> Path:
    return output.with_name(f"{output.name}.previous")


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two directories; False where the system cannot."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    libc = ctypes.CDLL(name, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    result = renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE)
    return result == 0


#: Files that get a gzip copy beside them for nginx's gzip_static: the few large, shared
#: ones. Pages do not: compressing thousands of them cost more than rendering them, and
#: nginx's ``gzip on`` compresses a page as it is sent (docs/hosting.md).
COMPRESSIBLE = frozenset({".xml", ".css", ".js", ".svg", ".txt", ".json"})


def has_twin(rel: str) -> bool:
    """Whether the output file ``rel`` gets a .gz twin."""
    return os.path.splitext(rel)[1] in COMPRESSIBLE


def gzip_bytes(data: bytes) -> bytes:
    """Deterministic gzip: no timestamp, no file name, so builds stay byte-identical."""
    return gzip.compress(data, compresslevel=6, mtime=0)


def write_file(path: Path | str, data: bytes) -> None:
    """Write one output file, and its ``.gz`` twin where nginx can serve one."""
    name = os.fspath(path)
    try:
        handle = open(name, "wb")  # noqa: SIM115 (closed below; most folders exist)
    except FileNotFoundError:
        os.makedirs(os.path.dirname(name), exist_ok=True)
        handle = open(name, "wb")  # noqa: SIM115
    with handle:
        handle.write(data)
    if has_twin(name):
        with open(name + ".gz", "wb") as twin:
            twin.write(gzip_bytes(data))


def write_files(root: Path, files: Mapping[str, bytes], flat: bool = False) -> None:
    """Write ``files`` (POSIX relative path -> bytes) below ``root``, in sorted order
    (``flat``: each directly in ``root``, under its :func:`flat_name`)."""
    for rel in sorted(files):
        write_file(root / (flat_name(rel) if flat else rel), files[rel])


def flat_name(rel: str) -> str:
    """A file name for the output path ``rel`` in a flat staging folder (an incremental
    build stages its files there: making a folder for each page cost more than writing
    it)."""
    return rel.replace("%", "%25").replace("/", "%2F")


def _unflatten(name: str) -> str:
    return name.replace("%2F", "/").replace("%25", "%")


def link_file(source: Path, target: Path) -> None:
    """Reuse an unchanged file of the previous output (and its .gz) by a hard link.

    Files are never changed in place, only replaced, so the two trees can share them."""
    target.parent.mkdir(parents=True, exist_ok=True)
    os.link(source, target)
    if has_twin(target.name):
        compressed = source.with_name(source.name + ".gz")
        twin = target.with_name(target.name + ".gz")
        if compressed.is_file():
            os.link(compressed, twin)
        else:
            twin.write_bytes(gzip_bytes(source.read_bytes()))


def link_folder(source: Path, target: Path) -> None:
    """Hard-link every file of ``source`` (one level) into a new folder ``target``."""
    target.mkdir(parents=True)
    for entry in sorted(os.scandir(source), key=lambda e: e.name):
        if entry.is_file() and not layout.is_write_lock(entry.name):
            os.link(entry.path, target / entry.name)


def copy_files(root: Path, copies: Iterable[tuple[str, Path]], flat: bool = False) -> None:
    for rel, source in sorted(copies):
        target = root / (flat_name(rel) if flat else rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        if has_twin(target.name):
            target.with_name(target.name + ".gz").write_bytes(gzip_bytes(target.read_bytes()))


#: The remover first renames each folder to ``….removing-PID``, so that a later build
#: does not send a remover of its own to a folder already being removed.
_REMOVER = """
import os, shutil, sys
for path in sys.argv[1:]:
    head, name = os.path.split(path)
    mine = os.path.join(head, name.split(".removing-")[0] + f".removing-{os.getpid()}")
    try:
        os.rename(path, mine)
    except OSError:
        continue
    shutil.rmtree(mine, ignore_errors=True)
"""


def process_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _unclaimed_trash(output: Path) -> list[Path]:
    """Trash folders beside ``output`` that no running remover has claimed."""
    found = []
    for folder in sorted(output.parent.glob(f".{output.name}.trash-*")):
        _, _, pid = folder.name.partition(".removing-")
        if not pid or (pid.isdigit() and not process_running(int(pid))):
            found.append(folder)
    return found


def remove_in_background(folders: list[Path]) -> None:
    """Delete folders without waiting: removing a tree of thousands of small folders
    takes seconds on some file systems, and no build needs to wait for it."""
    if not folders:
        return
    code = _REMOVER
    subprocess.Popen(
        [sys.executable, "-c", code, *map(str, folders)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


#: A previous tree of at most this many files is deleted at once, not in the background.
SMALL_TREE = 256


def _holds_at_most(folder: Path, count: int) -> bool:
    """Whether ``folder`` holds at most ``count`` files and folders (it stops counting
    there: a whole site's tree is not walked)."""
    seen = 0
    for _, folders, files in os.walk(folder):
        seen += len(folders) + len(files)
        if seen > count:
            return False
    return True


def _fill_staging(output: Path, fill: Callable[[Path], None]) -> tuple[Path, Path]:
    """A fresh staging folder beside ``output`` filled by ``fill``; on failure it is
    removed and the error raised, the output untouched. The tree kept from the build
    before last is sent for deletion. Returns the staging and previous-tree paths."""
    staging = staging_path(output)
    previous = previous_path(output)
    if staging.exists():
        shutil.rmtree(staging)
    if previous.exists() and _holds_at_most(previous, SMALL_TREE):
        shutil.rmtree(previous)  # what an incremental build left: quicker than a process
    elif previous.exists():
        # unique: the last build's trash may still be being deleted
        trash = f".{output.name}.trash-{os.getpid()}-{time.monotonic_ns()}"
        os.rename(previous, output.with_name(trash))
    remove_in_background(_unclaimed_trash(output))
    staging.mkdir()
    try:
        fill(staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return staging, previous


def publish(output: Path, fill: Callable[[Path], None]) -> None:
    """Run ``fill(staging)`` to write the whole site, then swap it in as ``output``."""
    output = output.absolute()
    output.parent.mkdir(parents=True, exist_ok=True)
    staging, previous = _fill_staging(output, fill)
    if not output.exists():
        os.rename(staging, output)
    elif _exchange(staging, output):
        os.rename(staging, previous)
    else:
        os.rename(output, previous)
        os.rename(staging, output)


def publish_changes(output: Path, fill: Callable[[Path], None], removed: Iterable[str]) -> None:
    """Publish an incremental build: ``fill(staging)`` writes only the files that
    changed, each directly in the staging folder under its :func:`flat_name` (and, if
    the index changed, a whole new ``_search/whoosh``); once it has succeeded, each
    file is moved into ``output`` with an atomic rename, the index folder is swapped in
    at once, and ``removed`` files (with their .gz) are deleted.

    A failed ``fill`` leaves ``output`` untouched, as a full build does; a reader may see
    a few pages old and a few new for the moment the renames take."""
    output = output.absolute()
    staging, previous = _fill_staging(output, fill)
    new_index = layout.index_dir(staging)
    made: set[Path] = set()
    for name in sorted(entry.name for entry in os.scandir(staging) if entry.is_file()):
        target = output / _unflatten(name)
        if target.parent not in made:
            target.parent.mkdir(parents=True, exist_ok=True)
            made.add(target.parent)
        os.replace(staging / name, target)
    if new_index.is_dir():
        live = layout.index_dir(output)
        if not live.is_dir():
            os.rename(new_index, live)
        elif not _exchange(new_index, live):
            parked = new_index.with_name("whoosh.parked")
            os.rename(live, parked)
            os.rename(new_index, live)
            os.rename(parked, new_index)
    for rel in sorted(removed):
        for name in (rel, rel + ".gz"):
            (output / name).unlink(missing_ok=True)
        _prune_empty(output, (output / rel).parent)
    # what is left in staging (the previous index, if one was swapped out) stays for a
    # grace period, as after a full build
    os.rename(staging, previous)


def _prune_empty(root: Path, folder: Path) -> None:
    """Remove ``folder`` and its parents below ``root`` while they are empty."""
    while folder != root and root in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent
