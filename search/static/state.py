"""What an update reads of the last write (``state.bin``, not read by the page)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from search.static.stored import gunzip, gz

#: The layout's version: an index of another one is written afresh.
FORMAT = 2


@dataclass(frozen=True)
class State:
    """``key``: what the caller says the documents' texts depend on besides themselves
    (the site's phrases: its converters); ``slugs``: the documents in index order;
    ``names``: the raw county, theme and slogan names (sorted: the numbers the tables
    give them); ``inline``: the bytes of the records kept in shards (they fix the shard count);
    ``totals``: each field's length summed; ``pairs``: each folding pair and the number
    of documents that give it; ``fold``: the normaliser's fold before the pairs;
    ``extra_chars``: characters of the content the normalisation table lists outside its
    ranges; ``shared``: the content-hashed files (shards and big records) that more
    than one place names, and how many do."""

    key: str
    variants: tuple[str, ...]
    slugs: tuple[str, ...]
    names: dict[str, list[str]]
    inline: int
    totals: dict[str, int]
    pairs: dict[tuple[str, str], int]
    fold: dict[int, str]
    extra_chars: str
    shared: dict[str, int] = field(default_factory=dict)

    def to_bytes(self) -> bytes:
        data = {
            "format": FORMAT,
            "key": self.key,
            "variants": list(self.variants),
            "slugs": list(self.slugs),
            "names": self.names,
            "inline": self.inline,
            "totals": self.totals,
            "pairs": sorted([a, b, n] for (a, b), n in self.pairs.items()),
            "fold": "".join(chr(k) + v for k, v in sorted(self.fold.items())),
            "extra_chars": self.extra_chars,
            "shared": dict(sorted(self.shared.items())),
        }
        raw = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return gz(raw.encode("utf-8", "surrogatepass"))

    @classmethod
    def from_bytes(cls, stored: bytes) -> State | None:
        """The state, or None when it is of another format."""
        data: dict[str, Any] = json.loads(gunzip(stored).decode("utf-8", "surrogatepass"))
        if data.get("format") != FORMAT:
            return None
        fold = data["fold"]
        return cls(
            key=data["key"],
            variants=tuple(data["variants"]),
            slugs=tuple(data["slugs"]),
            names={k: list(v) for k, v in data["names"].items()},
            inline=int(data["inline"]),
            totals={k: int(v) for k, v in data["totals"].items()},
            pairs={(a, b): int(n) for a, b, n in data["pairs"]},
            fold={ord(fold[i]): fold[i + 1] for i in range(0, len(fold), 2)},
            extra_chars=data["extra_chars"],
            shared={k: int(v) for k, v in data["shared"].items()},
        )
