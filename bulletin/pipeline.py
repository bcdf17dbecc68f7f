"""The build, as its steps (see docs/architecture.md):

    load     the content, validated, its Markdown rendered, and the last build's cache
             (reads only; every problem collected: ContentError, nothing written)
    plan     what the search index needs and what each output file's key is; which
             files to render and which to keep (pure)
    execute  the index written in a process of its own from the moment it is planned,
             the pages rendered on worker processes into a staging folder beside the
             output, then published atomically (``output.publish`` swaps a whole new
             tree in; ``output.publish_changes`` renames only the changed files)
    record   the cache, from one record of what this build made

Nothing before publishing touches the output, and one build at a time writes it (a lock
beside it). Set ``BULLETIN_TIMINGS=1`` to see where a build's time goes.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Protocol

from bulletin.bodies import Bodies, KeptBodies, RememberedMarkdown, render_bodies
from bulletin.cache import (
    SETTLED_NS,
    CacheState,
    PreviousBuild,
    TemplateCode,
    cache_path,
    code_fingerprint,
    file_entries,
    pack_parsed,
    save,
    settled_sources,
)
from bulletin.config import normalise_base_url
from bulletin.content import ArticleBodies, Parsed, load_site, parse_tree
from bulletin.hashing import digest, tree_digest
from bulletin.keys import DataKeys, changed_bodies, page_keys, site_structure
from bulletin.markup import LinkMap, MarkdownRenderer, MarkupError
from bulletin.model import Site
from bulletin.output import (
    OutputLock,
    copy_files,
    flat_name,
    gzip_bytes,
    has_twin,
    is_previous_tree,
    link_file,
    link_folder,
    previous_path,
    publish,
    publish_changes,
    remove_leftovers,
    write_file,
    write_files,
)
from bulletin.parallel import Forked, default_jobs, parallel_map
from bulletin.pdf import IssuePdf, engine_version, load_engine
from bulletin.problems import ContentError, OutputError, Problem, UsageError
from bulletin.render import TEMPLATES_DIR, Assets, SiteRenderer, make_environment
from bulletin.site_index import (
    STATIC_KEY,
    Indexing,
    IndexPlan,
    plan_index,
    segments_after,
)
from bulletin.slugs import Slugger
from bulletin.sources import SourceTree, read_tree
from bulletin.taxonomy import build_taxonomies
from bulletin.tuning import DEFAULT, Tuning, collector_paused
from bulletin.variants import Variant, local_converters, make_variants, phrases_text
from search import layout

OUTPUT_MARK = layout.META  # a folder holding this was written by a build

__all__ = ["TEMPLATES_DIR", "BuildResult", "Checked", "UsageError", "build", "check"]


class Progress(Protocol):
    """A progress display: told the amount of work, then each step done."""

    def start(self, total: int) -> None: ...
    def advance(self, count: int) -> None: ...
    def close(self) -> None: ...


@dataclass(frozen=True)
class BuildOptions:
    content: Path
    output: Path  # absolute
    base_url: str | None = None
    templates: Path = TEMPLATES_DIR
    use_cache: bool = True
    jobs: int = 1
    tuning: Tuning = DEFAULT
    pdf: bool = False  # each issue's PDF too (bulletin.pdf)


@dataclass(frozen=True)
class BuildResult:
    articles: int
    pages: int
    variants: int
    seconds: float
    warnings: tuple[Problem, ...]


def build(
    content: Path,
    output: Path,
    base_url: str | None = None,
    templates: Path = TEMPLATES_DIR,
    use_cache: bool = True,
    jobs: int | None = None,
    progress: Progress | None = None,
    tuning: Tuning = DEFAULT,
    waiting: Callable[[str], None] | None = None,
    pdf: bool = False,
) -> BuildResult:
    """Build ``content`` into ``output``. Raises ContentError (nothing written) when the
    content has errors, UsageError for a wrong output folder, OutputError when the
    output could not be written (nothing published). With ``use_cache``, what the last
    build kept in ``OUTPUT.cache/`` is reused where its inputs are unchanged; the
    output is the same either way. ``waiting`` hears of another build holding the
    output (default: a line on stderr). ``pdf``: each issue's PDF too (PdfUnavailable,
    before anything is read, when no engine is installed)."""
    check_folders(content, output)
    if pdf:
        engine_version()  # or PdfUnavailable: what is missing
    jobs = jobs or default_jobs()
    options = BuildOptions(
        content, output.absolute(), base_url, templates, use_cache, jobs, tuning, pdf
    )
    with (
        OutputLock(options.output, waiting or _tell),
        collector_paused(tuning.collect_after) as settle,
    ):
        started = time.perf_counter()  # the build's time, not the wait for the lock
        result = _run(options, progress, settle)
    return replace(result, seconds=time.perf_counter() - started)


def _run(
    options: BuildOptions, progress: Progress | None, settle: Callable[[], None]
) -> BuildResult:
    """The steps of :func:`build` (their objects are garbage once it returns; ``settle``
    is called when what is loaded lives to the end, before each fork)."""
    timings = Timings(enabled=bool(os.environ.get("BULLETIN_TIMINGS")))
    fingerprint = code_fingerprint()
    previous = load_previous(options, fingerprint)
    settle()
    outputs = _check_outputs(previous, options)  # beside the read, in its own process
    timings.lap("load cache")
    try:
        loaded = load(options, previous, timings)
        settle()
        index = plan_index(loaded.site, loaded.bodies, loaded.phrases, previous, options.output)
        with _indexing(index, loaded, options) as indexing:
            timings.lap("plan the index, start it")
            pages = plan_pages(loaded, index, previous, outputs, fingerprint, options)
            timings.lap("plan the pages")
            published = execute(pages, indexing, options, progress, timings)
    finally:
        outputs.cancel()
    if options.use_cache:
        record(loaded, index, pages, published, previous, fingerprint, options)
        timings.lap("record")
    timings.report()
    return BuildResult(
        articles=len(loaded.site.articles),
        pages=pages.page_count,
        variants=len(loaded.variants),
        seconds=0.0,
        warnings=loaded.warnings,
    )


def _tell(message: str) -> None:
    print(message, file=sys.stderr)


# --- load ----------------------------------------------------------------------------


def load_previous(options: BuildOptions, fingerprint: str) -> PreviousBuild:
    if not options.use_cache:
        return PreviousBuild()
    return PreviousBuild.load(cache_path(options.output), fingerprint, options.output)


def _check_outputs(previous: PreviousBuild, options: BuildOptions) -> Forked[set[str]]:
    """Which output files are not as the last build left them (~14,000 stats at 5,000
    articles, made in a process of its own while this one reads the content)."""
    root = str(options.output)
    many = len(previous.state.files) >= options.tuning.check_outputs_apart_from
    return Forked(
        lambda: previous.changed_files(root) if previous.loaded else set(),
        fork=previous.loaded and many,
    )


@dataclass(frozen=True)
class Loaded:
    """The content read and validated, its Markdown rendered; what every later step
    reads."""

    tree: SourceTree
    site: Site
    parsed: Mapping[str, Parsed]  # every content file's parse result, by digest
    bodies: Bodies
    notes: RememberedMarkdown  # issue notes and pages as HTML
    slugger: Slugger
    phrases: bytes  # the site phrase dictionary, as OpenCC reads it
    variants: Mapping[str, Variant]
    warnings: tuple[Problem, ...]


def load(options: BuildOptions, previous: PreviousBuild, timings: Timings) -> Loaded:
    """Read and validate everything and render the Markdown; raises ContentError with
    every problem found. ``previous`` supplies what an earlier build made of unchanged
    files."""
    tree, site, parsed, problems = read_content(options, previous)
    timings.lap("read and parse")
    slugger = Slugger(previous.state.slugs)
    complete = not _errors(problems)
    bodies, notes, markup_problems = render_markdown(
        site, tree, slugger, previous, options, complete
    )
    problems += markup_problems
    timings.lap("Markdown")
    if _errors(problems):
        raise ContentError(problems)
    phrases = phrases_text(site.phrases).encode("utf-8")
    variants = make_variants(site.config.variants, phrases, local_converters(phrases))
    timings.lap("converters")
    warnings = tuple(sorted(p for p in problems if p.severity == "warning"))
    return Loaded(tree, site, parsed, bodies, notes, slugger, phrases, variants, warnings)


def read_content(
    options: BuildOptions, previous: PreviousBuild
) -> tuple[SourceTree, Site, dict[str, Parsed], list[Problem]]:
    """The content tree, parsed (unchanged files by the previous build's results) and
    validated, with the site's base URL as given."""
    tree = read_tree(options.content, previous.state.sources)
    jobs, chunk = options.jobs, options.tuning.parse_chunk
    parsed = parse_tree(
        tree, previous.parsed, lambda parse, files: parallel_map(parse, files, jobs, chunk)
    )
    site, problems = load_site(tree, parsed, str(options.content))
    if options.base_url is not None:
        normalised, error = normalise_base_url(options.base_url)
        if error:
            raise UsageError(error.replace("'base_url'", "--base-url"))
        site = replace(site, config=replace(site.config, base_url=normalised))
    return tree, site, parsed, problems


def render_markdown(
    site: Site,
    tree: SourceTree,
    slugger: Slugger,
    previous: PreviousBuild,
    options: BuildOptions,
    complete: bool = True,
) -> tuple[Bodies, RememberedMarkdown, list[Problem]]:
    """Every article's body rendered once (kept bodies reused), the issue notes and
    pages checked; and, when the site is ``complete`` (no file had errors, so every
    link target is known), the links that lead nowhere as warnings."""
    markdown = make_markdown(site, tree, slugger)
    texts = ArticleBodies(tree, site.articles)
    kept = KeptBodies(previous.folder / "bodies" if previous.folder else None)
    kept = replace(kept, summaries=previous.state.bodies) if previous.loaded else kept
    tuning = options.tuning
    bodies, problems = render_bodies(
        site, texts, markdown, kept, slugger, options.jobs, tuning.markdown_chunk
    )
    notes = RememberedMarkdown(markdown, previous.state.texts)
    problems += _note_problems(site, notes)
    if complete and not _errors(problems):
        problems += link_problems(site, bodies, texts)
    return bodies, notes, problems


def _note_problems(site: Site, notes: RememberedMarkdown) -> list[Problem]:
    """Issue notes and pages that cannot be rendered, rendered here as their pages
    will show them (and so remembered for them)."""
    problems = []
    texts = [(i.note, f"issues/{i.slug}.md", "../../", i.path, i.note_line) for i in site.issues]
    texts += [(p.body, f"pages/{p.slug}.md", "../", p.path, p.body_line) for p in site.pages]
    for text, rel, root, path, line in texts:
        try:
            notes(text, rel, root)
        except MarkupError as exc:
            problems.append(Problem(path, line, str(exc)))
    return problems


def _errors(problems: list[Problem]) -> bool:
    return any(p.severity == "error" for p in problems)


def make_markdown(site: Site, tree: SourceTree, slug: Slugger) -> MarkdownRenderer:
    targets = {a.rel: f"articles/{a.slug}/" for a in site.articles}
    targets.update({f"pages/{p.slug}.md": f"{p.slug}/" for p in site.pages})
    static = frozenset(item.rel for item in tree.static)
    links_key = digest(repr(sorted(targets.items())), repr(sorted(static)))
    return MarkdownRenderer(LinkMap(targets), static, slug=slug, links_key=links_key)


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


@dataclass(frozen=True)
class Checked:
    """Content read and validated (``build.py check``)."""

    site: Site
    problems: tuple[Problem, ...]  # errors and warnings, sorted

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


def check(content: Path, base_url: str | None = None, lint: bool = True) -> Checked:
    """Read and validate everything, render Markdown to find broken links, and (``lint``)
    add the editor warnings of bulletin.lint; write nothing."""
    options = BuildOptions(content, Path(), base_url)
    if not content.is_dir():
        raise UsageError(f"{content}: no such content folder")
    previous = PreviousBuild()
    tree, site, _, problems = read_content(options, previous)
    complete = not _errors(problems)
    _, _, markup_problems = render_markdown(site, tree, Slugger(), previous, options, complete)
    problems += markup_problems
    if lint and not _errors(problems):
        from bulletin.lint import lint as lint_site  # the build does not lint

        problems += lint_site(site, content, ArticleBodies(tree, site.articles))
    return Checked(site, tuple(sorted(problems)))


# --- plan ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PagePlan:
    """Every output file but the index: its key, and whether it is rendered, kept from
    the previous output or written as it is."""

    renderer: SiteRenderer
    keys: Mapping[str, str]  # rendered files (pages, feeds, root files) -> key
    refs: Mapping[str, tuple[int, ...]]  # slug -> indexes of the page specs that show it
    structure: str  # see bulletin.keys.site_structure
    work: tuple[tuple[str, Callable[[], bytes]], ...]  # what to render
    kept: Mapping[str, str]  # rel -> the previous output's file (unchanged key)
    files: Mapping[str, bytes]  # written as they are: assets, _search/ meta and phrases
    statics: Mapping[str, Path]  # copied: content/static/
    stale: tuple[str, ...]  # recorded output files no longer built
    incremental: bool  # only what changed is written (else a whole new tree)
    reuse_index: bool  # the index is unchanged: linked into a new tree as it is
    template_code: TemplateCode
    page_count: int = 0


def plan_pages(
    loaded: Loaded,
    index: IndexPlan,
    previous: PreviousBuild,
    outputs: Forked[set[str]],
    fingerprint: str,
    options: BuildOptions,
) -> PagePlan:
    """What the pages are, their keys, and which must be rendered: those whose key is
    not the one the last build recorded for a file still as it left it."""
    template_code = TemplateCode(previous.state.templates)
    pdf = _issue_pdf(loaded) if options.pdf else None
    renderer = _renderer(loaded, options.templates, template_code, pdf)
    data_key = DataKeys(
        {id(a): f"{loaded.bodies.keys[a.slug]}:{a.issue}" for a in loaded.site.articles}
    )
    shared = data_key((fingerprint, tree_digest([options.templates]), renderer.shared_data()))
    specs, page_jobs = renderer.page_specs(), renderer.page_jobs()
    structure = site_structure(shared, loaded.tree, len(specs))
    same = previous.loaded and previous.state.structure == structure
    changed = changed_bodies(loaded.tree, loaded.parsed, previous.parsed if same else None)
    recorded = (previous.state.refs, previous.state.files) if previous.loaded else None
    keys, refs = page_keys(specs, page_jobs, loaded.variants, data_key, shared, recorded, changed)
    extras = list(renderer.extra_files())
    keys.update({e.rel: data_key((shared, e.rel, e.data)) for e in extras})
    kept = _kept(keys, previous, outputs.result(), options.output)
    work = [(j.rel, partial(renderer.render_job, j)) for j in page_jobs if j.rel not in kept]
    work += [(e.rel, e.make) for e in extras if e.rel not in kept]
    files = {**index.files, **{f"assets/{n}": d for n, d in renderer.assets.files.items()}}
    statics = {f"static/{s.rel}": s.path for s in loaded.tree.static}
    incremental = previous.loaded and options.output.is_dir()
    stale = _stale(previous, {*keys, *files, *statics}) if incremental else ()
    pages = len(page_jobs) + sum(1 for e in extras if e.rel.endswith(".html"))
    return PagePlan(
        renderer=renderer,
        keys=keys,
        refs=refs,
        structure=structure,
        work=tuple(work),
        kept=kept,
        files=files,
        statics=statics,
        stale=stale,
        incremental=incremental,
        reuse_index=index.mode == "unchanged",
        template_code=template_code,
        page_count=pages,
    )


def _stale(previous: PreviousBuild, built: set[str]) -> tuple[str, ...]:
    """The files the last build recorded (the indexes aside: what they drop is known
    once they are written) that this one does not build."""
    files = previous.state.files
    indexes = ("index", STATIC_KEY)
    return tuple(sorted(r for r, e in files.items() if e[0] not in indexes and r not in built))


def _renderer(
    loaded: Loaded, templates: Path, code: TemplateCode, pdf: IssuePdf | None = None
) -> SiteRenderer:
    renderer = SiteRenderer(
        site=loaded.site,
        taxonomies=build_taxonomies(loaded.site, loaded.slugger),
        bodies=loaded.bodies,
        variants=loaded.variants,
        env=make_environment(templates, code),
        assets=Assets.load(templates / "assets"),
        markdown=loaded.notes,
        pdf=pdf,
    )
    for name in renderer.env.list_templates(filter_func=_is_template):
        renderer.env.get_template(name)  # compiled once, before workers fork (and kept)
    return renderer


def _issue_pdf(loaded: Loaded) -> IssuePdf:
    statics = {source.rel: source.path for source in loaded.tree.static}
    return IssuePdf.make(loaded.site.config.base_url, statics)


def _is_template(name: str) -> bool:
    return name.endswith((".html", ".xml")) and not name.startswith("assets/")


def _kept(
    keys: Mapping[str, str], previous: PreviousBuild, not_as_left: set[str], output: Path
) -> dict[str, str]:
    """Output files whose key is the one the last build recorded, and which are as it
    left them: the previous output's path of each."""
    if not previous.loaded:
        return {}
    files, root = previous.state.files, str(output)
    return {
        rel: f"{root}/{rel}"
        for rel, key in keys.items()
        if (entry := files.get(rel)) is not None and entry[0] == key and rel not in not_as_left
    }


# --- execute -------------------------------------------------------------------------


def _indexing(index: IndexPlan, loaded: Loaded, options: BuildOptions) -> Indexing:
    """The index writer, started at once: in its own process for a large site."""
    tuning = options.tuning
    fork = options.jobs > 1 and len(loaded.site.articles) >= tuning.index_apart_from
    remove_leftovers(options.output)  # of killed builds: this one holds the lock
    return Indexing(index, loaded.site, loaded.bodies, loaded.variants, options.output, fork)


@dataclass(frozen=True)
class Published:
    """What :func:`execute` wrote into the output, for the record."""

    written: frozenset[str]  # output files written (the Whoosh index's aside)
    static: frozenset[str]  # every file of the static search index


def execute(
    plan: PagePlan,
    indexing: Indexing,
    options: BuildOptions,
    progress: Progress | None,
    timings: Timings,
) -> Published:
    """Render the pages into a staging folder beside the output, put the indexes beside
    them, and publish. Raises OutputError (nothing published) when the files cannot be
    written."""
    render = partial(_render_into, plan, indexing, options, progress, timings)
    small = options.tuning.small_previous_tree
    try:
        if plan.incremental:
            fill = partial(_fill_changes, plan, render, indexing, options.output)
            publish_changes(options.output, fill, plan.stale, small)
        else:
            publish(options.output, partial(_fill, plan, render, indexing, options.output), small)
    except OSError as exc:
        raise OutputError(exc, options.output) from exc
    timings.lap("publish")
    static = indexing.static_files()
    written = {rel for rel, _ in plan.work} | set(plan.files) | set(plan.statics)
    return Published(frozenset(written | set(static.files)), static.names)


def _fill(
    plan: PagePlan,
    render: Callable[..., None],
    indexing: Indexing,
    output: Path,
    staging: Path,
) -> None:
    """A whole new tree: unchanged files hard-linked from the previous output."""
    write_files(staging, plan.files)
    copy_files(staging, plan.statics.items())
    for rel, previous in plan.kept.items():
        link_file(Path(previous), staging / rel)
    if plan.reuse_index:
        link_folder(layout.index_dir(output), layout.index_dir(staging))
    render(staging, flat=False)
    static = indexing.static_files()
    for rel in static.names - set(static.files):  # kept as they are: linked
        link_file(output / rel, staging / rel)
    write_files(staging, static.files)


def _fill_changes(
    plan: PagePlan,
    render: Callable[..., None],
    indexing: Indexing,
    output: Path,
    staging: Path,
) -> set[str]:
    """Only what differs from the previous output (``staging`` is flat: see
    ``output.publish_changes``); the static index's files no longer used, to remove."""
    changed = {r: d for r, d in plan.files.items() if not _same(output / r, d)}
    write_files(staging, changed, flat=True)
    statics = [(r, p) for r, p in plan.statics.items() if not _same(output / r, p.read_bytes())]
    copy_files(staging, statics, flat=True)
    render(staging, flat=True)
    static = indexing.static_files()
    write_files(staging, static.to_write(output), flat=True)
    return set(indexing.plan.static_before - static.names)


def _render_into(
    plan: PagePlan,
    indexing: Indexing,
    options: BuildOptions,
    progress: Progress | None,
    timings: Timings,
    staging: Path,
    flat: bool,
) -> None:
    """Render ``plan.work`` on worker processes into ``staging``; then wait for the
    index and put it beside the pages."""
    store = plan.renderer.bodies.store
    keep_conversions = options.use_cache

    def make(item: tuple[str, Callable[[], bytes]]) -> list[tuple[str, str, str]]:
        rel = flat_name(item[0]) if flat else item[0]
        write_file(f"{staging}/{rel}", item[1]())
        return store.take_conversions() if keep_conversions else []

    if progress:
        progress.start(len(plan.work))
    advance = progress.advance if progress else None
    # a PDF takes seconds (bulletin.pdf): one to a chunk, so every worker gets some
    pdfs = [item for item in plan.work if item[0].endswith(".pdf")]
    if pdfs:
        load_engine()  # once, here: the workers share it
    pages = [item for item in plan.work if not item[0].endswith(".pdf")]
    made = parallel_map(make, pages, options.jobs, options.tuning.page_chunk, advance)
    made += parallel_map(make, pdfs, options.jobs, 1, advance)
    if progress:
        progress.close()
    timings.lap(f"render {len(plan.work)} files")
    for conversions in made:  # bodies converted (in workers), for the cache
        store.add_conversions(conversions)
    indexing.place(staging)
    timings.lap("wait for the index")
    indexing.static_files()
    timings.lap("wait for the static index")


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


# --- record --------------------------------------------------------------------------


def record(
    loaded: Loaded,
    index: IndexPlan,
    plan: PagePlan,
    published: Published,
    previous: PreviousBuild,
    fingerprint: str,
    options: BuildOptions,
) -> None:
    """Keep what this build made for the next one (after it was published). A cache
    that cannot be written is dropped, with a warning: the site is published."""
    folder, output = cache_path(options.output), options.output
    index_now = layout.index_files(output)
    keys = {**plan.keys, **dict.fromkeys([*plan.files, *plan.statics], "file")}
    keys.update(dict.fromkeys(index_now, "index"))
    keys.update(dict.fromkeys(published.static, STATIC_KEY))
    before = previous.state.parsed
    try:
        state = CacheState(
            parsed={d: before.get(d) or pack_parsed(p) for d, p in loaded.parsed.items()},
            bodies=loaded.bodies.store.save(
                folder / "bodies",
                loaded.bodies.keys.values(),
                [variant.key for variant in loaded.variants.values()],
            ),
            files=file_entries(previous, output, keys, published.written | set(index_now)),
            documents=index.documents,
            texts=loaded.notes.used,
            slugs=loaded.slugger.slugs,
            templates=plan.template_code.entries,
            sources=settled_sources(loaded.tree, time.time_ns() - SETTLED_NS),
            refs=plan.refs,
            index_state=index.state,
            index_segments=segments_after(index, index_now, previous.state.index_segments),
            structure=plan.structure,
        )
        save(folder, previous, state, fingerprint, output, options.tuning)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        _tell(
            f"{folder}: warning: the build cache could not be saved ({reason}); "
            f"the next build starts afresh"
        )
        shutil.rmtree(folder, ignore_errors=True)


# --- the folders ---------------------------------------------------------------------


def check_folders(content: Path, output: Path) -> None:
    """Refuse a content folder that is not there, and an output folder that a build did
    not write (or that holds the content)."""
    if not content.is_dir():
        raise UsageError(f"{content}: no such content folder")
    content_abs, output_abs = content.resolve(), output.resolve()
    if output_abs == content_abs or output_abs in content_abs.parents:
        raise UsageError(f"{output}: the output folder must not contain the content folder")
    if content_abs in output_abs.parents:
        raise UsageError(f"{output}: the output folder must not be inside the content folder")
    if output_abs == Path.cwd().resolve() or output_abs == Path.home().resolve():
        raise UsageError(f"{output}: refusing to replace this folder with the site")
    if output.exists() and not output.is_dir():
        raise UsageError(f"{output}: exists and is not a folder")
    if output.is_dir() and any(output.iterdir()) and not (output / OUTPUT_MARK).is_file():
        raise UsageError(
            f"{output}: folder exists and was not written by a build "
            f"(no {OUTPUT_MARK}); choose another --output or empty it"
        )
    previous = previous_path(output.absolute())
    if previous.exists() and not is_previous_tree(previous):
        raise UsageError(
            f"{previous}: exists and was not left by a build (the build keeps the "
            "output it replaces there); move it away or choose another --output"
        )


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
            print(f"  {stage:<26} {wall:7.3f} s wall {cpu:7.3f} s cpu", file=sys.stderr)
