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

from bulletin.problems import Problem

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


def _display(prefix: str, rel: str) -> str:
    """``rel`` as shown, below ``prefix`` (the root folder and a separator)."""
    return prefix + (rel if os.sep == "/" else rel.replace("/", os.sep))


def _walk(folder: Path) -> Iterator[str]:
    """Files below ``folder`` in a stable order, skipping hidden files and folders, as
    POSIX paths relative to ``folder``."""
    if not folder.is_dir():
        return
    top = str(folder)
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        prefix = os.path.relpath(dirpath, top).replace(os.sep, "/")
        prefix = "" if prefix == "." else prefix + "/"
        for name in sorted(filenames):
            if not name.startswith(".") and not name.endswith("~"):
                yield prefix + name


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

    def _read(rel: str) -> SourceFile:
        display = _display(prefix, rel)
        stat = os.stat(display)
        stamp = (stat.st_size, stat.st_mtime_ns, stat.st_ino)
        remembered = known.get(display)
        digest = remembered[1] if remembered and tuple(remembered[0]) == stamp else ""
        return SourceFile(rel=rel, display=display, stamp=stamp, known=digest)

    config_path = root / "site.yaml"
    phrases_path = root / "phrases.txt"
    folders: dict[str, list[SourceFile]] = {name: [] for name in CONTENT_FOLDERS}
    stray: list[SourceFile] = []
    for name in CONTENT_FOLDERS:
        for rel in _walk(root / name):
            source = _read(f"{name}/{rel}")
            (folders[name] if rel.endswith(".md") else stray).append(source)
    static_root = root / "static"
    static = tuple(StaticFile(rel=rel, path=static_root / rel) for rel in _walk(static_root))
    return SourceTree(
        root=root,
        site_config=_read("site.yaml") if config_path.is_file() else None,
        phrases=_read("phrases.txt") if phrases_path.is_file() else None,
        articles=tuple(folders["articles"]),
        issues=tuple(folders["issues"]),
        pages=tuple(folders["pages"]),
        static=static,
        stray=tuple(stray),
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
        for key_node, _ in node.value:
            key = str(key_node.value)
            line = first_line + key_node.start_mark.line
            if key in key_lines:
                problems.append(Problem(display, line, f"duplicate key '{key}'"))
            key_lines.setdefault(key, line)
        values = loader.construct_document(node)
    except yaml.YAMLError as exc:
        return None, [_yaml_problem(exc, display, first_line)]
    finally:
        loader.dispose()
    return YamlDoc(dict(values), key_lines, first_line), problems


def _yaml_problem(exc: yaml.YAMLError, display: str, first_line: int) -> Problem:
    """Point at where the broken construct starts (an unclosed quote: the quote's line)."""
    mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
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
