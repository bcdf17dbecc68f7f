"""Word files through mammoth: headings (Word's and Chinese style names), bold, lists,
tables and footnotes as blocks with Markdown."""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path

import pytest

from bulletin.importer.docx import MAX_XML_BYTES
from bulletin.importer.reading import Block, Unreadable, read_source

from .docx_maker import WordFile


@pytest.mark.parametrize("chinese", [True, False], ids=["标题-styles", "heading-styles"])
def test_headings_bold_lists_tables_and_footnotes(tmp_path: Path, chinese: bool) -> None:
    word = WordFile(chinese)
    word.title("组织工作简报")
    word.heading("临颍县：组建红色联盟", 1)
    word.para("全县", ("bold", "367个"), "行政村", ("note", "数据截至年底。"), "全部覆盖。")
    word.heading("主要做法", 2)
    word.bullets(["摸清底数", "联合组建"])
    word.table([["项目", "数量"], ["村 | 社区", "367"]])
    source = read_source(word.save(tmp_path / "a.docx"))
    assert source.kind == "docx"
    assert source.blocks == (
        Block("组织工作简报", 1, "title", 1, "组织工作简报"),
        Block("临颍县：组建红色联盟", 2, "heading", 1, "临颍县：组建红色联盟"),
        Block("全县367个行政村全部覆盖。", 3, markdown="全县**367个**行政村[^1]全部覆盖。"),
        Block("主要做法", 4, "heading", 2, "主要做法"),
        Block("摸清底数\n联合组建", 5, "markdown", markdown="- 摸清底数\n- 联合组建"),
        Block(
            "项目 数量\n村 | 社区 367",
            6,
            "markdown",
            markdown="| 项目 | 数量 |\n| --- | --- |\n| 村 \\| 社区 | 367 |",
        ),
    )
    assert source.footnotes == (("1", "数据截至年底。"),)
    assert source.notes == ()


def test_unknown_styles_are_noted_not_fatal(tmp_path: Path) -> None:
    word = WordFile()
    style = word.doc.styles.add_style("公文正文", 1)
    word.doc.add_paragraph("正文一段。", style=style)
    source = read_source(word.save(tmp_path / "a.docx"))
    assert source.blocks == (Block("正文一段。", 1, markdown="正文一段。"),)
    assert any("公文正文" in note for note in source.notes)


_CONTENT_TYPES = (
    '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    'content-types"><Default Extension="xml" ContentType="application/xml"/></Types>'
)
_RELS = (
    '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
    '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>'
    "</Relationships>"
)
_DOCUMENT = (
    '<?xml version="1.0"?>{dtd}<w:document xmlns:w="http://schemas.openxmlformats.org/'
    'wordprocessingml/2006/main"><w:body>{body}</w:body></w:document>'
)


def _archive(path: Path, parts: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return path


def _word_archive(path: Path, document: str) -> Path:
    parts = {"[Content_Types].xml": _CONTENT_TYPES, "_rels/.rels": _RELS}
    return _archive(path, parts | {"word/document.xml": document})


_LAUGHS = "<!DOCTYPE d [<!ENTITY a0 'lol'>{}]>".format(
    "".join(f"<!ENTITY a{i} '{f'&a{i - 1};' * 10}'>" for i in range(1, 10))
)


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        (
            {"hello.txt": "hi"},
            "not a Word document that can be read (Could not find main document part. Are "
            "you sure this is a valid .docx file?): save it again as .docx",
        ),
        (
            {"word/document.xml": _DOCUMENT.format(dtd="", body="<w:p>")},
            "not a Word document that can be read (mismatched tag: line 1, column 119): "
            "save it again as .docx",
        ),
        (
            {"word/document.xml": _DOCUMENT.format(dtd=_LAUGHS, body="<w:p><w:r><w:t>&a9;")},
            "word/document.xml declares a DTD, which a Word document never has: "
            "save it again as .docx",
        ),
    ],
    ids=["no-main-part", "broken-xml", "entity-bomb"],
)
def test_broken_archives_are_refused_in_one_line(
    tmp_path: Path, parts: dict[str, str], message: str
) -> None:
    if "hello.txt" in parts:
        path = _archive(tmp_path / "a.docx", parts)
    else:
        path = _word_archive(tmp_path / "a.docx", parts["word/document.xml"])
    with pytest.raises(Unreadable) as caught:
        read_source(path)
    assert str(caught.value) == message


def test_a_zip_bomb_is_refused_before_it_is_unpacked(tmp_path: Path) -> None:
    """33 MB of XML in a ~40 KB archive: refused from the archive's directory."""
    para = "<w:p><w:r><w:t>" + "A" * 1000 + "</w:t></w:r></w:p>"
    body = para * (MAX_XML_BYTES // len(para) + 1)
    path = _word_archive(tmp_path / "bomb.docx", _DOCUMENT.format(dtd="", body=body))
    assert path.stat().st_size < 200_000
    with pytest.raises(Unreadable) as caught:
        read_source(path)
    assert str(caught.value) == (
        "too large to import: 32 MB of text and markup unpacked (at most 32 MB): "
        "split it into smaller .docx files"
    )


def _one_pixel_png() -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def test_images_are_counted_and_left_out(tmp_path: Path) -> None:
    word = WordFile()
    word.para("临颍县村级活动场所。")
    png = tmp_path / "dot.png"
    png.write_bytes(_one_pixel_png())
    word.doc.add_picture(str(png))
    source = read_source(word.save(tmp_path / "a.docx"))
    assert source.blocks == (Block("临颍县村级活动场所。", 1, markdown="临颍县村级活动场所。"),)
    assert source.notes == ("1 image(s) left out: add them under static/ by hand",)
