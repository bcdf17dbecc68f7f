"""``build.py new``: a valid article skeleton for editors to fill in."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import yaml

from bulletin.config import SLUG_RE
from bulletin.problems import excerpt
from bulletin.slugs import pinyin_slug

_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")


class SkeletonError(Exception):
    """The article cannot be written (bad or taken slug)."""


def _check_values(values: list[tuple[str, str]]) -> None:
    """Each value a line of text, as ``check`` wants it (else the skeleton would not pass)."""
    for option, value in values:
        if not value.strip():
            raise SkeletonError(f"{option} must not be empty")
        if _CONTROL_RE.search(value):
            raise SkeletonError(
                f"{option} {excerpt(value)} must be one line, without control characters"
            )


def write_article(
    content: Path,
    slug: str,
    county: str,
    theme: str,
    slogans: list[str],
    title: str | None = None,
    today: dt.date | None = None,
) -> Path:
    values = [("--county", county), ("--theme", theme)] + [("--slogan", s) for s in slogans]
    _check_values(values + ([("--title", title)] if title is not None else []))
    county, theme, slogans = county.strip(), theme.strip(), [s.strip() for s in slogans]
    title = title.strip() if title is not None else None
    if not SLUG_RE.match(slug):
        hint = pinyin_slug(slug)
        suggestion = f"; e.g. {hint}" if hint and hint != slug else ""
        raise SkeletonError(f"slug {excerpt(slug)} must use only a-z, 0-9 and -{suggestion}")
    articles = content / "articles"
    taken = sorted(articles.rglob(f"{slug}.md")) if articles.is_dir() else []
    if taken:
        raise SkeletonError(f"slug '{slug}' is taken by {taken[0]}")
    date = today or dt.date.today()
    front = {
        "title": title or f"{county}：（请填写标题）",
        "county": county,
        "theme": theme,
        "slogans": list(dict.fromkeys(slogans)),
        "date": date.isoformat(),
        "summary": "",
        "draft": True,  # until the editor has filled it in: a draft is published nowhere
    }
    quoted = "、".join(f"“{s}”" for s in slogans)
    origin = f"，写明{quoted}的由来" if quoted else ""
    lead = f"（导语：概述{county}的做法与成效{origin}。）"
    body = (
        f"{lead}\n\n"
        "## 一、主要做法\n\n（写明具体措施、时间和数字。）\n\n"
        "## 二、取得成效\n\n（用数字说明成效。）\n"
    )
    text = "---\n" + yaml.safe_dump(front, allow_unicode=True, sort_keys=False) + "---\n\n" + body
    path = articles / str(date.year) / f"{slug}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("x", encoding="utf-8") as handle:
        handle.write(text)
    return path
