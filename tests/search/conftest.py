"""Fixtures: an OUTPUT folder with a search index built from fixture articles, and the
search service running on waitress on a free port of 127.0.0.1."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from search.documents import SearchDocument
from search.indexing import write_index
from search.layout import SearchMeta, index_dir, write_meta
from tests.search.fixtures import fixture_documents

META = SearchMeta(variants=("zh-hans", "zh-hant"), default_variant="zh-hans", base_path="/")

SEARCH_PAGE = """<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>
<link rel="stylesheet" href="../../assets/site.css"></head>
<body><main id="main">
<h1>{title}</h1>
<form class="search-form" role="search" action="../../search" method="get"
 data-api="../../api/search">
  <input type="hidden" name="variant" value="{variant}">
  <label for="search-q">{title}</label> <input id="search-q" name="q" type="search" value="">
  <button type="submit">{title}</button>
</form>
<div id="search-status" role="status" aria-live="polite"></div>
<div id="search-results" data-variant="{variant}"><!--search-results--></div>
<script src="../../assets/search.js" defer></script>
</main></body></html>
"""


def build_output(
    output: Path, documents: list[SearchDocument] | None = None, meta: SearchMeta | None = None
) -> Path:
    """A fake built site: the index, meta.json and the two search pages."""
    meta = meta or META
    write_index(index_dir(output), documents or fixture_documents(), meta)
    write_meta(output, meta)
    for variant, lang, title in (("zh-hans", "zh-Hans", "搜索"), ("zh-hant", "zh-Hant", "搜尋")):
        page = output / variant / "search" / "index.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(SEARCH_PAGE.format(lang=lang, title=title, variant=variant), "utf-8")
    (output / "assets").mkdir(exist_ok=True)
    (output / "assets" / "site.css").write_text("body { color: #222; }\n", "utf-8")
    (output / "index.html").write_text("<!DOCTYPE html><title>home</title>", "utf-8")
    return output


@pytest.fixture(scope="session")
def output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_output(tmp_path_factory.mktemp("site") / "output")


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


@dataclass
class Server:
    base: str

    def get(self, path: str, params: dict[str, Any] | None = None) -> Response:
        url = self.base + path
        if params is not None:
            url += "?" + urllib.parse.urlencode(params)
        try:
            with urllib.request.urlopen(url, timeout=30) as r:
                return Response(r.status, dict(r.headers), r.read())
        except urllib.error.HTTPError as e:
            return Response(e.code, dict(e.headers), e.read())

    def search(self, **params: Any) -> Response:
        return self.get("/api/search", params)


def start_server(output: Path, interval: float = 1.0) -> tuple[Server, Any, threading.Thread]:
    import waitress

    from search.service import SearchApp

    app = SearchApp(output, interval=interval)
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=8)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    return Server(f"http://127.0.0.1:{server.effective_port}"), server, thread


def stop_server(srv: Any, thread: threading.Thread) -> None:
    """Stop a waitress server started by :func:`start_server`, from its own loop.

    Closing it from another thread leaves its loop selecting on closed descriptors; when
    the numbers are reused by a later test's sockets, that loop reads and writes them
    (seen as a stray byte before a later response). Here every dispatcher of the
    server's map is closed inside the loop, so the loop ends with nothing left open.
    The worker threads stop first: a worker finishing a response pulls the trigger, and
    after the trigger is closed that write fails (EBADF, seen once in a full run)."""

    def close_all() -> None:
        for dispatcher in list(srv._map.values()):
            dispatcher.close()

    srv.task_dispatcher.shutdown()
    srv.trigger.pull_trigger(close_all)
    thread.join(timeout=10)
    assert not thread.is_alive(), "the test server did not stop"


@pytest.fixture(scope="session")
def server(output: Path) -> Iterator[Server]:
    client, srv, thread = start_server(output)
    yield client
    stop_server(srv, thread)
