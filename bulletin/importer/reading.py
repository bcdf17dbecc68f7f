"""Reading a bulletin file as editors receive it: bytes in, paragraphs (blocks) out.

.txt and .md are read as UTF-8 (with or without a byte-order mark), UTF-16 with a mark, or
GB18030 (which includes GBK and GB2312); which one is reported. .docx goes through
mammoth (HTML with headings, lists, tables, footnotes and bold), with Word's Chinese
style names mapped too (标题 1 -> h1). Old binary formats are refused with what to do.
"""

from __future__ import annotations

import codecs
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

TEXT_SUFFIXES = (".txt", ".md", ".markdown", ".text")
#: Formats editors receive that no pure-Python reader here can read well, and what to do.
SAVE_AS = {
    ".doc": "an old binary Word file: open it in Word or WPS, save it as .docx, import that",
    ".wps": "a WPS document: open it in WPS, save it as .docx (Word 2007 or later), import that",
    ".pdf": "a PDF: open it in Word or WPS and save it as .docx (or copy its text into a .txt "
    "file), then import that",
    ".rtf": "a rich-text file: open it in Word or WPS and save it as .docx, then import that",
    ".odt": "an OpenDocument file: save it as .docx, then import that",
    ".wpt": "a WPS template: open it in WPS and save it as .docx, then import that",
}
#: The largest file imported: a bulletin's text is ~20 KB (45 MB of text took 22 s and
#: 245 MB to import); a .docx with photos may be tens of MB (images are not read).
MAX_TEXT_BYTES = 16 << 20
MAX_DOCX_BYTES = 256 << 20
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .doc, .wps, .xls: a compound file
_MARKDOWN_HEADING_RE = re.compile(r"^(#{1,6})\s+(.*?)\s*#*$")


class Unreadable(Exception):
    """The file cannot be imported; the message says why and what to do."""

    def __init__(self, message: str, line: int = 0) -> None:
        super().__init__(message)
        self.line = line  # 0: the whole file


@dataclass(frozen=True)
class Block:
    """One paragraph: ``text`` is what the rules read; ``markdown`` what is written (when
    it differs: bold, footnote references, lists, tables)."""

    text: str
    line: int  # a line of a text file, or the paragraph's number in a .docx
    kind: str = "para"  # "para", "heading", "title" (a .docx title style) or "markdown"
    # (a list or table, kept whole)
    level: int = 0  # of a heading
    markdown: str = ""
    group: int = 0  # text files: blocks between two blank lines share a group

    @property
    def md(self) -> str:
        return self.markdown or escape_markdown(self.text)


@dataclass(frozen=True)
class Source:
    path: Path
    display: str
    kind: str  # "text" or "docx"
    encoding: str  # text files: as reported; "" for .docx
    blocks: tuple[Block, ...]
    footnotes: tuple[tuple[str, str], ...] = ()  # (id, Markdown), as referenced by [^id]
    notes: tuple[str, ...] = field(default=())  # what reading left out or could not map


def read_source(path: Path) -> Source:
    """The file's paragraphs, or :class:`Unreadable`."""
    suffix = path.suffix.lower()
    if suffix in SAVE_AS:
        raise Unreadable(SAVE_AS[suffix])
    _check_regular(path)
    if suffix != ".docx" and suffix not in TEXT_SUFFIXES:
        raise Unreadable(f"cannot import '{suffix or path.name}' files: save it as .docx or .txt")
    data = _read_file(path, MAX_DOCX_BYTES if suffix == ".docx" else MAX_TEXT_BYTES)
    if data.startswith(_OLE_MAGIC):
        raise Unreadable(SAVE_AS[".doc"].replace("an old", "an old (renamed)", 1))
    if data.startswith(b"%PDF"):
        raise Unreadable(SAVE_AS[".pdf"])
    if suffix == ".docx":
        from bulletin.importer.docx import read_docx  # imports mammoth: only for .docx

        return read_docx(path, data)
    text, encoding = decode_text(data)
    return Source(path, str(path), "text", encoding, text_blocks(text, suffix != ".txt"))


def _check_regular(path: Path) -> None:
    """Refuse what is missing or not a regular file: a device such as /dev/zero would be
    read until memory ran out, a pipe waited on forever."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise Unreadable("no such file") from None
    except OSError as exc:
        raise Unreadable(f"cannot be read ({exc.strerror or exc})") from None
    if stat.S_ISDIR(mode):
        raise Unreadable("a folder, not a file")
    if not stat.S_ISREG(mode):
        raise Unreadable("not a regular file (a device, pipe or socket)")


def _read_file(path: Path, limit: int) -> bytes:
    """The file's bytes; more than ``limit`` of them are refused."""
    try:
        with path.open("rb") as file:
            data = file.read(limit + 1)
    except OSError as exc:
        raise Unreadable(f"cannot be read ({exc.strerror or exc})") from None
    if len(data) > limit:
        raise Unreadable(
            f"too large to import: more than {limit >> 20} MB (for a {path.suffix.lower()} "
            "file): split it into smaller files"
        )
    return data


def decode_text(data: bytes) -> tuple[str, str]:
    """The text and the name of its encoding, as reported to the editor."""
    if data.startswith(codecs.BOM_UTF8):
        return _decode(data[3:], "utf-8"), "UTF-8 with BOM"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decode(data, "utf-16"), "UTF-16"
    if b"\0" in data:
        raise Unreadable("not a text file (it has NUL bytes): save it as .docx or .txt")
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError as exc:
        utf8_error = exc.start
    try:
        return data.decode("gb18030"), "GB18030/GBK"
    except UnicodeDecodeError as exc:
        # the bad bytes are where the encoding that read further stopped
        line = data[: max(exc.start, utf8_error)].count(b"\n") + 1
        raise Unreadable(
            "neither UTF-8 nor GB18030/GBK text: save it as UTF-8 text or .docx", line
        ) from None


def _decode(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise Unreadable(f"not valid {encoding.upper()} after its byte-order mark", line) from None


def text_blocks(text: str, markdown_headings: bool) -> tuple[Block, ...]:
    """One block per non-empty line (line breaks inside paragraphs are the cleaner's to
    join); ``#`` headings of a .md file become headings."""
    blocks: list[Block] = []
    group = 0
    for number, raw in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), 1):
        line = raw.replace("\ufeff", "").strip(" \t\u3000\u00a0")
        if not line:
            group += 1
            continue
        heading = _MARKDOWN_HEADING_RE.match(line) if markdown_headings else None
        if heading and heading.group(2):
            level = len(heading.group(1))
            blocks.append(Block(heading.group(2), number, "heading", level, group=group))
        else:
            blocks.append(Block(line, number, group=group))
    return tuple(blocks)


_ESCAPE_RE = re.compile(r"([\\`*_\[\]|])")
_TAG_START_RE = re.compile(r"<(?=[A-Za-z/!?])")
_LINE_START_RE = re.compile(r"^(\s*)([#>+-]|=+$)")
_NUMBERED_START_RE = re.compile(r"^(\s*\d+)([.)])(?=\s|$)")


def escape_markdown(text: str) -> str:
    """Plain text as Markdown that shows it as written (002's *市*区 is not emphasis)."""
    escaped = _TAG_START_RE.sub("&lt;", _ESCAPE_RE.sub(r"\\\1", text))
    escaped = _NUMBERED_START_RE.sub(r"\1\\\2", escaped)
    return _LINE_START_RE.sub(lambda m: m.group(1) + "\\" + m.group(2), escaped)
