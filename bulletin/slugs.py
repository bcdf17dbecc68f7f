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
        self.added: list[tuple[str, str]] = []  # made by this process, not yet taken

    def __call__(self, text: str) -> str:
        slug = self.slugs.get(text)
        if slug is None:
            slug = self.slugs[text] = pinyin_slug(text)
            self.added.append((text, slug))
        return slug

    def take_added(self) -> list[tuple[str, str]]:
        """The slugs made since the last call (a worker sends them to the parent)."""
        taken, self.added = self.added, []
        return taken

    def remember(self, made: list[tuple[str, str]]) -> None:
        self.slugs.update(made)
