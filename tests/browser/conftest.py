"""Browser tests: the bundled bulletin, built once, served with its search API from one
real HTTP server on 127.0.0.1, read by Debian's chromium through Playwright.

Without chromium or the ``playwright`` package the tests are skipped, unless
``BULLETIN_REQUIRE_TOOLS=1`` (CI), where they fail instead. Screenshots go to
``test-artifacts/browser/`` at the repository root.
"""

from __future__ import annotations

import mimetypes
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from ..conftest import ROOT
from ..search.conftest import stop_server

CHROMIUM = os.environ.get("BULLETIN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # nothing but 127.0.0.1 resolves: a page that asks another host fails as it would
    # on an intranet with no internet (the request is still seen and recorded)
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
TIMEOUT_MS = 10_000
VARIANTS = ("zh-hans", "zh-hant")
SEARCH_ROUTES = ("/search", "/search/", "/api/search", "/api/search/", "/healthz")


def _require(reason: str) -> None:
    if os.environ.get("BULLETIN_REQUIRE_TOOLS") == "1":
        pytest.fail(f"{reason} (BULLETIN_REQUIRE_TOOLS=1: browser tests must run)", pytrace=False)
    pytest.skip(reason)


def _chromium() -> str:
    path = shutil.which(CHROMIUM) or CHROMIUM
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        _require(f"no chromium at {CHROMIUM} (apt-get install chromium)")
    return path


# ---------------------------------------------------------------------------- server


class SiteApp:
    """WSGI: static files from a built site (a folder serves its index.html, a missing
    file the site's 404.html with status 404), and the search service's routes."""

    def __init__(self, output: Path, search_app: Any) -> None:
        self.output = output.resolve()
        self.search_app = search_app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO") or "/"
        if path in SEARCH_ROUTES:
            return self.search_app(environ, start_response)
        # WSGI gives PATH_INFO as latin-1 text of the raw (already %-decoded) bytes
        path = unquote(path.encode("latin-1").decode("utf-8", "replace"))
        target = (self.output / path.lstrip("/")).resolve()
        if not target.is_relative_to(self.output):
            return self._send(start_response, "404 Not Found", self.output / "404.html")
        if target.is_dir():
            if not path.endswith("/"):
                query = environ.get("QUERY_STRING")
                location = path + "/" + (f"?{query}" if query else "")
                start_response("301 Moved Permanently", [("Location", location)])
                return [b""]
            target = target / "index.html"
        if not target.is_file():
            return self._send(start_response, "404 Not Found", self.output / "404.html")
        return self._send(start_response, "200 OK", target)

    @staticmethod
    def _send(start_response: Any, status: str, file: Path) -> list[bytes]:
        data = file.read_bytes()
        kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        if kind.startswith("text/") or kind in ("application/javascript", "image/svg+xml"):
            kind += "; charset=utf-8"
        start_response(
            status,
            [
                ("Content-Type", kind),
                ("Content-Length", str(len(data))),
                ("Cache-Control", "no-store"),
            ],
        )
        return [data]


@pytest.fixture(scope="session")
def site_url(sample_site: Path) -> Iterator[str]:
    """``http://127.0.0.1:PORT/``: the built bundled bulletin and its search API."""
    import waitress

    from search.service import SearchApp

    app = SiteApp(sample_site, SearchApp(sample_site))
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=8)
    thread = threading.Thread(target=server.run, name="browser-test-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}/"
    finally:
        stop_server(server, thread)


# ---------------------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    path = _chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _require("the playwright Python package is not installed (pip install -e '.[test]')")
    with sync_playwright() as p:
        try:
            browser = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
        except Exception as exc:  # a broken chromium install
            _require(f"chromium at {path} does not start: {exc}")
        try:
            yield browser
        finally:
            browser.close()


class RequestLog:
    """Every request a page makes (any that would leave 127.0.0.1 fails: see
    ``--host-resolver-rules``)."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    def foreign(self) -> list[str]:
        out = []
        for url in self.urls:
            parts = urlsplit(url)
            if parts.scheme in ("data", "blob", "about"):
                continue
            if parts.hostname != "127.0.0.1":
                out.append(url)
        return out


#: every request of every browser test, for the session-wide check
ALL_REQUESTS = RequestLog()


def new_context(browser: Any, log: RequestLog, **options: Any) -> Any:
    context = browser.new_context(**options)
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)

    def record(request: Any) -> None:
        log.urls.append(request.url)
        ALL_REQUESTS.urls.append(request.url)

    context.on("request", record)
    return context


@pytest.fixture
def requests_log() -> RequestLog:
    return RequestLog()


@pytest.fixture
def page(browser: Any, site_url: str, requests_log: RequestLog) -> Iterator[Any]:
    """A desktop-sized page (1280x900) in its own context."""
    context = new_context(browser, requests_log, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()
    foreign = requests_log.foreign()
    assert not foreign, f"requests left 127.0.0.1: {foreign}"


@pytest.fixture
def mobile_page(browser: Any, site_url: str, requests_log: RequestLog) -> Iterator[Any]:
    """A phone-sized page: 375 px wide, touch."""
    context = new_context(
        browser,
        requests_log,
        viewport={"width": 375, "height": 740},
        device_scale_factor=1,
        is_mobile=True,
        has_touch=True,
    )
    page = context.new_page()
    yield page
    context.close()
    foreign = requests_log.foreign()
    assert not foreign, f"requests left 127.0.0.1: {foreign}"


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def shot(page: Any, artifacts: Path, name: str) -> None:
    """A full-page screenshot ``test-artifacts/browser/NAME.png``."""
    page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)


def quoted(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


#: the query, in each script, that the sample pages search for (3 articles contain it)
QUERY = {"zh-hans": "红色联盟", "zh-hant": "紅色聯盟"}


def sample_pages(variant: str) -> list[tuple[str, str]]:
    """(name, path from the site root) of one page of every kind, in ``variant``."""
    return [
        ("home", f"{variant}/"),
        ("article-table", f"{variant}/articles/mouqu-1-2-3-x/"),
        ("article-image", f"{variant}/articles/linying-jiti-jingji/"),
        ("counties", f"{variant}/counties/"),
        ("county", f"{variant}/counties/lin-ying-xian/"),
        ("themes", f"{variant}/themes/"),
        ("slogans", f"{variant}/slogans/"),
        ("issues", f"{variant}/issues/"),
        ("issue", f"{variant}/issues/2016-08/"),
        ("archive", f"{variant}/archive/"),
        ("archive-year", f"{variant}/archive/2016/"),
        ("about", f"{variant}/about/"),
        ("search-page", f"{variant}/search/"),
        ("search-results", f"search?q={quoted(QUERY[variant])}&variant={variant}"),
        ("404", f"{variant}/no-such-page/"),
    ]
