"""The build cache: what the last build computed, so an edit redoes only what it touches.

Kept beside the output folder (``output.cache/``), never inside what gets deployed.
``cache.pickle`` remembers each content file's stamp and digest (an unchanged file is
neither read nor hashed), parse results by digest (articles as field tuples, without
their Markdown, which stays with the file), the slugs made from names and headings, the
compiled templates, the HTML of issue notes and pages, a summary of each rendered
article body and, for each output file, the key of everything that went into it and
the stamps of the file and its .gz, which pages show each article, and the digest of
everything else the pages depend on; a page whose key is unchanged is kept (or
hard-linked) from the previous output instead of rendered again. ``cache.journal``
holds what each build since changed in that state (see :func:`journal_limit`).
Rendered bodies, with their Traditional conversions, are files in ``bodies/`` named by
their key, read only when a page that shows one is rendered. Every entry is keyed by
content, so a stale entry is never looked up; the whole cache is dropped when the code
or the Python packages change.

A cache is never trusted: it is read with an unpickler that only builds the project's
own content classes, checked for its format and fingerprint; compiled templates are
used only if their digest matches, a body file only if it names its own key, and each
output file it would reuse is checked against the size, mtime and inode recorded when
it was written. Anything unexpected means that part is made again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import marshal
import os
import pickle
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
import jinja2.bccache

from bulletin.model import Article, Issue
from bulletin.output import has_twin
from bulletin.sources import FileStamp, SourceTree

if TYPE_CHECKING:
    from bulletin.markup import Rendered

FORMAT = 6
STATE = "cache.pickle"
#: Each incremental build appends what it changed in the state to the journal (writing
#: the whole state cost ~0.07 s of a one-article rebuild); the state is written afresh
#: when the journal would grow past :func:`journal_limit`.
JOURNAL = "cache.journal"
_MISSING = object()
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

BodySummary = tuple[str, tuple[str, ...]]  # first paragraph, broken links
# an output file's key, its stamp and its .gz twin's stamp (None: it has none)
FileEntry = tuple[str, FileStamp, FileStamp | None]


def _stamp(path: str) -> FileStamp | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns, stat.st_ino


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


def _normalise(name: str) -> str:
    return name.lower().replace("-", "_").replace(".", "_")


def _installed_versions() -> dict[str, str]:
    """Project name -> version of the distributions on ``sys.path``, from their
    ``NAME-VERSION.dist-info`` folders (first on the path wins, as for imports).
    importlib.metadata gives the same, at ten times the cost of a build's start."""
    versions: dict[str, str] = {}
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            if name.endswith(".dist-info") and "-" in name:
                project, version = name[: -len(".dist-info")].rsplit("-", 1)
                versions.setdefault(_normalise(project), version)
    return versions


def code_fingerprint() -> str:
    """What makes every cached result stale: the project's code, Python and the versions
    of the packages that shape the output. (Templates only make pages stale: they are
    part of each page's key.)"""
    here = Path(__file__).resolve().parent
    installed = _installed_versions()
    versions = [f"{name}={installed.get(_normalise(name), '?')}" for name in PACKAGES]
    return digest(
        f"format={FORMAT}",
        sys.version,
        ";".join(versions),
        tree_digest([here, here.parent / "search"], (".py",)),
    )


class DataKeys:
    """Digests of page data, pickled with an article standing for its digest
    (``article_digests``: id -> digest), an issue for the digest of its fields and a
    rendered body for its key, so a list page's key costs one string per article. (A
    dispatch table is consulted for these types only, where a reducer_override would be
    called for every object.) The slugs of the articles (and bodies) met while keying
    are added to ``refs`` when it is a set: what the data shows."""

    def __init__(self, article_digests: Mapping[int, str]) -> None:
        self.article_digests = article_digests
        self.issue_digests: dict[int, str] = {}
        self.refs: set[str] | None = None
        self.dispatch_table = {
            Article: lambda article: (str, (self._article_digest(article),)),
            Issue: lambda issue: (str, (self._issue_digest(issue),)),
            BodyRef: lambda ref: (str, (self._body_key(ref),)),
        }

    def _article_digest(self, article: Article) -> str:
        if self.refs is not None:
            self.refs.add(article.slug)
        return self.article_digests[id(article)]

    def _body_key(self, ref: BodyRef) -> str:
        if self.refs is not None:
            self.refs.add(ref.slug)
        return ref.key

    def _flat(self, data: Any) -> str | None:
        """A key text for a tuple of plain values and a flat dict of them (an article
        page's data), made without pickling; None for anything else."""
        if type(data) is not tuple:
            return None
        tokens = []
        for item in data:
            if type(item) is dict:
                tokens.append("{")
                for name, value in item.items():
                    token = self._token(value)
                    if token is None:
                        return None
                    tokens += [repr(name), token]
                tokens.append("}")
            else:
                token = self._token(item)
                if token is None:
                    return None
                tokens.append(token)
        return "\0".join(tokens)

    def _token(self, value: Any) -> str | None:
        kind = type(value)
        if kind is str or kind is int or kind is bool or value is None:
            return f"{kind.__name__}:{value!r}"
        if kind is Article:
            return f"article:{self._article_digest(value)}"
        if kind is BodyRef:
            return f"body:{self._body_key(value)}"
        if kind is Issue:
            return f"issue:{self._issue_digest(value)}"
        return None

    def _issue_digest(self, issue: Issue) -> str:
        found = self.issue_digests.get(id(issue))
        if found is None:
            found = self.issue_digests[id(issue)] = hashlib.sha256(
                pickle.dumps(issue, protocol=5)
            ).hexdigest()
        return found

    def __call__(self, data: Any) -> str:
        flat = self._flat(data)
        if flat is not None:
            return hashlib.sha256(flat.encode("utf-8")).hexdigest()
        stream = io.BytesIO()
        pickler = pickle.Pickler(stream, protocol=5)
        pickler.dispatch_table = self.dispatch_table  # type: ignore[assignment]
        pickler.dump(data)
        return hashlib.sha256(stream.getbuffer()).hexdigest()


#: A file changed this shortly before the cache was written may have been changed again
#: within the file system clock's resolution, keeping its stamp: it is read next time.
SETTLED_NS = 2_000_000_000


def _settled_sources(tree: SourceTree) -> dict[str, tuple[FileStamp, str]]:
    """Stamp and digest of each content file that has not changed lately (git's "racy
    clean" rule), for the next build's :func:`bulletin.sources.read_tree`."""
    settled = time.time_ns() - SETTLED_NS
    files = [*tree.articles, *tree.issues, *tree.pages, tree.site_config, tree.phrases]
    return {
        source.display: (source.stamp, source.digest)
        for source in files
        if source is not None and source.stamp[1] < settled
    }


_ARTICLE_FIELDS = tuple(f.name for f in fields(Article))
_DATE = _ARTICLE_FIELDS.index("date")


def _pack_parsed(result: Any) -> Any:
    """An article's parse result as plain values, its date as an ordinal: pickling
    5,000 dataclass instances (and dates) was most of the cache's save and load time."""
    if type(result) is tuple and len(result) == 2 and type(result[0]) is Article:
        values = [result[0].__dict__[name] for name in _ARTICLE_FIELDS]
        values[_DATE] = values[_DATE].toordinal()
        return ("article", tuple(values), result[1])
    return result


def _unpack_parsed(entry: Any) -> Any:
    if type(entry) is tuple and len(entry) == 3 and entry[0] == "article":
        if len(entry[1]) != len(_ARTICLE_FIELDS):
            raise ValueError("a remembered article of another shape")
        values = list(entry[1])
        values[_DATE] = dt.date.fromordinal(values[_DATE])
        article = object.__new__(Article)
        article.__dict__.update(zip(_ARTICLE_FIELDS, values, strict=True))
        return article, entry[2]
    return entry


class _SafeUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a build cache")
        return super().find_class(module, name)


class BodyStore:
    """Rendered Markdown by key: this build's results in memory, earlier builds' read
    from ``folder`` (``output.cache/bodies/``) when first asked for. ``known`` holds the
    first paragraph and broken links of every stored body, which list pages and link
    checks need without reading the body itself."""

    def __init__(self, folder: Path | None, known: Mapping[str, BodySummary]) -> None:
        self.folder = folder
        self.previous = frozenset(known)
        self.known = dict(known)
        self.fresh: dict[str, Rendered] = {}
        self.loaded: dict[str, Rendered] = {}
        # the HTML of a body in another script: key -> variant key -> HTML; ``new``
        # holds those made by this process
        self.conversions: dict[str, dict[str, str]] = {}
        self.new_conversions: list[tuple[str, str, str]] = []
        # makes a body again should its file prove unreadable (None: cannot)
        self.remake: Callable[[str], Rendered | None] = lambda key: None

    def __contains__(self, key: str) -> bool:
        """Whether the body is here or kept by an earlier build (should its file have
        gone or be damaged, :meth:`get` makes it again from its :meth:`source`)."""
        return key in self.fresh or (key in self.known and self.folder is not None)

    def add(self, key: str, rendered: Rendered) -> None:
        self.fresh[key] = rendered
        self.known[key] = (rendered.first_paragraph, rendered.broken_links)

    def get(self, key: str) -> Rendered:
        rendered = self.fresh.get(key) or self.loaded.get(key)
        if rendered is None:
            try:
                assert self.folder is not None
                with self._path(key).open("rb") as handle:
                    stored_key, rendered, conversions = _SafeUnpickler(handle).load()
                if (
                    stored_key != key
                    or type(rendered).__name__ != "Rendered"
                    or not all(
                        isinstance(k, str) and isinstance(v, str) for k, v in conversions.items()
                    )
                ):
                    raise pickle.UnpicklingError(f"{key}: not a rendered body")
                self.conversions.setdefault(key, {}).update(conversions)
            except (
                AssertionError,
                OSError,
                EOFError,
                pickle.UnpicklingError,
                ValueError,
                TypeError,
                AttributeError,
            ):
                rendered = self.remake(key)  # a damaged cache file: never trusted
                if rendered is None:
                    raise
                self.fresh[key] = rendered
            self.loaded[key] = rendered
        return rendered

    def converted(self, key: str, variant: str, convert: Callable[[str], str]) -> str:
        """The body ``key`` in the script of variant key ``variant``, converted by
        ``convert`` unless an earlier build kept it."""
        rendered = self.get(key)  # reads the conversions kept with it
        done = self.conversions.setdefault(key, {})
        html = done.get(variant)
        if html is None:
            html = done[variant] = convert(rendered.html)
            self.new_conversions.append((key, variant, html))
        return html

    def take_conversions(self) -> list[tuple[str, str, str]]:
        """The conversions made since the last call (a worker sends them to the parent)."""
        taken, self.new_conversions = self.new_conversions, []
        return taken

    def add_conversions(self, made: Iterable[tuple[str, str, str]]) -> None:
        for key, variant, html in made:
            self.conversions.setdefault(key, {})[variant] = html
            self.new_conversions.append((key, variant, html))

    def first_paragraph(self, key: str) -> str:
        return self.known[key][0]

    def broken_links(self, key: str) -> tuple[str, ...]:
        return self.known[key][1]

    def _path(self, key: str) -> Path:
        assert self.folder is not None
        return self.folder / key[:2] / key

    def save(
        self, folder: Path, keep: Iterable[str], variants: Iterable[str]
    ) -> dict[str, BodySummary]:
        """Write this build's new bodies (and bodies with new conversions) to
        ``folder``, with their conversions for ``variants`` (variant keys); delete those
        no longer used, and return the summaries of the kept ones (for the state)."""
        keep = set(keep)
        current = set(variants)
        changed = self.fresh.keys() | {key for key, _, _ in self.new_conversions}
        for key in sorted(keep & changed):
            path = folder / key[:2] / key
            path.parent.mkdir(parents=True, exist_ok=True)
            conversions = {
                v: html for v, html in self.conversions.get(key, {}).items() if v in current
            }
            temporary = path.with_name(f".{key}.{os.getpid()}")
            temporary.write_bytes(pickle.dumps((key, self.get(key), conversions), protocol=5))
            if path.is_dir():  # not ours: a body file is never a folder
                shutil.rmtree(path)
            os.replace(temporary, path)
        if self.folder is None:  # no earlier cache: whatever is in the folder goes
            if folder.is_dir():
                for sub in os.scandir(folder):
                    for entry in os.scandir(sub.path) if sub.is_dir() else ():
                        if entry.name not in keep:
                            _remove(entry.path)
        else:  # the bodies the last build kept and this one does not
            for key in self.previous - keep:
                _remove(str(folder / key[:2] / key))
        return {key: self.known[key] for key in keep if key in self.known}


def journal_limit(state_size: int) -> int:
    """Bytes of journal allowed beside a state file of ``state_size`` bytes: a quarter of
    it, or 1 MB (reading the journal's records costs about as much as their share of the
    state)."""
    return max(1 << 20, state_size // 4)


def _dumps(value: Any) -> bytes:
    stream = io.BytesIO()
    pickler = pickle.Pickler(stream, protocol=5)
    # no memo: the state shares no objects, and tracking every one of its ~500,000
    # objects took half the time of writing it
    pickler.fast = True
    pickler.dump(value)
    return stream.getvalue()


def _changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """What differs from ``before`` in ``after`` (two states): per dict, the entries
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


def _record(base: str, changes: dict[str, Any]) -> bytes:
    """A journal record: length, SHA-256 and pickle of the changes to the state ``base``."""
    payload = _dumps({"base": base, "changes": changes})
    return len(payload).to_bytes(8, "little") + hashlib.sha256(payload).digest() + payload


def _read_journal(path: Path, state: dict[str, Any]) -> int:
    """Apply the journal's records to ``state``; the journal's size in bytes (or a huge
    number, so the next build writes the state afresh, when the journal belongs to an
    earlier state). A torn or damaged record raises ValueError: the build that wrote it
    may have published output the state before it does not describe."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return 0
    offset = 0
    while offset < len(data):
        size = int.from_bytes(data[offset : offset + 8], "little")
        digest = data[offset + 8 : offset + 40]
        payload = data[offset + 40 : offset + 40 + size]
        if len(payload) != size or hashlib.sha256(payload).digest() != digest:
            raise ValueError(f"{path}: a damaged record")
        record = _SafeUnpickler(io.BytesIO(payload)).load()
        if record["base"] != state.get("base"):
            return sys.maxsize  # left by a build that stopped before removing it
        for name, change in record["changes"].items():
            if change[0] == "dict":
                state[name].update(change[1])
                for key in change[2]:
                    del state[name][key]
            else:
                state[name] = change[1]
        offset += 40 + size
    return len(data)


def _remove(path: str) -> None:
    try:
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.unlink(path)
    except FileNotFoundError:
        pass


#: Marks where a body goes in a rendered page (see :class:`BodyRef`).
BODY_SLOT = "\ue003"


class BodyRef:
    """A rendered body in page data. A template shows it (``{{ body | safe }}``) as a
    slot, ``BODY_SLOT key BODY_SLOT``, which the renderer fills after converting the
    page with the body in that page's script, converted once and kept by the cache (a
    body is most of an article page's text, and a template edit changes no body). In a
    page key it stands for its key."""

    __slots__ = ("key", "slug", "store")

    def __init__(self, key: str, slug: str, store: BodyStore) -> None:
        self.key = key
        self.slug = slug  # the article's
        self.store = store

    def __html__(self) -> str:
        return f"{BODY_SLOT}{self.key}{BODY_SLOT}"

    def __str__(self) -> str:
        return self.__html__()

    def __reduce__(self) -> Any:
        raise TypeError("a BodyRef is not stored; use its key")


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


@dataclass(frozen=True)
class Bodies:
    """The rendered Markdown bodies of a build's articles: slug -> key in ``store``."""

    keys: Mapping[str, str]
    store: BodyStore

    def get(self, slug: str) -> Rendered:
        return self.store.get(self.keys[slug])

    def ref(self, slug: str) -> BodyRef:
        return BodyRef(self.keys[slug], slug, self.store)

    def first_paragraph(self, slug: str) -> str:
        return self.store.first_paragraph(self.keys[slug])

    def converted(self, key: str, variant: str, convert: Callable[[str], str]) -> str:
        return self.store.converted(key, variant, convert)

    def broken_links(self, slug: str) -> tuple[str, ...]:
        return self.store.broken_links(self.keys[slug])


@dataclass
class BuildCache:
    """What the last build left: reusable results and the keys of its output files."""

    fingerprint: str
    folder: Path | None = None  # output.cache/, when loaded from there
    parsed: dict[str, Any] = field(default_factory=dict)  # source digest -> parse result
    bodies: dict[str, BodySummary] = field(default_factory=dict)  # body key -> summary
    files: dict[str, FileEntry] = field(default_factory=dict)  # rel -> key, stamps
    # slug -> what its search document depends on (see pipeline)
    documents: dict[str, tuple[str, str]] = field(default_factory=dict)
    index_state: str = ""  # digest of what every index entry depends on (phrases, meta)
    index_segments: int = 0  # segments of the index when it was last written afresh
    texts: dict[str, str] = field(default_factory=dict)  # notes and pages: key -> HTML
    slugs: dict[str, str] = field(default_factory=dict)  # name -> pinyin slug
    templates: dict[str, bytes] = field(default_factory=dict)  # compiled templates
    # content file as displayed -> stamp, digest
    sources: dict[str, tuple[FileStamp, str]] = field(default_factory=dict)
    # digest of all a build's inputs but the articles' files (see pipeline.structure)
    structure: str = ""
    refs: dict[str, tuple[int, ...]] = field(default_factory=dict)  # slug -> page indexes
    loaded: bool = False  # False: no usable cache was found (a full build)
    stored: dict[str, Any] = field(default_factory=dict)  # the state as read
    base_size: int = 0  # bytes of the state file
    journal: int = 0  # bytes of records in the journal

    @classmethod
    def load(cls, path: Path, fingerprint: str, output: Path) -> BuildCache:
        empty = cls(fingerprint)
        try:
            with path.joinpath(STATE).open("rb") as handle:
                state = _SafeUnpickler(handle).load()
                base_size = os.fstat(handle.fileno()).st_size
            journal = _read_journal(path / JOURNAL, state)
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
                isinstance(state.get(k), dict)
                for k in (
                    "parsed",
                    "bodies",
                    "files",
                    "documents",
                    "slugs",
                    "templates",
                    "sources",
                    "texts",
                    "refs",
                )
            )
        ) or not all(type(v) is tuple and len(v) == 3 for v in state["files"].values()):
            return empty
        try:
            parsed = {key: _unpack_parsed(entry) for key, entry in state["parsed"].items()}
        except (ValueError, TypeError, AttributeError):
            return empty
        return cls(
            stored=state,
            base_size=base_size,
            journal=journal,
            fingerprint=fingerprint,
            folder=path,
            parsed=parsed,
            bodies=state["bodies"],
            files=state["files"],
            documents=state["documents"],
            index_state=str(state.get("index_state", "")),
            index_segments=segments
            if isinstance(segments := state.get("index_segments"), int)
            else 0,
            slugs=state["slugs"],
            templates=state["templates"],
            sources=state["sources"],
            texts=state["texts"],
            structure=str(state.get("structure", "")),
            refs=state["refs"],
            loaded=True,
        )

    def body_store(self) -> BodyStore:
        return BodyStore(self.folder / "bodies" if self.folder else None, self.bodies)

    def changed_files(self, output: str, rels: Iterable[str] | None = None) -> set[str]:
        """The recorded output files (below the folder ``output``; only ``rels`` if
        given) that are not as they were written: changed, replaced or gone, or their
        .gz twin. A file the record does not have counts as changed."""
        changed = set()
        files = self.files
        for rel in files if rels is None else rels:
            if rel not in files:
                changed.add(rel)
                continue
            _, stamp, twin = files[rel]
            path = f"{output}/{rel}"
            if (
                stamp is None
                or _stamp(path) != stamp
                or (twin is not None and _stamp(f"{path}.gz") != twin)
            ):
                changed.add(rel)
        return changed

    def reusable(self, rel: str, key: str, output: str, changed: set[str]) -> str | None:
        """The previous output file for ``rel`` (below the folder ``output``) if its
        key matches and it is not among the ``changed`` files."""
        entry = self.files.get(rel)
        if entry is None or entry[0] != key or rel in changed:
            return None
        return f"{output}/{rel}"

    def save(
        self,
        path: Path,
        output: Path,
        parsed: Mapping[str, Any],
        bodies: BodyStore,
        body_keys: Iterable[str],
        file_keys: Mapping[str, str],
        written: Iterable[str],
        documents: Mapping[str, tuple[str, str]],
        index_state: str,
        slugs: Mapping[str, str],
        templates: TemplateCode,
        variants: Iterable[str],
        tree: SourceTree,
        index_segments: int,
        texts: Mapping[str, str],
        structure: str,
        refs: Mapping[str, tuple[int, ...]],
    ) -> None:
        """Record this build (after it was published into ``output``). Output files
        not in ``written`` kept their stamps from the last build."""
        written = set(written)
        files: dict[str, FileEntry] = {}
        root = str(output)
        for rel, key in file_keys.items():
            entry = self.files.get(rel) if self.loaded and rel not in written else None
            if entry is not None:
                files[rel] = entry if entry[0] == key else (key, entry[1], entry[2])
                continue
            written_file = f"{root}/{rel}"
            stamp = _stamp(written_file)
            if stamp is not None:
                twin = _stamp(f"{written_file}.gz") if has_twin(rel) else None
                files[rel] = (key, stamp, twin)
        path.mkdir(parents=True, exist_ok=True)
        summaries = bodies.save(path / "bodies", body_keys, variants)
        packed = self.stored.get("parsed", {})
        state = {
            "format": FORMAT,
            "fingerprint": self.fingerprint,
            "output": str(output.absolute()),
            "parsed": {
                key: packed[key] if key in packed else _pack_parsed(result)
                for key, result in parsed.items()
            },
            "bodies": summaries,
            "files": files,
            "documents": dict(documents),
            "index_state": index_state,
            "slugs": dict(slugs),
            "templates": dict(templates.entries),
            "sources": _settled_sources(tree),
            "index_segments": index_segments,
            "texts": dict(texts),
            "structure": structure,
            "refs": dict(refs),
        }
        if self.loaded and self.folder == path and "base" in self.stored:
            state["base"] = self.stored["base"]
            record = _record(state["base"], _changes(self.stored, state))
            if self.journal + len(record) <= journal_limit(self.base_size):
                with (path / JOURNAL).open("ab") as handle:
                    handle.write(record)
                return
        # a new base: its name tells the journal's records of an older one apart
        state["base"] = f"{os.getpid()}-{time.time_ns()}"
        temporary = path / f"{STATE}.{os.getpid()}"
        with temporary.open("wb") as handle:
            handle.write(_dumps(state))
        os.replace(temporary, path / STATE)
        (path / JOURNAL).unlink(missing_ok=True)
