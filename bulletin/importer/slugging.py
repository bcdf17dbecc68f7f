"""File names for imported articles and issues: pinyin slugs (never percent-encoded
Chinese), unique against the content folder, and the same file again for a re-import of
the same report (which is then refused without --force)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bulletin.importer.cleaning import HAN
from bulletin.importer.places import short_name
from bulletin.importer.structure import ZONE_WORDS
from bulletin.slogans import looks_like_numbered_method, normalise

MAX_KEY_PIECES = 3  # pinyin words (two syllables each) of a slug after the county's
_FRONT_RE = re.compile(r"^---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|$)", re.S)
_RUN_RE = re.compile(f"[{HAN}]+|[A-Za-z0-9](?:[A-Za-z0-9+·.-]*[A-Za-z0-9])?")


@dataclass
class Existing:
    """The content folder's articles (slug -> (path, (county, date))) and issues (slug ->
    (path, (title, date))), the slogans its articles list, and the slugs this run has
    planned."""

    content: Path
    articles: dict[str, tuple[Path, tuple[str, str]]] = field(default_factory=dict)
    issues: dict[str, tuple[Path, tuple[str, str]]] = field(default_factory=dict)
    slogans: set[str] = field(default_factory=set)
    planned: set[str] = field(default_factory=set)

    @classmethod
    def scan(cls, content: Path) -> Existing:
        found = cls(content)
        for kind, keys in (("articles", ("county", "date")), ("issues", ("title", "date"))):
            table = found.articles if kind == "articles" else found.issues
            folder = content / kind
            for path in sorted(folder.rglob("*.md")) if folder.is_dir() else []:
                front = _front_matter(path)
                table.setdefault(
                    path.stem, (path, (str(front.get(keys[0], "")), str(front.get(keys[1], ""))))
                )
                published = kind == "articles" and front.get("draft") is not True
                slogans = front.get("slogans") if published else None  # as check reads them
                if isinstance(slogans, list):
                    found.slogans.update(normalise(str(s)) for s in slogans)
        return found


def _front_matter(path: Path) -> dict[str, Any]:
    """An existing file's front matter, read leniently (the file may have errors)."""
    try:
        text = path.read_text(encoding="utf-8-sig", errors="replace")
    except OSError:
        return {}
    match = _FRONT_RE.match(text)
    try:
        front = yaml.safe_load(match.group(1)) if match else None
    except yaml.YAMLError:
        return {}
    return front if isinstance(front, dict) else {}


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
    """(slug, path, same file exists): a new slug unless an article of this county and
    date is already at this path (then the import is the same report again)."""
    pieces = [county_slug(county), *pinyin_words(_key(county, title, slogans))]
    base = "-".join(p for p in pieces if p) or "article"
    folder = existing.content / "articles" / str(date.year)
    same = (county, date.isoformat())
    return _claim(existing, existing.articles, base, same, lambda slug: folder / f"{slug}.md")


def issue_slug(
    existing: Existing, year: int, number: int | None, date: dt.date, title: str
) -> tuple[str, Path, bool]:
    base = f"{year}-{number:02d}" if number else date.isoformat()
    folder = existing.content / "issues"
    same = (title, date.isoformat())
    return _claim(existing, existing.issues, base, same, lambda slug: folder / f"{slug}.md")


def _claim(
    existing: Existing,
    table: dict[str, tuple[Path, tuple[str, str]]],
    base: str,
    same: tuple[str, str],
    where: Callable[[str], Path],
) -> tuple[str, Path, bool]:
    """The first free slug of ``base``, ``base-2``, …; or a taken one whose file is the
    same report (``same``: its county and date, or an issue's title and date) at the
    same place, which the caller then refuses to overwrite without --force."""
    slug, number = base, 1
    while True:
        if slug not in existing.planned:
            taken = table.get(slug)
            if taken is None:
                break
            if taken[1] == same and taken[0] == where(slug):
                existing.planned.add(slug)
                return slug, where(slug), True
        number += 1
        slug = f"{base}-{number}"
    existing.planned.add(slug)
    return slug, where(slug), False
