"""Documents for the verbatim tests: the fixture articles plus, when present, the
sample bulletin's Markdown (front matter stripped here; the generator is not imported)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from search.documents import SearchDocument
from tests.search.fixtures import fixture_documents

ROOT = Path(__file__).resolve().parents[2]
_FRONT = re.compile(r"\A\ufeff?---\r?\n(.*?)\r?\n---\r?\n", re.DOTALL)


def content_documents(root: Path = ROOT / "content" / "articles") -> list[SearchDocument]:
    docs: list[SearchDocument] = []
    for path in sorted(root.glob("**/*.md")):
        text = path.read_text("utf-8-sig").replace("\r\n", "\n")
        match = _FRONT.match(text)
        if not match:
            continue
        try:
            front = yaml.safe_load(match.group(1)) or {}
        except yaml.YAMLError:
            continue
        if not isinstance(front, dict) or front.get("draft"):
            continue
        docs.append(
            SearchDocument.from_mapping(
                {
                    "slug": path.stem,
                    "title": str(front.get("title", "")),
                    "body": text[match.end() :].strip(),
                    "county": str(front.get("county", "")),
                    "theme": str(front.get("theme", "")),
                    "slogans": [str(s) for s in front.get("slogans") or []],
                    "tags": [str(s) for s in front.get("tags") or []],
                    "date": str(front.get("date", "")),
                }
            )
        )
    return docs


def all_documents() -> list[SearchDocument]:
    return fixture_documents() + content_documents()
