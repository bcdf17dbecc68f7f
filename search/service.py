"""The search service: a WSGI app over a built site's ``_search/`` folder.

Routes (also under the site's base path, e.g. ``/bulletin/api/search``):
``/api/search`` JSON, ``/search`` HTML in the site's look, ``/healthz``.
Only the query side is imported here; the indexing code is not.
"""

from __future__ import annotations

import json
import sys
import threading
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from search.layout import SearchMeta, index_dir, index_key, phrases_path, read_meta
from search.query import BadRequest, Site, answer, parse_params
from search.render import FALLBACK_PAGE, STRINGS, fill_page, results_html
from search.scripts import VARIANT_CONFIGS, VARIANT_LANGS, Converter, make_converter
from search.whoosh import IndexUnavailable, LiveIndex

StartResponse = Callable[..., Any]
#: Bytes and fields of a query string the service reads (the API has six fields).
MAX_QUERY_STRING = 4096
MAX_FIELDS = 20


def log(message: str) -> None:
    """One line on stderr (the service's log)."""
    print(f"search: {message}", file=sys.stderr, flush=True)


class RefusedRequest(BadRequest):
    """A request refused before it is read (too long, too many fields): logged."""


@dataclass
class _Page:
    key: tuple[int, int]
    text: str


class SiteState:
    """``_search/meta.json``, its converters and the search pages, reloaded when the
    index they belong to changes. Converters are built once per phrase file."""

    def __init__(self, output: Path) -> None:
        self.output = output
        self._lock = threading.Lock()
        self._key: object = None
        self._site: Site | None = None
        self._converters: dict[tuple[str, str, int], Converter] = {}
        self._pages: dict[str, _Page] = {}

    def _converter(self, variant: str, phrases: Path | None) -> Converter:
        stamp = 0
        if phrases is not None:
            try:
                stamp = phrases.stat().st_mtime_ns
            except OSError:
                phrases = None
        key = (variant, str(phrases), stamp)
        if key not in self._converters:
            self._converters[key] = make_converter(variant, phrases)
        return self._converters[key]

    def site(self) -> Site:
        key = index_key(index_dir(self.output))
        with self._lock:
            if self._site is not None and key == self._key:
                return self._site
            meta = read_meta(self.output) or SearchMeta()
            variants = [v for v in meta.variants if v in VARIANT_CONFIGS] or ["zh-hans"]
            default = meta.default_variant if meta.default_variant in variants else variants[0]
            base_path = meta.base_path if meta.base_path.endswith("/") else meta.base_path + "/"
            phrases = phrases_path(self.output, meta)
            converters = {v: self._converter(v, phrases) for v in variants}
            self._site = Site(variants, default, base_path, converters)
            self._key = key
            return self._site

    def page(self, variant: str, site: Site) -> str:
        path = self.output / variant / "search" / "index.html"
        try:
            st = path.stat()
            key = (st.st_ino, st.st_mtime_ns)
            cached = self._pages.get(variant)
            if cached is not None and cached.key == key:
                return cached.text
            text = path.read_text("utf-8")
            self._pages[variant] = _Page(key, text)
            return text
        except (OSError, UnicodeDecodeError):
            title = site.convert(variant, STRINGS["title"])
            return FALLBACK_PAGE.format(
                lang=VARIANT_LANGS.get(variant, "zh"),
                title=title,
                base=site.base_path,
                variant=variant,
            )


def _json(status: str, body: dict[str, Any], start_response: StartResponse) -> list[bytes]:
    text = json.dumps(body, ensure_ascii=False)
    # the query is echoed: keep markup characters out of the JSON text itself
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    data = text.encode("utf-8")
    start_response(
        status,
        [
            ("Content-Type", "application/json; charset=utf-8"),
            ("Content-Length", str(len(data))),
            ("Cache-Control", "no-store"),
            ("X-Content-Type-Options", "nosniff"),
        ],
    )
    return [data]


def _html(status: str, text: str, start_response: StartResponse) -> list[bytes]:
    data = text.encode("utf-8")
    start_response(
        status,
        [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", str(len(data))),
            ("Cache-Control", "no-store"),
            ("X-Content-Type-Options", "nosniff"),
        ],
    )
    return [data]


class SearchApp:
    """The WSGI application. One per process; it is safe across threads."""

    def __init__(self, output: Path, interval: float = 1.0) -> None:
        self.output = Path(output)
        self.index = LiveIndex(index_dir(self.output), interval=interval)
        self.state = SiteState(self.output)

    def _params(self, environ: dict[str, Any]) -> dict[str, str]:
        raw = environ.get("QUERY_STRING", "")
        if len(raw) > MAX_QUERY_STRING:
            raise RefusedRequest(f"请求过长（最多 {MAX_QUERY_STRING} 字节）")
        # WSGI gives the query string as latin-1 text of the raw bytes
        text = raw.encode("latin-1", "replace").decode("utf-8", "replace")
        try:
            parsed = parse_qs(text, keep_blank_values=True, max_num_fields=MAX_FIELDS)
        except ValueError:  # more than MAX_FIELDS fields
            raise RefusedRequest(f"参数过多（最多 {MAX_FIELDS} 个）") from None
        return {k: v[0] for k, v in parsed.items()}

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        try:
            return self._route(environ, start_response)
        except Exception as exc:  # a fault of the service, not of the request: one line
            frame = traceback.extract_tb(exc.__traceback__)[-1]
            where = f"{Path(frame.filename).name}:{frame.lineno}"
            log(f"503 for {_request_line(environ)}: {type(exc).__name__}: {exc} ({where})")
            return _json("503 Service Unavailable", {"error": "search failed"}, start_response)

    def _route(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        site = self.state.site()
        path = environ.get("PATH_INFO", "") or "/"
        if site.base_path != "/" and path.startswith(site.base_path):
            path = "/" + path[len(site.base_path) :]
        if environ.get("REQUEST_METHOD", "GET") not in ("GET", "HEAD"):
            return _json("405 Method Not Allowed", {"error": "GET only"}, start_response)
        if path == "/healthz":
            info = self.index.info()
            status = "200 OK" if info.get("loaded") else "503 Service Unavailable"
            return _json(status, info, start_response)
        if path in ("/api/search", "/api/search/"):
            return self._api(environ, start_response, site)
        if path in ("/search", "/search/"):
            return self._page(environ, start_response, site)
        return _json("404 Not Found", {"error": "not found"}, start_response)

    def _api(self, environ: dict[str, Any], start_response: StartResponse, site: Site) -> Any:
        try:
            params = self._params(environ)
            request = parse_params(params, site.variants, site.default_variant)
            data = answer(self.index, request, site)
        except BadRequest as exc:
            if isinstance(exc, RefusedRequest):
                log(f"400 for {_request_line(environ)}: {exc}")
            return _json("400 Bad Request", {"error": str(exc)}, start_response)
        except IndexUnavailable:
            return _json(
                "503 Service Unavailable", {"error": STRINGS["unavailable"]}, start_response
            )
        return _json("200 OK", data, start_response)

    def _page(self, environ: dict[str, Any], start_response: StartResponse, site: Site) -> Any:
        refused = ""
        try:
            params = self._params(environ)
        except RefusedRequest as exc:
            log(f"400 for {_request_line(environ)}: {exc}")
            params, refused = {}, str(exc)
        variant = params.get("variant") or site.default_variant
        status = "400 Bad Request" if refused else "200 OK"
        if variant not in site.variants:
            variant, status = site.default_variant, "400 Bad Request"
        page = self.state.page(variant, site)
        q = params.get("q", "")[:1000]
        message, results = site.convert(variant, refused), ""
        if q.strip() and status.startswith("200"):
            status, message, results = self._page_results(params, variant, site)
        base_href = f"{site.base_path}{variant}/search/"
        return _html(status, fill_page(page, q, results, message, base_href), start_response)

    def _page_results(
        self, params: dict[str, str], variant: str, site: Site
    ) -> tuple[str, str, str]:
        """(status, message, results markup) of the no-JS page's query."""
        strings = {k: site.convert(variant, v) for k, v in STRINGS.items()}
        try:
            request = parse_params({**params, "variant": variant}, site.variants, variant)
            data = answer(self.index, request, site)
        except BadRequest as exc:
            return "400 Bad Request", site.convert(variant, str(exc)), ""
        except IndexUnavailable:
            return "503 Service Unavailable", strings["unavailable"], ""
        return (
            "200 OK",
            "",
            results_html(data, strings, site.base_path, request.county, request.theme),
        )


def _request_line(environ: dict[str, Any]) -> str:
    """``GET /path?query`` of a request, the query cut short, for a log line."""
    query = environ.get("QUERY_STRING", "")
    query = f"?{query[:200]}{'…' if len(query) > 200 else ''}" if query else ""
    return f"{environ.get('REQUEST_METHOD', 'GET')} {environ.get('PATH_INFO', '')}{query}"


def serve(output: Path, host: str, port: int, threads: int) -> None:
    """Run the app on waitress (pure Python, a thread pool; see docs/search.md). Starts
    whether or not the site has an index yet: until a build writes one, /healthz and
    searches answer 503, and the first index is picked up within a second."""
    import waitress

    app = SearchApp(output)
    server = waitress.create_server(
        app,
        host=host,
        port=port,
        threads=threads,
        ident="bulletin-search",
        clear_untrusted_proxy_headers=True,
    )
    shown = f"[{host}]" if ":" in host else host
    log(f"serving {output} at http://{shown}:{server.effective_port}/ (Ctrl-C stops)")
    if not app.index.loaded():
        log(f"no search index in {index_dir(output)} yet: answering 503 until a build writes one")
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
