"""Issue PDFs by the two engines at hand: seconds per issue and bytes of each.

    python bench/pdf_engines.py [--content DIR] [--repeat R] [--chromium PATH]

Builds the content into a temporary folder, then makes each issue's PDF in each script
with WeasyPrint (``bulletin.pdf``, what ``build --pdf`` uses; in-process, after one
warm-up, as a build's workers run it) and with Debian's headless Chromium
(``--print-to-pdf`` on the built page, one process each time, its start included, as a
build would have to run it), alternating, R times each. Prints one line per PDF: median
seconds, bytes, pages (pdfinfo), and whether the R runs gave the same bytes.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bulletin import pipeline  # noqa: E402
from bulletin.pdf import IssuePdf  # noqa: E402
from bulletin.render import TEMPLATES_DIR, Assets  # noqa: E402

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-pdf-header-footer",
]


def _pages(pdf: Path) -> str:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    return next((line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")), "?")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--content", type=Path, default=ROOT / "content")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        output = Path(scratch) / "site"
        pipeline.build(args.content, output, use_cache=False)
        base_url = pipeline.check(args.content, lint=False).site.config.base_url
        static = args.content / "static"
        files = {p.relative_to(static).as_posix(): p for p in static.rglob("*") if p.is_file()}
        maker = IssuePdf.make(base_url, files)
        assets = Assets.load(TEMPLATES_DIR / "assets").files
        pages = sorted(output.glob("*/issues/*/index.html"))
        maker.render(pages[0].read_bytes(), "zh-hans/issues/x/", assets)  # warm-up
        print(f"engine: {maker.engine}; chromium: {args.chromium}; repeat {args.repeat}")
        print(f"{'page':<28} {'engine':<11} {'median s':>9} {'bytes':>10} {'pages':>5} same")
        for page in pages:
            rel = page.parent.relative_to(output).as_posix() + "/"
            runs: dict[str, list[tuple[float, bytes]]] = {"weasyprint": [], "chromium": []}
            for _ in range(args.repeat):
                started = time.perf_counter()
                data = maker.render(page.read_bytes(), rel, assets)
                runs["weasyprint"].append((time.perf_counter() - started, data))
                target = Path(scratch) / "chromium.pdf"
                started = time.perf_counter()
                subprocess.run(
                    [args.chromium, *CHROMIUM_ARGS, f"--print-to-pdf={target}", page.as_uri()],
                    capture_output=True,
                    check=True,
                )
                runs["chromium"].append((time.perf_counter() - started, target.read_bytes()))
            for engine, results in runs.items():
                pdf = Path(scratch) / f"{engine}.pdf"
                pdf.write_bytes(results[-1][1])
                seconds = statistics.median(s for s, _ in results)
                same = "yes" if len({data for _, data in results}) == 1 else "no"
                size = len(results[-1][1])
                print(f"{rel:<28} {engine:<11} {seconds:9.2f} {size:10d} {_pages(pdf):>5} {same}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
