"""Word files for the import tests, made with python-docx as an editor's Word would save
them: heading styles (Word's own or named in Chinese, 标题 1), bold runs, a table, lists
and footnotes (python-docx has no footnote API: the part is added as Word writes it)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import docx
from docx.enum.style import WD_STYLE_TYPE
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import parse_xml
from docx.text.paragraph import Paragraph

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
FOOTNOTES_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"


class WordFile:
    """A .docx under construction; ``save`` writes it."""

    def __init__(self, chinese_style_names: bool = False) -> None:
        self.doc = docx.Document()
        self.chinese = chinese_style_names
        self.footnotes: list[tuple[int, str]] = []
        if chinese_style_names:
            for level in range(1, 4):
                style = self.doc.styles.add_style(f"标题 {level}", WD_STYLE_TYPE.PARAGRAPH)
                style.base_style = self.doc.styles["Normal"]
                style.font.bold = True

    def heading(self, text: str, level: int = 1) -> Paragraph:
        if self.chinese:
            return self.doc.add_paragraph(text, style=f"标题 {level}")
        return self.doc.add_heading(text, level)

    def title(self, text: str) -> Paragraph:
        return self.doc.add_paragraph(text, style="Title")

    def para(self, *runs: str | tuple[str, str]) -> Paragraph:
        """A paragraph of runs: a string, ("bold", text), ("note", footnote text)."""
        paragraph = self.doc.add_paragraph()
        for run in runs:
            if isinstance(run, str):
                paragraph.add_run(run)
            elif run[0] == "bold":
                paragraph.add_run(run[1]).bold = True
            elif run[0] == "note":
                self._footnote_reference(paragraph, run[1])
        return paragraph

    def bullets(self, items: Sequence[str]) -> None:
        for item in items:
            self.doc.add_paragraph(item, style="List Bullet")

    def table(self, rows: Sequence[Sequence[str]]) -> None:
        table = self.doc.add_table(rows=len(rows), cols=len(rows[0]))
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                table.cell(r, c).text = value

    def _footnote_reference(self, paragraph: Paragraph, text: str) -> None:
        number = len(self.footnotes) + 1
        self.footnotes.append((number, text))
        paragraph._p.append(
            parse_xml(
                f'<w:r xmlns:w="{W_NS}"><w:rPr><w:vertAlign w:val="superscript"/></w:rPr>'
                f'<w:footnoteReference w:id="{number}"/></w:r>'
            )
        )

    def save(self, path: Path) -> Path:
        if self.footnotes:
            notes = "".join(
                f'<w:footnote w:id="{n}"><w:p><w:r><w:t xml:space="preserve">{t}</w:t></w:r>'
                "</w:p></w:footnote>"
                for n, t in self.footnotes
            )
            xml = (
                f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                f'<w:footnotes xmlns:w="{W_NS}">'
                '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p>'
                "</w:footnote>"
                '<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:r>'
                "<w:continuationSeparator/></w:r></w:p></w:footnote>"
                f"{notes}</w:footnotes>"
            ).encode()
            part = Part(PackURI("/word/footnotes.xml"), FOOTNOTES_TYPE, xml, self.doc.part.package)
            self.doc.part.relate_to(part, RT.FOOTNOTES)
        self.doc.save(str(path))
        return path
