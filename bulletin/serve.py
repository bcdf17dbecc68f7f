"""`python build.py serve`: build, serve the site and the search API, rebuild on change.

One process on 127.0.0.1. A threaded stdlib WSGI server gives every request its own
thread, so the long-lived Server-Sent Events streams that tell open pages to reload
never hold up a page or a search. Static files are looked up afresh on each request,
because every build swaps a new tree in under the same output path.

A build that fails keeps the last good site on the server; its ``path:line: message``
errors go to the terminal, into every HTML page served (an overlay), and over SSE to
pages already open. Nothing added here reaches the built output: the overlay and the
reload script are put into responses only.
"""

from __future__ import annotations

import contextlib
import html
import json
import mimetypes
import os
import re
import shutil
import socketserver
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import parse_qs, quote
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import jinja2
from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from bulletin import pipeline
from bulletin.problems import ContentError, OutputError, UsageError
from bulletin.render import TEMPLATES_DIR, template_error_line
from search.service import SearchApp

HOST = "127.0.0.1"
EVENTS_PATH = "/__livereload"
SCRIPT_PATH = "/__livereload.js"
SEARCH_PATHS = frozenset({"/search", "/search/", "/api/search", "/api/search/", "/healthz"})
DEBOUNCE_SECONDS = 0.2
HEARTBEAT_SECONDS = 15.0
OVERLAY_ID = "bulletin-serve-errors"

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".svg": "image/svg+xml",
    ".txt": "text/plain; charset=utf-8",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".pdf": "application/pdf",
    ".gz": "application/gzip",
}

# Served at SCRIPT_PATH; reloads on "reload", draws the overlay on "errors".
LIVERELOAD_JS = """\
(function () {
  "use strict";
  var me = document.currentScript;
  var since = (me && me.getAttribute("data-since")) || "";
  if (!window.EventSource) { return; }
  var source = new EventSource("%(events)s?since=" + encodeURIComponent(since));
  source.addEventListener("reload", function () {
    source.close();
    location.reload();
  });
  source.addEventListener("errors", function (event) {
    var lines = [];
    try { lines = JSON.parse(event.data); } catch (e) { return; }
    var old = document.getElementById("%(id)s");
    if (old) { old.parentNode.removeChild(old); }
    if (!lines.length) { return; }
    var box = document.createElement("div");
    box.id = "%(id)s";
    box.setAttribute("role", "alert");
    box.setAttribute("style", %(box_style)s);
    var head = document.createElement("p");
    head.setAttribute("style", %(head_style)s);
    head.textContent = %(heading)s;
    var pre = document.createElement("pre");
    pre.setAttribute("style", %(pre_style)s);
    pre.textContent = lines.join("\\n");
    box.appendChild(head);
    box.appendChild(pre);
    document.body.appendChild(box);
  });
})();
"""

BOX_STYLE = (
    "position:fixed;left:0;right:0;bottom:0;z-index:2147483647;max-height:60vh;"
    "overflow:auto;margin:0;padding:12px 16px;background:#7f1d1d;color:#fff;"
    "box-shadow:0 -2px 8px rgba(0,0,0,.4);text-align:left"
)
HEAD_STYLE = "margin:0 0 8px;font:bold 15px/1.4 sans-serif"
PRE_STYLE = "margin:0;white-space:pre-wrap;word-break:break-all;font:13px/1.5 monospace"
HEADING = "构建失败，仍显示上次成功构建的页面 (build failed: showing the last good site)"

FALLBACK_PAGE = """<!DOCTYPE html>
<html lang="zh-Hans"><head><meta charset="utf-8"><title>{title}</title></head>
<body><h1>{title}</h1></body></html>
"""


def livereload_js() -> bytes:
    return (
        LIVERELOAD_JS
        % {
            "events": EVENTS_PATH,
            "id": OVERLAY_ID,
            "box_style": json.dumps(BOX_STYLE),
            "head_style": json.dumps(HEAD_STYLE),
            "pre_style": json.dumps(PRE_STYLE),
            "heading": json.dumps(HEADING, ensure_ascii=False),
        }
    ).encode("utf-8")


@dataclass(frozen=True)
class Status:
    """The outcome of the latest build; ``tag`` changes whenever open pages must hear of it."""

    boot: str
    version: int
    errors: tuple[str, ...]

    @property
    def tag(self) -> str:
        return f"{self.boot}-{self.version}"


class LiveState:
    """The latest build status, shared by the builder thread and the request threads."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._status = Status(f"{time.time_ns():x}", 0, ())
        self._stopping = False

    def current(self) -> Status:
        with self._changed:
            return self._status

    def publish(self, errors: Sequence[str]) -> Status:
        """Record a build's outcome. A success always counts as a change (pages reload);
        a failure only when its errors differ from those already shown."""
        with self._changed:
            errors = tuple(errors)
            old = self._status
            if errors and errors == old.errors and old.version:
                return old
            self._status = Status(old.boot, old.version + 1, errors)
            self._changed.notify_all()
            return self._status

    def stop(self) -> None:
        with self._changed:
            self._stopping = True
            self._changed.notify_all()

    @property
    def stopping(self) -> bool:
        with self._changed:
            return self._stopping

    def wait_for_change(self, tag: str, timeout: float) -> Status | None:
        """The status once its tag differs from ``tag`` (or after ``timeout``, unchanged);
        None when the server is stopping."""
        with self._changed:
            self._changed.wait_for(lambda: self._stopping or self._status.tag != tag, timeout)
            return None if self._stopping else self._status


def overlay_html(errors: Sequence[str]) -> str:
    """The error overlay, escaped, as the reload script would draw it."""
    if not errors:
        return ""
    lines = "\n".join(html.escape(line, quote=False) for line in errors)
    return (
        f'<div id="{OVERLAY_ID}" role="alert" style="{BOX_STYLE}">'
        f'<p style="{HEAD_STYLE}">{html.escape(HEADING)}</p>'
        f'<pre style="{PRE_STYLE}">{lines}</pre></div>'
    )


def inject(page: bytes, status: Status) -> bytes:
    """Put the overlay (if any) and the reload script just before ``</body>``."""
    snippet = (
        f"{overlay_html(status.errors)}"
        f'<script src="{SCRIPT_PATH}" data-since="{html.escape(status.tag)}"></script>'
    ).encode()
    at = page.lower().rfind(b"</body>")
    if at < 0:
        return page + snippet
    return page[:at] + snippet + page[at:]


def sse_event(status: Status) -> bytes:
    if status.errors:
        data = json.dumps(list(status.errors), ensure_ascii=False)
        return f"event: errors\nid: {status.tag}\ndata: {data}\n\n".encode()
    return f"event: reload\nid: {status.tag}\ndata: {status.tag}\n\n".encode()


class PreviewApp:
    """The WSGI app: live-reload endpoints, the search service, and the output folder."""

    def __init__(self, output: Path, state: LiveState, search: WSGIApp) -> None:
        self.output = output
        self.state = state
        self.search = search

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if not _local_host(environ.get("HTTP_HOST", "")):
            # a page of another site could reach this server through a name that
            # resolves to 127.0.0.1 (DNS rebinding): only local names are answered
            return self._respond(
                start_response,
                "421 Misdirected Request",
                b"the preview answers only http://127.0.0.1 and http://localhost",
                "text/plain; charset=utf-8",
            )
        # WSGI gives the path as latin-1 text of the raw (percent-decoded) bytes
        raw = environ.get("PATH_INFO", "") or "/"
        path = raw.encode("latin-1", "replace").decode("utf-8", "replace")
        method = environ.get("REQUEST_METHOD", "GET")
        if method not in ("GET", "HEAD"):
            return self._respond(
                start_response, "405 Method Not Allowed", b"GET only", "text/plain"
            )
        if path == EVENTS_PATH:
            return self._events(environ, start_response)
        if path == SCRIPT_PATH:
            return self._respond(start_response, "200 OK", livereload_js(), CONTENT_TYPES[".js"])
        if path in SEARCH_PATHS:
            return self._search(environ, start_response)
        return self._static(path, environ, start_response)

    def _respond(
        self,
        start_response: StartResponse,
        status: str,
        body: bytes,
        content_type: str,
        head: bool = False,
        extra: Sequence[tuple[str, str]] = (),
    ) -> list[bytes]:
        start_response(
            status,
            [
                ("Content-Type", content_type),
                ("Content-Length", str(len(body))),
                ("Cache-Control", "no-store"),
                *extra,
            ],
        )
        return [] if head else [body]

    def _events(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        query = parse_qs(environ.get("QUERY_STRING", ""))
        since = environ.get("HTTP_LAST_EVENT_ID") or query.get("since", [""])[0]
        start_response(
            "200 OK",
            [("Content-Type", "text/event-stream; charset=utf-8"), ("Cache-Control", "no-store")],
        )
        return self._stream(since or self.state.current().tag)

    def _stream(self, tag: str) -> Iterator[bytes]:
        yield b"retry: 1000\n\n"
        while True:
            status = self.state.wait_for_change(tag, HEARTBEAT_SECONDS)
            if status is None:
                return
            if status.tag == tag:
                yield b": ping\n\n"  # finds closed connections; keeps proxies from timing out
                continue
            tag = status.tag
            yield sse_event(status)

    def _search(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        status = self.state.current()
        captured: list[Any] = []

        def capture(code: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured[:] = [code, headers]
            return lambda data: None  # SearchApp never calls write()

        body = b"".join(self.search(environ, capture))
        code, headers = captured
        content_type = next((v for k, v in headers if k.lower() == "content-type"), "")
        if content_type.startswith("text/html"):
            body = inject(body, status)
            headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
            headers.append(("Content-Length", str(len(body))))
        start_response(code, headers)
        return [] if environ.get("REQUEST_METHOD") == "HEAD" else [body]

    def _static(
        self, path: str, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        head = environ.get("REQUEST_METHOD") == "HEAD"
        status = self.state.current()  # before reading: a page is never newer than its tag
        parts = [p for p in path.split("/") if p not in ("", ".")]
        if any(p == ".." or "\\" in p or "\x00" in p for p in parts):
            return self._not_found(status, start_response, head)
        target = self.output.joinpath(*parts)
        if target.is_dir():
            if not path.endswith("/"):
                # built from the path's parts, so it always stays on this origin
                # (``//host`` would be another one)
                location = quote("/" + "/".join(parts) + "/")
                if environ.get("QUERY_STRING"):
                    location += "?" + environ["QUERY_STRING"]
                return self._respond(
                    start_response,
                    "301 Moved Permanently",
                    b"",
                    "text/plain",
                    head,
                    [("Location", location)],
                )
            target = target / "index.html"
        try:
            body = target.read_bytes()
        except OSError:
            return self._not_found(status, start_response, head)
        content_type = _content_type(target.name)
        if content_type.startswith("text/html"):
            body = inject(body, status)
        return self._respond(start_response, "200 OK", body, content_type, head)

    def _not_found(self, status: Status, start_response: StartResponse, head: bool) -> list[bytes]:
        try:
            page = (self.output / "404.html").read_bytes()
        except OSError:  # no good build yet
            title = "尚未构建成功 (no good build yet)" if status.errors else "404"
            page = FALLBACK_PAGE.format(title=title).encode("utf-8")
        return self._respond(
            start_response, "404 Not Found", inject(page, status), CONTENT_TYPES[".html"], head
        )


LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost"})


def _local_host(host: str) -> bool:
    """Whether a ``Host`` header names this machine (with or without a port)."""
    name, _, port = host.strip().lower().rpartition(":")
    if not name or not port.isdigit():
        name = host.strip().lower()
    return name.rstrip(".") in LOCAL_HOSTS


def _content_type(name: str) -> str:
    suffix = os.path.splitext(name)[1].lower()
    if suffix in CONTENT_TYPES:
        return CONTENT_TYPES[suffix]
    guessed = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return f"{guessed}; charset=utf-8" if guessed.startswith("text/") else guessed


class _Server(socketserver.ThreadingMixIn, WSGIServer):
    """wsgiref's server with a thread per request (SSE streams stay open)."""

    daemon_threads = True
    allow_reuse_address = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """No access log: the terminal is for build results and errors."""


def build_once(
    content: Path,
    output: Path,
    base_url: str,
    err: TextIO,
    first: bool = False,
    templates: Path = TEMPLATES_DIR,
) -> tuple[str, ...]:
    """Build; report to ``err``; return the error lines (none: success).

    UsageError is raised on the first build only (a wrong --output is the
    user's to fix before serving); later it is shown like any other error.
    """
    try:
        result = pipeline.build(content, output, base_url=base_url, templates=templates)
    except ContentError as exc:
        for problem in exc.problems:
            print(problem, file=err)
        errors = tuple(str(p) for p in exc.problems if p.severity == "error")
        print(f"{len(errors)} error(s): still serving the last good site", file=err)
        return errors
    except jinja2.TemplateError as exc:
        line = template_error_line(exc, templates)
    except UsageError as exc:
        if first:
            raise
        line = f"build.py: error: {exc}"
    except OutputError as exc:
        line = str(exc)
    except Exception as exc:  # a bug must not stop the preview: show it and keep serving
        if os.environ.get("BULLETIN_DEBUG"):
            traceback.print_exc(file=err)
        line = (
            f"{content}:0: build failed: {type(exc).__name__}: {exc} (a bug in the "
            "generator: BULLETIN_DEBUG=1 shows where)"
        )
    else:
        for warning in result.warnings:
            print(warning, file=err)
        print(
            f"{'built' if first else 'rebuilt'} {result.articles} articles, {result.pages} "
            f"pages, {result.variants} variants in {result.seconds:.1f} s",
            file=err,
        )
        return ()
    print(line, file=err)
    print("still serving the last good site", file=err)
    return (line,)


class Rebuilder:
    """Rebuilds in its own thread once file events have been quiet for ``debounce`` s,
    so that a burst (an editor's save, a git checkout) makes one build."""

    def __init__(self, build: Callable[[], None], debounce: float = DEBOUNCE_SECONDS) -> None:
        self._build = build
        self._debounce = debounce
        self._wake = threading.Condition()
        self._pending = False
        self._last = 0.0
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="bulletin-rebuild", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def poke(self) -> None:
        with self._wake:
            self._pending = True
            self._last = time.monotonic()
            self._wake.notify_all()

    def stop(self) -> None:
        with self._wake:
            self._stopping = True
            self._wake.notify_all()

    def join(self) -> None:
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        while True:
            with self._wake:
                self._wake.wait_for(lambda: self._pending or self._stopping)
                while not self._stopping:
                    quiet_in = self._last + self._debounce - time.monotonic()
                    if quiet_in <= 0:
                        break
                    self._wake.wait(quiet_in)
                if self._stopping:
                    return
                self._pending = False
            self._build()


IGNORED_EVENTS = frozenset({"opened", "closed_no_write", "attrib"})
SCRATCH_NAME = re.compile(r"(.*~|4913|.*\.pyc)\Z")  # backups, vim's write test, bytecode


def is_relevant(event: FileSystemEvent, root: str) -> bool:
    """A change that could alter the site: not a read, and not a file the build skips
    (hidden files and folders, ``*~``: see sources.py) or an editor's scratch file."""
    if event.event_type in IGNORED_EVENTS:
        return False
    if event.is_directory and event.event_type == "modified":
        return False
    paths = [os.fsdecode(event.src_path), os.fsdecode(getattr(event, "dest_path", "") or "")]
    return any(p and _counts(os.path.relpath(p, root)) for p in paths)


def _counts(relative: str) -> bool:
    parts = relative.split(os.sep)
    if parts[0] == "..":
        return True  # outside the root (the root itself moved): rebuild to be safe
    return not any(part.startswith(".") and part not in (".", "..") for part in parts) and not (
        SCRATCH_NAME.match(parts[-1])
    )


class _Changes(FileSystemEventHandler):
    def __init__(self, rebuilder: Rebuilder, root: Path) -> None:
        self.rebuilder = rebuilder
        self.root = str(root)

    def on_any_event(self, event: FileSystemEvent) -> None:
        if is_relevant(event, self.root):
            self.rebuilder.poke()


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def serve(
    content: Path,
    output: Path | None = None,
    port: int = 8000,
    err: TextIO = sys.stderr,
) -> int:
    """Build ``content``, serve it on 127.0.0.1:``port`` until Ctrl-C (or SIGTERM)."""
    watched = _watched_folders(content, output)
    with contextlib.ExitStack() as cleanup:  # undone in reverse order, however it ends
        output, kept = _preview_folder(output, cleanup)
        state = LiveState()
        server = _listen(port, PreviewApp(output, state, SearchApp(output, interval=0.2)))
        cleanup.callback(server.server_close)
        url = f"http://{HOST}:{server.server_port}/"
        print(f"building the preview into {output} ({kept})", file=err)
        state.publish(build_once(content, output, url, err, first=True))
        rebuilder = Rebuilder(lambda: state.publish(build_once(content, output, url, err)))
        _watch(watched, rebuilder, cleanup)
        cleanup.callback(state.stop)  # first of all: ends the SSE streams
        print(f"serving {url} (Ctrl-C to stop)", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever(poll_interval=0.5)
    print("stopped", file=err)
    return 0


def _watched_folders(content: Path, output: Path | None) -> list[Path]:
    if not content.is_dir():
        raise UsageError(f"{content}: no such content folder")
    watched = [content.resolve(), TEMPLATES_DIR.resolve()]
    if output is not None and any(_inside(output.resolve(), f) for f in watched):
        raise UsageError(
            f"{output}: the preview must not be built inside the content or templates folder"
        )
    return watched


def _preview_folder(output: Path | None, cleanup: contextlib.ExitStack) -> tuple[Path, str]:
    """Where the preview is built: ``output``, or a temporary folder removed on exit."""
    if output is not None:
        return output.absolute(), "kept"
    scratch = Path(tempfile.mkdtemp(prefix="bulletin-serve-"))
    cleanup.callback(shutil.rmtree, scratch, ignore_errors=True)
    return scratch / "site", "removed on exit"


def _listen(port: int, app: WSGIApp) -> _Server:
    try:
        return make_server(HOST, port, app, server_class=_Server, handler_class=_QuietHandler)
    except OSError as exc:
        raise UsageError(f"{HOST}:{port}: {exc.strerror or exc}") from exc


def _watch(folders: list[Path], rebuilder: Rebuilder, cleanup: contextlib.ExitStack) -> None:
    """Rebuild on changes in ``folders`` until ``cleanup``; a build in progress then
    finishes (no half-written staging folder)."""
    observer = Observer()
    for folder in folders:
        observer.schedule(_Changes(rebuilder, folder), str(folder), recursive=True)
    observer.start()
    rebuilder.start()
    cleanup.callback(rebuilder.join)
    cleanup.callback(observer.join)
    cleanup.callback(observer.stop)
    cleanup.callback(rebuilder.stop)
