"""Static search beside Pagefind, on one generated bulletin, in headless Chromium.

    python bench/static_search.py --articles 5000 [--seed S] [--work DIR] [--rare N]
        [--builds N] [--edits N] [--json]

Sets up its own tools: Pagefind 1.6 from npm (``npm install pagefind@1.6.0`` into
WORK/node; the extended binary, with Chinese segmentation), nginx (Debian's) serving
the built site on 127.0.0.1 as docs/nginx.conf does (gzip on the fly for text, stored
files as they are), and Chromium through Playwright.

Builds a corpus (bench/corpus.py) with this project: full builds, then one-article
edits built incrementally (a paragraph appended, words put in the middle of a
paragraph, a paragraph put in the middle of the article), each build with its own
timings (``BULLETIN_TIMINGS``). The static index is written in a process of its own
beside the pages: the stage that waits for it once everything else is done is what it
adds to the build's wall time (it also takes cores from the pages meanwhile, so its
fresh write is timed alone too, CPU and peak RSS, beside the full build's CPU). Then
runs Pagefind over the same zh-hans article pages (timed, peak RSS), then runs one query
set through both: common words, slogans and rare phrases of the corpus, each in
Simplified and Traditional. For each query, in a fresh browser context (cold cache),
from the form's submit event to the results in the page (timed in the page: submit to
``data-total`` set, which leaves out the ~100 ms of Playwright's own round trips; these
are printed too, as "outside"): the bytes received (bodies as sent, compressed) and the
requests, the time, and the total against a brute-force count of the articles that
contain the query (after the index's own normalisation, which folds the two scripts;
Pagefind's total is compared with the same count). Pagefind's query loads its script,
wasm, meta, index chunks and the fragments of the first 10 results (their excerpts), as
its own UI does; ours loads what the search page loads for 10 results with snippets.

Nothing here is a test: it prints figures (the machine is shared, so times are noisy).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import builds_environment  # noqa: E402

PAGEFIND_VERSION = "1.6.0"
CHROMIUM = "/usr/bin/chromium"
NGINX = "/usr/sbin/nginx"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
#: Common words of the bulletin (the issue's list) and slogans of the corpus's pool.
COMMON = [
    "集体经济",
    "基层党建",
    "红色联盟",
    "堡垒指数",
    "第一书记",
    "党支部",
    "合作社",
    "群众",
    "脱贫攻坚",
    "乡村振兴",
    "组织",
]
SLOGANS = [
    "四议两公开",
    "三会一课",
    "两学一做",
    "三抓三促",
    "红色引擎工程",
    "1+3+N",
    "支部建在产业链上",
]

PAGEFIND_HARNESS = """<!DOCTYPE html><html lang="zh-Hans"><head><meta charset="utf-8">
<title>pagefind</title></head><body>
<form id="f"><input id="q" name="q"><button>search</button></form>
<div id="search-results"></div>
<script>
let pagefind = null;
document.getElementById('f').addEventListener('submit', async (event) => {
  event.preventDefault();
  const box = document.getElementById('search-results');
  if (!pagefind) {
    pagefind = await import('/pagefind/pagefind.js');
    await pagefind.options({ excerptLength: 30 });
  }
  const search = await pagefind.search(document.getElementById('q').value);
  const data = await Promise.all(search.results.slice(0, 10).map(r => r.data()));
  box.innerHTML = '';
  const ol = document.createElement('ol');
  for (const d of data) {
    const li = document.createElement('li');
    li.className = 'search-result';
    li.innerHTML = '<a href="' + d.url + '">' + (d.meta.title || '') + '</a>'
      + '<p>' + d.excerpt + '</p>';
    ol.appendChild(li);
  }
  box.appendChild(ol);
  box.dataset.total = String(search.results.length);
});
</script></body></html>
"""


@dataclass
class Query:
    kind: str
    script: str
    text: str
    truth: int = 0


@dataclass
class Measure:
    total: int
    bytes: int
    requests: int
    ms: float  # submit to results, timed in the page
    outside_ms: float  # Enter to results, timed by Playwright


@dataclass
class Engine:
    name: str
    measures: dict[int, Measure] = field(default_factory=dict)
    build_s: float = 0.0
    build_cpu_s: float = 0.0
    peak_rss_mb: float = 0.0
    index_bytes: int = 0
    index_files: int = 0


def run(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, check=True, text=True, capture_output=True, **kwargs)


def timed(cmd: list[str], **kwargs: Any) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + sys, children) and peak RSS (MB) of a command."""
    wall, cpu, rss, _ = timed_output(cmd, **kwargs)
    return wall, cpu, rss


def timed_output(cmd: list[str], **kwargs: Any) -> tuple[float, float, float, str]:
    """:func:`timed`, and what the command printed."""
    start = time.perf_counter()
    before = os.times()
    proc = subprocess.run(
        ["/usr/bin/time", "-f", "%M", *cmd], text=True, capture_output=True, **kwargs
    )
    wall = time.perf_counter() - start
    after = os.times()
    if proc.returncode:
        raise SystemExit(f"{cmd[0]} failed:\n{proc.stderr[-3000:]}")
    rss_kb = int(proc.stderr.strip().splitlines()[-1])
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return wall, cpu, rss_kb / 1024, proc.stdout + proc.stderr


def set_up_pagefind(work: Path) -> Path:
    """Pagefind from npm, into WORK/node (once)."""
    node = work / "node"
    binary = node / "node_modules" / ".bin" / "pagefind_extended"
    if not binary.exists():
        node.mkdir(parents=True, exist_ok=True)
        run(
            ["npm", "install", "--no-audit", "--no-fund", f"pagefind@{PAGEFIND_VERSION}"],
            cwd=node,
        )
    if not binary.exists():
        binary = node / "node_modules" / ".bin" / "pagefind"
    return binary


def folder_size(folder: Path) -> tuple[int, int]:
    files = [p for p in folder.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files), len(files)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def nginx_conf(prefix: Path, site: Path, port: int, proxied: int, service_port: int) -> str:
    """One server with no search service (a plain file host) on ``port``, and one that
    passes /api/ and /search to the service on ``proxied``; docs/nginx.conf's gzip."""
    served = f"""
        charset utf-8;
        root {site};
        index index.html;
        gzip_static on;
        gzip on;
        gzip_types text/css application/javascript text/javascript application/xml
                   image/svg+xml application/json application/wasm;"""
    temps = "\n".join(
        f"    {name}_temp_path {prefix}/temp/{name};"
        for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""
daemon off;
master_process off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log stderr warn;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    types {{ application/wasm wasm; }}
    default_type application/octet-stream;
    access_log off;
{temps}
    server {{
        listen 127.0.0.1:{port};{served}
    }}
    server {{
        listen 127.0.0.1:{proxied};{served}
        location /api/ {{ proxy_pass http://127.0.0.1:{service_port}; }}
        location = /search {{ proxy_pass http://127.0.0.1:{service_port}; }}
    }}
}}
"""


def start_nginx(
    work: Path, site: Path, service_port: int
) -> tuple[subprocess.Popen[bytes], str, str]:
    """nginx on 127.0.0.1 serving ``site`` at / (:func:`nginx_conf`); the base URLs of
    the plain file host and of the one with the service."""
    port, proxied = free_port(), free_port()
    prefix = work / "nginx"
    shutil.rmtree(prefix, ignore_errors=True)
    (prefix / "temp").mkdir(parents=True)
    conf = prefix / "nginx.conf"
    conf.write_text(nginx_conf(prefix, site, port, proxied, service_port), encoding="utf-8")
    proc = subprocess.Popen([NGINX, "-c", str(conf), "-p", str(prefix)], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("nginx did not start") from None
            time.sleep(0.05)
    return proc, f"http://127.0.0.1:{port}/", f"http://127.0.0.1:{proxied}/"


def documents(content: Path) -> list[Any]:
    """The published articles as the search indexes get them (``SearchDocument``)."""
    from bulletin.cache import PreviousBuild
    from bulletin.pipeline import BuildOptions, Timings, load
    from bulletin.render import search_documents

    loaded = load(BuildOptions(content, Path()), PreviousBuild(), Timings(enabled=False))
    issues = {i.slug: i for i in loaded.site.issues}
    return list(search_documents(loaded.site, loaded.bodies, loaded.variants, issues))


def query_set(docs: list[Any], rare: int, seed: int) -> list[Query]:
    """Common words, slogans and rare phrases (substrings of 6-10 characters of random
    articles, kept when at most 20 articles contain them), in both scripts, with the
    brute-force count of the articles that contain each."""
    from search.analysis import Normaliser
    from search.scripts import make_converter

    normaliser = Normaliser()
    hant = make_converter("zh-hant", ROOT / "content" / "phrases.txt")
    texts = [normaliser.normalise("\n".join([d.title, d.body, *d.slogans])) for d in docs]
    queries = [Query("common", "zh-hans", q) for q in COMMON]
    queries += [Query("slogan", "zh-hans", q) for q in SLOGANS]
    rng = random.Random(seed)
    found = 0
    while found < rare:
        doc = rng.choice(docs)
        body = doc.body
        size = rng.randint(6, 10)
        at = rng.randrange(0, max(1, len(body) - size))
        sub = body[at : at + size]
        if any(c.isspace() or not c.isalnum() for c in sub):
            continue
        needle = normaliser.normalise(sub)
        if sum(needle in t for t in texts) <= 20:
            queries.append(Query("rare", "zh-hans", sub))
            found += 1
    for q in queries:
        needle = normaliser.normalise(q.text)
        q.truth = sum(needle in t for t in texts)
    # typed in Traditional, a phrase is the same phrase: the articles that contain it
    # are those that contain its Simplified original (its conversion alone may pick a
    # character the articles' own conversion does not, as 藉 for 借 in 就借助, which
    # the context-free fold keeps apart and the site's folding pairs join)
    return queries + [
        Query(q.kind, "zh-hant", hant.convert(q.text), q.truth) for q in list(queries)
    ]


#: What a query loads (counted from the page's load on, so what the page fetches
#: ahead of the query counts too): the static index, its script, the service's API, and
#: Pagefind's files.
SEARCH_FILES = ("/_search/static/", "/assets/search-static.", "/api/search", "/pagefind/")

#: Run in the page before the query: the time of the form's submit event and of the
#: results' ``data-total`` (both pages set it once an answer shows).
TIMER = """() => {
  const box = document.getElementById('search-results');
  window.benchTimes = {};
  document.querySelector('form').addEventListener('submit', () => {
    window.benchTimes.submit = performance.now();
  }, { capture: true });
  new MutationObserver(() => {
    if (box.hasAttribute('data-total') && window.benchTimes.results === undefined) {
      window.benchTimes.results = performance.now();
    }
  }).observe(box, { attributes: true });
}"""


def measure(browser: Any, url: str, text: str, input_selector: str) -> Measure:
    """One cold query: a fresh context, the page loaded, then from submit to results."""
    context = browser.new_context()
    page = context.new_page()
    sizes: list[int] = []

    def finished(request: Any) -> None:
        if any(part in request.url for part in SEARCH_FILES):
            try:
                sizes.append(request.sizes()["responseBodySize"])
            except Exception:
                sizes.append(0)

    page.on("requestfinished", finished)
    page.goto(url)
    page.wait_for_load_state("load")
    page.evaluate(TIMER)
    page.fill(input_selector, text)
    start = time.perf_counter()
    page.press(input_selector, "Enter")
    page.wait_for_selector("#search-results[data-total]", state="attached", timeout=60_000)
    outside = (time.perf_counter() - start) * 1000
    total = int(page.get_attribute("#search-results", "data-total") or 0)
    times = page.evaluate("window.benchTimes")
    page.wait_for_timeout(50)  # let the last responses report their sizes
    context.close()
    return Measure(total, sum(sizes), len(sizes), times["results"] - times["submit"], outside)


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


#: What a build prints with ``BULLETIN_TIMINGS`` set: its time, and the stage that waits
#: for the static index once everything else is done (what the static index adds to the
#: build's wall time: it is written in a process of its own, beside the pages).
BUILT = re.compile(r"built .* in ([0-9.]+) s")
STATIC_WAIT = re.compile(r"wait for the static index\s+([0-9.]+) s wall")


@dataclass
class Built:
    seconds: float  # as the build reports it
    static_wait: float  # of which waiting for the static index
    cpu: float  # CPU seconds of the build's processes


def build(content: Path, output: Path) -> Built:
    """One build (a full one where ``output`` has none), with the build's own timings."""
    cmd = [sys.executable, str(ROOT / "build.py"), "build", "--content", str(content)]
    env = {**builds_environment(), "BULLETIN_TIMINGS": "1"}
    wall, cpu, _, printed = timed_output([*cmd, "--output", str(output)], cwd=ROOT, env=env)
    found, waited = BUILT.search(printed), STATIC_WAIT.search(printed)
    seconds = float(found.group(1)) if found else wall
    return Built(seconds, float(waited.group(1)) if waited else 0.0, cpu)


def clean(output: Path) -> None:
    shutil.rmtree(output, ignore_errors=True)
    shutil.rmtree(output.with_name(output.name + ".cache"), ignore_errors=True)


def full_builds(content: Path, output: Path, runs: int) -> list[Built]:
    """Full builds (no cache)."""
    out = []
    for _ in range(runs):
        clean(output)
        out.append(build(content, output))
    return out


#: One-article edits, in the order they are made (each on the article as the last left it).
EDITS = ("a paragraph appended", "words in a paragraph", "a paragraph put in the middle")


def edit_article(path: Path, kind: str, number: int) -> None:
    """Make one edit of ``kind`` to the article at ``path`` (its body after the front
    matter), with a sentence of its own."""
    head, sep, body = path.read_text("utf-8").partition("\n---\n")
    sentence = f"第{number}次修改时补充的一句话，说明这项工作的最新进展。"
    lines = body.split("\n")
    middle = [i for i, line in enumerate(lines) if line.strip() and not line.startswith("#")]
    at = middle[len(middle) // 2]
    if kind == EDITS[0]:
        body = body.rstrip("\n") + "\n\n" + sentence + "\n"
    elif kind == EDITS[1]:
        line = lines[at]
        lines[at] = line[: len(line) // 2] + sentence + line[len(line) // 2 :]
        body = "\n".join(lines)
    else:
        lines[at:at] = [sentence, ""]
        body = "\n".join(lines)
    path.write_text(head + sep + body, "utf-8")


def edit_builds(content: Path, work: Path, rounds: int) -> dict[str, list[Built]]:
    """Incremental builds after one-article edits (on a copy of the content): per kind
    of edit, each build's timings."""
    edited, output = work / "edits-content", work / "edits-output"
    shutil.rmtree(edited, ignore_errors=True)
    shutil.copytree(content, edited)
    clean(output)
    build(edited, output)
    articles = sorted((edited / "articles").rglob("*.md"))
    times: dict[str, list[Built]] = {kind: [] for kind in EDITS}
    rng = random.Random(rounds)
    for number in range(rounds):
        article = rng.choice(articles)
        for kind in EDITS:
            edit_article(article, kind, number)
            times[kind].append(build(edited, output))
    return times


def static_alone(work: Path, content: Path, docs: list[Any]) -> tuple[float, float, float]:
    """The static index's fresh write in a process of its own: wall, CPU, peak RSS."""
    docs_file = work / "documents.json"
    docs_file.write_text(
        json.dumps([dataclasses.asdict(d) for d in docs], ensure_ascii=False), encoding="utf-8"
    )
    alone = (
        "import json, sys; from pathlib import Path; "
        "from search.scripts import make_converter; "
        "from search.static.writer import build_static_index; "
        "from search.documents import SearchDocument; "
        "d = [SearchDocument.from_mapping(x) for x in json.load(open(sys.argv[1]))]; "
        "c = {'zh-hant': make_converter('zh-hant', Path(sys.argv[2]))}; "
        "build_static_index(d, ['zh-hans', 'zh-hant'], c)"
    )
    return timed([sys.executable, "-c", alone, str(docs_file), str(content / "phrases.txt")])


def run_pagefind(pagefind: Path, output: Path, engine: Engine) -> None:
    """Pagefind over the zh-hans article pages, and its search page."""
    shutil.rmtree(output / "pagefind", ignore_errors=True)
    cmd = [str(pagefind), "--site", str(output), "--glob", "zh-hans/articles/**/*.html"]
    wall, cpu, rss = timed([*cmd, "--output-subdir", "pagefind"])
    engine.build_s, engine.build_cpu_s, engine.peak_rss_mb = wall, cpu, rss
    engine.index_bytes, engine.index_files = folder_size(output / "pagefind")
    (output / "pagefind-search.html").write_text(PAGEFIND_HARNESS, encoding="utf-8")


def run_queries(
    work: Path, output: Path, queries: list[Query], engines: tuple[Engine, Engine, Engine]
) -> None:
    """Each query through the static index, Pagefind and the service, in turn."""
    ours, theirs, served = engines
    service_port = free_port()
    service = subprocess.Popen(
        [sys.executable, "-m", "search", "serve", str(output), "--port", str(service_port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    nginx, base, proxied = start_nginx(work, output, service_port)
    try:
        wait_for(f"{proxied}api/search?q=x&variant=zh-hans")
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for i, q in enumerate(queries):
                page = f"{q.script}/search/"
                ours.measures[i] = measure(browser, base + page, q.text, "#search-q")
                theirs.measures[i] = measure(browser, f"{base}pagefind-search.html", q.text, "#q")
                served.measures[i] = measure(browser, proxied + page, q.text, "#search-q")
            browser.close()
    finally:
        for proc in (nginx, service):
            proc.terminate()
            proc.wait(10)


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=20260101)
    parser.add_argument("--rare", type=int, default=10, help="rare phrases (per script)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/bench-static-search"))
    parser.add_argument("--builds", type=int, default=3, help="full builds timed")
    parser.add_argument("--edits", type=int, default=3, help="rounds of one-article edits")
    parser.add_argument("--json", action="store_true", help="also print one JSON object")
    return parser.parse_args()


def main() -> None:
    args = arguments()
    work: Path = args.work
    work.mkdir(parents=True, exist_ok=True)
    pagefind = set_up_pagefind(work)
    content, output = work / "content", work / "output"
    corpus = [sys.executable, str(ROOT / "bench" / "corpus.py"), "--articles", str(args.articles)]
    run([*corpus, "--seed", str(args.seed), "--out", str(content), "--force"])
    builds = full_builds(content, output, args.builds)
    ours, theirs = Engine("static index"), Engine("Pagefind " + PAGEFIND_VERSION)
    served = Engine("the service")
    ours.index_bytes, ours.index_files = folder_size(output / "_search" / "static")
    docs = documents(content)
    ours.build_s, ours.build_cpu_s, ours.peak_rss_mb = static_alone(work, content, docs)
    run_pagefind(pagefind, output, theirs)
    queries = query_set(docs, args.rare, args.seed)
    run_queries(work, output, queries, (ours, theirs, served))
    edits = edit_builds(content, work, args.edits) if args.edits else {}
    summary = report(queries, (ours, theirs, served), args)
    summary.update(report_builds(builds, edits, ours))
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))


def wait_for(url: str) -> None:
    """Until ``url`` answers (the service has loaded its index)."""
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except (urllib.error.URLError, OSError):
            if time.monotonic() > deadline:
                raise SystemExit(f"{url} did not answer") from None
            time.sleep(0.5)


def report(
    queries: list[Query], engines: tuple[Engine, Engine, Engine], args: argparse.Namespace
) -> dict[str, Any]:
    """Print each query's figures and each engine's summary; the summary."""
    ours, theirs, served = engines
    print(
        f"\n{args.articles} articles (seed {args.seed}), {len(queries)} queries, "
        "cold cache each, nginx on 127.0.0.1, headless Chromium; ms: submit to results "
        "in the page\n"
    )
    print(
        f"{'query':<24}{'script':<9}{'truth':>6} | {'ours':>6} {'KB':>6} {'req':>4} {'ms':>6}"
        f" | {'Pagefind':>8} {'KB':>6} {'req':>4} {'ms':>6}"
    )
    for i, q in enumerate(queries):
        a, b = ours.measures[i], theirs.measures[i]
        print(
            f"{q.text[:12]:<24}{q.script:<9}{q.truth:>6} | {a.total:>6} {a.bytes / 1024:>6.1f}"
            f" {a.requests:>4} {a.ms:>6.0f} | {b.total:>8} {b.bytes / 1024:>6.1f}"
            f" {b.requests:>4} {b.ms:>6.0f}"
        )
    summary: dict[str, Any] = {"articles": args.articles, "queries": len(queries)}
    print()
    for engine in engines:
        row = engine_summary(engine, queries)
        summary[engine.name] = row
        print(engine_line(engine, row, queries, with_index=engine is not served))
    return summary


def engine_summary(engine: Engine, queries: list[Query]) -> dict[str, Any]:
    measures = list(engine.measures.values())
    ms = [m.ms for m in measures]
    outside = [m.outside_ms for m in measures]
    kb = [m.bytes / 1024 for m in measures]
    exact = {
        s: sum(engine.measures[i].total == q.truth for i, q in enumerate(queries) if q.script == s)
        for s in ("zh-hans", "zh-hant")
    }
    return {
        "exact_hans": exact["zh-hans"],
        "exact_hant": exact["zh-hant"],
        "median_kb": statistics.median(kb),
        "worst_kb": max(kb),
        "median_requests": statistics.median(m.requests for m in measures),
        "p50_ms": pct(ms, 50),
        "p95_ms": pct(ms, 95),
        "outside_p50_ms": pct(outside, 50),
        "outside_p95_ms": pct(outside, 95),
        "build_s": engine.build_s,
        "build_cpu_s": engine.build_cpu_s,
        "peak_rss_mb": engine.peak_rss_mb,
        "index_mb": engine.index_bytes / 1e6,
        "index_files": engine.index_files,
    }


def engine_line(engine: Engine, row: dict[str, Any], queries: list[Query], with_index: bool) -> str:
    per_script = sum(1 for q in queries if q.script == "zh-hans")
    line = (
        f"{engine.name}: exact totals {row['exact_hans']}/{per_script} zh-hans, "
        f"{row['exact_hant']}/{per_script} zh-hant; per cold query median "
        f"{row['median_kb']:.1f} KB (worst {row['worst_kb']:.1f} KB), "
        f"{row['median_requests']:.0f} requests; submit to results p50 {row['p50_ms']:.0f} ms, "
        f"p95 {row['p95_ms']:.0f} ms (outside the page, with Playwright's round trips: "
        f"{row['outside_p50_ms']:.0f} / {row['outside_p95_ms']:.0f} ms)"
    )
    if with_index:
        line += (
            f"; index {row['build_s']:.1f} s wall, {row['build_cpu_s']:.1f} s CPU, peak RSS "
            f"{row['peak_rss_mb']:.0f} MB; {row['index_mb']:.1f} MB in {row['index_files']} files"
        )
    return line


def report_builds(
    builds: list[Built], edits: dict[str, list[Built]], ours: Engine
) -> dict[str, Any]:
    """Print what the static index adds to full builds and to edits; the figures."""
    seconds = statistics.median(b.seconds for b in builds)
    waited = statistics.median(b.static_wait for b in builds)
    cpu = statistics.median(b.cpu for b in builds)
    print(
        f"full build {', '.join(f'{b.seconds:.1f}' for b in builds)} s, of which waiting "
        f"for the static index {', '.join(f'{b.static_wait:.2f}' for b in builds)} s: "
        f"it adds {waited / (seconds - waited) * 100:.0f} % to the build's wall time "
        f"(medians); its fresh write alone takes {ours.build_cpu_s:.1f} s CPU, "
        f"{ours.build_cpu_s / cpu * 100:.0f} % of the full build's {cpu:.1f} s CPU"
    )
    out: dict[str, Any] = {
        "full_build_s": [b.seconds for b in builds],
        "full_build_static_wait_s": [b.static_wait for b in builds],
        "full_build_cpu_s": [b.cpu for b in builds],
    }
    for kind, runs in edits.items():
        print(
            f"one-article edit, {kind}: {', '.join(f'{b.seconds:.2f}' for b in runs)} s, "
            f"of which waiting for the static index "
            f"{', '.join(f'{b.static_wait:.2f}' for b in runs)} s"
        )
        out[f"edit: {kind}"] = {
            "seconds": [b.seconds for b in runs],
            "static_wait": [b.static_wait for b in runs],
        }
    return out


if __name__ == "__main__":
    main()
