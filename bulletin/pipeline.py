"""The build, in one straight line:

read all content (pure, sorted) -> validate (every problem) -> make variants ->
render -> write atomically -> index.

Nothing before the write touches the output; OpenCC needs its config on disk, so the
converters are made from a temporary folder that is removed at once.
"""

from __future__ import annotations

import json
import re
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from bulletin.config import normalise_base_url
from bulletin.content import load_site
from bulletin.lint import lint as lint_site
from bulletin.markup import LinkMap, MarkdownRenderer, Rendered
from bulletin.model import Site
from bulletin.output import copy_files, publish, write_files
from bulletin.problems import ContentError, Problem
from bulletin.render import (
    TEMPLATES_DIR,
    Assets,
    SiteRenderer,
    make_environment,
    search_documents,
    search_meta,
)
from bulletin.sources import SourceTree, read_tree
from bulletin.taxonomy import build_taxonomies
from bulletin.variants import Variant, make_variants, phrases_text
from search.indexing import write_index

OUTPUT_MARK = "_search/meta.json"  # a folder holding this was written by a build


class UsageError(Exception):
    """A command-line mistake (exit status 2), such as an output folder that is not ours."""


@dataclass(frozen=True)
class Checked:
    """Content read and validated, ready to render."""

    tree: SourceTree
    site: Site
    bodies: Mapping[str, Rendered]  # slug -> article body, when there are no errors
    problems: tuple[Problem, ...]  # errors and warnings, sorted

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


@dataclass(frozen=True)
class BuildResult:
    articles: int
    pages: int
    variants: int
    seconds: float
    warnings: tuple[Problem, ...]


def check(content: Path, base_url: str | None = None, lint: bool = True) -> Checked:
    """Read and validate everything, render Markdown to find broken links, and (``lint``)
    add the editor warnings of bulletin.lint; write nothing."""
    tree = read_tree(content)
    site, problems = load_site(tree, str(content))
    if base_url is not None:
        normalised, error = normalise_base_url(base_url)
        if error:
            raise UsageError(error.replace("'base_url'", "--base-url"))
        site = replace(site, config=replace(site.config, base_url=normalised))
    bodies: dict[str, Rendered] = {}
    if not any(p.severity == "error" for p in problems):
        bodies, link_problems = render_bodies(site, tree)
        problems += link_problems
        if lint:
            problems += lint_site(site, content)
    return Checked(tree, site, bodies, tuple(sorted(problems)))


def make_markdown(site: Site, tree: SourceTree) -> MarkdownRenderer:
    targets = {a.rel: f"articles/{a.slug}/" for a in site.articles}
    targets.update({f"pages/{p.slug}.md": f"{p.slug}/" for p in site.pages})
    static = frozenset(item.rel for item in tree.static)
    return MarkdownRenderer(LinkMap(targets), static)


def render_bodies(site: Site, tree: SourceTree) -> tuple[dict[str, Rendered], list[Problem]]:
    """Each article's Markdown rendered once, in Simplified; broken links as warnings."""
    markdown = make_markdown(site, tree)
    bodies: dict[str, Rendered] = {}
    problems: list[Problem] = []
    for article in site.articles:
        rendered = markdown.render(article.body, article.rel, "../../")
        bodies[article.slug] = rendered
        seen: Counter[str] = Counter()
        for url in rendered.broken_links:
            seen[url] += 1
            problems.append(
                Problem(
                    article.path,
                    _line_of(article.body, url, article.body_line, seen[url]),
                    f"link leads nowhere: {url}",
                    "warning",
                )
            )
    return bodies, problems


def _line_of(body: str, url: str, first_line: int, occurrence: int = 1) -> int:
    """The line of the ``occurrence``-th place where ``url`` stands as a whole URL (after
    ``(``, ``<``, a quote or a space), so ``a.md`` is not found inside ``data.md``."""
    pattern = re.compile(rf"(?:^|(?<=[(<\s\"'])){re.escape(url)}(?=$|[)>\s\"'])")
    lines = body.split("\n")
    hits = [offset for offset, line in enumerate(lines) for _ in pattern.finditer(line)]
    if not hits:
        return first_line
    return first_line + hits[min(occurrence, len(hits)) - 1]


def build(
    content: Path,
    output: Path,
    base_url: str | None = None,
    templates: Path = TEMPLATES_DIR,
) -> BuildResult:
    """Build ``content`` into ``output``; raises ContentError (nothing written) on errors."""
    started = time.perf_counter()
    _check_output_folder(content, output)
    checked = check(content, base_url)
    if checked.errors:
        raise ContentError(list(checked.problems))
    site, tree, bodies = checked.site, checked.tree, checked.bodies
    with tempfile.TemporaryDirectory(prefix="bulletin-phrases-") as tmp:
        phrases_file = Path(tmp) / "phrases.txt"
        phrases_file.write_text(phrases_text(site.phrases), encoding="utf-8")
        variants = make_variants(site.config.variants, phrases_file)
    renderer = SiteRenderer(
        site=site,
        taxonomies=build_taxonomies(site),
        bodies=bodies,
        variants=variants,
        env=make_environment(templates),
        assets=Assets.load(templates / "assets"),
        markdown=make_markdown(site, tree),
    )
    files = dict(_site_files(renderer, variants))
    files.update({f"assets/{name}": data for name, data in renderer.assets.files.items()})
    files["_search/phrases.txt"] = phrases_text(site.phrases).encode("utf-8")
    meta = search_meta(site, urlsplit(site.config.base_url).path or "/", has_phrases=True)
    files["_search/meta.json"] = (
        json.dumps(meta, ensure_ascii=False, sort_keys=True, indent=2) + "\n"
    ).encode("utf-8")
    documents = list(search_documents(site, bodies, variants, renderer.issues_by_slug))

    def fill(staging: Path) -> None:
        write_files(staging, files)
        copy_files(staging, ((f"static/{s.rel}", s.path) for s in tree.static))
        write_index(staging / "_search" / "whoosh", documents, meta)

    publish(output, fill)
    pages = sum(1 for name in files if name.endswith(".html"))
    return BuildResult(
        articles=len(site.articles),
        pages=pages,
        variants=len(variants),
        seconds=time.perf_counter() - started,
        warnings=tuple(p for p in checked.problems if p.severity == "warning"),
    )


def _site_files(
    renderer: SiteRenderer, variants: Mapping[str, Variant]
) -> Iterator[tuple[str, bytes]]:
    for variant in variants.values():
        yield from renderer.render_variant_pages(variant)
    yield from renderer.render_root_pages()


def _check_output_folder(content: Path, output: Path) -> None:
    """Refuse to replace a folder that a build did not write (or the content itself)."""
    content_abs, output_abs = content.resolve(), output.resolve()
    if output_abs == content_abs or output_abs in content_abs.parents:
        raise UsageError(f"{output}: the output folder must not contain the content folder")
    if output_abs == Path.cwd().resolve() or output_abs == Path.home().resolve():
        raise UsageError(f"{output}: refusing to replace this folder with the site")
    if output.is_dir() and any(output.iterdir()) and not (output / OUTPUT_MARK).is_file():
        raise UsageError(
            f"{output}: folder exists and was not written by a build "
            f"(no {OUTPUT_MARK}); choose another --output or empty it"
        )
    if output.exists() and not output.is_dir():
        raise UsageError(f"{output}: exists and is not a folder")
