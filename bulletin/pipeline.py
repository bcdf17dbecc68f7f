"""The build, in one straight line:

read all content (pure, sorted) -> validate (every problem) -> make variants ->
render -> write atomically -> index.

Nothing before the write touches the output; OpenCC needs its config on disk, so the
converters are made from a temporary folder that is removed at once. Two stages run
side by side: once the content is validated, a forked process writes (or updates) the
search index into a scratch folder beside the output, while worker processes render
the pages straight into the staging folder; the index is moved into the staging folder
when both are done. The output itself changes only after all of it has succeeded
(``output.publish`` or, for an incremental build, ``output.publish_changes``).

With the build cache (``bulletin.cache``), every output file has a key of everything
that went into it; a file whose key is unchanged is kept, and only the rest rendered.
Set ``BULLETIN_TIMINGS=1`` to see where a build's time goes.
"""

from __future__ import annotations

import gc
import json
import os
import re
import shutil
import sys
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from bulletin.cache import (
    Bodies,
    BodyStore,
    BuildCache,
    DataKeys,
    TemplateCode,
    cache_path,
    code_fingerprint,
    digest,
    tree_digest,
)
from bulletin.config import normalise_base_url
from bulletin.content import ArticleBodies, has_links, load_site
from bulletin.markup import LinkMap, MarkdownRenderer
from bulletin.model import Article, Site
from bulletin.output import (
    copy_files,
    flat_name,
    gzip_bytes,
    has_twin,
    link_file,
    link_folder,
    process_running,
    publish,
    publish_changes,
    write_file,
    write_files,
)
from bulletin.parallel import Background, Forked, default_jobs, parallel_map
from bulletin.problems import ContentError, Problem
from bulletin.render import (
    TEMPLATES_DIR,
    Assets,
    PageJob,
    PageSpec,
    SiteRenderer,
    make_environment,
    search_documents,
    search_meta,
)
from bulletin.slugs import Slugger
from bulletin.sources import SourceTree, read_tree
from bulletin.taxonomy import build_taxonomies
from bulletin.variants import Variant, local_converters, make_variants, phrases_text
from search.indexing import update_index, write_index
from search.static import StaticFiles, static_index_files

OUTPUT_MARK = "_search/meta.json"  # a folder holding this was written by a build
#: Each incremental update adds a small segment to the index (Whoosh merges small ones
#: as it commits), and every search reads every segment; once updates have added this
#: many, the index is written afresh (in its own process, beside the pages).
MAX_INDEX_UPDATES = 16
#: From this many output files on, they are checked in a process of their own.
CHECK_APART_FROM = 2000


class UsageError(Exception):
    """A command-line mistake (exit status 2), such as an output folder that is not ours."""


@dataclass(frozen=True)
class Checked:
    """Content read and validated, ready to render."""

    tree: SourceTree
    site: Site
    bodies: Bodies | None  # the articles' rendered Markdown, when there are no errors
    problems: tuple[Problem, ...]  # errors and warnings, sorted
    parsed: dict[str, Any] = field(default_factory=dict)  # parse results, for the cache
    markdown: MarkdownRenderer | None = None  # what rendered the bodies

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
    slug: Slugger | None = None,
    timings: Timings | None = None,
) -> Checked:
    """Read and validate everything, render Markdown to find broken links, and (``lint``)
    add the editor warnings of bulletin.lint; write nothing. ``cache`` supplies results
    of an earlier build for unchanged files."""
    timings = timings or Timings(enabled=False)
    tree = read_tree(content, cache.sources if cache else None)
    timings.lap("read the tree")
    parsed = dict(cache.parsed) if cache else {}
    site, problems = load_site(
        tree,
        str(content),
        parsed,
        lambda parse, files: parallel_map(parse, files, jobs, chunk_size=64),
    )
    if base_url is not None:
        normalised, error = normalise_base_url(base_url)
        if error:
            raise UsageError(error.replace("'base_url'", "--base-url"))
        site = replace(site, config=replace(site.config, base_url=normalised))
    timings.lap("parse and check")
    bodies, markdown = None, None
    if not any(p.severity == "error" for p in problems):
        store = cache.body_store() if cache else BodyStore(None, {})
        slug = slug or Slugger()
        texts = ArticleBodies(tree, site.articles)
        markdown = make_markdown(site, tree, slug)
        bodies = render_bodies(site, texts, markdown, store, jobs, slug)
        problems += link_problems(site, bodies, texts)
        timings.lap("Markdown bodies")
        if lint:
            from bulletin.lint import lint as lint_site  # the build does not lint

            problems += lint_site(site, content, texts)
    return Checked(tree, site, bodies, tuple(sorted(problems)), parsed, markdown)


def make_markdown(site: Site, tree: SourceTree, slug: Slugger) -> MarkdownRenderer:
    targets = {a.rel: f"articles/{a.slug}/" for a in site.articles}
    targets.update({f"pages/{p.slug}.md": f"{p.slug}/" for p in site.pages})
    static = frozenset(item.rel for item in tree.static)
    links_key = digest(repr(sorted(targets.items())), repr(sorted(static)))
    return MarkdownRenderer(LinkMap(targets), static, slug=slug, links_key=links_key)


def render_bodies(
    site: Site,
    texts: ArticleBodies,
    markdown: MarkdownRenderer,
    store: BodyStore,
    jobs: int,
    slug: Slugger,
) -> Bodies:
    """Each article's Markdown rendered once, in Simplified, on ``jobs`` processes;
    bodies whose inputs are unchanged are taken from ``store``, new ones added to it.
    A body's key is its file's digest or, if it has links, a digest of that and of
    where the files are. Heading ids made in workers are added to ``slug``, to be
    remembered."""
    keys: dict[str, str] = {}
    for a in site.articles:
        source = texts.source(a.slug).digest
        keys[a.slug] = digest(source, markdown.links_key) if a.links else source
    by_key = {key: a for a, key in zip(site.articles, keys.values(), strict=True)}
    store.remake = lambda key: (
        markdown.render(texts[a.slug], a.rel, "../../") if (a := by_key.get(key)) else None
    )
    missing = list({keys[a.slug]: a for a in site.articles if keys[a.slug] not in store}.values())
    rendered = parallel_map(
        lambda a: (markdown.render(texts[a.slug], a.rel, "../../"), slug.take_added()),
        missing,
        jobs,
        chunk_size=16,
    )
    for article, (body, slugs) in zip(missing, rendered, strict=True):
        store.add(keys[article.slug], body)
        slug.remember(slugs)
    return Bodies(keys, store)


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


def link_problems(site: Site, bodies: Bodies, texts: Mapping[str, str]) -> list[Problem]:
    """Links and images that lead nowhere, as warnings at their lines."""
    problems: list[Problem] = []
    for article in site.articles:
        seen: Counter[str] = Counter()
        for url in bodies.broken_links(article.slug):
            seen[url] += 1
            line = _line_of(texts[article.slug], url, article.body_line, seen[url])
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
    timings = Timings(enabled=bool(os.environ.get("BULLETIN_TIMINGS")))
    # The build holds many long-lived objects (the cache, the model, page data), which
    # made each full collection of the cyclic collector slow: it is off here and on
    # while pages render (parallel.collecting), in workers and in the index process.
    collector_was_on = gc.isenabled()
    gc.disable()
    try:
        return _build(content, output, base_url, templates, use_cache, jobs, progress, timings)
    finally:
        gc.unfreeze()
        if collector_was_on:
            gc.enable()
        timings.report()


class Timings:
    """Where a build's time goes: wall and CPU seconds per stage, printed to stderr
    when ``BULLETIN_TIMINGS`` is set."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.stages: list[tuple[str, float, float]] = []
        self.last = (time.perf_counter(), time.process_time())

    def lap(self, stage: str) -> None:
        if self.enabled:
            now = (time.perf_counter(), time.process_time())
            self.stages.append((stage, now[0] - self.last[0], now[1] - self.last[1]))
            self.last = now

    def report(self) -> None:
        for stage, wall, cpu in self.stages:
            print(f"  {stage:<24} {wall:7.3f} s wall {cpu:7.3f} s cpu", file=sys.stderr)


def _build(
    content: Path,
    output: Path,
    base_url: str | None,
    templates: Path,
    use_cache: bool,
    jobs: int | None,
    progress: Progress | None,
    timings: Timings,
) -> BuildResult:
    started = time.perf_counter()
    _check_output_folder(content, output)
    output = output.absolute()
    jobs = jobs or default_jobs()
    fingerprint = code_fingerprint()
    cache_dir = cache_path(output)
    cache = (
        BuildCache.load(cache_dir, fingerprint, output) if use_cache else BuildCache(fingerprint)
    )
    slugger = Slugger(cache.slugs)
    gc.freeze()  # the cache lives to the end: no collection need walk it (see below)
    root = str(output)
    # which output files are not as the last build left them: ~14,000 stats, made in a
    # process of its own while this one reads the content
    changed_outputs = Forked(
        lambda: cache.changed_files(root) if cache.loaded else set(),
        fork=cache.loaded and len(cache.files) >= CHECK_APART_FROM,
    )
    timings.lap("load cache")
    try:
        checked = check(
            content, base_url, lint=False, cache=cache, jobs=jobs, slug=slugger, timings=timings
        )
        if checked.errors or checked.bodies is None:
            raise ContentError(list(checked.problems))
    except BaseException:
        changed_outputs.cancel()
        raise
    # what is loaded now lives to the end: the cyclic collector need not walk it again
    # and again (and forked workers share its pages)
    gc.freeze()
    site, tree, bodies = checked.site, checked.tree, checked.bodies
    phrases = phrases_text(site.phrases).encode("utf-8")
    variants = make_variants(site.config.variants, phrases, local_converters(phrases))
    timings.lap("converters")
    meta = search_meta(site, urlsplit(site.config.base_url).path or "/", has_phrases=True)
    files = {
        "_search/phrases.txt": phrases,
        "_search/meta.json": (
            json.dumps(meta, ensure_ascii=False, sort_keys=True, indent=2) + "\n"
        ).encode("utf-8"),
    }

    # the search index: updated with the articles whose document changed, or written
    # afresh; in a process of its own from here on, into a folder beside the output.
    # What an article's page data and search document depend on, as strings compared
    # for equality (no hashing needed): its body key stands for its file (it is the
    # file's digest, with where the other files are if the body links to them), and the
    # issue is linked from outside (its title is in the search document)
    article_digests = {id(a): f"{bodies.keys[a.slug]}:{a.issue}" for a in site.articles}
    issues_by_slug = {issue.slug: issue for issue in site.issues}
    document_digests = {
        a.slug: (article_digests[id(a)], issues_by_slug[a.issue].title if a.issue else "")
        for a in site.articles
    }
    index_state = digest(files["_search/phrases.txt"], files["_search/meta.json"])
    index_files = _index_files(output)
    index_reusable = (
        cache.loaded
        and cache.index_state == index_state
        and bool(index_files)
        and _segments(index_files) < cache.index_segments + MAX_INDEX_UPDATES
        and not cache.changed_files(root, index_files)
        and all(cache.files.get(rel, ("",))[0] == "index" for rel in index_files)
    )
    changed = {s for s, d in document_digests.items() if cache.documents.get(s) != d}
    removed = set(cache.documents) - set(document_digests)
    index_unchanged = index_reusable and not changed and not removed
    index_work = output.with_name(f".{output.name}.index-{os.getpid()}")

    converters = {name: variant.converter for name, variant in variants.items()}

    def write_search_index() -> None:
        """Update the previous index with what changed, or write a fresh one."""
        index_dir = index_work / "whoosh"
        if index_reusable:
            update = search_documents(site, bodies, variants, issues_by_slug, slugs=changed)
            previous = output / "_search" / "whoosh"
            if update_index(index_dir, previous, update, changed, removed, meta, converters):
                return
            shutil.rmtree(index_dir, ignore_errors=True)
        documents = search_documents(site, bodies, variants, issues_by_slug)
        write_index(index_dir, documents, meta, converters)

    # the static search index (search/static): its files, made beside the pages
    static_before = {r for r, entry in cache.files.items() if entry[0] == "static"}
    if index_unchanged and static_before:  # the last build's documents: its files kept
        static_index = Forked(lambda: StaticFiles({}, frozenset(static_before)), fork=False)
    else:
        static_index = Forked(
            lambda: static_index_files(
                search_documents(site, bodies, variants, issues_by_slug),
                list(variants),
                converters,
                previous=output if static_before else None,  # updated where it can be
            ),
            fork=jobs > 1 and len(site.articles) >= 200,
        )

    index: Background | None = None
    _remove_stale_scratch(output)
    if not index_unchanged:
        index_work.mkdir(parents=True)
        (index_work / "phrases.txt").write_bytes(phrases)  # the writer reads it there
        index = Background(write_search_index, fork=jobs > 1 and len(site.articles) >= 200)
    timings.lap("digests, index started")
    try:
        assert checked.markdown is not None
        markdown = RememberedMarkdown(checked.markdown, cache.texts)
        template_code = TemplateCode(cache.templates)
        taxonomies = build_taxonomies(site, slugger)
        timings.lap("taxonomies")
        renderer = SiteRenderer(
            site=site,
            taxonomies=taxonomies,
            bodies=bodies,
            variants=variants,
            env=make_environment(templates, template_code),
            assets=Assets.load(templates / "assets"),
            markdown=markdown,
        )
        renderer.page_specs()
        for name in renderer.env.list_templates(filter_func=_is_template):
            renderer.env.get_template(name)  # compiled once, before workers fork (and kept)
        timings.lap("page specs")

        # the key of every output file: a file whose key is unchanged is kept
        data_key = DataKeys(article_digests)
        shared = data_key((fingerprint, tree_digest([templates]), renderer.shared_data()))
        specs, page_jobs = renderer.page_specs(), renderer.page_jobs()
        structure = site_structure(shared, tree, len(specs))
        keys, refs = page_keys(
            specs,
            page_jobs,
            variants,
            data_key,
            shared,
            cache,
            changed_bodies(cache, checked, structure),
        )
        extras = list(renderer.extra_files())
        keys.update({e.rel: data_key((shared, e.rel, e.data)) for e in extras})
        files.update({f"assets/{name}": data for name, data in renderer.assets.files.items()})
        statics = {f"static/{s.rel}": s.path for s in tree.static}
        timings.lap("keys")

        not_as_left = changed_outputs.result()
        kept = {
            rel: previous
            for rel, key in keys.items()
            if cache.loaded
            and (previous := cache.reusable(rel, key, root, not_as_left)) is not None
        }
        work: list[tuple[str, Callable[[], bytes]]] = [
            (job.rel, lambda job=job: renderer.render_job(job))
            for job in page_jobs
            if job.rel not in kept
        ]
        work += [(e.rel, e.make) for e in extras if e.rel not in kept]

        def render_work(staging: Path, flat: bool = False) -> None:
            """Render ``work`` on worker processes; then put the index beside the pages.
            ``flat``: the staging folder is flat (see ``output.publish_changes``)."""
            if progress:
                progress.start(len(work))

            def make(item: tuple[str, Callable[[], bytes]]) -> list[tuple[str, str, str]]:
                rel = flat_name(item[0]) if flat else item[0]
                write_file(f"{staging}/{rel}", item[1]())
                return bodies.store.take_conversions() if use_cache else []

            made = parallel_map(make, work, jobs, progress=progress.advance if progress else None)
            timings.lap(f"render {len(work)} files")
            for conversions in made:  # bodies converted (in workers), for the cache
                bodies.store.add_conversions(conversions)
            if progress:
                progress.close()
            if index is not None:
                index.join()
                timings.lap("wait for the index")
                (staging / "_search").mkdir(parents=True, exist_ok=True)
                os.rename(index_work / "whoosh", staging / "_search" / "whoosh")
            static = static_index.result()
            timings.lap("wait for the static index")
            static_files.update(static.files)
            static_names.update(static.names)
            if flat:  # only what the output lacks; then the files the index dropped
                write_files(staging, static.to_write(output), flat=True)
                stale.extend(sorted(static_before - static.names))
            else:
                write_files(staging, static.files)

        def fill(staging: Path) -> None:
            """A whole new tree: unchanged files hard-linked from the previous output."""
            write_files(staging, files)
            copy_files(staging, statics.items())
            for rel, previous in kept.items():
                link_file(Path(previous), staging / rel)
            if index_unchanged:
                link_folder(output / "_search" / "whoosh", staging / "_search" / "whoosh")
            render_work(staging)

        def fill_changes(staging: Path) -> None:
            """Only what differs from the previous output."""
            changed = {r: d for r, d in files.items() if not _same(output / r, d)}
            write_files(staging, changed, flat=True)
            copy_files(
                staging,
                ((r, p) for r, p in statics.items() if not _same(output / r, p.read_bytes())),
                flat=True,
            )
            render_work(staging, flat=True)

        timings.lap("what to render")
        built = set(keys) | set(files) | set(statics)
        static_files: dict[str, bytes] = {}  # the static index's files written
        static_names: set[str] = set()  # and all of them
        stale: list[str] = []  # static index files are added once they are known
        if cache.loaded and output.is_dir():
            stale += [
                r
                for r, entry in cache.files.items()
                if entry[0] not in ("index", "static") and r not in built
            ]
            publish_changes(output, fill_changes, stale)
        else:
            publish(output, fill)
        timings.lap("publish")
        if use_cache:
            file_keys = dict(keys)
            file_keys.update(dict.fromkeys([*files, *statics], "file"))
            index_now = _index_files(output)
            # the number of segments of the last index written afresh (an update keeps
            # the previous segment files and adds one; when Whoosh merged small ones,
            # the count is taken afresh too)
            segments = set(filter(_is_segment, index_files))
            fresh = not segments or not segments <= set(filter(_is_segment, index_now))
            index_segments = _segments(index_now) if fresh else cache.index_segments
            file_keys.update(dict.fromkeys(index_now, "index"))
            file_keys.update(dict.fromkeys(static_names, "static"))
            written = [rel for rel, _ in work] + [*files, *statics, *index_now, *static_files]
            parsed = {
                s.digest: checked.parsed[s.digest]
                for s in (*tree.articles, *tree.issues, *tree.pages)
            }
            cache.save(
                cache_dir,
                output,
                parsed,
                bodies.store,
                bodies.keys.values(),
                file_keys,
                written,
                document_digests,
                index_state,
                slugger.slugs,
                template_code,
                [variant.key for variant in variants.values()],
                tree,
                index_segments,
                markdown.used,
                structure,
                refs,
            )
            timings.lap("save cache")
    finally:
        changed_outputs.cancel()
        static_index.cancel()
        if index is not None:
            index.cancel()
        shutil.rmtree(index_work, ignore_errors=True)
    return BuildResult(
        articles=len(site.articles),
        pages=len(page_jobs) + sum(1 for e in extras if e.rel.endswith(".html")),
        variants=len(variants),
        seconds=time.perf_counter() - started,
        warnings=tuple(p for p in checked.problems if p.severity == "warning"),
    )


def site_structure(shared: str, tree: SourceTree, pages: int) -> str:
    """Digest of what the pages' data depends on besides the articles' files: the data
    every page shares (code, templates, config, navigation), the issues, the pages, the
    names of the static files, where the articles are and how many pages there are."""
    sources = (tree.site_config, tree.phrases, *tree.issues, *tree.pages)
    return digest(
        shared,
        str(pages),
        *(f"{s.display}\0{s.digest}" for s in sources if s is not None),
        *(s.display for s in tree.articles),
        *(s.rel for s in tree.static),
    )


def changed_bodies(cache: BuildCache, checked: Checked, structure: str) -> set[str] | None:
    """The slugs of the articles whose files changed since the last build, when only
    their Markdown bodies did: nothing else in the site's structure, and each article's
    parsed fields the same. Otherwise None."""
    if not cache.loaded or cache.structure != structure:
        return None
    changed = {s.display: s.digest for s in checked.tree.articles if s.digest not in cache.parsed}
    if not changed:
        return set()
    before = {
        entry[0].path: entry[0]
        for entry in cache.parsed.values()
        if type(entry) is tuple and entry and type(entry[0]) is Article and entry[0].path in changed
    }
    slugs = set()
    for display, source_digest in changed.items():
        now = checked.parsed[source_digest][0]
        if before.get(display) != now:
            return None
        slugs.add(now.slug)
    return slugs


def page_keys(
    specs: Sequence[PageSpec],
    jobs: Sequence[PageJob],
    variants: Mapping[str, Variant],
    data_key: DataKeys,
    shared: str,
    cache: BuildCache,
    changed: set[str] | None,
) -> tuple[dict[str, str], dict[str, tuple[int, ...]]]:
    """The key of every page (output path -> key), and for each article the indexes of
    the specs whose data show it.

    A page's key digests its spec's data and its variant. Given ``changed``, the only
    articles whose files changed since the last build (when nothing else did, see
    :func:`changed_bodies`), a spec that shows none of them has the data it had then,
    so only the specs that show one are keyed again, found by the last build's record
    of what each spec shows: an edit costs the pages it touches, not every page's key."""
    redo: set[int] | None = None
    if changed is not None:
        redo = set()
        for slug in changed:
            redo.update(cache.refs.get(slug, ()))

    def key_of(spec: PageSpec) -> str:
        return data_key((shared, spec.template, spec.path, spec.context))

    spec_keys: dict[int, str] = {}  # id(spec) -> key, of the specs keyed now
    shows: dict[str, list[int]] = {}
    for index, spec in enumerate(specs):
        if redo is None or index in redo:
            data_key.refs = set()
            spec_keys[id(spec)] = key_of(spec)
            for slug in data_key.refs:
                shows.setdefault(slug, []).append(index)
    data_key.refs = None
    keys: dict[str, str] = {}
    for job in jobs:
        spec_key = spec_keys.get(id(job.spec))
        if spec_key is None:
            entry = cache.files.get(job.rel)
            if entry is not None:
                keys[job.rel] = entry[0]
                continue
            # not in the last build's record: keyed after all
            spec_key = spec_keys[id(job.spec)] = key_of(job.spec)
        keys[job.rel] = f"{spec_key}:{variants[job.variant].key}"
    if redo is not None:
        return keys, cache.refs
    return keys, {slug: tuple(indexes) for slug, indexes in shows.items()}


def _remove_stale_scratch(output: Path) -> None:
    """Index scratch folders left by builds that were killed (their process is gone)."""
    for folder in output.parent.glob(f".{output.name}.index-*"):
        pid = folder.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not process_running(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _is_template(name: str) -> bool:
    return name.endswith((".html", ".xml")) and not name.startswith("assets/")


def _same(path: Path, data: bytes) -> bool:
    """Whether ``path`` holds exactly ``data``, and its .gz twin (where it has one) the
    same compressed (an unchanged file is not rewritten)."""
    try:
        if path.stat().st_size != len(data) or path.read_bytes() != data:
            return False
        if has_twin(path.name):
            return path.with_name(path.name + ".gz").read_bytes() == gzip_bytes(data)
    except OSError:
        return False
    return True


def _is_segment(rel: str) -> bool:
    return rel.endswith(".seg")


def _segments(index_files: list[str]) -> int:
    return sum(map(_is_segment, index_files))


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
