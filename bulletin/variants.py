"""Pages in each script: convert what a reader sees, keep what must stay as written."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bulletin.markup import KEEP_CLOSE, KEEP_OPEN, strip_markers
from search.scripts import VARIANT_LANGS, Converter, make_converter

#: Names of the scripts as shown in the switcher, each in its own script.
VARIANT_LABELS = {"zh-hans": "简体", "zh-hant": "繁體", "zh-hk": "繁體（香港）"}

# a tag, a comment, or a protected run between keep-markers
_TOKEN_RE = re.compile(rf"(<!--.*?-->|<[^>]*>|{KEEP_OPEN}[^{KEEP_CLOSE}]*{KEEP_CLOSE})", re.S)
# attribute values that hold text a reader sees or hears
_ATTRIBUTE_RE = re.compile(
    r'\s(alt|title|content|aria-label|placeholder|data-strings|label|term)="([^"]*)"'
)


@dataclass(frozen=True)
class Variant:
    name: str  # zh-hans
    lang: str  # zh-Hans, for <html lang>
    label: str  # 简体
    converter: Converter

    def text(self, value: str) -> str:
        """Plain text in this script (``-{ }-`` markers honoured and removed)."""
        if KEEP_OPEN not in value:
            return self.converter.convert(value)
        return self.html(value)

    def html(self, markup: str) -> str:
        """HTML or XML in this script: text nodes and reader-facing attributes converted;
        tags, URLs and protected runs kept."""
        out: list[str] = []
        for index, part in enumerate(_TOKEN_RE.split(markup)):
            if not part:
                continue
            if index % 2 == 0:
                out.append(self.converter.convert(part))
            elif part.startswith(KEEP_OPEN):
                out.append(part[1:-1])
            elif part.startswith("<!--"):
                out.append(part)
            else:
                out.append(_ATTRIBUTE_RE.sub(self._attribute, part))
        return strip_markers("".join(out))

    def _attribute(self, match: re.Match[str]) -> str:
        value = match.group(2)
        converted = value if value.isascii() else self.text(value)
        return f' {match.group(1)}="{converted}"'


def make_variants(names: tuple[str, ...], phrases_file: Path | None) -> Mapping[str, Variant]:
    """One converter per variant, created once for the whole build."""
    return {
        name: Variant(
            name=name,
            lang=VARIANT_LANGS[name],
            label=VARIANT_LABELS[name],
            converter=make_converter(name, phrases_file),
        )
        for name in names
    }


def phrases_text(phrases: tuple[tuple[str, str], ...]) -> str:
    """The site phrase dictionary as an OpenCC text dictionary."""
    return "".join(f"{simplified}\t{target}\n" for simplified, target in phrases)
