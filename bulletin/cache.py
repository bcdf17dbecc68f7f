"""The build cache: what the last build computed, so an edit redoes only what it touches.

Kept beside the output folder (``OUTPUT.cache/``), never inside what gets deployed. Its
state (:class:`CacheState`, one frozen record written by one serialiser) remembers each
content file's stamp and digest (an unchanged file is neither read nor hashed), parse
results by digest (without articles' Markdown, which stays with the file), the slugs
made from names and headings, the compiled templates, the HTML of issue notes and pages,
a summary of each rendered body, for each output file the key of everything that went
into it and the stamps of the file and its .gz, which pages show each article, and the
digest of everything else the pages depend on. ``cache.journal`` holds what each build
since changed in that state (see :class:`bulletin.tuning.Tuning`). Rendered bodies are
files in ``bodies/`` (:mod:`bulletin.bodies`).

A cache is never trusted: it is read with an unpickler that builds only the project's
own content classes, checked for its format and fingerprint (the code, Python and the
versions of the packages that shape the output); compiled templates are used only if
their digest matches, a body file only if it names its own key, and each output file
it would reuse is checked against the size, mtime and inode recorded when it was
written. Anything unexpected means that part is made again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.util
import marshal
import os
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import jinja2
import jinja2.bccache

from bulletin import pickles
from bulletin.bodies import BodySummary
from bulletin.content import Parsed
from bulletin.hashing import digest, tree_digest
from bulletin.model import Article, Issue, Page, from_values
from bulletin.output import has_twin
from bulletin.sources import FileStamp, SourceTree
from bulletin.tuning import Tuning

FORMAT = 7
STATE = "cache.pickle"
JOURNAL = "cache.journal"
#: The packages that shape the output (a new one makes the cache stale), by module name.
PACKAGES = ("jinja2", "markdown", "yaml", "opencc", "whoosh", "nh3", "pypinyin")
#: Classes a state may hold, besides plain values.
_ALLOWED = pickles.PLAIN
# an output file's key, its stamp and its .gz twin's stamp (None: it has none)
FileEntry = tuple[str, FileStamp | None, FileStamp | None]
_MISSING = object()


def cache_path(output: Path) -> Path:
    return output.absolute().with_name(f"{output.name}.cache")


def code_fingerprint() -> str:
    """What makes every cached result stale: the project's code, Python, and the
    installed packages that shape the output, by the stamp of each one's ``__init__``
    file (an upgrade, a downgrade or a reinstall rewrites it; reading their versions
    through importlib.metadata cost ~50 ms of a 0.6 s rebuild, finding them ~0.3 ms).
    (Templates only make pages stale: they are part of each page's key.)"""
    here = Path(__file__).resolve().parent
    installed = []
    for name in PACKAGES:
        spec = importlib.util.find_spec(name)
        stamp = stamp_of(spec.origin) if spec is not None and spec.origin else None
        installed.append(f"{name}={stamp}")
    return digest(
        f"format={FORMAT}",
        sys.version,
        ";".join(installed),
        tree_digest([here, here.parent / "search"], (".py",)),
    )


def stamp_of(path: str) -> FileStamp | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns, stat.st_ino


@dataclass(frozen=True)
class CacheState:
    """What a build leaves for the next one (every field a plain value, a dict of them
    or an int/str: see :func:`_from_record`)."""

    parsed: Mapping[str, Any] = field(default_factory=dict)  # digest -> packed Parsed
    bodies: Mapping[str, BodySummary] = field(default_factory=dict)  # body key -> summary
    files: Mapping[str, FileEntry] = field(default_factory=dict)  # output rel -> entry
    documents: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # slug -> inputs
    texts: Mapping[str, str] = field(default_factory=dict)  # notes and pages: key -> HTML
    slugs: Mapping[str, str] = field(default_factory=dict)  # name -> pinyin slug
    templates: Mapping[str, tuple[str, str, bytes]] = field(default_factory=dict)
    sources: Mapping[str, tuple[FileStamp, str]] = field(default_factory=dict)
    refs: Mapping[str, tuple[int, ...]] = field(default_factory=dict)  # slug -> page specs
    index_state: str = ""  # digest of what every index entry depends on (phrases, meta)
    index_segments: int = 0  # segments of the index when it was last written afresh
    structure: str = ""  # digest of a build's inputs but the articles' files


_FIELDS = {f.name: f for f in fields(CacheState)}


def _to_record(state: CacheState, header: Mapping[str, Any]) -> dict[str, Any]:
    return {**header, **{name: getattr(state, name) for name in _FIELDS}}


def _from_record(record: Any) -> CacheState:
    """The state in a record read back, each field checked for its kind; ValueError
    for a record of another shape."""
    if not isinstance(record, dict):
        raise ValueError("not a cache state")
    values = {}
    for name, spec in _FIELDS.items():
        value = record.get(name)
        kind = {"str": str, "int": int}.get(str(spec.type), dict)
        if type(value) is not kind:
            raise ValueError(f"{name}: not a {kind.__name__}")
        values[name] = value
    if not all(type(e) is tuple and len(e) == 3 for e in values["files"].values()):
        raise ValueError("files: not file entries")
    return CacheState(**values)


# --- parse results, packed ---------------------------------------------------------
# Pickling 5,000 dataclass instances (and dates) was most of the state's save and load
# time: parse results are kept as field tuples, dates as ordinals.

_KINDS: dict[str, type] = {"article": Article, "issue": Issue, "page": Page}
_KIND_OF = {cls: name for name, cls in _KINDS.items()}
_ITEM_FIELDS = {cls: tuple(f.name for f in fields(cls)) for cls in _KINDS.values()}
_DATE_AT = {cls: names.index("date") for cls, names in _ITEM_FIELDS.items() if "date" in names}


def pack_parsed(parsed: Parsed) -> tuple[Any, ...]:
    item = parsed.item
    if item is None:
        return ("none", (), parsed.problems, parsed.articles_line)
    values = [getattr(item, name) for name in _ITEM_FIELDS[type(item)]]
    at = _DATE_AT.get(type(item))
    if at is not None:
        values[at] = values[at].toordinal()
    return (_KIND_OF[type(item)], tuple(values), parsed.problems, parsed.articles_line)


def unpack_parsed(packed: Any) -> Parsed:
    kind, values, problems, articles_line = packed
    if kind == "none":
        return Parsed(None, problems, articles_line)
    cls = _KINDS[kind]
    at = _DATE_AT.get(cls)
    if at is not None:
        values = (*values[:at], dt.date.fromordinal(values[at]), *values[at + 1 :])
    return Parsed(from_values(cls, values), problems, articles_line)


# --- the previous build ------------------------------------------------------------


@dataclass(frozen=True)
class PreviousBuild:
    """The last build's state as read back (``loaded`` False: there is none usable and
    this build starts afresh), and where it came from."""

    state: CacheState = field(default_factory=CacheState)
    folder: Path | None = None  # OUTPUT.cache/, when loaded from there
    loaded: bool = False
    base: str = ""  # the name of the state file's version (journal records name it)
    base_size: int = 0  # bytes of the state file
    journal: int = 0  # bytes of records in the journal
    parsed: Mapping[str, Parsed] = field(default_factory=dict)  # state.parsed, unpacked

    @classmethod
    def load(cls, folder: Path, fingerprint: str, output: Path) -> PreviousBuild:
        """The state in ``folder`` with its journal applied, if it is of this format,
        fingerprint and output folder; otherwise an empty one."""
        try:
            with folder.joinpath(STATE).open("rb") as handle:
                record = pickles.load(handle, _ALLOWED)
                base_size = os.fstat(handle.fileno()).st_size
            journal = _read_journal(folder / JOURNAL, record)
            header_ok = (
                record.get("format") == FORMAT
                and record.get("fingerprint") == fingerprint
                and record.get("output") == str(output.absolute())
                and isinstance(record.get("base"), str)
            )
            if not header_ok:
                return cls()
            state = _from_record(record)
            parsed = {key: unpack_parsed(packed) for key, packed in state.parsed.items()}
        except pickles.DAMAGED:
            return cls()
        return cls(state, folder, True, record["base"], base_size, journal, parsed)

    def changed_files(self, output: str, rels: Iterable[str] | None = None) -> set[str]:
        """The recorded output files (below the folder ``output``; only ``rels`` if
        given) that are not as they were written: changed, replaced or gone, or their
        .gz twin. A file the record does not have counts as changed."""
        changed = set()
        files = self.state.files
        for rel in files if rels is None else rels:
            if rel not in files:
                changed.add(rel)
                continue
            _, stamp, twin = files[rel]
            path = f"{output}/{rel}"
            if (
                stamp is None
                or stamp_of(path) != stamp
                or (twin is not None and stamp_of(f"{path}.gz") != twin)
            ):
                changed.add(rel)
        return changed


def settled_sources(tree: SourceTree, settled_ns: int) -> dict[str, tuple[FileStamp, str]]:
    """Stamp and digest of each content file not changed since ``settled_ns`` (git's
    "racy clean" rule: a file changed within the clock's resolution of its read may
    change again without a new stamp; it is read next time)."""
    files = [*tree.articles, *tree.issues, *tree.pages, tree.site_config, tree.phrases]
    return {
        source.display: (source.stamp, source.digest)
        for source in files
        if source is not None and source.stamp[1] < settled_ns
    }


#: How long before the state is written a content file's change is trusted to its stamp.
SETTLED_NS = 2_000_000_000


def file_entries(
    previous: PreviousBuild, output: Path, keys: Mapping[str, str], written: set[str]
) -> dict[str, FileEntry]:
    """The entry of every output file: its key and the stamps it has now (files not in
    ``written`` kept their stamps from the last build)."""
    files: dict[str, FileEntry] = {}
    root = str(output)
    for rel, key in keys.items():
        entry = previous.state.files.get(rel) if rel not in written else None
        if entry is not None:
            files[rel] = entry if entry[0] == key else (key, entry[1], entry[2])
            continue
        path = f"{root}/{rel}"
        stamp = stamp_of(path)
        if stamp is not None:
            files[rel] = (key, stamp, stamp_of(f"{path}.gz") if has_twin(rel) else None)
    return files


def save(
    folder: Path,
    previous: PreviousBuild,
    state: CacheState,
    fingerprint: str,
    output: Path,
    tuning: Tuning,
) -> None:
    """Record ``state`` in ``folder``: as a journal record of what changed since the
    previous state, or as a new state file once the journal would outgrow its limit."""
    folder.mkdir(parents=True, exist_ok=True)
    header = {"format": FORMAT, "fingerprint": fingerprint, "output": str(output.absolute())}
    if previous.loaded and previous.folder == folder:
        before = _to_record(previous.state, header)
        record = _journal_record(previous.base, _changes(before, _to_record(state, header)))
        if previous.journal + len(record) <= tuning.journal_limit(previous.base_size):
            with (folder / JOURNAL).open("ab") as handle:
                handle.write(record)
            return
    # a new base: its name tells the journal's records of an older one apart
    base = f"{os.getpid()}-{time.time_ns()}"
    temporary = folder / f"{STATE}.{os.getpid()}"
    temporary.write_bytes(pickles.dumps(_to_record(state, {**header, "base": base})))
    os.replace(temporary, folder / STATE)
    (folder / JOURNAL).unlink(missing_ok=True)


def _changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """What differs from ``before`` in ``after`` (two records): per dict, the entries
    set and the keys removed; any other value, whole."""
    changes: dict[str, Any] = {}
    for name, value in after.items():
        old = before.get(name, _MISSING)
        if type(value) is dict and type(old) is dict:
            updates = {
                key: item
                for key, item in value.items()
                if (was := old.get(key, _MISSING)) is not item and was != item
            }
            removed = [key for key in old if key not in value]
            if updates or removed:
                changes[name] = ("dict", updates, removed)
        elif old is _MISSING or old != value:
            changes[name] = ("value", value)
    return changes


def _journal_record(base: str, changes: dict[str, Any]) -> bytes:
    """A journal record: length, SHA-256 and pickle of the changes to the state ``base``."""
    payload = pickles.dumps({"base": base, "changes": changes})
    return len(payload).to_bytes(8, "little") + hashlib.sha256(payload).digest() + payload


def _read_journal(path: Path, record: dict[str, Any]) -> int:
    """Apply the journal's records to the state ``record``; the journal's size in bytes
    (or a huge number, so the next build writes the state afresh, when the journal
    belongs to an earlier state). A torn or damaged record raises ValueError: the build
    that wrote it may have published output the state before it does not describe."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return 0
    offset = 0
    while offset < len(data):
        size = int.from_bytes(data[offset : offset + 8], "little")
        checksum = data[offset + 8 : offset + 40]
        payload = data[offset + 40 : offset + 40 + size]
        if len(payload) != size or hashlib.sha256(payload).digest() != checksum:
            raise ValueError(f"{path}: a damaged record")
        entry = pickles.loads(payload, _ALLOWED)
        if entry["base"] != record.get("base"):
            return sys.maxsize  # left by a build that stopped before removing it
        for name, change in entry["changes"].items():
            if change[0] == "dict":
                record[name].update(change[1])
                for key in change[2]:
                    del record[name][key]
            else:
                record[name] = change[1]
        offset += 40 + size
    return len(data)


class TemplateCode(jinja2.BytecodeCache):
    """Compiled templates, kept in the cache state: compiling the templates costs more
    than rendering the pages an edit touches. An entry is the template source's
    checksum, the digest of the marshalled code and the code; it is used only when both
    match (a damaged entry is compiled again, and nothing in it is unpickled: Jinja's
    own format pickles the checksum). Python's and Jinja's versions are part of the
    cache's fingerprint."""

    def __init__(self, known: Mapping[str, Any]) -> None:
        self.entries: dict[str, tuple[str, str, bytes]] = {
            key: entry
            for key, entry in known.items()
            if isinstance(entry, tuple)
            and len(entry) == 3
            and all(isinstance(part, t) for part, t in zip(entry, (str, str, bytes), strict=True))
        }

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        entry = self.entries.get(bucket.key)
        if entry is None:
            return
        checksum, code_digest, code = entry
        if checksum != bucket.checksum or hashlib.sha256(code).hexdigest() != code_digest:
            return
        try:
            bucket.code = marshal.loads(code)
        except (EOFError, ValueError, TypeError):
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = marshal.dumps(bucket.code)
        self.entries[bucket.key] = (bucket.checksum, hashlib.sha256(code).hexdigest(), code)
