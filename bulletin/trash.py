"""``python -m bulletin.trash FOLDER...``: delete earlier output trees in the background.

Each folder is first claimed by renaming it to ``….removing-PID`` (so a later build does
not send a remover of its own to a folder already being removed), then deleted.
"""

from __future__ import annotations

import os
import shutil
import sys

from bulletin.output import REMOVING


def claim_and_remove(path: str) -> None:
    head, name = os.path.split(path)
    mine = os.path.join(head, name.partition(REMOVING)[0] + f"{REMOVING}{os.getpid()}")
    try:
        os.rename(path, mine)
    except OSError:
        return  # gone, or claimed by another remover
    shutil.rmtree(mine, ignore_errors=True)


if __name__ == "__main__":
    for folder in sys.argv[1:]:
        claim_and_remove(folder)
