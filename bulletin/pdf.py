"""Issue PDFs (``build --pdf``): each issue page as it prints (``assets/print.css``) on
A4, its fonts embedded (subsets of the CJK fonts it uses) and its text searchable.

The engine is WeasyPrint (from PyPI, over the system's Pango), chosen against Debian's
headless Chromium (``--print-to-pdf``) by ``bench/pdf_engines.py`` (figures in the
README): on issues of 7-14 pages it was the faster (Chromium's start dominates), its
PDFs are about half the size, embed the CJK fonts as CID subsets where Chromium draws
them as Type 3 glyph procedures, and are the same bytes for the same page, where
Chromium writes the time into every PDF. On a 62-page issue Chromium was faster.

A PDF is made from the page's HTML in memory: its stylesheets and images are served
from the build's assets and ``content/static/`` (see :func:`_resources_class`), and
nothing else is fetched (no request leaves the machine).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import hashlib
import importlib.metadata
import importlib.util
import mimetypes
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from bulletin.model import Issue

#: Where the pages are said to be when the site's base_url is only a path: a name that
#: cannot resolve (RFC 2606), answered from memory.
PLACEHOLDER_ORIGIN = "https://bulletin.invalid/"
#: Links that lead to another page of the site: kept in the PDF only where the site's
#: full URL is known (base_url with a host), dropped otherwise (they would lead nowhere).
_SITE_LINK_RE = re.compile(r'(<a\b[^>]*?)\shref="(?!#|https?:|mailto:|tel:)[^"]*"')

INSTALL_HINT = (
    "pip install -e '.[pdf]' (WeasyPrint), with the system's Pango "
    "(Debian: apt-get install libpango-1.0-0 libpangoft2-1.0-0)"
)


class PdfUnavailable(Exception):
    """No PDF engine here: the one-line reason and what to install."""


def issue_pdf_name(issue: Issue) -> str:
    """The PDF's file name, beside the issue page (ASCII, as every output path)."""
    return f"{issue.slug}.pdf"


def engine_version() -> str:
    """WeasyPrint's and the system Pango's versions, or PdfUnavailable: found without
    importing WeasyPrint (~1.3 s, more than a build with nothing to do), which
    :func:`load_engine` does once some PDF is to be made."""
    try:
        found = importlib.util.find_spec("weasyprint") is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        raise PdfUnavailable(f"--pdf needs WeasyPrint, which is not installed: {INSTALL_HINT}")
    try:
        pango = ctypes.CDLL(ctypes.util.find_library("pango-1.0") or "libpango-1.0.so.0")
        pango_version = pango.pango_version()
    except (OSError, AttributeError):
        raise PdfUnavailable(f"--pdf: the system's Pango is missing: {INSTALL_HINT}") from None
    major, rest = divmod(pango_version, 10000)
    version = importlib.metadata.version("weasyprint")
    return f"weasyprint {version}, pango {major}.{rest // 100}.{rest % 100}"


def load_engine() -> None:
    """Import WeasyPrint (in the build's main process, before its workers fork, so they
    share it), or PdfUnavailable."""
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as exc:  # OSError: it cannot load a system library
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise PdfUnavailable(f"--pdf: WeasyPrint does not load ({first}): {INSTALL_HINT}") from None


@dataclass(frozen=True)
class IssuePdf:
    """Makes an issue's PDF from its page; ``key``: what every PDF depends on besides
    its page (the engine's version and the bytes of the static files it may embed)."""

    engine: str
    base_url: str  # the site's, from site.yaml (a path, or a URL with a host)
    static: Mapping[str, Path]  # path below content/static/ -> file
    key: str

    @classmethod
    def make(cls, base_url: str, static: Mapping[str, Path]) -> IssuePdf:
        engine = engine_version()
        hasher = hashlib.sha256(engine.encode())
        for rel in sorted(static):
            hasher.update(f"\0{rel}\0".encode())
            hasher.update(static[rel].read_bytes())
        return cls(engine, base_url, dict(static), hasher.hexdigest())

    def render(self, html: bytes, page: str, assets: Mapping[str, bytes]) -> bytes:
        """The PDF of the page at ``page`` (``zh-hans/issues/x/``) whose HTML is
        ``html``; ``assets``: the build's hashed asset names and bytes."""
        load_engine()
        import weasyprint

        absolute = bool(urlsplit(self.base_url).scheme)
        origin = self.base_url if absolute else PLACEHOLDER_ORIGIN
        text = html.decode("utf-8")
        if not absolute:
            text = _SITE_LINK_RE.sub(r"\1", text)
        fetcher = _resources_class()(origin, assets, self.static)
        document = weasyprint.HTML(string=text, base_url=origin + page, url_fetcher=fetcher)
        return document.write_pdf(pdf_tags=True)


@functools.cache
def _resources_class() -> Any:
    """The URL fetcher of a PDF's page (a class made on first use: WeasyPrint is
    imported only by builds that make PDFs)."""
    import weasyprint.urls

    class Resources(weasyprint.urls.URLFetcher):
        """Answers the page's requests from memory: ``assets/`` from the build's assets,
        ``static/`` from content/static/; refuses every other URL."""

        def __init__(
            self, origin: str, assets: Mapping[str, bytes], static: Mapping[str, Path]
        ) -> None:
            super().__init__(allowed_protocols=())
            self.origin = origin
            self.assets = assets
            self.static = static

        def fetch(self, url: str, headers: Any = None) -> Any:
            if not url.startswith(self.origin):
                raise ValueError(f"{url}: a PDF loads nothing from another host")
            rel = unquote(urlsplit(url[len(self.origin) :]).path)
            folder, _, name = rel.partition("/")
            if folder == "assets" and name in self.assets:
                body = self.assets[name]
            elif folder == "static" and name in self.static:
                body = self.static[name].read_bytes()
            else:
                raise FileNotFoundError(f"{rel}: not an asset or a static file of the site")
            kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
            return weasyprint.urls.URLFetcherResponse(url, body, {"Content-Type": kind})

    return Resources
