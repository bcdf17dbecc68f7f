"""Search benchmark: index N synthetic articles, then time queries of several kinds.

    python bench/search_bench.py [--docs 5000] [--queries 200] [--keep DIR]

Articles recombine sentences of content/articles/*.md (else of the test fixtures), with
a fixed seed: ~3,000 characters each, ~60 counties, ~12 themes. Prints index build time,
docs/s, and p50/p95 per query kind and overall. It prints figures; it is not a test.
"""

from __future__ import annotations

import argparse
import random
import re
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from search.documents import SearchDocument  # noqa: E402
from search.indexing import write_index  # noqa: E402
from search.layout import SearchMeta, index_dir, write_meta  # noqa: E402
from search.query import SearchRequest, Site, answer, parse  # noqa: E402
from search.scripts import make_converter  # noqa: E402
from search.whoosh import LiveIndex  # noqa: E402

THEMES = [
    "基层党建",
    "脱贫攻坚",
    "村级集体经济",
    "非公党建",
    "社会治理",
    "乡村振兴",
    "干部队伍",
    "党员教育",
    "城市基层党建",
    "作风建设",
    "人才工作",
    "阵地建设",
]
SYLLABLES = "临颍郾城舞阳召陵源汇西平遂平确山泌阳汝南正阳上蔡新蔡平舆驿城淮阳项城沈丘郸城太康鹿邑"


def sentences() -> list[str]:
    texts = []
    for path in sorted((ROOT / "content" / "articles").glob("**/*.md")):
        text = path.read_text("utf-8-sig")
        text = re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.DOTALL)
        texts.append(re.sub(r"[#|*\[\]()>`-]+", "", text))
    if not texts:
        from tests.search.fixtures import fixture_documents

        texts = [d.body for d in fixture_documents()]
    out = [s.strip() + "。" for t in texts for s in re.split(r"[。\n]", t) if len(s.strip()) > 8]
    return out


def documents(n: int, seed: int = 20160815) -> list[SearchDocument]:
    rng = random.Random(seed)
    pool = sentences()
    counties = sorted(
        {rng.choice(SYLLABLES) + rng.choice(SYLLABLES) + rng.choice("县区市") for _ in range(200)}
    )[:60]
    docs = []
    for i in range(n):
        paragraphs, size = [], 0
        while size < 3000:
            para = "".join(rng.choice(pool) for _ in range(rng.randint(2, 6)))
            paragraphs.append(para)
            size += len(para)
        county, theme = rng.choice(counties), rng.choice(THEMES)
        year = rng.randint(2012, 2024)
        docs.append(
            SearchDocument(
                slug=f"article-{i:05d}",
                title=f"{county}：{rng.choice(pool)[:24]}",
                body="\n".join(paragraphs),
                county=county,
                theme=theme,
                slogans=tuple(rng.choice(pool)[:6] for _ in range(rng.randint(0, 3))),
                date=f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            )
        )
    return docs


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def build_index(docs: list[SearchDocument], out: Path, keep: bool) -> Path:
    """The index of ``docs`` under ``out`` (reused where ``keep`` and it exists)."""
    folder = index_dir(out)
    meta = SearchMeta(variants=("zh-hans", "zh-hant"))
    if keep and folder.is_dir():
        print(f"index: reusing {folder} (delete it to time the build)")
        return folder
    t0, c0 = time.perf_counter(), time.process_time()
    write_index(folder, docs, meta)
    write_meta(out, meta)
    build, cpu = time.perf_counter() - t0, time.process_time() - c0
    size = sum(f.stat().st_size for f in folder.iterdir() if f.is_file()) / 1e6
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"index: {build:.1f} s wall, {cpu:.1f} s CPU, {len(docs) / cpu:.1f} docs/CPU-s, "
        f"{size:.0f} MB, peak RSS {peak:.0f} MB (the bench's documents included)"
    )
    return folder


def query_kinds(docs: list[SearchDocument], rng: random.Random) -> dict[str, Any]:
    """Per kind of query, a function that draws one."""
    bodies = [d.body for d in docs]

    def rare() -> str:
        body = rng.choice(bodies)
        start = rng.randrange(len(body) - 8)
        return re.sub(r"\s", "", body[start : start + rng.randint(4, 8)]) or "党员"

    hant = make_converter("zh-hant")
    return {
        "common": lambda: rng.choice(["基层党建", "党员", "村级集体经济", "党组织", "群众"]),
        "rare phrase": rare,
        "traditional": lambda: hant.convert(
            rng.choice(["基层党建", "党员", "村级集体经济"]) if rng.random() < 0.5 else rare()
        ),
        "two words": lambda: rng.choice(["党员 群众", "基层党建 村级", "党组织 -服务"]),
        "single char": lambda: rng.choice("党村县民"),
        "filtered": lambda: rng.choice(["党员 theme:基层党建", "村级集体经济 year:2016"]),
    }


def run(label: str, index: LiveIndex, make: Any, variant_of: Any, count: int) -> list[float]:
    """``count`` queries of one kind through the API's answer; prints a row."""
    site = Site(
        ["zh-hans", "zh-hant"],
        "zh-hans",
        "/",
        {"zh-hans": make_converter("zh-hans"), "zh-hant": make_converter("zh-hant")},
    )
    times, cpu, hits = [], [], []
    for i in range(count):
        q = make()
        t0, c0 = time.perf_counter(), time.thread_time()
        data = answer(index, SearchRequest(q, variant_of(i)), site)
        cpu.append((time.thread_time() - c0) * 1000)
        times.append((time.perf_counter() - t0) * 1000)
        hits.append(data["total"])
    print(
        f"{label:<16}{len(times):>5}{percentile(times, 50):>9.1f}"
        f"{percentile(times, 95):>9.1f}{max(times):>9.1f}{percentile(cpu, 50):>9.1f}"
        f"{percentile(cpu, 95):>9.1f}{statistics.mean(hits):>11.0f}"
    )
    return times


def alternate(i: int) -> str:
    return ("zh-hans", "zh-hant")[i % 2]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=5000)
    parser.add_argument("--queries", type=int, default=200, help="per kind")
    parser.add_argument("--seed", type=int, default=20160815, help="of the corpus")
    parser.add_argument(
        "--keep", type=Path, help="write the index here and keep it; reuse it if there"
    )
    args = parser.parse_args()

    t0 = time.perf_counter()
    docs = documents(args.docs, args.seed)
    chars = sum(len(d.body) for d in docs)
    print(
        f"corpus: {len(docs)} articles, {chars / len(docs):.0f} chars each, "
        f"{len({d.county for d in docs})} counties, {len(THEMES)} themes "
        f"({time.perf_counter() - t0:.1f} s to generate)"
    )
    tmp = tempfile.TemporaryDirectory(prefix="search-bench-")
    folder = build_index(docs, args.keep or Path(tmp.name), keep=args.keep is not None)
    # no result cache: every query evaluated (the per-generation unit sets stay on)
    live = LiveIndex(folder, cache_size=0)
    kinds = query_kinds(docs, random.Random(7))
    live.search(parse("党员"), 0, 10, 10.0)  # open the index
    print(
        f"{'kind':<16}{'n':>5}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}"
        f"{'cpu p50':>9}{'cpu p95':>9}{'mean hits':>11}"
    )
    overall: list[float] = []
    for kind, make in kinds.items():
        script = (lambda i: "zh-hant") if kind == "traditional" else alternate
        overall += run(kind, live, make, script, args.queries)
    print(
        f"{'overall':<16}{len(overall):>5}{percentile(overall, 50):>9.1f}"
        f"{percentile(overall, 95):>9.1f}{max(overall):>9.1f}"
    )
    live.close()
    # one character without the unit cache: the character's terms read and united
    cold = LiveIndex(folder, cache_size=0, unit_cache=0)
    run("char, no cache", cold, kinds["single char"], alternate, args.queries)
    cold.close()
    # the service's default: a per-index cache of recent outcomes (next page, popular terms)
    warm = LiveIndex(folder)
    run("common, cached", warm, kinds["common"], alternate, args.queries)
    warm.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
