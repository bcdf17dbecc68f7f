"""A new index swapped in while queries run: no request fails, the new one is used."""

from __future__ import annotations

import ctypes
import dataclasses
import os
import shutil
import threading
import time
from pathlib import Path

from search.documents import SearchDocument
from search.indexing import document_row
from search.layout import index_dir
from search.whoosh import update_documents
from tests.search.conftest import Server, build_output, start_server, stop_server
from tests.search.fixtures import fixture_documents

RENAME_EXCHANGE = 2


def exchange(a: Path, b: Path) -> None:
    """Swap two directories atomically (renameat2), else with two renames."""
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is not None:
        at_fdcwd = -100
        if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), RENAME_EXCHANGE) == 0:
            return
    tmp = a.with_name(a.name + ".swap")
    os.rename(a, tmp)
    os.rename(b, a)
    os.rename(tmp, b)


def extra_document(n: int) -> SearchDocument:
    return dataclasses.replace(
        fixture_documents()[0],
        slug=f"new-article-{n}",
        title=f"新增文章第{n}篇",
        body=f"独有短语甲乙丙{n}号",
    )


def hammer(server: Server, stop: threading.Event, errors: list[str], counts: list[int]) -> None:
    while not stop.is_set():
        try:
            r = server.search(q="村级集体经济", variant="zh-hant")
            if r.status != 200 or r.json()["total"] < 2:
                errors.append(f"{r.status} {r.text[:200]}")
        except Exception as exc:
            errors.append(repr(exc))
        counts.append(1)


def test_swap_and_in_place_commit_while_querying(tmp_path: Path) -> None:
    output = build_output(tmp_path / "output")
    client, srv, thread = start_server(output, interval=0.05)
    stop = threading.Event()
    errors: list[str] = []
    counts: list[int] = []
    workers = [
        threading.Thread(target=hammer, args=(client, stop, errors, counts)) for _ in range(6)
    ]
    for w in workers:
        w.start()
    try:
        for round_ in range(1, 6):
            # the generator's way: build a staging copy beside OUTPUT, exchange, keep
            # the previous tree as OUTPUT.previous until the next build deletes it
            previous = output.with_name("output.previous")
            shutil.rmtree(previous, ignore_errors=True)
            staging = output.with_name("output.staging")
            shutil.rmtree(staging, ignore_errors=True)
            build_output(staging, [*fixture_documents(), extra_document(round_)])
            exchange(staging, output)
            os.rename(staging, previous)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                if client.search(q=f"独有短语甲乙丙{round_}号").json()["total"] == 1:
                    break
                time.sleep(0.02)
            else:
                raise AssertionError(f"round {round_}: the new index was not picked up")
            assert client.search(q=f"独有短语甲乙丙{round_ - 1}号").json()["total"] == 0

        # an incremental build committing in place on the same directory
        update_documents(index_dir(output), [document_row(extra_document(99))], [])
        deadline = time.monotonic() + 10
        while client.search(q="独有短语甲乙丙99号").json()["total"] != 1:
            assert time.monotonic() < deadline, "the in-place commit was not picked up"
            time.sleep(0.02)
    finally:
        stop.set()
        for w in workers:
            w.join()
        stop_server(srv, thread)
    assert errors == []
    assert len(counts) > 50
