"""Word files through mammoth: headings (Word's and Chinese style names), bold, lists,
tables and footnotes as blocks with Markdown."""

from __future__ import annotations

from pathlib import Path

import pytest

from bulletin.importer.reading import Block, read_source

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
