"""Build benchmark: this project against Pelican (and MkDocs), in one run, on one corpus.

    python bench/run.py --articles N [--repeat R] [--inc-repeat K] [--seed S] [--json]
                        [--keep DIR] [--tools project,pelican,mkdocs]

Generates the corpus of bench/corpus.py (into a temporary folder unless --keep), then:

1. full builds, alternating the tools run by run (project, pelican, mkdocs, project, ...),
   R times each, every build a subprocess in a fresh folder: median wall seconds, CPU
   seconds (user+sys of the child and the children it waited for, from wait4), peak RSS
   (the largest single process, from wait4; and the whole process tree's PSS, by
   polling with psutil when installed), article pages and .html files written, and the ratio of this
   project's wall time to each peer's;
2. incremental builds of this project: rebuild with nothing changed, after appending a
   sentence to one article, and after adding an HTML comment to a copy of
   templates/base.html (only when the build has a --templates option; otherwise the
   figure is a plain rebuild and says so), each checked against a clean full build of
   the same input: every file byte for byte except _search/whoosh/, and the same search
   answers for every query of the set (both scripts, 50 results with snippets and facets,
   and the whole ranking with exact scores);
3. search latency (p50/p95) of a fixed query set, in-process through search.query.answer
   over the index of the full build.

Flags the project's build may have (--no-cache, --templates) are read from
`build.py build --help` at run time: full builds use --no-cache when it exists. The
peers run from the same Python (`python -m pelican`, `python -m mkdocs`); a tool that is
not installed is skipped with a note. Figures on a shared machine are noisy.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import importlib.util
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import corpus as corpus_mod  # noqa: E402

try:
    import psutil
except ImportError:  # the tree's RSS is then not measured
    psutil = None

ARTICLE_DIR = re.compile(r"^\d{4}-\d{5}$")  # the corpus' article slugs
IGNORED = "_search/whoosh/"  # random segment names: compared by answers instead
PEERS = ("pelican", "mkdocs")


# --------------------------------------------------------------------------- measuring


@dataclass
class Measure:
    wall: float
    cpu: float
    max_rss_mb: float  # the largest single process (ru_maxrss)
    tree_rss_mb: float | None  # the largest PSS sum over the process tree (psutil polling)
    status: int


def _footprint(proc: Any) -> int:
    """PSS where the kernel gives it (pages shared after fork counted once over the
    tree), else RSS."""
    try:
        return int(proc.memory_full_info().pss)
    except (AttributeError, psutil.AccessDenied):
        return int(proc.memory_info().rss)


class TreeSampler(threading.Thread):
    """Polls the memory (PSS) of a process and its descendants; keeps the largest sum."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak = pid, interval, 0
        self._halt = threading.Event()

    def run(self) -> None:
        assert psutil is not None
        try:
            root = psutil.Process(self.pid)
        except psutil.Error:
            return
        while not self._halt.is_set():
            total = 0
            try:
                for proc in [root, *root.children(recursive=True)]:
                    with contextlib.suppress(psutil.Error):
                        total += _footprint(proc)
            except psutil.Error:
                pass
            self.peak = max(self.peak, total)
            self._halt.wait(self.interval)

    def stop(self) -> int:
        self._halt.set()
        self.join()
        return self.peak


def builds_environment() -> dict[str, str]:
    """This environment as a user's shell has it: Python writes its bytecode caches (a
    build that compiles every module afresh costs ~0.2 s more: not what users see)."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def measure(cmd: Sequence[str], cwd: Path, log: Path) -> Measure:
    """Run ``cmd`` as a child, output to ``log``; its wall, CPU and memory figures."""
    with log.open("wb") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(
            list(cmd), cwd=cwd, stdout=out, stderr=subprocess.STDOUT, env=builds_environment()
        )
        sampler = TreeSampler(proc.pid) if psutil is not None else None
        if sampler is not None:
            sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        tree = sampler.stop() if sampler is not None else None
    return Measure(
        wall=wall,
        cpu=usage.ru_utime + usage.ru_stime,
        max_rss_mb=usage.ru_maxrss / 1024,  # KiB on Linux
        tree_rss_mb=tree / 2**20 if tree else None,
        status=proc.returncode,
    )


def _tail(log: Path, lines: int = 15) -> str:
    return "\n".join(log.read_text("utf-8", "replace").splitlines()[-lines:])


def count_pages(output: Path) -> tuple[int, int]:
    """(article pages, .html files) in a built site."""
    html = list(output.rglob("*.html"))
    articles = sum(1 for p in html if ARTICLE_DIR.match(p.parent.name))
    return articles, len(html)


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


# --------------------------------------------------------------------------- the tools


@dataclass
class Tool:
    name: str
    cwd: Path
    command: Callable[[Path], list[str]]  # output folder -> the build command


@dataclass
class Summary:
    runs: list[Measure] = field(default_factory=list)
    article_pages: int = 0
    html_pages: int = 0
    failed: str = ""

    def figures(self) -> dict[str, Any]:
        ok = [r for r in self.runs if r.status == 0]
        if not ok:
            return {"failed": self.failed or "no successful run"}
        trees = [r.tree_rss_mb for r in ok if r.tree_rss_mb is not None]
        return {
            "wall_s": median([r.wall for r in ok]),
            "wall_min_s": min(r.wall for r in ok),
            "wall_max_s": max(r.wall for r in ok),
            "cpu_s": median([r.cpu for r in ok]),
            "max_rss_mb": median([r.max_rss_mb for r in ok]),  # tree_rss_mb: PSS
            "tree_rss_mb": median(trees) if trees else None,
            "article_pages": self.article_pages,
            "html_pages": self.html_pages,
            "runs": [asdict(r) for r in self.runs],
        }


def build_flags(python: str) -> set[str]:
    """The options `build.py build` has, from its --help."""
    done = subprocess.run(
        [python, str(ROOT / "build.py"), "build", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return set(re.findall(r"(--[a-z][a-z0-9-]*)", done.stdout))


def project_command(
    python: str, content: Path, flags: set[str], *, cache: bool, templates: Path | None = None
) -> Callable[[Path], list[str]]:
    def command(output: Path) -> list[str]:
        cmd = [python, str(ROOT / "build.py"), "build", "--content", str(content)]
        cmd += ["--output", str(output)]
        if not cache and "--no-cache" in flags:
            cmd.append("--no-cache")
        if templates is not None and "--templates" in flags:
            cmd += ["--templates", str(templates)]
        return cmd

    return command


def make_tools(
    python: str, work: Path, wanted: Sequence[str], flags: set[str]
) -> tuple[list[Tool], list[str]]:
    tools = [Tool("project", ROOT, project_command(python, work / "project", flags, cache=False))]
    notes: list[str] = []
    if "pelican" in wanted:
        if importlib.util.find_spec("pelican") is None:
            notes.append("pelican is not installed in this Python: skipped (pip install pelican)")
        else:
            pel = work / "pelican"
            tools.append(
                Tool(
                    "pelican",
                    pel,
                    lambda out: [
                        python,
                        "-m",
                        "pelican",
                        str(pel / "content"),
                        "-o",
                        str(out),
                        "-s",
                        str(pel / "pelicanconf.py"),
                    ],
                )
            )
    if "mkdocs" in wanted:
        if importlib.util.find_spec("mkdocs") is None:
            notes.append("mkdocs is not installed in this Python: skipped (pip install mkdocs)")
        else:
            mk = work / "mkdocs"
            tools.append(
                Tool(
                    "mkdocs",
                    mk,
                    lambda out: [
                        python,
                        "-m",
                        "mkdocs",
                        "build",
                        "-q",
                        "-f",
                        str(mk / "mkdocs.yml"),
                        "-d",
                        str(out),
                    ],
                )
            )
    return tools, notes


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def project_version() -> str:
    done = subprocess.run(
        ["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() or "unknown"


# --------------------------------------------------------------------------- phases


def full_builds(
    tools: Sequence[Tool], repeat: int, runs_dir: Path, progress: Callable[[str], None]
) -> tuple[dict[str, Summary], Path | None]:
    """Every tool ``repeat`` times, alternating; each build in a fresh folder (a cache
    beside the output is inside it too). Keeps the project's last output for search."""
    summaries = {tool.name: Summary() for tool in tools}
    kept: Path | None = None
    for r in range(1, repeat + 1):
        for tool in tools:
            summary = summaries[tool.name]
            if summary.failed:
                continue
            folder = runs_dir / f"{tool.name}-{r}"
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            output = folder / "site"
            m = measure(tool.command(output), tool.cwd, folder / "build.log")
            summary.runs.append(m)
            progress(
                f"  {tool.name} run {r}: {m.wall:.1f} s wall, {m.cpu:.1f} s CPU, "
                f"{m.max_rss_mb:.0f} MB max RSS, status {m.status}"
            )
            if m.status != 0:
                summary.failed = f"exit {m.status}:\n{_tail(folder / 'build.log')}"
                progress(summary.failed)
                continue
            summary.article_pages, summary.html_pages = count_pages(output)
            if tool.name == "project":
                if kept is not None:
                    shutil.rmtree(kept.parent, ignore_errors=True)
                kept = output
            else:
                shutil.rmtree(folder, ignore_errors=True)
    return summaries, kept


def compare_trees(a: Path, b: Path) -> list[str]:
    """Differences between two built sites, the Whoosh index aside (at most 10)."""

    def files(root: Path) -> dict[str, Path]:
        found = {}
        for path in root.rglob("*"):
            rel = path.relative_to(root).as_posix()
            if path.is_file() and not rel.startswith(IGNORED):
                found[rel] = path
        return found

    fa, fb = files(a), files(b)
    diffs = [f"only in incremental: {p}" for p in sorted(fa.keys() - fb.keys())]
    diffs += [f"only in clean build: {p}" for p in sorted(fb.keys() - fa.keys())]
    diffs += [
        f"differs: {p}"
        for p in sorted(fa.keys() & fb.keys())
        if fa[p].read_bytes() != fb[p].read_bytes()
    ]
    return diffs[:10] + ([f"... {len(diffs) - 10} more"] if len(diffs) > 10 else [])


@contextlib.contextmanager
def searcher(output: Path) -> Iterator[Callable[..., dict[str, Any]]]:
    """answer(q, variant) over a built site, in-process, as the service answers."""
    from search.query import answer, parse_params
    from search.service import SearchApp

    app = SearchApp(output)
    site = app.state.site()

    def ask(q: str, variant: str, per_page: int = 10) -> dict[str, Any]:
        params = {"q": q, "variant": variant, "per_page": str(per_page)}
        request = parse_params(params, site.variants, site.default_variant)
        return answer(app.index, request, site)

    try:
        yield ask
    finally:
        app.index.close()


@contextlib.contextmanager
def ranker(output: Path) -> Iterator[Callable[[str], list[tuple[str, float]]]]:
    """Every hit of a query (up to 1,000) with its exact score, in order."""
    from search.layout import index_dir
    from search.query import TIME_LIMIT, parse
    from search.whoosh import LiveIndex

    live = LiveIndex(index_dir(output), cache_size=0)

    def rank(q: str) -> list[tuple[str, float]]:
        outcome = live.search(parse(q), 0, 1000, TIME_LIMIT)
        return [(str(h.stored["slug"]), h.score) for h in outcome.hits]

    try:
        yield rank
    finally:
        live.close()


def compare_answers(a: Path, b: Path, queries: Sequence[str]) -> list[str]:
    """Every query's answer in both scripts (50 results: order, totals, facets,
    snippets) and its whole ranking with exact scores."""
    diffs = []
    with searcher(a) as ask_a, searcher(b) as ask_b, ranker(a) as rank_a, ranker(b) as rank_b:
        for q in queries:
            for variant in ("zh-hans", "zh-hant"):
                got, want = ask_a(q, variant, 50), ask_b(q, variant, 50)
                if got != want:
                    diffs.append(f"{q!r} ({variant}): {got['total']} vs {want['total']} results")
            got_rank, want_rank = rank_a(q), rank_b(q)
            if got_rank != want_rank:
                where = next(
                    (
                        i
                        for i, (x, y) in enumerate(zip(got_rank, want_rank, strict=False))
                        if x != y
                    ),
                    min(len(got_rank), len(want_rank)),
                )
                diffs.append(f"{q!r}: ranking or scores differ from result {where + 1}")
    return diffs


def query_set(corpus: corpus_mod.Corpus, seed: int) -> list[str]:
    """A fixed mix: common words, slogans, counties, themes, rare phrases, Traditional
    script, two words, field filters."""
    rng = random.Random(seed)
    slogans = sorted({s for a in corpus.articles for s in a.slogans})
    counties = sorted({a.county for a in corpus.articles})
    themes = sorted({a.theme for a in corpus.articles})
    bodies = [a.body for a in corpus.articles]
    rare = []
    while len(rare) < 30:
        body = rng.choice(bodies)
        start = rng.randrange(max(1, len(body) - 10))
        piece = re.sub(r"[\s#|*\-“”：，。、（）()]", "", body[start : start + rng.randint(4, 8)])
        if len(piece) >= 3:
            rare.append(piece)
    queries = ["党员", "基层党建", "村级集体经济", "群众", "党组织", "第一书记", "四议两公开"]
    queries += rng.sample(slogans, k=min(15, len(slogans)))
    queries += rng.sample(counties, k=min(10, len(counties)))
    queries += rng.sample(themes, k=min(5, len(themes)))
    queries += rare
    queries += ["黨員", "基層黨建", "村級集體經濟", "羣衆", "群眾 服務"]
    queries += ["党员 群众", "基层党建 村级", "党组织 -服务", '"集体经济"', "支部 OR 党委"]
    queries += [
        f"党员 county:{rng.choice(counties)}",
        f"服务 theme:{rng.choice(themes)}",
        "集体经济 year:2018",
        f"slogan:{rng.choice(slogans)}",
    ]
    return queries


def search_latency(output: Path, queries: Sequence[str]) -> dict[str, Any]:
    times: list[float] = []
    totals: list[int] = []
    with searcher(output) as ask:
        ask("党员", "zh-hans")  # open the index
        for i, q in enumerate(queries):
            for variant in ("zh-hans", "zh-hant") if i % 2 else ("zh-hant", "zh-hans"):
                started = time.perf_counter()
                data = ask(q, variant)
                times.append((time.perf_counter() - started) * 1000)
                totals.append(data["total"])
    return {
        "queries": len(times),
        "p50_ms": percentile(times, 50),
        "p95_ms": percentile(times, 95),
        "max_ms": max(times),
        "mean_hits": statistics.mean(totals),
    }


@dataclass
class Incremental:
    python: str
    flags: set[str]
    work: Path
    progress: Callable[[str], None]
    repeat: int
    content: Path = field(init=False)
    templates: Path | None = field(init=False)
    output: Path = field(init=False)

    def __post_init__(self) -> None:
        base = self.work / "incremental"
        shutil.rmtree(base, ignore_errors=True)
        self.content = base / "content"
        shutil.copytree(self.work / "project", self.content)
        self.templates = None
        if "--templates" in self.flags:
            self.templates = base / "templates"
            shutil.copytree(ROOT / "templates", self.templates)
        self.output = base / "out" / "site"
        self.output.parent.mkdir(parents=True)

    def build(self, label: str, *, cache: bool = True, output: Path | None = None) -> Measure:
        command = project_command(
            self.python, self.content, self.flags, cache=cache, templates=self.templates
        )
        target = output or self.output
        log = target.parent / f"{label}.log"
        m = measure(command(target), ROOT, log)
        if m.status != 0:
            raise SystemExit(f"project build ({label}) failed, exit {m.status}:\n{_tail(log)}")
        self.progress(f"  {label}: {m.wall:.2f} s wall, {m.cpu:.2f} s CPU")
        return m

    def clean_compare(self, label: str, queries: Sequence[str]) -> dict[str, Any]:
        """A clean full build of the same input, compared with the incremental output."""
        ref = self.work / "incremental" / f"clean-{label}" / "site"
        shutil.rmtree(ref.parent, ignore_errors=True)
        ref.parent.mkdir(parents=True)
        self.build(f"clean build after {label}", cache=False, output=ref)
        files = compare_trees(self.output, ref)
        answers = compare_answers(self.output, ref, queries)
        shutil.rmtree(ref.parent, ignore_errors=True)
        return {
            "identical": not files and not answers,
            "file_diffs": files,
            "answer_diffs": answers[:10],
            "queries": len(queries),
        }

    def run(self, corpus: corpus_mod.Corpus, queries: Sequence[str]) -> dict[str, Any]:
        result: dict[str, Any] = {"cache_flag": "--no-cache" in self.flags}
        first = self.build("first build (empty cache)")
        result["first_build_s"] = first.wall
        nothing = [
            self.build(f"rebuild, nothing changed #{i + 1}").wall for i in range(self.repeat)
        ]
        result["no_change_s"] = median(nothing)

        # one article's body: a sentence appended, a different article each time
        ordered = sorted(corpus.articles, key=lambda a: a.slug)
        markers, times = [], []
        for i in range(self.repeat):
            article = ordered[(i + 1) * len(ordered) // (self.repeat + 1)]
            marker = f"基准补记之{corpus_mod.NUMERALS[i % 10]}{i // 10 or ''}"
            path = self.content / "articles" / str(article.year) / f"{article.slug}.md"
            with path.open("a", encoding="utf-8", newline="\n") as f:
                f.write(f"\n{marker}：本段为基准测试追加的一句话。\n")
            markers.append(marker)
            times.append(self.build(f"rebuild after editing {article.slug}").wall)
        found = []
        with searcher(self.output) as ask:
            found = [ask(m, "zh-hans")["total"] for m in markers]
        result["article_edit_s"] = median(times)
        result["article_edit_found_in_index"] = all(n == 1 for n in found)
        result["article_edit_check"] = self.clean_compare("article edits", [*markers, *queries])

        # one template: an HTML comment added to a copy of base.html
        times = []
        if self.templates is not None:
            base_html = self.templates / "base.html"
            for i in range(self.repeat):
                text = base_html.read_text("utf-8")
                base_html.write_text(text + f"<!-- bench: template edit {i + 1} -->\n", "utf-8")
                times.append(self.build(f"rebuild after editing base.html #{i + 1}").wall)
            result["template_edit_note"] = "HTML comment appended to a copy of base.html"
        else:
            for i in range(self.repeat):
                times.append(self.build(f"plain rebuild for template edit #{i + 1}").wall)
            result["template_edit_note"] = (
                "build.py has no --templates option: templates come from the repository, "
                "so this is a plain rebuild with no template change"
            )
        result["template_edit_s"] = median(times)
        if self.templates is not None:
            result["template_edit_check"] = self.clean_compare("template edits", queries)
        return result


# --------------------------------------------------------------------------- report


def print_table(report: dict[str, Any]) -> None:
    _print_header(report)
    _print_full(report)
    if report.get("incremental"):
        _print_incremental(report["incremental"])
    s = report.get("search")
    if s:
        print(
            f"\nsearch (in-process, {s['queries']} queries over both scripts): "
            f"p50 {s['p50_ms']:.1f} ms, p95 {s['p95_ms']:.1f} ms, max {s['max_ms']:.1f} ms, "
            f"{s['mean_hits']:.0f} hits on average"
        )
    for note in report["notes"]:
        print(f"note: {note}")


def _print_header(report: dict[str, Any]) -> None:
    m, c = report["machine"], report["corpus"]
    print(
        f"\ncorpus: {report['articles']} articles, seed {report['seed']}, "
        f"{c['chars_per_article']:.0f} characters each, {c['issues']} issues, "
        f"{c['counties']} counties, {c['themes']} themes, {c['slogans']} slogans"
    )
    print(
        f"machine: {m['cpus']} CPUs, load average {m['load_before'][0]:.1f} before, "
        f"{m['load_after'][0]:.1f} after (shared: figures are noisy); "
        f"project {report['versions']['project']}, Python {m['python']}"
    )
    print(
        f"full builds: median of {report['repeat']}, tools alternating run by run"
        + (", project with --no-cache" if report["flags"]["no_cache"] else "")
    )


def _print_full(report: dict[str, Any]) -> None:
    head = (
        f"{'tool':<9}{'articles':>9}{'pages':>8}{'wall s':>8}{'min-max':>13}"
        f"{'CPU s':>8}{'maxRSS':>8}{'treePSS':>9}{'project/tool':>14}"
    )
    print(head)
    print("-" * len(head))
    for name, f in report["full"].items():
        if "failed" in f:
            print(f"{name:<9} failed: {f['failed'].splitlines()[0]}")
            continue
        ratio = report["ratios"].get(name)
        tree = f"{f['tree_rss_mb']:.0f}" if f["tree_rss_mb"] else "-"
        print(
            f"{name:<9}{f['article_pages']:>9}{f['html_pages']:>8}{f['wall_s']:>8.1f}"
            f"{f['wall_min_s']:>6.1f}-{f['wall_max_s']:<6.1f}{f['cpu_s']:>8.1f}"
            f"{f['max_rss_mb']:>8.0f}{tree:>9}"
            f"{(f'{ratio:.2f}' if ratio else '-'):>14}"
        )
    print("(maxRSS: the largest single process, MB; treePSS: the process tree's peak, MB)")


def _identical(check: dict[str, Any]) -> str:
    return f"identical to clean build: {'yes' if check['identical'] else 'NO'}"


def _print_diffs(check: dict[str, Any]) -> None:
    for diff in check["file_diffs"] + check["answer_diffs"]:
        print(f"      {diff}")


def _print_incremental(inc: dict[str, Any]) -> None:
    print("\nincremental (project):")
    print(f"  first build, empty cache        {inc['first_build_s']:7.2f} s")
    print(f"  rebuild, nothing changed        {inc['no_change_s']:7.2f} s")
    chk = inc["article_edit_check"]
    found = "yes" if inc["article_edit_found_in_index"] else "NO"
    print(
        f"  one article edited              {inc['article_edit_s']:7.2f} s   "
        f"{_identical(chk)} ({chk['queries']} queries); edit found by search: {found}"
    )
    _print_diffs(chk)
    line = f"  one template edited            {inc['template_edit_s']:7.2f} s"
    if "template_edit_check" in inc:
        tchk = inc["template_edit_check"]
        print(f"{line}   {_identical(tchk)} ({tchk['queries']} queries)")
        _print_diffs(tchk)
    else:
        print(f"{line}   ({inc['template_edit_note']})")
    if not inc["cache_flag"]:
        print("  (build.py has no --no-cache option: no cache exists, these are full builds)")


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=corpus_mod.DEFAULT_SEED)
    parser.add_argument("--repeat", type=int, default=3, help="builds per tool (default 3)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--keep", type=Path, help="work here (corpus, outputs) and keep it")
    parser.add_argument(
        "--tools",
        default="project,pelican,mkdocs",
        help="comma-separated: project,pelican,mkdocs (default: all installed)",
    )
    parser.add_argument(
        "--inc-repeat", type=int, default=1, help="edits of each kind to time (default 1)"
    )
    parser.add_argument("--no-incremental", action="store_true")
    parser.add_argument("--no-search", action="store_true")
    args = parser.parse_args(argv)
    if args.articles < 1 or args.repeat < 1:
        parser.error("--articles and --repeat must be 1 or more")
    args.tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    return args


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _corpus_figures(corpus: Any) -> dict[str, Any]:
    return {
        "chars_per_article": statistics.mean(len(a.body) for a in corpus.articles),
        "issues": len(corpus.issues),
        "counties": len({a.county for a in corpus.articles}),
        "themes": len({a.theme for a in corpus.articles}),
        "slogans": len({s for a in corpus.articles for s in a.slogans}),
    }


def _ratios(full: dict[str, dict[str, Any]]) -> dict[str, float]:
    if "wall_s" not in full["project"]:
        return {}
    return {
        name: full["project"]["wall_s"] / full[name]["wall_s"]
        for name in PEERS
        if name in full and "wall_s" in full[name]
    }


def write_corpus(args: argparse.Namespace, work: Path) -> corpus_mod.Corpus:
    """The corpus, written into WORK for the project and each other tool asked for."""
    return corpus_mod.write_all(
        args.articles,
        args.seed,
        work / "project",
        work / "pelican" if "pelican" in args.tools else None,
        work / "mkdocs" if "mkdocs" in args.tools else None,
        force=True,
    )


def run_bench(args: argparse.Namespace, command: list[str], work: Path) -> dict[str, Any]:
    """Writes the corpus into WORK, builds it with each tool, then (project only) the
    incremental builds and search latency; returns the report."""
    load_before = os.getloadavg()
    started = time.perf_counter()
    corpus = write_corpus(args, work)
    _progress(
        f"corpus of {args.articles} articles written to {work} "
        f"in {time.perf_counter() - started:.1f} s"
    )
    python = sys.executable
    flags = build_flags(python)
    tools, notes = make_tools(python, work, args.tools, flags)
    _progress(f"full builds: {', '.join(t.name for t in tools)} x {args.repeat}")
    summaries, kept = full_builds(tools, args.repeat, work / "runs", _progress)
    full = {name: s.figures() for name, s in summaries.items()}
    queries = query_set(corpus, args.seed)
    report: dict[str, Any] = {
        "articles": args.articles,
        "seed": args.seed,
        "repeat": args.repeat,
        "command": "python bench/run.py " + " ".join(command),
        "corpus": _corpus_figures(corpus),
        "versions": {
            "project": project_version(),
            **{d: _version(d) for d in ("pelican", "mkdocs", "markdown", "whoosh-reloaded")},
        },
        "flags": {"no_cache": "--no-cache" in flags, "templates": "--templates" in flags},
        "full": full,
        "ratios": _ratios(full),
        "notes": notes,
    }
    if not args.no_incremental and "wall_s" in full["project"]:
        _progress("incremental builds:")
        inc = Incremental(python, flags, work, _progress, max(1, args.inc_repeat))
        report["incremental"] = inc.run(corpus, queries)
    if not args.no_search and kept is not None:
        _progress("search latency:")
        report["search"] = search_latency(kept, queries)
    report["machine"] = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "load_before": list(load_before),
        "load_after": list(os.getloadavg()),
        "psutil": psutil is not None,
    }
    return report


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    command = sys.argv[1:] if argv is None else argv
    if args.keep:
        work = args.keep.resolve()
        work.mkdir(parents=True, exist_ok=True)
        report = run_bench(args, command, work)
    else:
        with tempfile.TemporaryDirectory(prefix="bulletin-bench-") as tmp:
            report = run_bench(args, command, Path(tmp))
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print_table(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
