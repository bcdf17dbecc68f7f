""".docx to blocks: mammoth turns the document into HTML (it reads headings, lists,
tables, footnotes and bold, offline, in pure Python); this module turns that HTML into
paragraph blocks whose Markdown keeps bold, lists, tables and footnote references."""

from __future__ import annotations

import io
import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from xml.parsers.expat import ExpatError

from bulletin.importer.reading import Block, Source, Unreadable, escape_markdown

#: Word's heading styles as a Chinese Word or WPS names them, beside mammoth's defaults
#: (Heading 1, heading 1); the document's title style becomes a heading marked "title".
STYLE_MAP = "\n".join(
    [f"p[style-name='标题 {n}'] => h{n}:fresh" for n in range(1, 7)]
    + [f"p[style-name='标题{n}'] => h{n}:fresh" for n in range(1, 7)]
    + [
        "p[style-name='Title'] => h1.title:fresh",
        "p[style-name='标题'] => h1.title:fresh",
        "p[style-name='Subtitle'] => p:fresh",
        "p[style-name='副标题'] => p:fresh",
        "r[style-name='Strong'] => strong",
        "r[style-name='要点'] => strong",
    ]
)
_FOOTNOTE_ID_RE = re.compile(r"^(?:footnote|endnote)-(?:ref-)?(\d+)$")
#: The most XML (uncompressed, all parts) a .docx may hold. Mammoth parses it whole with
#: minidom: 18 MB of document.xml (40,000 paragraphs, thousands of pages) took 13 s and
#: 380 MB; a 2.4 MB zip bomb of 1 GB of XML passed 4 GB in five minutes. A bulletin's
#: XML is well under 1 MB. The declared sizes bound what zipfile will inflate.
MAX_XML_BYTES = 32 << 20


def read_docx(path: Path, data: bytes) -> Source:
    import mammoth  # a quarter of a second to import: only when a .docx is imported

    _check_archive(data)
    # images are left out (and counted), so their bytes are never read
    no_image = mammoth.images.img_element(lambda image: {"src": ""})
    try:
        result = mammoth.convert_to_html(
            io.BytesIO(data), style_map=STYLE_MAP, convert_image=no_image
        )
    except (KeyError, ValueError, OSError, zipfile.BadZipFile, ExpatError) as exc:
        raise Unreadable(
            f"not a Word document that can be read ({_first_line(exc)}): save it again as .docx"
        ) from None
    parser = _HtmlBlocks()
    parser.feed(result.value)
    parser.close()
    notes = [m.message for m in result.messages if m.type == "warning"]
    if parser.images:
        notes.append(f"{parser.images} image(s) left out: add them under static/ by hand")
    return Source(
        path,
        str(path),
        "docx",
        "",
        tuple(parser.blocks),
        tuple(sorted(parser.footnotes.items(), key=lambda item: int(item[0]))),
        tuple(notes),
    )


def _check_archive(data: bytes) -> None:
    """Refuse what is not a zip, XML past :data:`MAX_XML_BYTES` (from the sizes the
    archive's directory declares, before anything is unpacked) and a DTD, which Office
    Open XML does not allow and Word never writes (an entity bomb needs one)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = [m for m in archive.infolist() if m.filename.endswith((".xml", ".rels"))]
            size = sum(m.file_size for m in parts)
            if size > MAX_XML_BYTES:
                raise Unreadable(
                    f"too large to import: {size >> 20} MB of text and markup unpacked "
                    f"(at most {MAX_XML_BYTES >> 20} MB): split it into smaller .docx files"
                )
            for part in parts:
                if b"<!DOCTYPE" in archive.read(part):
                    raise Unreadable(
                        f"{part.filename} declares a DTD, which a Word document never has: "
                        "save it again as .docx"
                    )
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise Unreadable(
            "not a .docx inside (perhaps a renamed .doc): open it in Word or WPS, save it as .docx"
        ) from None


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]


class _HtmlBlocks(HTMLParser):
    """Mammoth's HTML as blocks; inline text collects in ``_text`` (plain) and ``_md``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.footnotes: dict[str, str] = {}
        self.images = 0
        self._text: list[str] = []
        self._md: list[str] = []
        self._heading = 0
        self._lists: list[list] = []  # [tag, next number]
        self._list_lines: list[tuple[str, str]] = []  # (Markdown, text) of each item
        self._rows: list[list[tuple[str, str]]] | None = None  # cells: (Markdown, text)
        self._footnote = ""  # the id of the footnote being read
        self._link: str | None = None
        self._skip = 0  # inside a footnote's back-link

    # --- tags -------------------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self._heading = -1 if "title" in values.get("class", "") else int(tag[1])
        elif tag in ("ul", "ol"):
            self._flush_item()
            self._lists.append([tag, 1])
        elif tag == "li" and _FOOTNOTE_ID_RE.match(values.get("id", "")):
            self._footnote = _FOOTNOTE_ID_RE.match(values["id"]).group(1)  # type: ignore[union-attr]
            self._lists[-1][0] = "footnotes"
        elif tag == "li":
            self._flush_item()
        elif tag == "table":
            self._rows = []
        elif tag == "tr" and self._rows is not None:
            self._rows.append([])
        elif tag in ("td", "th"):
            self._text, self._md = [], []
        elif tag in ("strong", "b"):
            self._md.append("**")
        elif tag in ("em", "i"):
            self._md.append("*")
        elif tag == "a":
            self._start_link(values)
        elif tag == "img":
            self.images += 1
        elif tag == "br":
            self._text.append(" " if self._rows is not None else "\n")
            self._md.append(" " if self._rows is not None else "\n")

    def _start_link(self, values: dict[str, str]) -> None:
        href = values.get("href", "")
        reference = _FOOTNOTE_ID_RE.match(href.lstrip("#"))
        if reference and values.get("id", "").startswith(("footnote-ref", "endnote-ref")):
            self._md.append(f"[^{reference.group(1)}]")
            self._skip += 1
        elif href.startswith("#footnote-ref") or href.startswith("#endnote-ref"):
            self._skip += 1  # the ↑ back to the reference
        elif href.startswith(("http://", "https://", "mailto:")):
            self._link = href
            self._md.append("[")
        else:
            self._link = None

    def handle_endtag(self, tag: str) -> None:
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self._paragraph()
            self._heading = 0
        elif tag == "p":
            if self._rows is None and not self._footnote and not self._lists:
                self._paragraph()
            else:
                self._text.append(" ")
                self._md.append(" ")
        elif tag == "li":
            if self._footnote:
                self.footnotes[self._footnote] = _inline(self._md)
                self._footnote, self._text, self._md = "", [], []
            else:
                self._flush_item()
        elif tag in ("ul", "ol"):
            self._flush_item()
            kind = self._lists.pop()[0] if self._lists else ""
            if not self._lists and kind != "footnotes":
                self._emit_list()
        elif tag in ("td", "th") and self._rows:
            self._rows[-1].append((_inline(self._md), " ".join("".join(self._text).split())))
            self._text, self._md = [], []
        elif tag == "table":
            self._emit_table()
        elif tag in ("strong", "b"):
            self._md.append("**")
        elif tag in ("em", "i"):
            self._md.append("*")
        elif tag == "a":
            if self._skip:
                self._skip -= 1
            elif self._link:
                self._md.append(f"]({self._link})")
                self._link = None

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        self._text.append(data)
        self._md.append(escape_markdown(data))

    # --- blocks -----------------------------------------------------------------------

    def _paragraph(self) -> None:
        text, md = "".join(self._text), _inline(self._md)
        self._text, self._md = [], []
        for part_text, part_md in zip(text.split("\n"), md.split("\n"), strict=False):
            if not part_text.strip():
                continue
            number = len(self.blocks) + 1
            if self._heading:
                level = max(self._heading, 1)
                kind = "title" if self._heading < 0 else "heading"
                self.blocks.append(Block(part_text.strip(), number, kind, level, part_md))
            else:
                self.blocks.append(Block(part_text.strip(), number, markdown=part_md))

    def _flush_item(self) -> None:
        text = "".join(self._text).strip()
        if text and self._lists:
            depth = len(self._lists) - 1
            tag, number = self._lists[-1]
            marker = f"{number}." if tag == "ol" else "-"
            self._lists[-1][1] = number + 1
            line = "    " * depth + f"{marker} {_inline(self._md)}"
            self._list_lines.append((line, text))
        self._text, self._md = [], []

    def _emit_list(self) -> None:
        if self._list_lines:
            md = "\n".join(line for line, _ in self._list_lines)
            text = "\n".join(text for _, text in self._list_lines)
            self.blocks.append(Block(text, len(self.blocks) + 1, "markdown", markdown=md))
        self._list_lines = []

    def _emit_table(self) -> None:
        rows = [row for row in self._rows or [] if any(text for _, text in row)]
        self._rows = None
        if not rows:
            return
        width = max(len(row) for row in rows)
        rows = [row + [("", "")] * (width - len(row)) for row in rows]
        lines = ["| " + " | ".join(md for md, _ in rows[0]) + " |", "|" + " --- |" * width]
        lines += ["| " + " | ".join(md for md, _ in row) + " |" for row in rows[1:]]
        text = "\n".join(" ".join(t for _, t in row) for row in rows)
        self.blocks.append(Block(text, len(self.blocks) + 1, "markdown", markdown="\n".join(lines)))


def _inline(parts: list[str]) -> str:
    """Joined inline Markdown, without empty emphasis (``** **``)."""
    md = "".join(parts)
    md = re.sub(r"\*\*(\s*)\*\*", r"\1", md)
    return re.sub(r"[ \t]+", " ", md).strip()
