"""From the source tree to the validated content model, collecting every problem."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from bulletin.config import SLUG_RE, load_config, load_phrases
from bulletin.model import Article, Issue, Page, Site
from bulletin.problems import Problem
from bulletin.schema import Field, check_fields
from bulletin.slugs import pinyin_slug
from bulletin.sources import Document, SourceFile, SourceTree, body_text, split_front_matter

ARTICLE_FIELDS = {
    "title": Field("text", required=True),
    "county": Field("text", required=True),
    "theme": Field("text", required=True),
    "slogans": Field("text list", required=True),
    "date": Field("date", required=True),
    "city": Field("optional text"),
    "province": Field("optional text"),
    "source": Field("optional text"),
    "author": Field("optional text"),
    "summary": Field("optional text"),
    "tags": Field("text list"),
    "issue": Field("text"),
    "draft": Field("bool"),
}

ISSUE_FIELDS = {
    "title": Field("text", required=True),
    "date": Field("date", required=True),
    "articles": Field("text list", required=True),
    "number": Field("positive int"),
    "cumulative": Field("positive int"),
}

PAGE_FIELDS = {"title": Field("text", required=True)}

#: Folder names of the output that a page slug must not take.
RESERVED_SLUGS = frozenset(
    {
        "articles",
        "counties",
        "themes",
        "slogans",
        "issues",
        "archive",
        "search",
        "assets",
        "static",
        "page",
        "feed",
        "api",
        "_search",
    }
)


def _slug_problem(source: SourceFile) -> Problem | None:
    stem = PurePosixPath(source.rel).stem
    if SLUG_RE.match(stem):
        return None
    suggestion = pinyin_slug(stem)
    hint = f"; rename it, e.g. '{suggestion}.md'" if suggestion else ""
    return Problem(
        source.display, 1, f"file name '{stem}' is not a valid slug (a-z, 0-9 and -){hint}"
    )


def _parse(
    source: SourceFile, fields: dict[str, Field], what: str, extra: list[Problem] | None = None
) -> tuple[Document | None, dict[str, Any], list[Problem]]:
    """A content file's front matter checked against ``fields``: the document and its
    values when there is no problem (``extra``: problems found by the caller)."""
    problems = list(extra or [])
    slug_problem = _slug_problem(source)
    if slug_problem:
        problems.insert(0, slug_problem)
    doc, parse_problems = split_front_matter(source)
    problems += parse_problems
    if doc is None:
        return None, {}, problems
    values, field_problems = check_fields(doc.front, fields, source.display, what)
    problems += field_problems
    return (None if problems else doc), values, problems


@dataclass(frozen=True)
class Parsed:
    """A content file's parse result (what the build cache keeps by the file's digest):
    the item, or None and the problems that kept it from being one."""

    item: Article | Issue | Page | None
    problems: tuple[Problem, ...] = ()
    articles_line: int = 1  # an issue's: the line of its `articles:` key


ParseMemo = dict[str, Parsed]  # a content file's digest -> its parse result


def parse_article(source: SourceFile) -> Parsed:
    doc, values, problems = _parse(source, ARTICLE_FIELDS, "article")
    if doc is None:
        return Parsed(None, tuple(problems))
    article = Article(
        slug=PurePosixPath(source.rel).stem,
        path=source.display,
        rel=source.rel,
        body_line=doc.body_line,
        links=has_links(doc.body),
        title_line=doc.front.key_lines.get("title", 0),
        slogans_line=doc.front.key_lines.get("slogans", 0),
        **values,
    )
    return Parsed(article)


def parse_issue(source: SourceFile) -> Parsed:
    doc, values, problems = _parse(source, ISSUE_FIELDS, "issue")
    if doc is None:
        return Parsed(None, tuple(problems))
    number, cumulative = values.get("number"), values.get("cumulative")
    cumulative_line = doc.front.key_lines.get("cumulative", 0)
    if number and cumulative and cumulative < number:
        message = (
            f"'cumulative' ({cumulative}) is below 'number' ({number}): 总第N期 counts "
            "every issue since the first, so it is never below the issue's number"
        )
        return Parsed(None, (Problem(source.display, cumulative_line, message),))
    issue = Issue(
        slug=PurePosixPath(source.rel).stem,
        path=source.display,
        title=values["title"],
        date=values["date"],
        articles=values["articles"],
        number=number,
        cumulative=cumulative,
        cumulative_line=cumulative_line,
        number_line=doc.front.key_lines.get("number", 0),
        note=doc.body,
        note_line=doc.body_line,
    )
    return Parsed(issue, articles_line=doc.front.key_lines.get("articles", 1))


def parse_page(source: SourceFile) -> Parsed:
    stem = PurePosixPath(source.rel).stem
    taken = Problem(source.display, 1, f"page name '{stem}' is taken by the site's own pages")
    reserved = [taken] if stem in RESERVED_SLUGS else []
    doc, values, problems = _parse(source, PAGE_FIELDS, "page", reserved)
    if doc is None:
        return Parsed(None, tuple(problems))
    return Parsed(Page(stem, source.display, values["title"], doc.body, doc.body_line))


def has_links(markdown: str) -> bool:
    """Whether a Markdown text may link to or embed another file (then its HTML depends
    on where the files are); a cheap over-estimate."""
    return "](" in markdown or "href=" in markdown or "src=" in markdown or "]:" in markdown


class ArticleBodies(Mapping[str, str]):
    """The Markdown body of each article (slug -> text), sliced from its file's bytes
    when asked for: a build that kept an article's rendered body never reads it."""

    def __init__(self, tree: SourceTree, articles: Iterable[Article]) -> None:
        sources = {source.rel: source for source in tree.articles}
        self.places = {a.slug: (sources[a.rel], a.body_line) for a in articles}

    def __getitem__(self, slug: str) -> str:
        source, line = self.places[slug]
        return body_text(source, line)

    def source(self, slug: str) -> SourceFile:
        return self.places[slug][0]

    def __iter__(self) -> Iterator[str]:
        return iter(self.places)

    def __len__(self) -> int:
        return len(self.places)


def _unique(items: list, what: str) -> list[Problem]:
    """Problems for slugs used by more than one file."""
    seen: dict[str, str] = {}
    problems = []
    for item in items:
        if item.slug in seen:
            problems.append(
                Problem(
                    item.path, 1, f"duplicate {what} slug '{item.slug}' (also {seen[item.slug]})"
                )
            )
        else:
            seen[item.slug] = item.path
    return problems


def _unique_issue_numbers(issues: list[Issue]) -> list[Problem]:
    """Problems for a cumulative number (总第N期) given to more than one issue, and for an
    issue number (第N期) given to two issues of one year."""
    problems = []
    cumulative: dict[object, Issue] = {}
    numbers: dict[object, Issue] = {}
    for issue in issues:
        for seen, key, line, what in (
            (
                cumulative,
                issue.cumulative,
                issue.cumulative_line,
                f"'cumulative' {issue.cumulative}",
            ),
            (
                numbers,
                issue.number and (issue.date.year, issue.number),
                issue.number_line,
                f"'number' {issue.number} of {issue.date.year}",
            ),
        ):
            first = seen.setdefault(key, issue) if key else issue
            if first is not issue:
                message = f"{what} is already taken by issue '{first.slug}' ({first.path})"
                problems.append(Problem(issue.path, line, message))
    return problems


ParseAll = Callable[[Callable[[SourceFile], Parsed], list[SourceFile]], list[Parsed]]


def parse_tree(
    tree: SourceTree, known: Mapping[str, Parsed], parse_all: ParseAll | None = None
) -> ParseMemo:
    """The parse result of every content file of ``tree``, by digest: ``known`` results
    (of an earlier build) for files it has, the rest parsed (``parse_all(parse, files)``
    is ``[parse(f) for f in files]``, perhaps on several processes)."""
    parsed: ParseMemo = {}
    for files, parse in (
        (tree.articles, parse_article),
        (tree.issues, parse_issue),
        (tree.pages, parse_page),
    ):
        unknown = []
        for source in files:
            found = known.get(source.digest)
            if found is None:
                unknown.append(source)
            else:
                parsed[source.digest] = found
        unique = list({source.digest: source for source in unknown}.values())
        if parse is parse_article and parse_all is not None:
            results = parse_all(parse, unique)
        else:
            results = [parse(source) for source in unique]
        parsed.update(zip((source.digest for source in unique), results, strict=True))
    return parsed


def _items(
    files: tuple[SourceFile, ...], parsed: Mapping[str, Parsed], problems: list[Problem]
) -> Iterator[Any]:
    """The parsed items of ``files`` (with their parse results), their problems added."""
    for source in files:
        result = parsed[source.digest]
        problems += result.problems
        if result.item is not None:
            yield result


def load_site(
    tree: SourceTree, parsed: Mapping[str, Parsed], content_display: str
) -> tuple[Site, list[Problem]]:
    """Validate all content (``parsed``: see :func:`parse_tree`). The Site holds what
    could be parsed; any problem of severity "error" means nothing may be published.
    (An article's Markdown body stays with its file: see :class:`ArticleBodies`.)"""
    problems = list(tree.problems)
    config, config_problems = load_config(tree.site_config, content_display)
    config_display = os.path.join(content_display, "site.yaml")
    if tree.site_config is not None or all(p.path != config_display for p in problems):
        problems += config_problems  # (not "missing" when it is a link that was not read)
    phrases, phrase_problems = load_phrases(tree.phrases)
    problems += phrase_problems
    problems += [
        Problem(
            stray.display,
            0,
            "not a Markdown file: content files end in .md (images and attachments go in static/)",
            "warning",
        )
        for stray in tree.stray
    ]
    articles = [r.item for r in _items(tree.articles, parsed, problems)]
    issues = [(r.item, r.articles_line) for r in _items(tree.issues, parsed, problems)]
    pages = [r.item for r in _items(tree.pages, parsed, problems)]
    problems += _unique(articles, "article")
    problems += _unique([issue for issue, _ in issues], "issue")
    problems += _unique_issue_numbers([issue for issue, _ in issues])
    problems += _unique(pages, "page")

    # (an article file's name less .md, as PurePosixPath(rel).stem, without a Path each)
    broken = {s.rel.rsplit("/", 1)[-1][:-3] for s in tree.articles} - {a.slug for a in articles}
    articles, issue_problems = _link_issues(articles, issues, broken)
    problems += issue_problems

    published = [a for a in articles if not a.draft]
    published.sort(key=lambda a: (a.date, a.slug), reverse=True)
    issue_list = sorted((i for i, _ in issues), key=lambda i: (i.date, i.slug), reverse=True)
    site = Site(
        config=config,
        articles=tuple(published),
        issues=tuple(issue_list),
        pages=tuple(sorted(pages, key=lambda p: p.slug)),
        phrases=phrases,
    )
    return site, problems


def _link_issues(
    articles: list[Article], issues: list[tuple[Issue, int]], broken: set[str]
) -> tuple[list[Article], list[Problem]]:
    """Give each article the issue that lists it; check both directions agree.

    An issue may list only published articles: a draft in an issue's list is an error,
    not silently dropped. Articles in ``broken`` have errors of their own already, so a
    list naming them is not reported again.
    """
    listed_in, problems = _listings(articles, issues, broken)
    issue_slugs = {issue.slug for issue, _ in issues}
    linked = []
    for article in articles:
        named, listed = article.issue, listed_in.get(article.slug, "")
        if named and named not in issue_slugs:
            problems.append(Problem(article.path, 1, f"'issue' names unknown issue '{named}'"))
        if listed and named and named != listed:
            message = f"'issue' says '{named}' but issue '{listed}' lists this article"
            problems.append(Problem(article.path, 1, message))
        linked.append(article.in_issue(listed) if listed and not named else article)
    return linked, problems


def _listings(
    articles: list[Article], issues: list[tuple[Issue, int]], broken: set[str]
) -> tuple[dict[str, str], list[Problem]]:
    """Which issue lists each article (slug -> issue slug), and what the lists get wrong."""
    problems: list[Problem] = []
    by_slug = {a.slug: a for a in articles}
    listed_in: dict[str, str] = {}
    for issue, line in issues:
        for slug in issue.articles:
            article = by_slug.get(slug)
            message = ""
            if article is None and slug not in broken:
                message = f"issue lists unknown article '{slug}'"
            elif article is not None and article.draft:
                message = f"issue lists '{slug}', which is a draft"
            elif article is not None and slug in listed_in:
                message = f"article '{slug}' is already in issue '{listed_in[slug]}'"
            elif article is not None:
                listed_in[slug] = issue.slug
            if message:
                problems.append(Problem(issue.path, line, message))
    return listed_in, problems
