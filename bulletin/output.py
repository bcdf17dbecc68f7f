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
import errno
import fcntl
import gzip
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import IO

from search import layout

AT_FDCWD = -100
RENAME_EXCHANGE = 2
#: A file in a tree that a build moved aside as ``OUTPUT.previous``: only such a tree is
#: ever deleted by a build (a folder of that name without it is the user's).
PREVIOUS_MARK = ".bulletin-previous"
#: A trash folder's name gets this and the remover's PID when a remover claims it.
REMOVING = ".removing-"


class OutputLock:
    """One build at a time per output folder: an exclusive ``flock`` on ``OUTPUT.lock``
    beside it, which the system releases when the process ends, however it ends. A
    second build waits for the first, after ``waiting`` is told who holds it."""

    def __init__(self, output: Path, waiting: Callable[[str], None]) -> None:
        self.path = output.absolute().with_name(f"{output.name}.lock")
        self.waiting = waiting
        self.handle: IO[str] | None = None

    def __enter__(self) -> OutputLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.handle = open(self.path, "a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "?"
            self.waiting(f"{self.path}: another build (pid {holder}) holds it; waiting")
            fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.handle is not None:
            fcntl.flock(self.handle, fcntl.LOCK_UN)
            self.handle.close()
            self.handle = None


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
        _, _, pid = folder.name.partition(REMOVING)
        if not pid or (pid.isdigit() and not process_running(int(pid))):
            found.append(folder)
    return found


def remove_in_background(folders: list[Path]) -> None:
    """Delete folders without waiting (``python -m bulletin.trash``): removing a tree of
    thousands of small folders takes seconds on some file systems, and no build needs
    to wait for it."""
    if folders:
        subprocess.Popen(
            [sys.executable, "-m", "bulletin.trash", *map(str, folders)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            cwd=Path(__file__).resolve().parent.parent,
        )


def _holds_at_most(folder: Path, count: int) -> bool:
    """Whether ``folder`` holds at most ``count`` files and folders (it stops counting
    there: a whole site's tree is not walked)."""
    seen = 0
    for _, folders, files in os.walk(folder):
        seen += len(folders) + len(files)
        if seen > count:
            return False
    return True


def is_previous_tree(folder: Path) -> bool:
    """Whether ``folder`` is a previous output tree a build left (and may delete)."""
    return (folder / PREVIOUS_MARK).is_file()


def _retire(tree: Path) -> None:
    """Mark ``tree`` (about to become ``OUTPUT.previous``) as the build's own."""
    (tree / PREVIOUS_MARK).write_text(
        "An earlier build's output, kept until the next build deletes it.\n", "utf-8"
    )


def remove_leftovers(output: Path) -> None:
    """Staging and scratch folders of builds into ``output`` that were killed. Called
    while holding the output's lock (:class:`OutputLock`): any there is not in use."""
    for pattern in (f"{output.name}.staging-*", f".{output.name}.index-*"):
        for folder in sorted(output.parent.glob(pattern)):
            shutil.rmtree(folder, ignore_errors=True)


def _fill_staging(
    output: Path, fill: Callable[[Path], Iterable[str] | None], small_tree: int
) -> tuple[Path, Path, Iterable[str]]:
    """A fresh staging folder beside ``output`` filled by ``fill``; on failure it is
    removed and the error raised, the output untouched. The tree kept from the build
    before last is sent for deletion. Returns the staging and previous-tree paths and
    what ``fill`` returned: more output files to remove, known once it has run."""
    staging = staging_path(output)
    previous = previous_path(output)
    if staging.exists():
        shutil.rmtree(staging)
    if previous.exists() and not is_previous_tree(previous):
        raise FileExistsError(
            errno.EEXIST, "exists and was not left by a build: move it away", str(previous)
        )
    if previous.exists() and _holds_at_most(previous, small_tree):
        shutil.rmtree(previous)  # what an incremental build left: quicker than a process
    elif previous.exists():
        # unique: the last build's trash may still be being deleted
        trash = f".{output.name}.trash-{os.getpid()}-{time.monotonic_ns()}"
        os.rename(previous, output.with_name(trash))
    remove_in_background(_unclaimed_trash(output))
    staging.mkdir()
    try:
        more = fill(staging) or ()
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return staging, previous, more


def publish(output: Path, fill: Callable[[Path], None], small_tree: int = 256) -> None:
    """Run ``fill(staging)`` to write the whole site, then swap it in as ``output``
    (the tree it replaces is kept as ``OUTPUT.previous``; see the module's docstring)."""
    output = output.absolute()
    output.parent.mkdir(parents=True, exist_ok=True)
    staging, previous, _ = _fill_staging(output, fill, small_tree)
    if not output.exists():
        os.rename(staging, output)
    elif _exchange(staging, output):
        _retire(staging)
        os.rename(staging, previous)
    else:
        _retire(output)
        os.rename(output, previous)
        os.rename(staging, output)


def publish_changes(
    output: Path,
    fill: Callable[[Path], Iterable[str] | None],
    removed: Iterable[str],
    small_tree: int = 256,
) -> None:
    """Publish an incremental build: ``fill(staging)`` writes only the files that
    changed, each directly in the staging folder under its :func:`flat_name` (and, if
    the index changed, a whole new ``_search/whoosh``); once it has succeeded, each
    file is moved into ``output`` with an atomic rename, the index folder is swapped in
    at once, and ``removed`` files (with their .gz) are deleted, and those ``fill``
    returns (files it found are no longer wanted).

    A failed ``fill`` leaves ``output`` untouched, as a full build does; a reader may see
    a few pages old and a few new for the moment the renames take."""
    output = output.absolute()
    staging, previous, more = _fill_staging(output, fill, small_tree)
    removed = {*removed, *more}
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
    _retire(staging)
    os.rename(staging, previous)


def _prune_empty(root: Path, folder: Path) -> None:
    """Remove ``folder`` and its parents below ``root`` while they are empty."""
    while folder != root and root in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent
