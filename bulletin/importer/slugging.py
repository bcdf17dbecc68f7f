"""File names for imported articles and issues: pinyin slugs (never percent-encoded
Chinese), unique against the content folder, and the same file again for a re-import of
the same report (which is then refused without --force)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bulletin.importer.cleaning import HAN
from bulletin.importer.places import short_name
from bulletin.importer.structure import ZONE_WORDS
from bulletin.slogans import looks_like_numbered_method

MAX_KEY_PIECES = 3  # pinyin words (two syllables each) of a slug after the county's
_TITLE_RE = re.compile(r"^title:[ \t]*(.+?)[ \t]*$", re.M)
_RUN_RE = re.compile(f"[{HAN}]+|[A-Za-z0-9](?:[A-Za-z0-9+·.-]*[A-Za-z0-9])?")


@dataclass
class Existing:
    """The content folder's article and issue slugs (slug -> (path, title)), and those
    this run has planned."""

    content: Path
    articles: dict[str, tuple[Path, str]] = field(default_factory=dict)
    issues: dict[str, tuple[Path, str]] = field(default_factory=dict)
    planned: set[str] = field(default_factory=set)

    @classmethod
    def scan(cls, content: Path) -> Existing:
        found = cls(content)
        for kind, table in (("articles", found.articles), ("issues", found.issues)):
            folder = content / kind
            if folder.is_dir():
                for path in sorted(folder.rglob("*.md")):
                    table.setdefault(path.stem, (path, _title_of(path)))
        return found


def _title_of(path: Path) -> str:
    try:
        head = path.read_text(encoding="utf-8", errors="replace")[:4000]
    except OSError:
        return ""
    match = _TITLE_RE.search(head)
    if not match:
        return ""
    try:
        value = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        return match.group(1)
    return str(value)


def pinyin_words(text: str, limit: int = MAX_KEY_PIECES) -> list[str]:
    """Pinyin in words of two syllables (红色联盟 -> hongse-lianmeng); digits and
    letters as they are (1+2+3+X -> 1-2-3-x)."""
    from pypinyin import lazy_pinyin  # a quarter of a second to load

    words: list[str] = []
    for run in _RUN_RE.findall(text):
        if re.match(f"[{HAN}]", run):
            syllables = lazy_pinyin(run)
            words += ["".join(syllables[i : i + 2]) for i in range(0, len(syllables), 2)]
        else:
            words.append(run.lower())
    return [re.sub(r"[^a-z0-9]+", "-", w).strip("-") for w in words if w][:limit]


def county_slug(county: str) -> str:
    """临颍县 -> linying, 海西蒙古族藏族自治州 -> haixi, 漯河市经济技术开发区 -> kaifaqu."""
    name = short_name(county)
    head, sep, tail = name[:-1].rpartition("市")
    if sep and head and len(tail + name[-1]) >= 2:
        name = tail + name[-1]
    zone = next((z for z in ZONE_WORDS if name.endswith(z)), "")
    if zone and len(name) > 4:
        name = zone
    elif len(name) >= 3 and name[-1] in "县区市旗州盟":
        name = name[:-1]
    return "".join(pinyin_words(name, limit=8))


def _key(county: str, title: str, slogans: list[str]) -> str:
    """What the slug names after the county: a short phrase the title quotes, the first
    slogan, or the title's words."""
    quoted = [
        q for q in re.findall(r"“([^“”]+)”", title) if len(q) <= 6 or looks_like_numbered_method(q)
    ]
    if quoted:
        return quoted[0]
    if slogans:
        return slogans[0]
    rest = title.split("：", 1)[1] if "：" in title else title.replace(county, "", 1)
    return re.sub(r"[“”]", "", rest)[:8]


def article_slug(
    existing: Existing, county: str, title: str, slogans: list[str], date: dt.date
) -> tuple[str, Path, bool]:
    """(slug, path, same file exists): a new slug unless an article of this title is
    already at this path (then the import is the same report again)."""
    pieces = [county_slug(county), *pinyin_words(_key(county, title, slogans))]
    base = "-".join(p for p in pieces if p) or "article"
    folder = existing.content / "articles" / str(date.year)
    return _claim(existing, existing.articles, base, title, lambda slug: folder / f"{slug}.md")


def issue_slug(
    existing: Existing, year: int, number: int | None, date: dt.date, title: str
) -> tuple[str, Path, bool]:
    base = f"{year}-{number:02d}" if number else date.isoformat()
    folder = existing.content / "issues"
    return _claim(existing, existing.issues, base, title, lambda slug: folder / f"{slug}.md")


def _claim(existing, table, base, title, where) -> tuple[str, Path, bool]:  # type: ignore[no-untyped-def]
    slug, number = base, 1
    while True:
        if slug not in existing.planned:
            taken = table.get(slug)
            if taken is None:
                break
            if taken[1] == title and taken[0] == where(slug):
                existing.planned.add(slug)
                return slug, where(slug), True
        number += 1
        slug = f"{base}-{number}"
    existing.planned.add(slug)
    return slug, where(slug), False
