"""Pages: which pages the site has, and each rendered through Jinja2 into every script.

Every page is rendered once per variant from the same Simplified data and then converted
as a whole (text and reader-facing attributes), so nothing a reader sees can be missed by
the conversion. Links are relative, so the output works under any path.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import os
import re
import traceback
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property, partial
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import jinja2
from markupsafe import Markup, escape

from bulletin.bodies import BODY_SLOT, Bodies, BodyRef
from bulletin.charts import bar_layout
from bulletin.markup import KEEP_CLOSE, KEEP_OPEN, html_to_text
from bulletin.model import Article, Issue, Site
from bulletin.overview import (
    Pair,
    build_overview,
    county_theme_pairs,
    pair_counts,
    year_counts,
    year_span,
)
from bulletin.pdf import IssuePdf, issue_pdf_name
from bulletin.taxonomy import (
    Taxonomies,
    Term,
    TermSummary,
    Year,
    build_archive,
)
from bulletin.variants import Variant
from search.documents import SearchDocument, Shown
from search.layout import SearchMeta

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
#: A body slot (see :class:`bulletin.bodies.BodyRef`); ``/slug`` after the key: the body
#: is shown inside the whole issue (see :func:`embedded_body`)
_BODY_SLOT_RE = re.compile(f"{BODY_SLOT}([0-9a-f]+)(?:/([a-z0-9-]+))?{BODY_SLOT}")
#: A start tag as nh3 writes it (every attribute value double-quoted, ``<`` in text
#: escaped), so a match never starts inside text or inside an attribute value.
_START_TAG_RE = re.compile(r'<([a-z][a-z0-9]*)((?:\s+[a-z][^\s="/>]*(?:="[^"]*")?)*)(\s*/?)>')
_END_HEADING_RE = re.compile(r"</h([1-6])>")
_ATTRIBUTE_RE = re.compile(r'(\s+)([a-z][^\s="/>]*)(?:="([^"]*)")?')
HOME_RECENT = 12
FEED_ENTRIES = 20


def make_environment(
    templates_dir: Path = TEMPLATES_DIR, code: jinja2.BytecodeCache | None = None
) -> jinja2.Environment:
    """The Jinja environment of a build; ``code``: where compiled templates are kept."""
    env = jinja2.Environment(
        bytecode_cache=code,
        loader=jinja2.FileSystemLoader(str(templates_dir)),
        autoescape=jinja2.select_autoescape(["html", "xml"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["cdate"] = chinese_date
    env.globals["keep"] = keep
    env.globals["bar_layout"] = bar_layout
    env.globals["embed"] = embed
    # interface strings inside JSON must stay readable so the variant converter sees them
    env.policies["json.dumps_kwargs"] = {"sort_keys": True, "ensure_ascii": False}
    return env


def keep(text: str) -> Markup:
    """Mark text that no variant may convert (the switcher's labels, each in its script)."""
    return Markup(f"{KEEP_OPEN}{escape(text)}{KEEP_CLOSE}")


def embed(body: BodyRef) -> Markup:
    """An article body's slot for a page that shows it among others (the whole issue):
    filled like any body slot, then passed through :func:`embedded_body`."""
    return Markup(f"{BODY_SLOT}{body.key}/{body.slug}{BODY_SLOT}")


def embedded_body(html: str, slug: str) -> str:
    """An article's body HTML as one of several on a page: its headings one level down
    (the article's title is the h2 above them) and its ids and in-page links prefixed
    with ``SLUG--`` (a slug has no double hyphen), so two articles' footnotes and
    headings never share an id."""

    def start_tag(match: re.Match[str]) -> str:
        name, attributes, end = match.groups()
        if len(name) == 2 and name[0] == "h" and name[1] in "12345":
            name = f"h{int(name[1]) + 1}"
        if attributes:
            attributes = _ATTRIBUTE_RE.sub(attribute, attributes)
        return f"<{name}{attributes}{end}>"

    def attribute(match: re.Match[str]) -> str:
        space, name, value = match.groups()
        if name == "id" and value:
            return f'{space}id="{slug}--{value}"'
        if name == "href" and value and value.startswith("#") and len(value) > 1:
            return f'{space}href="#{slug}--{value[1:]}"'
        return match[0]

    html = _START_TAG_RE.sub(start_tag, html)
    return _END_HEADING_RE.sub(lambda m: f"</h{min(int(m[1]) + 1, 6)}>", html)


def template_error_line(exc: jinja2.TemplateError, templates: Path = TEMPLATES_DIR) -> str:
    """``file:line: template error: message``, from the exception or its traceback
    (Jinja puts template frames into tracebacks with the template's file and line)."""
    filename: str | None = getattr(exc, "filename", None)
    lineno: int | None = getattr(exc, "lineno", None)
    if not filename or not lineno:
        for frame in reversed(traceback.extract_tb(exc.__traceback__)):
            if frame.filename.startswith(str(templates)):
                filename, lineno = frame.filename, frame.lineno
                break
    where = _display(filename) if filename else "templates"
    message = (exc.message or str(exc) or type(exc).__name__).splitlines()[0]
    return f"{where}:{lineno or 0}: template error: {message}"


def _display(filename: str) -> str:
    relative = os.path.relpath(filename)
    return filename if relative.startswith("..") else relative


def chinese_date(value: dt.date) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


@dataclass(frozen=True)
class Assets:
    """CSS and JS with content-hashed names, so hosts can cache them forever."""

    files: dict[str, bytes]  # hashed name -> bytes
    names: dict[str, str]  # plain name -> hashed name

    @classmethod
    def load(cls, folder: Path) -> Assets:
        files, names = {}, {}
        for path in sorted(folder.iterdir()) if folder.is_dir() else []:
            if path.is_file() and not path.name.startswith("."):
                data = path.read_bytes()
                digest = hashlib.sha256(data).hexdigest()[:10]
                hashed = f"{path.stem}.{digest}{path.suffix}"
                files[hashed] = data
                names[path.name] = hashed
        return cls(files, names)


@dataclass(frozen=True)
class PageSpec:
    """A page below each variant root: its path (``articles/x/``), template and data.

    ``data`` is the template's data or, for the many pages of articles and lists, a
    function that makes it when it is first needed (:attr:`context`): a rebuild after
    an edit keys and renders only the pages that show what changed."""

    path: str
    template: str
    data: dict[str, Any] | Callable[[], dict[str, Any]]
    title: str  # Simplified, for sitemap-like lists

    @cached_property
    def context(self) -> dict[str, Any]:
        return self.data() if callable(self.data) else self.data


@dataclass(frozen=True)
class ExtraFile:
    """A file besides the pages (a feed, the sitemap, a root page): where it goes, the
    data its bytes depend on (for its cache key) and how to make them."""

    rel: str
    data: Any
    make: Callable[[], bytes]


class PageJob(NamedTuple):
    """One page of one variant: where it goes and what renders it. (A named tuple: a
    build makes one for each of ~14,000 pages.)"""

    rel: str  # output path, e.g. "zh-hant/articles/x/index.html"
    spec: PageSpec
    variant: str


@dataclass(frozen=True)
class Pagination:
    number: int
    count: int
    items: tuple[Any, ...]
    base: str  # path of page 1, e.g. "counties/lin-ying-xian/"

    def path_of(self, number: int) -> str:
        return self.base if number == 1 else f"{self.base}page/{number}/"

    @property
    def previous(self) -> str | None:
        return self.path_of(self.number - 1) if self.number > 1 else None

    @property
    def next(self) -> str | None:
        return self.path_of(self.number + 1) if self.number < self.count else None


def paginate(items: tuple[Any, ...], per_page: int, base: str) -> Iterator[Pagination]:
    count = max(1, math.ceil(len(items) / per_page))
    for number in range(1, count + 1):
        chunk = items[(number - 1) * per_page : number * per_page]
        yield Pagination(number, count, tuple(chunk), base)


class SiteRenderer:
    """Renders the whole site; created once per build with everything it needs."""

    def __init__(
        self,
        site: Site,
        taxonomies: Taxonomies,
        bodies: Bodies,
        variants: Mapping[str, Variant],
        env: jinja2.Environment,
        assets: Assets,
        markdown: Callable[[str, str, str], str],
        pdf: IssuePdf | None = None,
    ) -> None:
        """``markdown(text, rel, root)``: the HTML of a Markdown text of file ``rel``
        shown on a page ``root`` below the variant root (remembered by the build);
        ``pdf``: makes each issue's PDF (``build --pdf``), linked from its page."""
        self.site = site
        self.taxonomies = taxonomies
        self.bodies = bodies
        self.variants = variants
        self.env = env
        self.assets = assets
        self.markdown = markdown
        self.pdf = pdf
        self.archive = build_archive(site.articles)
        self.issues_by_slug = {issue.slug: issue for issue in site.issues}
        self.article_index = {a.slug: i for i, a in enumerate(site.articles)}
        self.articles_by_slug = {a.slug: a for a in site.articles}
        self.articles_by_issue: dict[str, list[Article]] = {}
        for article in site.articles:
            self.articles_by_issue.setdefault(article.issue, []).append(article)
        self.specs: list[PageSpec] | None = None  # page_specs(), computed once
        self.county_order = {  # name -> (slug, summary)
            term.name: (term.slug, term.summary) for term in taxonomies.counties
        }
        self.base_url = site.config.base_url
        self.base_path = urlsplit(self.base_url).path or "/"
        self.years = year_span(site.articles)  # the span of every timeline

    # --- which pages ------------------------------------------------------------------

    def issue_articles(self, issue: Issue) -> tuple[Article, ...]:
        """The issue's listed articles in order, then any that name it themselves."""
        by_slug = self.articles_by_slug
        listed = [by_slug[s] for s in issue.articles if s in by_slug]
        listed_slugs = set(issue.articles)
        extra = sorted(
            (a for a in self.articles_by_issue.get(issue.slug, ()) if a.slug not in listed_slugs),
            key=lambda a: (a.date, a.slug),
        )
        return tuple(listed + extra)

    def page_specs(self) -> list[PageSpec]:
        """Every page below a variant root (the same in every variant), in a fixed order."""
        if self.specs is None:
            self.specs = list(self._page_specs())
        return self.specs

    def _page_specs(self) -> Iterator[PageSpec]:
        site = self.site
        per_page = site.config.per_page
        yield self._home_spec()
        for article in site.articles:
            yield self.article_spec(article)
        for kind, template in (
            ("counties", "term.html"),
            ("themes", "term.html"),
            ("slogans", "slogan.html"),
        ):
            yield from self._term_specs(kind, template, per_page)
        for pagination in paginate(site.issues, per_page, "issues/"):
            yield PageSpec(
                pagination.path_of(pagination.number),
                "issues_index.html",
                {"pagination": pagination},
                "issues",
            )
        for issue in site.issues:
            yield self.issue_spec(issue)
        yield PageSpec(
            "archive/", "archive_index.html", {"years": [y.counts for y in self.archive]}, "archive"
        )
        for year in self.archive:
            yield from self._archive_specs(year, per_page)
        yield from self._overview_specs(per_page)
        for page in site.pages:
            body = self.markdown(page.body, f"pages/{page.slug}.md", "../")
            yield PageSpec(f"{page.slug}/", "page.html", {"page": page, "body": body}, page.title)
        yield PageSpec("search/", "search.html", {}, "search")

    def _home_spec(self) -> PageSpec:
        site = self.site
        latest = site.issues[0] if site.issues else None
        data = {
            "latest_issue": latest,
            "latest_articles": self.issue_articles(latest) if latest else (),
            "latest_note": self._note(latest, "") if latest else "",
            "recent": site.articles[:HOME_RECENT],
        }
        return PageSpec("", "home.html", data, site.config.title)

    def _term_specs(self, kind: str, template: str, per_page: int) -> Iterator[PageSpec]:
        """The index of a kind of term, and each term's pages."""
        terms = self.taxonomies.of_kind(kind)
        groups = self.taxonomies.county_groups if kind == "counties" else ()
        summaries = tuple(term.summary for term in terms)
        yield PageSpec(
            f"{kind}/", f"{kind}_index.html", {"terms": summaries, "groups": groups}, kind
        )
        for term in terms:
            for pagination in paginate(term.articles, per_page, term.path):
                yield PageSpec(
                    pagination.path_of(pagination.number),
                    template,
                    partial(self._term_data, term, pagination),
                    term.name,
                )

    def issue_spec(self, issue: Issue) -> PageSpec:
        """The issue as its readers know it: masthead, 编者按, contents, then every
        article in full (each body shown as a slot, see :func:`embed`)."""
        articles = self.issue_articles(issue)
        return PageSpec(
            f"issues/{issue.slug}/",
            "issue.html",
            {
                "issue": issue,
                "note": self._note(issue, "../../"),
                "articles": articles,
                "bodies": {a.slug: self.bodies.ref(a.slug) for a in articles},
                "pdf": issue_pdf_name(issue) if self.pdf else None,
            },
            issue.title,
        )

    def article_spec(self, article: Article) -> PageSpec:
        return PageSpec(
            f"articles/{article.slug}/",
            "article.html",
            partial(self._article_data, article),
            article.title,
        )

    def _article_data(self, article: Article) -> dict[str, Any]:
        index = self.article_index[article.slug]
        articles = self.site.articles
        return {
            "article": article,
            "body": self.bodies.ref(article.slug),
            "issue": self.issues_by_slug.get(article.issue),
            "older": articles[index + 1] if index + 1 < len(articles) else None,
            "newer": articles[index - 1] if index > 0 else None,
        }

    def _term_data(self, term: Term, pagination: Pagination) -> dict[str, Any]:
        first = pagination.number == 1
        return {
            "term": term.summary,
            "pagination": pagination,
            "counties": self._slogan_counties(term) if term.kind == "slogans" else (),
            # on the term's first page, plain counts (see bulletin.overview): by year, and
            # a county's by theme or a theme's by county
            "timeline": year_counts(term.articles, self.years) if first else (),
            "pairs": pair_counts(term, self.taxonomies) if first else (),
        }

    def _overview_specs(self, per_page: int) -> Iterator[PageSpec]:
        """The overview, and a page of each county's articles under each theme (what
        the overview's table links to)."""
        yield PageSpec(
            "overview/",
            "overview.html",
            lambda: {"overview": build_overview(self.site, self.taxonomies)},
            "overview",
        )
        for pair in county_theme_pairs(self.taxonomies):
            for pagination in paginate(pair.articles, per_page, pair.path):
                yield PageSpec(
                    pagination.path_of(pagination.number),
                    "county_theme.html",
                    partial(self._pair_data, pair, pagination),
                    f"{pair.county.name} {pair.theme.name}",
                )

    def _pair_data(self, pair: Pair, pagination: Pagination) -> dict[str, Any]:
        # names and paths, not the terms' summaries: their counts would make an edit
        # elsewhere in the county or theme render this page again
        return {
            "county": (pair.county.name, pair.county.path),
            "theme": (pair.theme.name, pair.theme.path),
            "count": len(pair.articles),
            "pagination": pagination,
        }

    def _archive_specs(self, year: Year, per_page: int) -> Iterator[PageSpec]:
        yield PageSpec(year.path, "archive_year.html", {"year": year}, str(year.year))
        for month in year.months:
            for pagination in paginate(month.articles, per_page, month.path):
                yield PageSpec(
                    pagination.path_of(pagination.number),
                    "archive_month.html",
                    {"month": month, "pagination": pagination},
                    f"{month.year}-{month.month}",
                )

    def _slogan_counties(self, term: Term) -> tuple[TermSummary, ...]:
        """The counties that use a slogan, in slug order."""
        order = self.county_order
        names = sorted({a.county for a in term.articles}, key=lambda name: order[name][0])
        return tuple(order[name][1] for name in names)

    def _note(self, issue: Issue, root: str) -> str:
        return self.markdown(issue.note, f"issues/{issue.slug}.md", root)

    def summary(self, article: Article) -> str:
        if article.summary:
            return article.summary
        text = self.bodies.first_paragraph(article.slug)
        return text if len(text) <= 120 else text[:118] + "……"

    # --- rendering --------------------------------------------------------------------

    def common(self, variant: Variant, path: str, absolute: bool = False) -> dict[str, Any]:
        """What every page template gets. ``absolute``: links start from the base path
        (for 404.html, which is served at any URL)."""
        if absolute:
            root = self.base_path
            vroot = f"{root}{variant.name}/"
        else:
            vroot = "../" * path.count("/")
            root = vroot + "../"
        return {
            "site": self.site.config,
            "variant": variant,
            "variants": list(self.variants.values()),
            "path": path,
            "vroot": vroot,
            "root": root,
            "canonical": f"{self.base_url}{variant.name}/{path}",
            "base_url": self.base_url,
            "asset": lambda name: f"{root}assets/{self.assets.names[name]}",
            "tax": self.taxonomies,
            "summary": self.summary,
            "issues_by_slug": self.issues_by_slug,
            "has_pages": [(p.slug, p.title) for p in self.site.pages],
        }

    def render_spec(self, spec: PageSpec, variant: Variant) -> bytes:
        template = self.env.get_template(spec.template)
        html = variant.html(template.render(**self.common(variant, spec.path), **spec.context))
        if BODY_SLOT in html:  # an article body, converted on its own (see BodyRef)
            html = _BODY_SLOT_RE.sub(lambda m: self._fill_slot(m, variant), html)
        return html.encode("utf-8")

    def _fill_slot(self, slot: re.Match[str], variant: Variant) -> str:
        key, embedded_in = slot.groups()
        body = self.bodies.converted(
            key, variant.key, lambda body: variant.html(body, remember=False)
        )
        return embedded_body(body, embedded_in) if embedded_in else body

    def page_jobs(self) -> list[PageJob]:
        """Every templated page of every variant, in a fixed order."""
        specs = self.page_specs()
        return [
            PageJob(f"{name}/{spec.path}index.html", spec, name)
            for name in self.variants
            for spec in specs
        ]

    def render_job(self, job: PageJob) -> bytes:
        return self.render_spec(job.spec, self.variants[job.variant])

    def shared_data(self) -> tuple[Any, ...]:
        """What every page may show besides its own data (navigation, slugs, footer):
        part of every page's cache key."""
        return (
            self.site.config,
            sorted(
                (kind, name, term.slug) for (kind, name), term in self.taxonomies.by_name.items()
            ),
            [(p.slug, p.title) for p in self.site.pages],
            [(i.slug, i.title, i.date) for i in self.site.issues],
            sorted(self.assets.names.items()),
            [variant.key for variant in self.variants.values()],
            self.pdf is not None,  # issue pages link their PDFs
        )

    def extra_files(self) -> Iterator[ExtraFile]:
        """Feeds, the root pages and the sitemap, each with the data it depends on."""
        shared = (
            self.site.config,
            sorted(self.assets.names.items()),
            [variant.key for variant in self.variants.values()],
        )
        for variant in self.variants.values():
            feeds = [(self.site.articles, self.site.config.title, "feed.xml", "")]
            for kind in ("counties", "themes"):
                feeds += [
                    (
                        term.articles,
                        f"{term.name} - {self.site.config.title}",
                        f"{term.path}feed.xml",
                        term.path,
                    )
                    for term in self.taxonomies.of_kind(kind)
                ]
            for articles, title, path, alternate in feeds:
                entries = articles[:FEED_ENTRIES]
                yield ExtraFile(
                    f"{variant.name}/{path}",
                    (shared, variant.key, entries, title, path, alternate),
                    lambda v=variant, e=entries, t=title, p=path, a=alternate: self.render_feed(
                        v, e, t, p, a
                    ),
                )
        yield from self.root_files(shared)
        if self.pdf is not None:
            yield from self.pdf_files()

    def pdf_files(self) -> Iterator[ExtraFile]:
        """Each issue's PDF in each script, beside its page: keyed by the page's data
        and by what the PDF engine adds (its version, the static files)."""
        assert self.pdf is not None
        specs = {spec.path: spec for spec in self.page_specs() if spec.template == "issue.html"}
        for variant in self.variants.values():
            for issue in self.site.issues:
                spec = specs[f"issues/{issue.slug}/"]
                yield ExtraFile(
                    f"{variant.name}/{spec.path}{issue_pdf_name(issue)}",
                    (spec.template, spec.path, spec.context, variant.key, self.pdf.key),
                    partial(self.render_pdf, spec, variant),
                )

    def render_pdf(self, spec: PageSpec, variant: Variant) -> bytes:
        assert self.pdf is not None
        html = self.render_spec(spec, variant)
        return self.pdf.render(html, f"{variant.name}/{spec.path}", self.assets.files)

    def render_feed(
        self,
        variant: Variant,
        entries: tuple[Article, ...],
        title: str,
        path: str,
        alternate: str,
    ) -> bytes:
        updated = max((a.date for a in entries), default=dt.date(2000, 1, 1))
        xml = self.env.get_template("feed.xml").render(
            site=self.site.config,
            variant=variant,
            base_url=self.base_url,
            title=title,
            entries=entries,
            updated=updated,
            summary=self.summary,
            feed_url=f"{self.base_url}{variant.name}/{path}",
            alternate_url=f"{self.base_url}{variant.name}/{alternate}",
        )
        return variant.html(xml).encode("utf-8")

    def root_files(self, shared: Any) -> Iterator[ExtraFile]:
        """The script chooser, the 404 pages, robots.txt and the sitemap."""
        first = next(iter(self.variants.values()))
        yield ExtraFile("index.html", shared, self.render_chooser)
        # served for any missing URL, so links start from the base path; every script
        # says it, the page's own first (output/404.html, and one per variant for hosts
        # that map errors per location)
        navigation = self.shared_data()
        for variant in self.variants.values():
            make = lambda v=variant: self.render_not_found(v)  # noqa: E731
            if variant is first:
                yield ExtraFile("404.html", (navigation, variant.key), make)
            yield ExtraFile(f"{variant.name}/404.html", (navigation, variant.key), make)
        robots = f"User-agent: *\nAllow: /\nSitemap: {self.base_url}sitemap.xml\n".encode()
        yield ExtraFile("robots.txt", robots, lambda: robots)
        paths = [spec.path for spec in self.page_specs()]
        yield ExtraFile("sitemap.xml", (shared, paths), self.render_sitemap)

    def render_chooser(self) -> bytes:
        first = next(iter(self.variants.values()))
        chooser = self.env.get_template("chooser.html").render(
            site=self.site.config,
            variants=list(self.variants.values()),
            default=first,
            root="",
            asset=lambda name: f"assets/{self.assets.names[name]}",
        )
        return first.html(chooser).encode("utf-8")

    def render_not_found(self, variant: Variant) -> bytes:
        not_found = self.env.get_template("404.html").render(
            **self.common(variant, "", absolute=True)
        )
        return variant.html(not_found).encode("utf-8")

    def render_sitemap(self) -> bytes:
        paths = [spec.path for spec in self.page_specs()]
        xml = self.env.get_template("sitemap.xml").render(
            base_url=self.base_url,
            paths=paths,
            variants=list(self.variants.values()),
        )
        return xml.encode("utf-8")


def search_documents(
    site: Site,
    bodies: Bodies,
    variants: Mapping[str, Variant],
    issues_by_slug: Mapping[str, Issue],
    slugs: set[str] | None = None,
) -> Iterator[SearchDocument]:
    """What the search index gets for each published article (the search contract);
    only the articles of ``slugs`` when given."""
    for article in site.articles:
        if slugs is not None and article.slug not in slugs:
            continue
        issue = issues_by_slug.get(article.issue)
        shown = {
            name: Shown(
                variant.text(article.title),
                variant.text(article.county),
                variant.text(article.theme),
            )
            for name, variant in variants.items()
        }
        yield SearchDocument(
            slug=article.slug,
            title=html_to_text(article.title),
            body=bodies.get(article.slug).text,
            county=article.county,
            theme=article.theme,
            date=article.date.isoformat(),
            slogans=tuple(article.slogans),
            tags=tuple(article.tags),
            city=article.city,
            province=article.province,
            issue=article.issue,
            issue_title=html_to_text(issue.title) if issue else "",
            shown=shown,
        )


def search_meta(site: Site, base_path: str, has_phrases: bool) -> SearchMeta:
    """What the search service needs to know of the site (written to _search/meta.json)."""
    return SearchMeta(
        variants=tuple(site.config.variants),
        default_variant=site.config.variants[0],
        base_path=base_path,
        phrases="phrases.txt" if has_phrases else None,
    )
