"""The bulletin's command line: build | check | new | serve. See `python build.py --help`."""

import os
import sys
from pathlib import Path

if sys.dont_write_bytecode:
    # Python was told not to write .pyc files (PYTHONDONTWRITEBYTECODE), so each run
    # would compile the project's own ~9,000 lines again: ~0.15 s, a sixth of a rebuild
    # after a one-article edit. Their bytecode is written where Python looks for it once
    # per change of a source file (checking it costs ~5 ms); nothing else is written.
    import compileall

    for package in ("bulletin", "search"):
        compileall.compile_dir(Path(__file__).resolve().parent / package, quiet=2, maxlevels=0)

from bulletin.cli import main  # after its bytecode is in place

if __name__ == "__main__":
    status = main()
    # Everything is written and closed by now (main cleans up after itself); ending the
    # process here skips freeing a large build's objects one by one, a tenth of a second
    # of a rebuild after a one-article edit.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
