"""The memory of ``build.py serve`` over a day of editing: N saves, each a rebuild.

    python bench/serve_memory.py [--rebuilds 500] [--content content] [--every 50]

Copies the content to a scratch folder, starts ``build.py serve`` on it, then N times
appends a sentence to an article (a different one each time, as an editor would), waits
for the "rebuilt" line, and reads the serve process's resident memory (VmRSS, from
/proc; the preview builds in one process: forking is unsafe beside its threads). Prints
the RSS after the 1st and 5th rebuild, every ``--every`` after, the growth from the 5th
to the last, and the seconds per rebuild. Linux only (/proc).
"""

from __future__ import annotations

import argparse
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


class Lines:
    """The serve process's stderr lines, collected by a thread; wait for a count of
    lines that start with a prefix."""

    def __init__(self, stream: object) -> None:
        self.lines: list[str] = []
        self.changed = threading.Condition()
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream: object) -> None:
        for line in stream:  # type: ignore[attr-defined]
            with self.changed:
                self.lines.append(line.rstrip("\n"))
                self.changed.notify_all()

    def wait(self, prefix: str, count: int, timeout: float = 120) -> None:
        with self.changed:
            done = self.changed.wait_for(
                lambda: sum(line.startswith(prefix) for line in self.lines) >= count, timeout
            )
        if not done:
            raise TimeoutError(f"no {count}th {prefix!r} line; last: {self.lines[-5:]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rebuilds", type=int, default=500)
    parser.add_argument("--every", type=int, default=50, help="print RSS every N rebuilds")
    parser.add_argument("--content", type=Path, default=ROOT / "content")
    args = parser.parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="serve-memory-"))
    content = scratch / "content"
    shutil.copytree(args.content, content)
    serve = start_serve(content, scratch / "preview")
    try:
        save_and_measure(serve, sorted((content / "articles").rglob("*.md")), args)
    finally:
        serve.send_signal(signal.SIGINT)
        serve.wait(timeout=60)
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


def start_serve(content: Path, preview: Path) -> subprocess.Popen[str]:
    """``build.py serve`` of ``content`` on a free port, its output read here."""
    cmd = [sys.executable, str(ROOT / "build.py"), "serve", "--content", str(content)]
    cmd += ["--port", "0", "--output", str(preview)]
    return subprocess.Popen(
        cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def save_and_measure(
    serve: subprocess.Popen[str], articles: list[Path], args: argparse.Namespace
) -> None:
    """Append a sentence to an article, wait for the rebuild, read the server's RSS;
    ``args.rebuilds`` times, printing every ``args.every``."""
    lines, out = Lines(serve.stderr), Lines(serve.stdout)
    out.wait("serving ", 1)  # built, and watching
    print(f"{'rebuilds':>8} {'RSS MB':>8}   (serve pid {serve.pid}, {len(articles)} articles)")
    print(f"{0:>8} {rss_mb(serve.pid):8.1f}")
    fifth, rss, started = 0.0, 0.0, time.perf_counter()
    for number in range(1, args.rebuilds + 1):
        article = articles[number % len(articles)]
        with article.open("a", encoding="utf-8") as handle:
            handle.write(f"\n补充说明第{number}条。\n")
        lines.wait("rebuilt ", number)
        rss = rss_mb(serve.pid)
        if number == 5:
            fifth = rss
        if number in (1, 5) or number % args.every == 0 or number == args.rebuilds:
            print(f"{number:>8} {rss:8.1f}", flush=True)
    seconds = time.perf_counter() - started
    print(f"growth from the 5th rebuild to the {args.rebuilds}th: {rss - fifth:+.1f} MB")
    print(f"{seconds / args.rebuilds:.2f} s per save and rebuild")


if __name__ == "__main__":
    sys.exit(main())
