"""Blocks to a Markdown body, and a front matter block that ``check`` reads back."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import yaml

from bulletin.importer.reading import Block
from bulletin.importer.structure import subheading

_FOOTNOTE_REF_RE = re.compile(r"\[\^([^\]\s]+)\]")


def markdown_body(
    blocks: Iterable[Block], footnotes: Mapping[str, str], section_level: int = 0
) -> str:
    """The body: paragraphs apart by blank lines, subheadings as ``##`` and below (a
    heading one level under the section's heading is ``##``), then the definitions of
    the footnotes it refers to."""
    parts: list[str] = []
    blocks = list(blocks)
    for index, block in enumerate(blocks):
        if block.kind in ("heading", "title"):
            level = min(max(block.level - section_level + 1, 2), 6)
            parts.append("#" * level + " " + block.md)
        elif block.kind == "para" and 0 < index < len(blocks) - 1 and subheading(block):
            parts.append("## " + block.md)
        else:
            parts.append(block.md)
    text = "\n\n".join(parts)
    used = list(dict.fromkeys(_FOOTNOTE_REF_RE.findall(text)))
    notes = [f"[^{key}]: {footnotes[key]}" for key in used if key in footnotes]
    return text + ("\n\n" + "\n".join(notes) if notes else "") + "\n"


def front_matter(values: Mapping[str, Any]) -> str:
    """``---`` YAML ``---`` with lists in flow style, as editors write them."""
    lines = []
    for key, value in values.items():
        if isinstance(value, list):
            items = yaml.safe_dump(value, allow_unicode=True, default_flow_style=True, width=10**6)
            lines.append(f"{key}: {items.strip()}")
        else:
            dumped = yaml.safe_dump({key: value}, allow_unicode=True, width=10**6)
            lines.append(dumped.rstrip("\n"))
    return "---\n" + "\n".join(lines) + "\n---\n\n"
