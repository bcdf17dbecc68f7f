"""From the source tree to the validated content model, collecting every problem."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
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


def _article(source: SourceFile) -> tuple[Article | None, list[Problem]]:
    doc, values, problems = _parse(source, ARTICLE_FIELDS, "article")
    if doc is None:
        return None, problems
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
    return article, []


def _issue(source: SourceFile) -> tuple[Issue | None, int, list[Problem]]:
    doc, values, problems = _parse(source, ISSUE_FIELDS, "issue")
    if doc is None:
        return None, 0, problems
    number, cumulative = values.get("number"), values.get("cumulative")
    cumulative_line = doc.front.key_lines.get("cumulative", 0)
    if number and cumulative and cumulative < number:
        message = (
            f"'cumulative' ({cumulative}) is below 'number' ({number}): 总第N期 counts "
            "every issue since the first, so it is never below the issue's number"
        )
        return None, 0, [Problem(source.display, cumulative_line, message)]
    issue = Issue(
        slug=PurePosixPath(source.rel).stem,
        path=source.display,
        title=values["title"],
        date=values["date"],
        articles=values["articles"],
        number=number,
        cumulative=cumulative,
        cumulative_line=cumulative_line,
        note=doc.body,
        note_line=doc.body_line,
    )
    return issue, doc.front.key_lines.get("articles", 1), []


def _page(source: SourceFile) -> tuple[Page | None, list[Problem]]:
    stem = PurePosixPath(source.rel).stem
    taken = Problem(source.display, 1, f"page name '{stem}' is taken by the site's own pages")
    reserved = [taken] if stem in RESERVED_SLUGS else []
    doc, values, problems = _parse(source, PAGE_FIELDS, "page", reserved)
    if doc is None:
        return None, problems
    return Page(stem, source.display, values["title"], doc.body, doc.body_line), []


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


def _with(article: Article, name: str, value: str) -> Article:
    """``replace(article, name=value)`` without re-running the dataclass machinery (it
    is done for every article of every build)."""
    copied = object.__new__(Article)
    fields = copied.__dict__
    fields.update(article.__dict__)
    fields[name] = value
    return copied


def _parse_here(parse: Callable[[SourceFile], Any], files: list[SourceFile]) -> list[Any]:
    return [parse(source) for source in files]


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


def _unique_cumulative(issues: list[Issue]) -> list[Problem]:
    """Problems for a cumulative number (总第N期) given to more than one issue."""
    seen: dict[int, Issue] = {}
    problems = []
    for issue in issues:
        if issue.cumulative is None:
            continue
        first = seen.setdefault(issue.cumulative, issue)
        if first is not issue:
            problems.append(
                Problem(
                    issue.path,
                    issue.cumulative_line,
                    f"'cumulative' {issue.cumulative} is already taken by issue "
                    f"'{first.slug}' ({first.path})",
                )
            )
    return problems


def load_site(
    tree: SourceTree,
    content_display: str,
    memo: dict[str, Any] | None = None,
    parse_all: Callable[[Callable[[SourceFile], Any], list[SourceFile]], list[Any]] | None = None,
) -> tuple[Site, list[Problem]]:
    """Parse and validate all content. The Site holds what could be parsed; any problem
    of severity "error" means nothing may be published.

    ``memo`` maps the digest of a content file (path and bytes) to its parse result; it
    is read and filled, so a build cache can skip parsing unchanged files. (An article's
    Markdown body stays with its file: see :class:`ArticleBodies`.) ``parse_all(parse,
    files)`` is ``[parse(f) for f in files]``, perhaps on several processes."""
    memo = {} if memo is None else memo
    config, problems = load_config(tree.site_config, content_display)
    phrases, phrase_problems = load_phrases(tree.phrases)
    problems += phrase_problems
    for stray in tree.stray:
        problems.append(
            Problem(
                stray.display,
                0,
                "not a Markdown file: content files end in .md "
                "(images and attachments go in static/)",
                "warning",
            )
        )

    articles: list[Article] = []
    unparsed = list({s.digest: s for s in tree.articles if s.digest not in memo}.values())
    parsed = (parse_all or _parse_here)(_article, unparsed)
    memo.update((source.digest, result) for source, result in zip(unparsed, parsed, strict=True))
    for source in tree.articles:
        article, found = memo[source.digest]
        problems += found
        if article is not None:
            articles.append(article)
    problems += _unique(articles, "article")

    issues: list[tuple[Issue, int]] = []
    for source in tree.issues:
        if source.digest not in memo:
            memo[source.digest] = _issue(source)
        issue, articles_line, found = memo[source.digest]
        problems += found
        if issue is not None:
            issues.append((issue, articles_line))
    problems += _unique([issue for issue, _ in issues], "issue")
    problems += _unique_cumulative([issue for issue, _ in issues])

    pages: list[Page] = []
    for source in tree.pages:
        if source.digest not in memo:
            memo[source.digest] = _page(source)
        page, found = memo[source.digest]
        problems += found
        if page is not None:
            pages.append(page)
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
    problems: list[Problem] = []
    by_slug = {a.slug: a for a in articles}
    issue_slugs = {issue.slug for issue, _ in issues}
    listed_in: dict[str, str] = {}
    for issue, line in issues:
        for slug in issue.articles:
            article = by_slug.get(slug)
            if article is None and slug in broken:
                continue
            if article is None:
                problems.append(Problem(issue.path, line, f"issue lists unknown article '{slug}'"))
            elif article.draft:
                problems.append(
                    Problem(issue.path, line, f"issue lists '{slug}', which is a draft")
                )
            elif slug in listed_in:
                problems.append(
                    Problem(
                        issue.path,
                        line,
                        f"article '{slug}' is already in issue '{listed_in[slug]}'",
                    )
                )
            else:
                listed_in[slug] = issue.slug
    linked = []
    for article in articles:
        if article.issue and article.issue not in issue_slugs:
            problems.append(
                Problem(article.path, 1, f"'issue' names unknown issue '{article.issue}'")
            )
        listed = listed_in.get(article.slug, "")
        if listed and article.issue and article.issue != listed:
            problems.append(
                Problem(
                    article.path,
                    1,
                    f"'issue' says '{article.issue}' but issue '{listed}' lists this article",
                )
            )
        linked.append(_with(article, "issue", listed) if listed and not article.issue else article)
    return linked, problems
