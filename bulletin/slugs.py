"""ASCII slugs from Chinese names, for URLs that are the same in every script."""

from __future__ import annotations

import re
from collections.abc import Mapping


def pinyin_slug(text: str) -> str:
    """An ASCII slug from Chinese text, e.g. 临颍县 -> lin-ying-xian."""
    # imported here: loading pypinyin's dictionaries takes a quarter of a second, which a
    # rebuild whose names are all known (see Slugger) does not pay
    from pypinyin import lazy_pinyin

    words = lazy_pinyin(text, errors=lambda chars: [chars])  # keep runs like "156" whole
    joined = "-".join(w.lower() for w in words)
    return re.sub(r"[^a-z0-9]+", "-", joined).strip("-")


class Slugger:
    """:func:`pinyin_slug` with the slugs of an earlier build remembered (the build
    cache keeps them; pypinyin's version is part of the cache's fingerprint)."""

    def __init__(self, known: Mapping[str, str] | None = None) -> None:
        self.slugs: dict[str, str] = dict(known or {})

    def __call__(self, text: str) -> str:
        slug = self.slugs.get(text)
        if slug is None:
            slug = self.slugs[text] = pinyin_slug(text)
        return slug
