"""The build, in one straight line:

read all content (pure, sorted) -> validate (every problem) -> make variants ->
render -> write atomically -> index.

Nothing before the write touches the output; OpenCC needs its config on disk, so the
converters are made from a temporary folder that is removed at once. Rendering and
writing are fused per page (worker processes render pages straight into the staging
folder while another process writes the index); the output itself changes only after
all of it has succeeded (``output.publish`` or, for an incremental build,
``output.publish_changes``).
"""

from __future__ import annotations

import json
import pickle
import re
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from bulletin.cache import (
    BuildCache,
    cache_path,
    code_fingerprint,
    data_key,
    digest,
    tree_digest,
)
from bulletin.config import normalise_base_url
from bulletin.content import load_site
from bulletin.lint import lint as lint_site
from bulletin.markup import LinkMap, MarkdownRenderer, Rendered
from bulletin.model import Site
from bulletin.output import (
    copy_files,
    link_file,
    publish,
    publish_changes,
    write_file,
    write_files,
)
from bulletin.parallel import Background, default_jobs, parallel_map
from bulletin.problems import ContentError, Problem
from bulletin.render import (
    TEMPLATES_DIR,
    Assets,
    PageJob,
    SiteRenderer,
    make_environment,
    search_documents,
    search_meta,
)
from bulletin.sources import SourceTree, read_tree
from bulletin.taxonomy import build_taxonomies
from bulletin.variants import make_variants, phrases_text
from search.indexing import update_index, write_index

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
    parsed: dict[str, Any] = field(default_factory=dict)  # parse results, for the cache
    body_keys: dict[str, str] = field(default_factory=dict)  # slug -> key of its body

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


def check(
    content: Path,
    base_url: str | None = None,
    lint: bool = True,
    cache: BuildCache | None = None,
    jobs: int = 1,
) -> Checked:
    """Read and validate everything, render Markdown to find broken links, and (``lint``)
    add the editor warnings of bulletin.lint; write nothing. ``cache`` supplies results
    of an earlier build for unchanged files."""
    tree = read_tree(content)
    parsed = dict(cache.parsed) if cache else {}
    site, problems = load_site(tree, str(content), parsed)
    if base_url is not None:
        normalised, error = normalise_base_url(base_url)
        if error:
            raise UsageError(error.replace("'base_url'", "--base-url"))
        site = replace(site, config=replace(site.config, base_url=normalised))
    bodies: dict[str, Rendered] = {}
    body_keys: dict[str, str] = {}
    if not any(p.severity == "error" for p in problems):
        bodies, body_keys = render_bodies(site, tree, cache.bodies if cache else {}, jobs)
        problems += link_problems(site, bodies)
        if lint:
            problems += lint_site(site, content)
    return Checked(tree, site, bodies, tuple(sorted(problems)), parsed, body_keys)


def make_markdown(site: Site, tree: SourceTree) -> MarkdownRenderer:
    targets = {a.rel: f"articles/{a.slug}/" for a in site.articles}
    targets.update({f"pages/{p.slug}.md": f"{p.slug}/" for p in site.pages})
    static = frozenset(item.rel for item in tree.static)
    return MarkdownRenderer(LinkMap(targets), static)


def render_bodies(
    site: Site, tree: SourceTree, known: Mapping[str, Rendered], jobs: int
) -> tuple[dict[str, Rendered], dict[str, str]]:
    """Each article's Markdown rendered once, in Simplified, on ``jobs`` processes;
    bodies whose inputs are unchanged come from ``known``. Returns bodies and keys."""
    markdown = make_markdown(site, tree)
    links_key = digest(
        repr(sorted(markdown.links.targets.items())), repr(sorted(markdown.static_files))
    )
    keys = {}
    for article in site.articles:
        # only a body with a link depends on where the other files are
        depends = "](" in article.body or "href=" in article.body or "src=" in article.body
        keys[article.slug] = digest(article.rel, article.body, links_key if depends else "")
    missing = [a for a in site.articles if keys[a.slug] not in known]
    rendered = parallel_map(
        lambda a: markdown.render(a.body, a.rel, "../../"), missing, jobs, chunk_size=16
    )
    fresh = {keys[a.slug]: body for a, body in zip(missing, rendered, strict=True)}
    bodies = {a.slug: fresh.get(keys[a.slug]) or known[keys[a.slug]] for a in site.articles}
    return bodies, keys


def link_problems(site: Site, bodies: Mapping[str, Rendered]) -> list[Problem]:
    """Links and images that lead nowhere, as warnings at their lines."""
    problems: list[Problem] = []
    for article in site.articles:
        seen: Counter[str] = Counter()
        for url in bodies[article.slug].broken_links:
            seen[url] += 1
            line = _line_of(article.body, url, article.body_line, seen[url])
            problems.append(Problem(article.path, line, f"link leads nowhere: {url}", "warning"))
    return problems


def _line_of(body: str, url: str, first_line: int, occurrence: int = 1) -> int:
    """The line of the ``occurrence``-th place where ``url`` stands as a whole URL (after
    ``(``, ``<``, a quote or a space), so ``a.md`` is not found inside ``data.md``."""
    pattern = re.compile(rf"(?:^|(?<=[(<\s\"'])){re.escape(url)}(?=$|[)>\s\"'])")
    lines = body.split("\n")
    hits = [offset for offset, line in enumerate(lines) for _ in pattern.finditer(line)]
    if not hits:
        return first_line
    return first_line + hits[min(occurrence, len(hits)) - 1]


class Progress(Protocol):
    """A progress display: told the amount of work, then each step done."""

    def start(self, total: int) -> None: ...
    def advance(self, count: int) -> None: ...
    def close(self) -> None: ...


def build(
    content: Path,
    output: Path,
    base_url: str | None = None,
    templates: Path = TEMPLATES_DIR,
    use_cache: bool = True,
    jobs: int | None = None,
    progress: Progress | None = None,
) -> BuildResult:
    """Build ``content`` into ``output``; raises ContentError (nothing written) on errors.

    With ``use_cache``, results of the last build kept in ``output.cache/`` are reused
    where their inputs are unchanged; the output is the same either way."""
    started = time.perf_counter()
    _check_output_folder(content, output)
    jobs = jobs or default_jobs()
    fingerprint = code_fingerprint()
    cache_dir = cache_path(output)
    cache = (
        BuildCache.load(cache_dir, fingerprint, output) if use_cache else BuildCache(fingerprint)
    )
    checked = check(content, base_url, lint=False, cache=cache, jobs=jobs)
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
    page_jobs = renderer.page_jobs()
    article_digests = {id(a): digest(pickle.dumps(a, protocol=5)) for a in site.articles}
    shared = data_key(
        (fingerprint, tree_digest([templates]), renderer.shared_data()), article_digests
    )
    page_keys = {
        job.rel: data_key(
            (shared, job.spec.template, job.spec.path, job.variant, job.spec.context),
            article_digests,
        )
        for job in page_jobs
    }
    files = dict(renderer.render_extras())
    files.update({f"assets/{name}": data for name, data in renderer.assets.files.items()})
    files["_search/phrases.txt"] = phrases_text(site.phrases).encode("utf-8")
    meta = search_meta(site, urlsplit(site.config.base_url).path or "/", has_phrases=True)
    files["_search/meta.json"] = (
        json.dumps(meta, ensure_ascii=False, sort_keys=True, indent=2) + "\n"
    ).encode("utf-8")
    documents = list(search_documents(site, bodies, variants, renderer.issues_by_slug))

    document_digests = {
        d["slug"]: digest(json.dumps(d, ensure_ascii=False, sort_keys=True)) for d in documents
    }
    index_state = digest(files["_search/phrases.txt"], files["_search/meta.json"])
    index_files = _index_files(output)
    index_reusable = (
        cache.loaded
        and cache.index_state == index_state
        and bool(index_files)
        and all(cache.reusable(rel, "index", output) for rel in index_files)
    )

    def write_search_index(index_dir: Path) -> None:
        """Update the previous index with what changed, or write a fresh one."""
        if index_reusable:
            changed = {s for s, d in document_digests.items() if cache.documents.get(s) != d}
            removed = set(cache.documents) - set(document_digests)
            previous = output / "_search" / "whoosh"
            if update_index(index_dir, previous, documents, changed, removed, meta):
                return
            shutil.rmtree(index_dir, ignore_errors=True)
        write_index(index_dir, documents, meta)

    def write_page(job: PageJob, staging: Path) -> None:
        write_file(staging / job.rel, renderer.render_job(job))

    statics = {f"static/{s.rel}": s.path for s in tree.static}
    fresh = [
        job
        for job in page_jobs
        if not (cache.loaded and cache.reusable(job.rel, page_keys[job.rel], output))
    ]

    def render_pages(staging: Path) -> None:
        """The pages to render, in worker processes, with the index beside them."""
        index = Background(
            lambda: write_search_index(staging / "_search" / "whoosh"),
            fork=jobs > 1 and len(documents) >= 200,
        )
        if progress:
            progress.start(len(fresh))
        parallel_map(
            lambda job: write_page(job, staging),
            fresh,
            jobs,
            progress=progress.advance if progress else None,
        )
        if progress:
            progress.close()
        index.join()

    def fill(staging: Path) -> None:
        """A whole new tree: unchanged pages hard-linked from the previous output."""
        write_files(staging, files)
        copy_files(staging, statics.items())
        for job in page_jobs:
            previous = cache.reusable(job.rel, page_keys[job.rel], output) if cache.loaded else None
            if previous is not None:
                link_file(previous, staging / job.rel)
        render_pages(staging)

    def fill_changes(staging: Path) -> None:
        """Only what differs from the previous output."""
        # _search/ always: the index writer reads the phrase dictionary beside it
        changed = {
            r: d for r, d in files.items() if r.startswith("_search/") or not _same(output / r, d)
        }
        write_files(staging, changed)
        copy_files(
            staging,
            ((r, p) for r, p in statics.items() if not _same(output / r, p.read_bytes())),
        )
        render_pages(staging)

    built = set(page_keys) | set(files) | set(statics)
    if cache.loaded and output.is_dir() and len(fresh) <= len(page_jobs) // 2:
        stale = [
            rel for rel, (key, _) in cache.files.items() if key != "index" and rel not in built
        ]
        publish_changes(output, fill_changes, stale)
    else:
        publish(output, fill)
    if use_cache:
        file_keys = dict(page_keys)
        file_keys.update(dict.fromkeys([*files, *statics], "file"))
        file_keys.update(dict.fromkeys(_index_files(output), "index"))
        cache.save(
            cache_dir,
            output,
            checked.parsed,
            _by_key(bodies, checked.body_keys),
            file_keys,
            document_digests,
            index_state,
        )
    return BuildResult(
        articles=len(site.articles),
        pages=len(page_jobs) + sum(1 for name in files if name.endswith(".html")),
        variants=len(variants),
        seconds=time.perf_counter() - started,
        warnings=tuple(p for p in checked.problems if p.severity == "warning"),
    )


def _same(path: Path, data: bytes) -> bool:
    """Whether ``path`` holds exactly ``data`` (an unchanged file is not rewritten)."""
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


def _index_files(output: Path) -> list[str]:
    """The search index's files in an output folder, as output-relative paths."""
    folder = output / "_search" / "whoosh"
    if not folder.is_dir():
        return []
    return sorted(
        f"_search/whoosh/{p.name}"
        for p in folder.iterdir()
        if p.is_file() and not p.name.endswith("_WRITELOCK")
    )


def _by_key(bodies: Mapping[str, Rendered], keys: Mapping[str, str]) -> dict[str, Rendered]:
    return {keys[slug]: body for slug, body in bodies.items()}


def _check_output_folder(content: Path, output: Path) -> None:
    """Refuse to replace a folder that a build did not write (or the content itself)."""
    content_abs, output_abs = content.resolve(), output.resolve()
    if output_abs == content_abs or output_abs in content_abs.parents:
        raise UsageError(f"{output}: the output folder must not contain the content folder")
    if content_abs in output_abs.parents:
        raise UsageError(f"{output}: the output folder must not be inside the content folder")
    if output_abs == Path.cwd().resolve() or output_abs == Path.home().resolve():
        raise UsageError(f"{output}: refusing to replace this folder with the site")
    if output.is_dir() and any(output.iterdir()) and not (output / OUTPUT_MARK).is_file():
        raise UsageError(
            f"{output}: folder exists and was not written by a build "
            f"(no {OUTPUT_MARK}); choose another --output or empty it"
        )
    if output.exists() and not output.is_dir():
        raise UsageError(f"{output}: exists and is not a folder")
