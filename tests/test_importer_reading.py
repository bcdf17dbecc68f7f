"""Reading bulletin files: encodings detected and reported, blocks, refusals."""

from __future__ import annotations

import codecs
import os
from pathlib import Path

import pytest

from bulletin.importer.reading import (
    MAX_TEXT_BYTES,
    Block,
    Unreadable,
    decode_text,
    escape_markdown,
    read_source,
)

TEXT = "经验交流简报\n第１２期\n编者按：各地做法摘编。\n"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (TEXT.encode("utf-8"), "UTF-8"),
        (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "UTF-8 with BOM"),
        (TEXT.encode("gbk"), "GB18030/GBK"),
        (TEXT.encode("gb18030"), "GB18030/GBK"),
        (TEXT.encode("utf-16"), "UTF-16"),
    ],
)
def test_encodings_are_detected_and_named(data: bytes, encoding: str) -> None:
    assert decode_text(data) == (TEXT, encoding)


def test_text_that_is_neither_says_where() -> None:
    data = "第一行\n".encode() + b"\x81\x20bad\n"
    with pytest.raises(Unreadable) as caught:
        decode_text(data)
    assert caught.value.line == 2
    assert str(caught.value) == "neither UTF-8 nor GB18030/GBK text: save it as UTF-8 text or .docx"


def test_lines_become_blocks_with_their_line_numbers_and_groups(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes("　　第一段\r\n\r\n# 不是标题\r\n第二段  \r\n".encode())
    source = read_source(path)
    assert source.blocks == (
        Block("第一段", 1, group=0),
        Block("# 不是标题", 3, group=1),
        Block("第二段", 4, group=1),
    )
    assert source.encoding == "UTF-8"


def test_markdown_headings_of_a_md_file_are_headings(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_text("# 临颍县\n正文。\n### 小标题 ###\n", encoding="utf-8")
    kinds = [(b.kind, b.level, b.text) for b in read_source(path).blocks]
    assert kinds == [("heading", 1, "临颍县"), ("para", 0, "正文。"), ("heading", 3, "小标题")]


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("a.doc", b"", "an old binary Word file: open it in Word or WPS, save it as .docx"),
        ("a.wps", b"", "a WPS document: open it in WPS, save it as .docx"),
        ("a.pdf", b"", "a PDF: open it in Word or WPS and save it as .docx"),
        ("a.txt", b"%PDF-1.7", "a PDF"),
        ("a.txt", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old (renamed) binary Word file"),
        ("a.txt", b"abc\0def", "not a text file (it has NUL bytes)"),
        ("a.rtf", b"{\\rtf1}", "a rich-text file"),
        ("a.xlsx", b"PK", "cannot import '.xlsx' files: save it as .docx or .txt"),
    ],
)
def test_formats_it_cannot_read_are_refused_with_what_to_do(
    tmp_path: Path, name: str, data: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(Unreadable, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_source(path)


def test_devices_and_pipes_are_refused_before_they_are_read(tmp_path: Path) -> None:
    """/dev/zero was read until 22 GB and the kernel's kill; a pipe waited forever."""
    pipe = tmp_path / "pipe.txt"
    os.mkfifo(pipe)
    (tmp_path / "zero.txt").symlink_to("/dev/zero")
    for path in (Path("/dev/zero"), pipe, tmp_path / "zero.txt"):
        with pytest.raises(Unreadable) as caught:
            read_source(path)
        assert str(caught.value) == "not a regular file (a device, pipe or socket)"


def test_a_file_past_the_limit_is_refused_unread(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    with big.open("wb") as file:
        file.truncate(MAX_TEXT_BYTES + 1)  # sparse: no disk used
    with pytest.raises(Unreadable) as caught:
        read_source(big)
    assert str(caught.value) == (
        "too large to import: more than 16 MB (for a .txt file): split it into smaller files"
    )


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(Unreadable, match="no such file"):
        read_source(tmp_path / "nothing.txt")
    with pytest.raises(Unreadable, match="a folder, not a file"):
        read_source(tmp_path)


@pytest.mark.parametrize(
    ("text", "markdown"),
    [
        ("*市*区紧紧围绕", "\\*市\\*区紧紧围绕"),
        ("1. 不是列表", "1\\. 不是列表"),
        ("- 不是列表", "\\- 不是列表"),
        ("# 不是标题", "\\# 不是标题"),
        ("a<b>c 与 a < b", "a&lt;b>c 与 a < b"),
        ("[1] 与 a|b 与 x_y", "\\[1\\] 与 a\\|b 与 x\\_y"),
        ("“1+2+3+X”", "“1+2+3+X”"),
    ],
)
def test_plain_text_is_escaped_to_show_as_written(text: str, markdown: str) -> None:
    assert escape_markdown(text) == markdown
