"""Pages in each script: convert what a reader sees, keep what must stay as written."""

from __future__ import annotations

import hashlib
import re
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bulletin.markup import KEEP_CLOSE, KEEP_OPEN, strip_markers
from search.scripts import VARIANT_CONFIGS, VARIANT_LANGS, Converter, Identity, make_converter

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
    key: str = ""  # what its conversions depend on (the name and the site phrases)
    # text pieces of page frames seen before and their conversion: navigation, labels
    # and article summaries recur on many pages (one process's memory, never saved)
    seen: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def text(self, value: str) -> str:
        """Plain text in this script (``-{ }-`` markers honoured and removed)."""
        if KEEP_OPEN not in value:
            return self.converter.convert(value)
        return self.html(value)

    def html(self, markup: str, remember: bool = True) -> str:
        """HTML or XML in this script: text nodes and reader-facing attributes converted;
        tags, URLs and protected runs kept.

        All text of the page goes to OpenCC in one call, the pieces joined by a
        private-use separator that no dictionary entry contains, so no phrase can match
        across two pieces and a page costs one call instead of hundreds. Pieces are
        converted independently, so one converted before (``remember``) is reused."""
        if isinstance(self.converter, Identity):
            return strip_markers(markup)
        parts = _TOKEN_RE.split(markup)
        seen = self.seen if remember else {}
        texts: list[str] = []
        slots: list[int] = []
        for index, part in enumerate(parts):
            if index % 2 == 0:
                if part and not part.isascii():
                    if part in seen:
                        parts[index] = seen[part]
                    else:
                        slots.append(index)
                        texts.append(part)
            elif part.startswith(KEEP_OPEN):
                parts[index] = part[1:-1]
            elif not part.startswith("<!--") and not part.isascii():
                slots.append(index)
                texts.append(part)
        if texts:
            converted = self.converter.convert(SEPARATOR.join(texts)).split(SEPARATOR)
            if len(converted) != len(texts):  # cannot happen unless OpenCC eats the separator
                raise RuntimeError("OpenCC changed the text separator")
            for index, text in zip(slots, converted, strict=True):
                if index % 2 == 0:
                    if remember:
                        seen[parts[index]] = text
                    parts[index] = text
                else:  # a tag: take only its reader-facing attributes from the conversion
                    parts[index] = _merge_attributes(parts[index], text)
        return strip_markers("".join(parts))


SEPARATOR = "\ue002"


def _merge_attributes(original: str, converted: str) -> str:
    """The original tag with the reader-facing attribute values of its converted copy.

    OpenCC maps characters one to one in this setting only by luck, so the values are
    matched by attribute, not by position."""
    values = iter(m.group(2) for m in _ATTRIBUTE_RE.finditer(converted))
    return _ATTRIBUTE_RE.sub(lambda m: f' {m.group(1)}="{next(values)}"', original)


def make_variants(
    names: tuple[str, ...], phrases: bytes, converter: Callable[[str], Converter]
) -> Mapping[str, Variant]:
    """The variants of a build, each with its converter (``converter(name)``, made once
    for the whole build) and its key (the name and a digest of the site ``phrases``)."""
    return {
        name: Variant(
            name=name,
            lang=VARIANT_LANGS[name],
            label=VARIANT_LABELS[name],
            converter=converter(name),
            key=f"{name}:{hashlib.sha256(phrases).hexdigest()[:16]}",
        )
        for name in names
    }


def local_converters(phrases: bytes) -> Callable[[str], Converter]:
    """``make(name)``: the converter of variant ``name`` with the site ``phrases`` (an
    OpenCC text dictionary; OpenCC reads it from a file, written to a temporary folder
    for the moment that takes)."""

    def make(name: str) -> Converter:
        if VARIANT_CONFIGS[name] is None:  # the script the sources are written in
            return Identity()
        with tempfile.TemporaryDirectory(prefix="bulletin-phrases-") as folder:
            phrases_file = Path(folder) / "phrases.txt"
            phrases_file.write_bytes(phrases)
            return make_converter(name, phrases_file)

    return make


def phrases_text(phrases: tuple[tuple[str, str], ...]) -> str:
    """The site phrase dictionary as an OpenCC text dictionary."""
    return "".join(f"{simplified}\t{target}\n" for simplified, target in phrases)
