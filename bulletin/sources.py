"""Reading the content folder: bytes in, text and front matter out, with line numbers.

This is the only module that reads content from disk; everything after it works on the
:class:`SourceTree` it returns.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from bulletin.problems import Problem, shorten

CONTENT_FOLDERS = ("articles", "issues", "pages")


FileStamp = tuple[int, int, int]  # size, mtime_ns, inode


@dataclass(frozen=True)
class SourceFile:
    """A file of the content folder. Its bytes are read when first asked for: a build
    that knows the file's digest from an earlier build (``known``, for an unchanged
    stamp) may never need them."""

    rel: str  # POSIX path relative to the content folder, e.g. "articles/2016/x.md"
    display: str  # the path as shown to the editor, e.g. "content/articles/2016/x.md"
    stamp: FileStamp  # when the tree was read
    known: str = ""  # the digest, from a build that read the file with this stamp

    def __post_init__(self) -> None:
        if self.known:  # the digest is known: no descriptor call on each use
            self.__dict__["digest"] = self.known

    @cached_property
    def data(self) -> bytes:
        with open(self.display, "rb") as handle:
            return handle.read()

    @cached_property
    def digest(self) -> str:
        """Of the path as shown and the bytes: what a parse result depends on."""
        if self.known:
            return self.known
        hasher = hashlib.sha256(self.display.encode("utf-8"))
        hasher.update(b"\0")
        hasher.update(self.data)
        return hasher.hexdigest()


@dataclass(frozen=True)
class StaticFile:
    rel: str  # relative to content/static/, POSIX
    path: Path


@dataclass(frozen=True)
class SourceTree:
    """Everything the build reads, sorted by path."""

    root: Path
    site_config: SourceFile | None
    phrases: SourceFile | None
    articles: tuple[SourceFile, ...]
    issues: tuple[SourceFile, ...]
    pages: tuple[SourceFile, ...]
    static: tuple[StaticFile, ...]
    stray: tuple[SourceFile, ...]  # files in content folders that are not Markdown
    # files that are not read at all: links out of the folder, names that are not UTF-8
    problems: tuple[Problem, ...] = ()


def _display(prefix: str, rel: str) -> str:
    """``rel`` as shown, below ``prefix`` (the root folder and a separator)."""
    return prefix + (rel if os.sep == "/" else rel.replace("/", os.sep))


def _shown_name(name: str) -> str:
    """A file name as text that can be printed: bytes that are not UTF-8 as ``\\xNN``."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


class _Walk:
    """Files below a content folder in a stable order (hidden files and folders, and
    editors' ``*~`` backups skipped), with the problems of what cannot be read safely:
    a name that is not UTF-8, and a symbolic link that leads out of the content folder
    (or nowhere). Links that stay inside it are read like the files they lead to."""

    def __init__(self, root: Path, prefix: str) -> None:
        self.inside = os.path.realpath(root)
        self.prefix = prefix
        self.problems: list[Problem] = []

    def files(self, folder: Path, base: str) -> Iterator[str]:
        """POSIX paths relative to the content root of the files below ``folder``
        (``base``: its own relative path, with a trailing slash)."""
        if not folder.is_dir() or not self.safe(str(folder), base.rstrip("/")):
            return
        top = str(folder)
        seen = {os.path.realpath(top)}
        for dirpath, dirnames, filenames in os.walk(top, followlinks=True):
            prefix = os.path.relpath(dirpath, top).replace(os.sep, "/")
            prefix = base + ("" if prefix == "." else prefix + "/")
            kept = []
            for name in sorted(d for d in dirnames if not d.startswith(".")):
                path = os.path.join(dirpath, name)
                real = os.path.realpath(path)
                # (a link back to a folder already read would be a loop)
                if (
                    self._readable(name, prefix)
                    and self.safe(path, prefix + name)
                    and real not in seen
                ):
                    seen.add(real)
                    kept.append(name)
            dirnames[:] = kept
            for name in sorted(filenames):
                if name.startswith(".") or name.endswith("~"):
                    continue
                path = os.path.join(dirpath, name)
                if self._readable(name, prefix) and self.safe(path, prefix + name):
                    yield prefix + name

    def _readable(self, name: str, prefix: str) -> bool:
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:
            shown = _display(self.prefix, prefix + _shown_name(name))
            self.problems.append(
                Problem(shown, 0, "the file name is not valid UTF-8: rename it (a-z, 0-9, -)")
            )
            return False
        return True

    def safe(self, path: str, rel: str) -> bool:
        """Whether ``path`` is no link, or a link to something inside the content folder."""
        if not os.path.islink(path):
            return True
        target = os.path.realpath(path)
        display = _display(self.prefix, rel)
        if not os.path.exists(target):
            message = f"symbolic link leads nowhere (to {os.readlink(path)})"
        elif os.path.commonpath([self.inside, target]) != self.inside:
            message = f"symbolic link leads out of the content folder (to {target}): not read"
        else:
            return True
        self.problems.append(Problem(display, 0, message))
        return False


def read_tree(root: Path, known: Mapping[str, tuple[FileStamp, str]] | None = None) -> SourceTree:
    """List every content file under ``root`` (missing optional parts are empty).

    ``known`` maps a file (as displayed) to its stamp and digest when an earlier build
    read it; a file whose stamp is unchanged keeps that digest and is read only if its
    bytes are needed.
    (A stamp can miss a change made within the clock's resolution of the earlier read:
    the build cache leaves out files changed shortly before it was written, as git does.)
    """
    known = known or {}
    prefix = os.path.join(str(root), "")
    walk = _Walk(root, prefix)

    def _read(rel: str) -> SourceFile:
        display = _display(prefix, rel)
        stat = os.stat(display)
        stamp = (stat.st_size, stat.st_mtime_ns, stat.st_ino)
        remembered = known.get(display)
        digest = remembered[1] if remembered and tuple(remembered[0]) == stamp else ""
        return SourceFile(rel=rel, display=display, stamp=stamp, known=digest)

    def _top(name: str) -> SourceFile | None:
        path = root / name
        if not (os.path.lexists(path) and walk.safe(str(path), name)):
            return None
        return _read(name) if path.is_file() else None

    folders: dict[str, list[SourceFile]] = {name: [] for name in CONTENT_FOLDERS}
    stray: list[SourceFile] = []
    for name in CONTENT_FOLDERS:
        for rel in walk.files(root / name, f"{name}/"):
            source = _read(rel)
            (folders[name] if rel.endswith(".md") else stray).append(source)
    static_root = root / "static"
    static = tuple(
        StaticFile(rel=rel[len("static/") :], path=root / rel)
        for rel in walk.files(static_root, "static/")
    )
    site_config, phrases = _top("site.yaml"), _top("phrases.txt")
    return SourceTree(
        root=root,
        site_config=site_config,
        phrases=phrases,
        articles=tuple(folders["articles"]),
        issues=tuple(folders["issues"]),
        pages=tuple(folders["pages"]),
        static=static,
        stray=tuple(stray),
        problems=tuple(walk.problems),
    )


# --- decoding -------------------------------------------------------------------------


def decode(source: SourceFile) -> tuple[str | None, list[Problem]]:
    """UTF-8 text with LF line ends; a BOM and CRLF are accepted."""
    data = source.data
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        hint = ""
        try:
            data.decode("gb18030")
            hint = " (it looks like GBK/GB18030: save the file as UTF-8)"
        except UnicodeDecodeError:
            pass
        return None, [Problem(source.display, line, f"file is not valid UTF-8{hint}")]
    return text.replace("\r\n", "\n").replace("\r", "\n"), []


# --- YAML with line numbers -----------------------------------------------------------


_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """Safe YAML that keeps dates as strings (so a bad date is our message, not a crash)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class YamlDoc:
    """A parsed YAML mapping with the line of each top-level key."""

    values: dict[str, Any]
    key_lines: dict[str, int]
    start_line: int  # line of the document's first line in the file


#: Values one front-matter key may stand for once YAML aliases (``*name``) are expanded:
#: a kilobyte of nested aliases stands for a billion values (an "alias bomb").
MAX_YAML_VALUES = 10_000


def parse_yaml(text: str, display: str, first_line: int) -> tuple[YamlDoc | None, list[Problem]]:
    """Parse a YAML mapping; ``first_line`` is the file line of ``text``'s first line."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlDoc({}, {}, first_line), []
        if not isinstance(node, yaml.MappingNode):
            line = first_line + node.start_mark.line
            return None, [Problem(display, line, "expected a mapping of keys to values")]
        problems: list[Problem] = []
        key_lines: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            line = first_line + key_node.start_mark.line
            if key in key_lines:
                problems.append(Problem(display, line, f"duplicate key '{shorten(key)}'"))
            key_lines.setdefault(key, line)
            if _expanded_size(value_node, MAX_YAML_VALUES) > MAX_YAML_VALUES:
                message = (
                    f"'{shorten(key)}' stands for more than {MAX_YAML_VALUES:,} values through "
                    "YAML aliases (*name): write the values out"
                )
                return None, [Problem(display, line, message)]
        values = loader.construct_document(node)
    except yaml.YAMLError as exc:
        return None, [_yaml_problem(exc, text, display, first_line)]
    except RecursionError:
        return None, [Problem(display, first_line, "YAML nested too deeply")]
    finally:
        loader.dispose()
    return YamlDoc(dict(values), key_lines, first_line), problems


def _expanded_size(node: yaml.Node, limit: int) -> int:
    """How many values ``node`` stands for with its aliases expanded, counted up to
    ``limit + 1`` (an alias to a node that holds it: more than any limit). Iterative: a
    deep document does not exhaust the stack."""
    sizes: dict[int, int] = {}
    visiting: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(node, False)]
    while stack:
        current, children_done = stack.pop()
        key = id(current)
        children = _children(current)
        if children_done:
            visiting.discard(key)
            sizes[key] = min(limit + 1, 1 + sum(sizes[id(c)] for c in children))
            continue
        if key in sizes:
            continue
        if key in visiting:  # it holds itself
            return limit + 1
        visiting.add(key)
        stack.append((current, True))
        stack.extend((child, False) for child in children if id(child) not in sizes)
    return sizes[id(node)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _yaml_problem(exc: yaml.YAMLError, text: str, display: str, first_line: int) -> Problem:
    """Point at where the broken construct starts (an unclosed quote: the quote's line),
    or at a line indented with a tab, which YAML does not allow."""
    mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
    problem_mark = getattr(exc, "problem_mark", None) or mark
    lines = text.split("\n")
    last = problem_mark.line if problem_mark is not None else len(lines)
    for number, line in enumerate(lines[: last + 1]):
        indent = line[: len(line) - len(line.lstrip(" \t"))]
        at_mark = problem_mark is not None and number == last
        if ("\t" in indent and line.strip()) or (
            at_mark and line[problem_mark.column : problem_mark.column + 1] == "\t"
        ):
            return Problem(
                display,
                first_line + number,
                "a tab in the indentation: YAML allows only spaces there",
            )
    line = first_line + (mark.line if mark is not None else 0)
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    message = f"YAML syntax error: {problem}" + (f" ({context})" if context else "")
    return Problem(display, line, message)


# --- front matter ---------------------------------------------------------------------


@dataclass(frozen=True)
class Document:
    """A Markdown file split into its front matter and body."""

    source: SourceFile
    front: YamlDoc
    body: str
    body_line: int  # file line of the body's first line


def body_text(source: SourceFile, body_line: int) -> str:
    """The body of a file that :func:`split_front_matter` split before without problems
    (its bytes unchanged): the text from line ``body_line`` on, without parsing YAML."""
    text, _ = decode(source)
    assert text is not None
    parts = text.split("\n", body_line - 1)
    return parts[-1] if len(parts) == body_line else ""


def split_front_matter(source: SourceFile) -> tuple[Document | None, list[Problem]]:
    text, problems = decode(source)
    if text is None:
        return None, problems
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        return None, [
            Problem(source.display, 1, "no front matter: the file must start with a '---' line")
        ]
    for index in range(1, len(lines)):
        if lines[index].rstrip() in ("---", "..."):
            end = index
            break
    else:
        return None, [Problem(source.display, 1, "front matter is not closed by a '---' line")]
    front, problems = parse_yaml("\n".join(lines[1:end]), source.display, first_line=2)
    if front is None:
        return None, problems
    body = "\n".join(lines[end + 1 :])
    return Document(source, front, body, body_line=end + 2), problems
