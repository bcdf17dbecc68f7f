"""Before and after, in one run: two checkouts of this project build the same corpus,
alternating, so the machine's drift (20-40 % within an hour here) falls on both alike.

    python bench/compare.py CONTENT --label before=/path/to/old/checkout \\
        --label after=/path/to/new/checkout [--full 3] [--edits 9] [--python PY]

For each checkout: ``--full`` builds from nothing (``--no-cache``, wall and CPU of the
whole process tree), then ``--edits`` one-article edits (a sentence appended to a
different article each time, the same articles for every checkout, each checkout on a
copy of its own), with the medians and ranges. Bytecode is written as Python usually
writes it (PYTHONDONTWRITEBYTECODE is dropped from the builds' environment). A
checkout is a folder holding ``build.py``; both run with ``--python`` (default: this
one), whose packages must suit both.
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import builds_environment


def _run(python: str, checkout: Path, content: Path, output: Path, *extra: str) -> float:
    env = builds_environment()
    command = [python, str(checkout / "build.py"), "build", "--content", str(content)]
    started = time.perf_counter()
    done = subprocess.run(
        [*command, "--output", str(output), *extra], capture_output=True, text=True, env=env
    )
    if done.returncode:
        raise SystemExit(f"{checkout}: exit {done.returncode}\n{done.stderr[-2000:]}")
    return time.perf_counter() - started


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _summary(values: list[float]) -> str:
    return f"{statistics.median(values):.3f} ({min(values):.3f}-{max(values):.3f})"


def full_builds(labels: dict[str, Path], args: argparse.Namespace, work: Path) -> None:
    times: dict[str, list[tuple[float, float]]] = {label: [] for label in labels}
    for _ in range(args.full):
        for label, checkout in labels.items():
            output = work / f"full-{label}"
            for path in (output, output.with_name(output.name + ".cache")):
                shutil.rmtree(path, ignore_errors=True)
            cpu = _children_cpu()
            wall = _run(args.python, checkout, args.content, output, "--no-cache")
            times[label].append((wall, _children_cpu() - cpu))
    for label, rows in times.items():
        walls, cpus = [w for w, _ in rows], [c for _, c in rows]
        print(f"full build  {label:>10}: wall {_summary(walls)} s, CPU {_summary(cpus)} s")


def edits(labels: dict[str, Path], args: argparse.Namespace, work: Path) -> None:
    articles = sorted(p.relative_to(args.content) for p in args.content.rglob("articles/**/*.md"))
    chosen = random.Random(args.seed).sample(articles, args.edits)
    times: dict[str, list[float]] = {label: [] for label in labels}
    for label, checkout in labels.items():  # each its own copy, built once
        shutil.copytree(args.content, work / f"content-{label}")
        _run(args.python, checkout, work / f"content-{label}", work / f"edit-{label}")
    for number, article in enumerate(chosen):
        for label, checkout in labels.items():
            content = work / f"content-{label}"
            with (content / article).open("a", encoding="utf-8") as handle:
                handle.write(f"\n\n补充说明第{number}条。\n")
            times[label].append(_run(args.python, checkout, content, work / f"edit-{label}"))
    for label, values in times.items():
        print(f"article edit {label:>10}: wall {_summary(values)} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("content", type=Path, help="a content folder (bench/corpus.py)")
    parser.add_argument("--label", action="append", required=True, help="NAME=CHECKOUT")
    parser.add_argument("--full", type=int, default=3, help="full builds each (default 3)")
    parser.add_argument("--edits", type=int, default=9, help="article edits each (default 9)")
    parser.add_argument("--seed", type=int, default=7, help="which articles are edited")
    parser.add_argument("--python", default=sys.executable)
    args = parser.parse_args(argv)
    labels = {}
    for item in args.label:
        name, _, folder = item.partition("=")
        labels[name] = Path(folder).resolve()
    with tempfile.TemporaryDirectory(prefix="bench-compare-") as scratch:
        work = Path(scratch)
        if args.full:
            full_builds(labels, args, work)
        if args.edits:
            edits(labels, args, work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
