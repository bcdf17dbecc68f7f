"""The bulletin's command line: build | check | new | serve. See `python build.py --help`."""

import os
import sys

from bulletin.cli import main

if __name__ == "__main__":
    status = main()
    # Everything is written and closed by now (main cleans up after itself); ending the
    # process here skips freeing a large build's objects one by one, a tenth of a second
    # of a rebuild after a one-article edit.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
