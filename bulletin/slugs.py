"""ASCII slugs from Chinese names, for URLs that are the same in every script."""

from __future__ import annotations

import re

from pypinyin import lazy_pinyin


def pinyin_slug(text: str) -> str:
    """An ASCII slug from Chinese text, e.g. 临颍县 -> lin-ying-xian."""
    words = lazy_pinyin(text, errors=lambda chars: [chars])  # keep runs like "156" whole
    joined = "-".join(w.lower() for w in words)
    return re.sub(r"[^a-z0-9]+", "-", joined).strip("-")
