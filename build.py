"""The bulletin's command line: build | check | new | serve. See `python build.py --help`."""

import sys

from bulletin.cli import main

if __name__ == "__main__":
    sys.exit(main())
