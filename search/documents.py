"""What the generator gives the search package for each published article.

The one contract between ``bulletin/`` and ``search/``: the Whoosh index and the static
index are both written from these documents, so both answer from the same text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Shown:
    """What a search result shows of an article in one script."""

    title: str
    county: str
    theme: str


@dataclass(frozen=True)
class SearchDocument:
    """One published article, in the Simplified text it was written in.

    ``body`` is the article's plain text (Markdown rendered, tags removed), one line per
    paragraph; ``shown`` maps a variant name (``zh-hant``) to the title, county and
    theme as that script's readers see them."""

    slug: str
    title: str
    body: str
    county: str
    theme: str
    date: str  # YYYY-MM-DD
    slogans: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    city: str = ""
    province: str = ""
    issue: str = ""  # the issue's slug
    issue_title: str = ""
    shown: Mapping[str, Shown] = field(default_factory=dict)

    @property
    def year(self) -> str:
        return self.date[:4]

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> SearchDocument:
        """A document from a plain mapping of the same names (``display`` for ``shown``,
        as variant -> {title, county, theme}), as tests and benchmarks write them."""
        shown = {
            variant: Shown(
                str(v.get("title", "")), str(v.get("county", "")), str(v.get("theme", ""))
            )
            for variant, v in (data.get("display") or data.get("shown") or {}).items()
        }
        return cls(
            slug=str(data["slug"]),
            title=str(data.get("title", "")),
            body=str(data.get("body", "")),
            county=str(data.get("county", "")),
            theme=str(data.get("theme", "")),
            date=str(data.get("date", "")),
            slogans=tuple(str(s) for s in data.get("slogans") or () if s),
            tags=tuple(str(t) for t in data.get("tags") or () if t),
            city=str(data.get("city") or ""),
            province=str(data.get("province") or ""),
            issue=str(data.get("issue") or ""),
            issue_title=str(data.get("issue_title") or ""),
            shown=shown,
        )
