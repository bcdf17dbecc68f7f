"""The content model: frozen, validated, independent of files and pages."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, TypeVar

Item = TypeVar("Item")


def from_values(cls: type[Item], values: tuple[Any, ...]) -> Item:
    """An instance of the model class ``cls`` from its field values, in field order,
    as the build cache keeps them: values that were validated when the item was first
    made. It does not run ``__init__`` again (each of 5,000 articles a build unpacks
    took ~6 us through it, ~1 us here); tests/test_model.py checks that the result
    equals the constructor's."""
    names = cls.__dataclass_fields__  # type: ignore[attr-defined]  # (no ClassVar in the model)
    if len(values) != len(names):
        raise ValueError(f"{len(values)} values for the {len(names)} fields of {cls.__name__}")
    item = object.__new__(cls)
    item.__dict__.update(zip(names, values, strict=True))
    return item


@dataclass(frozen=True)
class Article:
    slug: str
    path: str  # as shown to editors
    rel: str  # relative to the content folder, POSIX
    title: str
    county: str
    theme: str
    slogans: tuple[str, ...]
    date: dt.date
    body_line: int  # file line where the Markdown body starts (the body itself stays
    # with the file: see bulletin.content.ArticleBodies)
    links: bool = False  # the body links or embeds something (its HTML depends on paths)
    city: str = ""
    province: str = ""
    source: str = ""
    author: str = ""
    summary: str = ""
    tags: tuple[str, ...] = ()
    issue: str = ""  # issue slug, from front matter or from the issue that lists it
    draft: bool = False
    title_line: int = 0  # file lines of the front-matter keys, for lint (0: unknown)
    slogans_line: int = 0

    def in_issue(self, issue: str) -> Article:
        """This article as a part of ``issue`` (see :func:`from_values` for why not
        ``dataclasses.replace``: every article of a build is linked to its issue)."""
        values = dict(self.__dict__, issue=issue)
        return from_values(Article, tuple(values.values()))


@dataclass(frozen=True)
class Issue:
    """A bulletin issue (期): its editor's note (编者按) and its articles in order."""

    slug: str
    path: str
    title: str
    date: dt.date
    articles: tuple[str, ...]  # article slugs, in reading order
    note: str  # Markdown
    note_line: int
    number: int | None = None
    cumulative: int | None = None  # 总第N期: the number counted since the first issue
    cumulative_line: int = 0  # its line in the file, for messages
    number_line: int = 0


@dataclass(frozen=True)
class Page:
    slug: str
    path: str
    title: str
    body: str
    body_line: int


@dataclass(frozen=True)
class SiteConfig:
    title: str
    subtitle: str = ""
    description: str = ""
    base_url: str = "/"
    variants: tuple[str, ...] = ("zh-hans", "zh-hant")
    per_page: int = 20
    copyright: str = ""
    publisher: str = ""  # the line under an issue's masthead: who edits and issues it
    # explicit ASCII slugs for taxonomy terms: kind ("counties", "themes", "slogans") ->
    # sorted (name, slug) pairs
    slugs: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()

    def slug_overrides(self, kind: str) -> dict[str, str]:
        return dict(dict(self.slugs).get(kind, ()))


@dataclass(frozen=True)
class Site:
    """All published content, validated and sorted (articles newest first)."""

    config: SiteConfig
    articles: tuple[Article, ...]
    issues: tuple[Issue, ...]  # newest first
    pages: tuple[Page, ...]
    phrases: tuple[tuple[str, str], ...] = field(default=())  # site phrase dictionary
