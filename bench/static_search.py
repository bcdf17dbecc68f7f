"""Static search beside Pagefind, on one generated bulletin, in headless Chromium.

    python bench/static_search.py --articles 5000 [--seed S] [--work DIR] [--rare N]

Sets up its own tools: Pagefind 1.6 from npm (``npm install pagefind@1.6.0`` into
WORK/node; the extended binary, with Chinese segmentation), nginx (Debian's) serving
the built site on 127.0.0.1 as docs/nginx.conf does (gzip on the fly for text, stored
files as they are), and Chromium through Playwright.

Builds a corpus (bench/corpus.py) with this project (timed, and timed again with the
static index left out, for its share of a full build), runs Pagefind over the same
zh-hans article pages (timed, peak RSS), then runs one query set through both: common
words, slogans and rare phrases of the corpus, each in Simplified and Traditional.
For each query, in a fresh browser context (cold cache), from pressing Enter to the
results on the page: the bytes received (bodies as sent, compressed) and the requests,
the time, and the total against a brute-force count of the articles that contain the
query (after the index's own normalisation, which folds the two scripts; Pagefind's
total is compared with the same count). Pagefind's query loads its script, wasm, meta,
index chunks and the fragments of the first 10 results (their excerpts), as its own UI
does; ours loads what the search page loads for 10 results with snippets.

Nothing here is a test: it prints figures (the machine is shared, so times are noisy).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
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
    ms: float


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
    return wall, cpu, rss_kb / 1024


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


def start_nginx(
    work: Path, site: Path, service_port: int
) -> tuple[subprocess.Popen[bytes], str, str]:
    """nginx on 127.0.0.1 serving ``site`` at / with docs/nginx.conf's compression: one
    server with no search service (a plain file host), and one that passes /api/ and
    /search to the service on ``service_port``. Their base URLs."""
    port, proxied = free_port(), free_port()
    prefix = work / "nginx"
    shutil.rmtree(prefix, ignore_errors=True)
    (prefix / "temp").mkdir(parents=True)
    conf = prefix / "nginx.conf"
    conf.write_text(
        f"""
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
    client_body_temp_path {prefix}/temp/body;
    proxy_temp_path {prefix}/temp/proxy;
    fastcgi_temp_path {prefix}/temp/fastcgi;
    uwsgi_temp_path {prefix}/temp/uwsgi;
    scgi_temp_path {prefix}/temp/scgi;
    server {{
        listen 127.0.0.1:{port};
        charset utf-8;
        root {site};
        index index.html;
        gzip_static on;
        gzip on;
        gzip_types text/css application/javascript text/javascript application/xml
                   image/svg+xml application/json application/wasm;
    }}
    server {{
        listen 127.0.0.1:{proxied};
        charset utf-8;
        root {site};
        index index.html;
        gzip_static on;
        gzip on;
        gzip_types text/css application/javascript text/javascript application/xml
                   image/svg+xml application/json application/wasm;
        location /api/ {{ proxy_pass http://127.0.0.1:{service_port}; }}
        location = /search {{ proxy_pass http://127.0.0.1:{service_port}; }}
    }}
}}
""",
        encoding="utf-8",
    )
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
    brute-force count of each."""
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
    queries += [Query(q.kind, "zh-hant", hant.convert(q.text)) for q in list(queries)]
    for q in queries:
        needle = normaliser.normalise(q.text)
        q.truth = sum(needle in t for t in texts)
    return queries


#: What a query loads (counted from the page's load on, so what the page fetches
#: ahead of the query counts too): the static index, its script, the service's API, and
#: Pagefind's files.
SEARCH_FILES = ("/_search/static/", "/assets/search-static.", "/api/search", "/pagefind/")


def measure(browser: Any, url: str, text: str, input_selector: str) -> Measure:
    """One cold query: a fresh context, the page loaded, then from Enter to results."""
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
    page.fill(input_selector, text)
    start = time.perf_counter()
    page.press(input_selector, "Enter")
    page.wait_for_selector("#search-results[data-total]", state="attached", timeout=60_000)
    ms = (time.perf_counter() - start) * 1000
    total = int(page.get_attribute("#search-results", "data-total") or 0)
    page.wait_for_timeout(50)  # let the last responses report their sizes
    context.close()
    return Measure(total, sum(sizes), len(sizes), ms)


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=20260101)
    parser.add_argument("--rare", type=int, default=10, help="rare phrases (per script)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/bench-static-search"))
    parser.add_argument("--builds", type=int, default=2, help="pairs of full builds timed")
    parser.add_argument("--json", action="store_true", help="also print one JSON object")
    args = parser.parse_args()
    work: Path = args.work
    work.mkdir(parents=True, exist_ok=True)
    python = sys.executable
    pagefind = set_up_pagefind(work)

    content, output = work / "content", work / "output"
    run(
        [
            python,
            str(ROOT / "bench" / "corpus.py"),
            "--articles",
            str(args.articles),
            "--seed",
            str(args.seed),
            "--out",
            str(content),
            "--force",
        ]
    )
    ours, theirs = Engine("static index"), Engine("Pagefind " + PAGEFIND_VERSION)
    # a full build, and one with the static index left out (its share of the build)
    without = (  # the build with the static index writer (looked up there) a no-op
        "import runpy, sys\n"
        "import bulletin.site_index as s\n"
        "from search.static import StaticFiles\n"
        "s.static_index_files = lambda *a, **k: StaticFiles({}, frozenset())\n"
        f"sys.argv = ['build.py', 'build', '--content', sys.argv[1], '--output', sys.argv[2]]\n"
        f"runpy.run_path({str(ROOT / 'build.py')!r}, run_name='__main__')\n"
    )
    full_runs, bare_runs = [], []
    for _ in range(args.builds):  # alternating, each a full build (no cache)
        shutil.rmtree(output, ignore_errors=True)
        shutil.rmtree(output.with_name("output.cache"), ignore_errors=True)
        bare_runs.append(timed([python, "-c", without, str(content), str(output)], cwd=ROOT)[0])
        shutil.rmtree(output, ignore_errors=True)
        shutil.rmtree(output.with_name("output.cache"), ignore_errors=True)
        full_runs.append(
            timed(
                [
                    python,
                    str(ROOT / "build.py"),
                    "build",
                    "--content",
                    str(content),
                    "--output",
                    str(output),
                ],
                cwd=ROOT,
            )[0]
        )
    # the static index alone, in a process of its own (time and peak RSS)
    docs = documents(content)
    docs_file = work / "documents.json"
    docs_file.write_text(
        json.dumps([dataclasses.asdict(d) for d in docs], ensure_ascii=False), encoding="utf-8"
    )
    alone = (
        "import json, sys; from pathlib import Path; "
        "from search.scripts import make_converter; from search.static import build_static_index; "
        "from search.documents import SearchDocument; "
        "d = [SearchDocument.from_mapping(x) for x in json.load(open(sys.argv[1]))]; "
        "c = {'zh-hant': make_converter('zh-hant', Path(sys.argv[2]))}; "
        "build_static_index(d, ['zh-hans', 'zh-hant'], c)"
    )
    wall, cpu, rss = timed(
        [python, "-c", alone, str(docs_file), str(content / "phrases.txt")], cwd=ROOT
    )
    ours.build_s, ours.build_cpu_s, ours.peak_rss_mb = wall, cpu, rss
    ours.index_bytes, ours.index_files = folder_size(output / "_search" / "static")

    # Pagefind over the zh-hans article pages
    shutil.rmtree(output / "pagefind", ignore_errors=True)
    wall, cpu, rss = timed(
        [
            str(pagefind),
            "--site",
            str(output),
            "--glob",
            "zh-hans/articles/**/*.html",
            "--output-subdir",
            "pagefind",
        ]
    )
    theirs.build_s, theirs.build_cpu_s, theirs.peak_rss_mb = wall, cpu, rss
    theirs.index_bytes, theirs.index_files = folder_size(output / "pagefind")
    (output / "pagefind-search.html").write_text(PAGEFIND_HARNESS, encoding="utf-8")

    queries = query_set(docs, args.rare, args.seed)
    service_port = free_port()
    service = subprocess.Popen(
        [python, "-m", "search", "serve", str(output), "--port", str(service_port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    nginx, base, proxied = start_nginx(work, output, service_port)
    served = Engine("the service")
    try:
        wait_for(f"{proxied}api/search?q=x&variant=zh-hans")
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for i, q in enumerate(queries):
                ours.measures[i] = measure(
                    browser, f"{base}{q.script}/search/", q.text, "#search-q"
                )
                theirs.measures[i] = measure(browser, f"{base}pagefind-search.html", q.text, "#q")
                served.measures[i] = measure(
                    browser, f"{proxied}{q.script}/search/", q.text, "#search-q"
                )
            browser.close()
    finally:
        nginx.terminate()
        nginx.wait(10)
        service.terminate()
        service.wait(10)
    report(queries, ours, theirs, served, full_runs, bare_runs, args)


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
    queries: list[Query],
    ours: Engine,
    theirs: Engine,
    served: Engine,
    full_runs: list[float],
    bare_runs: list[float],
    args: argparse.Namespace,
) -> None:
    print(
        f"\n{args.articles} articles (seed {args.seed}), {len(queries)} queries, "
        "cold cache each, nginx on 127.0.0.1, headless Chromium\n"
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
    for engine in (ours, theirs, served):
        ms = [m.ms for m in engine.measures.values()]
        kb = [m.bytes / 1024 for m in engine.measures.values()]
        exact = {
            s: sum(
                engine.measures[i].total == q.truth for i, q in enumerate(queries) if q.script == s
            )
            for s in ("zh-hans", "zh-hant")
        }
        per_script = sum(1 for q in queries if q.script == "zh-hans")
        row = {
            "exact_hans": exact["zh-hans"],
            "exact_hant": exact["zh-hant"],
            "median_kb": statistics.median(kb),
            "worst_kb": max(kb),
            "median_requests": statistics.median(m.requests for m in engine.measures.values()),
            "p50_ms": pct(ms, 50),
            "p95_ms": pct(ms, 95),
            "build_s": engine.build_s,
            "build_cpu_s": engine.build_cpu_s,
            "peak_rss_mb": engine.peak_rss_mb,
            "index_mb": engine.index_bytes / 1e6,
            "index_files": engine.index_files,
        }
        summary[engine.name] = row
        if engine is served:
            print(
                f"the search page with the service behind nginx: exact totals "
                f"{exact['zh-hans']}/{per_script} zh-hans, {exact['zh-hant']}/{per_script} "
                f"zh-hant; per query median {row['median_kb']:.1f} KB (worst "
                f"{row['worst_kb']:.1f} KB), {row['median_requests']:.0f} requests; submit "
                f"to results p50 {row['p50_ms']:.0f} ms, p95 {row['p95_ms']:.0f} ms"
            )
            continue
        print(
            f"{engine.name}: exact totals {exact['zh-hans']}/{per_script} zh-hans, "
            f"{exact['zh-hant']}/{per_script} zh-hant; per cold query median "
            f"{row['median_kb']:.1f} KB (worst {row['worst_kb']:.1f} KB), "
            f"{row['median_requests']:.0f} requests; submit to results p50 "
            f"{row['p50_ms']:.0f} ms, p95 {row['p95_ms']:.0f} ms; index {row['build_s']:.1f} s "
            f"wall, {row['build_cpu_s']:.1f} s CPU, peak RSS {row['peak_rss_mb']:.0f} MB; "
            f"{row['index_mb']:.1f} MB in {row['index_files']} files"
        )
    full, bare = statistics.median(full_runs), statistics.median(bare_runs)
    summary["full_build_s"], summary["build_without_static_s"] = full_runs, bare_runs
    print(
        f"full build {', '.join(f'{x:.1f}' for x in full_runs)} s; without the static index "
        f"{', '.join(f'{x:.1f}' for x in bare_runs)} s: the static index adds "
        f"{(full - bare) / bare * 100:.0f} % (medians)"
    )
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
