"""Articles' Markdown rendered once per build, and kept between builds.

A body is rendered in Simplified once (:func:`render_bodies`, on worker processes) and
converted into each other script when a page that shows it is rendered
(:meth:`BodyStore.converted`). Both are kept in ``OUTPUT.cache/bodies/``, one file per
body named by its key, read only when a page that shows it is rendered: an edit renders
the bodies it touches, and a template edit converts no body again. A page's template
shows a body as a slot (:class:`BodyRef`) that the renderer fills after converting the
rest of the page.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bulletin import pickles
from bulletin.content import ArticleBodies, has_links
from bulletin.hashing import digest
from bulletin.markup import MarkdownRenderer, MarkupError, Rendered
from bulletin.model import Article, Site
from bulletin.parallel import parallel_map
from bulletin.problems import Problem
from bulletin.slugs import Slugger

BodySummary = tuple[str, tuple[str, ...]]  # first paragraph, broken links

#: Marks where a body goes in a rendered page (see :class:`BodyRef`).
BODY_SLOT = "\ue003"


class BodyStore:
    """Rendered Markdown by key: this build's results in memory, earlier builds' read
    from ``folder`` when first asked for. ``known`` holds the first paragraph and
    broken links of every stored body, which list pages and link checks need without
    reading the body itself. ``remake(key)`` renders a body again should its file
    prove unreadable (None: it cannot)."""

    def __init__(
        self,
        folder: Path | None,
        known: Mapping[str, BodySummary],
        remake: Callable[[str], Rendered | None] = lambda key: None,
    ) -> None:
        self.folder = folder
        self.previous = frozenset(known)
        self.known = dict(known)
        self.remake = remake
        self.fresh: dict[str, Rendered] = {}
        self.loaded: dict[str, Rendered] = {}
        # the HTML of a body in another script: key -> variant key -> HTML; ``new``
        # holds those made by this process
        self.conversions: dict[str, dict[str, str]] = {}
        self.new_conversions: list[tuple[str, str, str]] = []

    def __contains__(self, key: str) -> bool:
        """Whether the body is here or kept by an earlier build."""
        return key in self.fresh or (key in self.known and self.folder is not None)

    def add(self, key: str, rendered: Rendered) -> None:
        self.fresh[key] = rendered
        self.known[key] = (rendered.first_paragraph, rendered.broken_links)

    def get(self, key: str) -> Rendered:
        rendered = self.fresh.get(key) or self.loaded.get(key)
        if rendered is None:
            try:
                rendered = self._read(key)
            except pickles.DAMAGED:
                rendered = self.remake(key)  # a damaged cache file: never trusted
                if rendered is None:
                    raise
                self.fresh[key] = rendered
            self.loaded[key] = rendered
        return rendered

    def _read(self, key: str) -> Rendered:
        if self.folder is None:
            raise FileNotFoundError(key)
        with self._path(key).open("rb") as handle:
            stored_key, rendered, conversions = pickles.load(handle)
        if (
            stored_key != key
            or type(rendered) is not Rendered
            or not all(isinstance(k, str) and isinstance(v, str) for k, v in conversions.items())
        ):
            raise ValueError(f"{key}: not a rendered body")
        self.conversions.setdefault(key, {}).update(conversions)
        return rendered

    def converted(self, key: str, variant: str, convert: Callable[[str], str]) -> str:
        """The body ``key`` in the script of variant key ``variant``, converted by
        ``convert`` unless an earlier build kept it."""
        rendered = self.get(key)  # reads the conversions kept with it
        done = self.conversions.setdefault(key, {})
        html = done.get(variant)
        if html is None:
            html = done[variant] = convert(rendered.html)
            self.new_conversions.append((key, variant, html))
        return html

    def take_conversions(self) -> list[tuple[str, str, str]]:
        """The conversions made since the last call (a worker sends them to the parent)."""
        taken, self.new_conversions = self.new_conversions, []
        return taken

    def add_conversions(self, made: Iterable[tuple[str, str, str]]) -> None:
        for key, variant, html in made:
            self.conversions.setdefault(key, {})[variant] = html
            self.new_conversions.append((key, variant, html))

    def _path(self, key: str) -> Path:
        assert self.folder is not None
        return self.folder / key[:2] / key

    def save(
        self, folder: Path, keep: Iterable[str], variants: Iterable[str]
    ) -> dict[str, BodySummary]:
        """Write this build's new bodies (and bodies with new conversions) to
        ``folder``, with their conversions for ``variants`` (variant keys); delete those
        no longer used, and return the summaries of the kept ones (for the state)."""
        keep = set(keep)
        current = set(variants)
        changed = self.fresh.keys() | {key for key, _, _ in self.new_conversions}
        for key in sorted(keep & changed):
            path = folder / key[:2] / key
            path.parent.mkdir(parents=True, exist_ok=True)
            conversions = {
                v: html for v, html in self.conversions.get(key, {}).items() if v in current
            }
            temporary = path.with_name(f".{key}.{os.getpid()}")
            temporary.write_bytes(pickles.dumps((key, self.get(key), conversions)))
            if path.is_dir():  # not ours: a body file is never a folder
                shutil.rmtree(path)
            os.replace(temporary, path)
        if self.folder is None:  # no earlier cache: whatever is in the folder goes
            if folder.is_dir():
                for sub in os.scandir(folder):
                    for entry in os.scandir(sub.path) if sub.is_dir() else ():
                        if entry.name not in keep:
                            remove_path(entry.path)
        else:  # the bodies the last build kept and this one does not
            for key in self.previous - keep:
                remove_path(str(folder / key[:2] / key))
        return {key: self.known[key] for key in keep if key in self.known}


def remove_path(path: str) -> None:
    """Delete a file or folder if it is there."""
    try:
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.unlink(path)
    except FileNotFoundError:
        pass


class BodyRef:
    """A rendered body in page data. A template shows it (``{{ body | safe }}``) as a
    slot, ``BODY_SLOT key BODY_SLOT``, which the renderer fills after converting the
    page with the body in that page's script, converted once and kept by the cache (a
    body is most of an article page's text, and a template edit changes no body). In a
    page key it stands for its key."""

    __slots__ = ("key", "slug", "store")

    def __init__(self, key: str, slug: str, store: BodyStore) -> None:
        self.key = key
        self.slug = slug  # the article's
        self.store = store

    def __html__(self) -> str:
        return f"{BODY_SLOT}{self.key}{BODY_SLOT}"

    def __str__(self) -> str:
        return self.__html__()

    def __reduce__(self) -> Any:
        raise TypeError("a BodyRef is not stored; use its key")


@dataclass(frozen=True)
class Bodies:
    """The rendered Markdown bodies of a build's articles: slug -> key in ``store``."""

    keys: Mapping[str, str]
    store: BodyStore

    def get(self, slug: str) -> Rendered:
        return self.store.get(self.keys[slug])

    def ref(self, slug: str) -> BodyRef:
        return BodyRef(self.keys[slug], slug, self.store)

    def first_paragraph(self, slug: str) -> str:
        return self.store.known[self.keys[slug]][0]

    def converted(self, key: str, variant: str, convert: Callable[[str], str]) -> str:
        return self.store.converted(key, variant, convert)

    def broken_links(self, slug: str) -> tuple[str, ...]:
        return self.store.known[self.keys[slug]][1]


@dataclass(frozen=True)
class KeptBodies:
    """What an earlier build kept of the bodies: where, and each one's summary."""

    folder: Path | None = None
    summaries: Mapping[str, BodySummary] = field(default_factory=dict)


def body_keys(site: Site, texts: ArticleBodies, links_key: str) -> dict[str, str]:
    """Each article's body key: its file's digest or, if the body links to other files,
    a digest of that and of where the files are (``links_key``)."""
    keys: dict[str, str] = {}
    for article in site.articles:
        source = texts.source(article.slug).digest
        keys[article.slug] = digest(source, links_key) if article.links else source
    return keys


def render_bodies(
    site: Site,
    texts: ArticleBodies,
    markdown: MarkdownRenderer,
    kept: KeptBodies,
    slug: Slugger,
    jobs: int,
    chunk_size: int,
) -> tuple[Bodies, list[Problem]]:
    """Each article's Markdown rendered once, in Simplified, on ``jobs`` processes;
    bodies an earlier build ``kept`` are not rendered again. Heading ids made in
    workers are added to ``slug``, to be remembered. A body that cannot be rendered
    (nested too deeply) is a problem at its first line."""
    keys = body_keys(site, texts, markdown.links_key)
    # (a slug two files share, an error of its own, stands for the last: as in ``texts``)
    by_key = {keys[a.slug]: a for a in site.articles}

    def remake(key: str) -> Rendered | None:
        article = by_key.get(key)
        return markdown.render(texts[article.slug], article.rel, "../../") if article else None

    store = BodyStore(kept.folder, kept.summaries, remake)
    missing = list({keys[a.slug]: a for a in site.articles if keys[a.slug] not in store}.values())

    def render(article: Article) -> tuple[Rendered | str, list[tuple[str, str]]]:
        try:
            rendered: Rendered | str = markdown.render(texts[article.slug], article.rel, "../../")
        except MarkupError as exc:
            rendered = str(exc)
        return rendered, slug.take_added()

    problems = []
    for article, (body, slugs) in zip(
        missing, parallel_map(render, missing, jobs, chunk_size), strict=True
    ):
        if isinstance(body, str):
            problems.append(Problem(article.path, article.body_line, body))
        else:
            store.add(keys[article.slug], body)
        slug.remember(slugs)
    return Bodies(keys, store), problems


class RememberedMarkdown:
    """Markdown of issue notes and pages as HTML (the renderer asks for them on every
    build), remembered by the digest of their inputs: ``known`` from the last build,
    ``used`` this build's, kept by the cache state (they are short)."""

    def __init__(self, markdown: MarkdownRenderer, known: Mapping[str, str]) -> None:
        self.markdown = markdown
        self.known = known
        self.used: dict[str, str] = {}

    def __call__(self, text: str, rel: str, root: str) -> str:
        links_key = self.markdown.links_key if has_links(text) else ""
        key = digest("text", rel, root, text, links_key)
        html = self.known.get(key)
        if not isinstance(html, str):
            html = self.markdown.render(text, rel, root).html
        self.used[key] = html
        return html
