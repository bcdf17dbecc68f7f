"""Static search in a real browser: the bundled bulletin served by a plain static file
server (no search service) under a sub-path, read by Debian's chromium.

The page's answers are compared with the search service's own (``SearchApp``, called
in this process) and, for random verbatim substrings of the content, with the
articles that contain them."""

from __future__ import annotations

import functools
import gzip
import io
import json
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from search.analysis import Normaliser
from search.scripts import make_converter
from search.service import SearchApp
from search.static.chars import candidates
from search.static.fragments import SHOWN, apply, read_fragment
from tests.conftest import ROOT

from .conftest import TIMEOUT_MS, RequestLog, new_context, quoted, shot

VARIANTS = ("zh-hans", "zh-hant")

#: Queries whose totals, facets and order the page must give as the service does.
QUERIES = [
    "红色联盟",
    "紅色聯盟",
    "集体经济",
    "集體經濟",
    "党",
    "黨建",
    "四议两公开",
    "三会一课",
    "村级 党建",
    '"集体 经济"',
    "四议两公开 OR 三会一课",
    "党建 -临颍",
    "NOT 临颍县 党建",
    "county:临颍县",
    "county:臨潁縣 党",
    "theme:基层党建 集体",
    "slogan:四议两公开",
    "year:2016",
    "year:2016 党建 OR 脱贫",
    "1+2+3+X",
    "集体经济 county:临颍县",
    "-党建 经济",
    "着力",
    "著力",
    "村里",
    "村裡",
    "发展壮大村级集体经济",
    "支部建在产业链上",
    "一转三抓三提升",
    "，",
    "2016",
    "“",
]


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def static_url(sample_site: Path) -> Iterator[str]:
    """The built bundled bulletin under ``/output/`` of a plain file server."""
    handler = functools.partial(_Quiet, directory=str(sample_site.parent))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="static-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/{sample_site.name}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture(scope="module")
def service(sample_site: Path) -> SearchApp:
    return SearchApp(sample_site)


def service_answer(app: SearchApp, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """The service's /api/search answer (status, JSON) for ``params``."""
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/api/search",
        "QUERY_STRING": urlencode(params),
        "wsgi.input": io.BytesIO(),
    }
    got: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        got["status"] = int(status.split()[0])

    body = b"".join(app(environ, start_response))
    return got["status"], json.loads(body)


@pytest.fixture(scope="module")
def engine(browser: Any, static_url: str) -> Iterator[Any]:
    """A page of the static site with the static index of both scripts opened, as
    ``window.ix[variant]``."""
    log = RequestLog()
    context = new_context(browser, log)
    page = context.new_page()
    page.goto(static_url + "zh-hans/search/")
    page.evaluate(
        """async () => {
            const form = document.querySelector('form.search-form');
            await new Promise((resolve, reject) => {
                const s = document.createElement('script');
                s.src = form.dataset.staticScript;
                s.onload = resolve; s.onerror = reject;
                document.head.appendChild(s);
            });
            const entry = new URL(form.dataset.static, location.href).href;
            window.ix = {};
            for (const v of ['zh-hans', 'zh-hant']) {
                window.ix[v] = await window.BulletinStaticSearch.open(entry, v);
            }
        }"""
    )
    yield page
    context.close()
    assert not log.foreign(), log.foreign()


def static_answer(page: Any, variant: str, params: dict[str, Any]) -> dict[str, Any]:
    return page.evaluate(
        """async ([v, p]) => {
            try { return await window.ix[v].answer(p); }
            catch (e) { return {error: e.message}; }
        }""",
        [variant, params],
    )


def _comparable(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "total": data["total"],
        "facets": {k: list(v.items()) for k, v in data["facets"].items()},
        "results": [
            (r["slug"], r["title"], r["county"], r["theme"], r["date"]) for r in data["results"]
        ],
    }


@pytest.mark.parametrize("variant", VARIANTS)
def test_totals_facets_and_order_equal_the_service(
    engine: Any, service: SearchApp, variant: str
) -> None:
    for q in QUERIES:
        for extra in ({}, {"page": 2}, {"county": "临颍县"}, {"theme": "基層黨建"}):
            params = {"q": q, "variant": variant, "per_page": 10, **extra}
            status, expected = service_answer(service, params)
            got = static_answer(engine, variant, {**params, "page": params.get("page", 1)})
            if status == 400:
                assert got == {"error": expected["error"]}, params
                continue
            assert status == 200, (params, expected)
            assert _comparable(got) == _comparable(expected), params
            for mine, theirs in zip(got["results"], expected["results"], strict=True):
                assert mine["url"] == f"../articles/{mine['slug']}/"
                assert _marks(mine["snippet"]) == _marks(theirs["snippet"]), (params, mine)


def _marks(snippet: str) -> list[str]:
    import re

    return re.findall(r"<mark>(.*?)</mark>", snippet)


def test_guardrails_as_the_service(engine: Any, service: SearchApp) -> None:
    for q in ["", "   ", "x" * 201, " ".join(f"w{i}" for i in range(17)), "OR AND", "county:"]:
        params = {"q": q, "variant": "zh-hans"}
        status, expected = service_answer(service, params)
        got = static_answer(engine, "zh-hans", {**params, "page": 1, "per_page": 10})
        if status == 400:
            assert got == {"error": expected["error"]}, q
        else:
            assert _comparable(got) == _comparable(expected), q


def _fragments(site: Path) -> list[dict[str, Any]]:
    """The static index's fragments, in document order."""
    folder = site / "_search" / "static" / "f"
    paths = sorted(folder.iterdir(), key=lambda p: int(p.name.split("-")[0]))
    return [read_fragment(gzip.decompress(p.read_bytes())) for p in paths]


@pytest.fixture(scope="module")
def documents(sample_site: Path) -> list[dict[str, Any]]:
    """The published articles as the static index holds them (in the sources' script)."""
    return _fragments(sample_site)


@pytest.fixture(scope="module")
def site_normaliser(sample_site: Path) -> Normaliser:
    from search.layout import index_dir
    from search.whoosh import index_normalisation

    pairs, fold = index_normalisation(index_dir(sample_site))
    return Normaliser(pairs, fold=fold)


def _texts(doc: dict[str, Any]) -> list[str]:
    return [doc["title"], doc["body"], *doc["slogans"]]


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_verbatim_substrings_find_exactly_their_articles(
    data: st.DataObject,
    engine: Any,
    documents: list[dict[str, Any]],
    site_normaliser: Normaliser,
) -> None:
    doc = data.draw(st.sampled_from(documents))
    text = data.draw(st.sampled_from([t for t in _texts(doc) if len(t) >= 2]))
    size = data.draw(st.integers(1, min(12, len(text))))
    start = data.draw(st.integers(0, len(text) - size))
    sub = text[start : start + size]
    if any(c.isspace() or c == '"' for c in sub) or sub.strip() in ("OR", "AND", "NOT"):
        return
    if sub.startswith("-") or ":" in sub:
        return  # an operator, not a literal
    variant = data.draw(st.sampled_from(VARIANTS))
    if variant == "zh-hant":
        converted = make_converter("zh-hant").convert(text)
        if len(converted) != len(text):
            return
        sub = converted[start : start + size]
    needle = site_normaliser.normalise(sub)
    expected = {
        d["slug"]
        for d in documents
        if any(needle in site_normaliser.normalise(t) for t in _texts(d))
    }
    got = static_answer(engine, variant, {"q": sub, "page": 1, "per_page": 50})
    assert doc["slug"] in {r["slug"] for r in got["results"]}, sub
    assert got["total"] == len(expected), sub
    assert {r["slug"] for r in got["results"]} == expected, sub


def test_browser_normaliser_agrees_with_analysis(
    engine: Any, documents: list[dict[str, Any]], site_normaliser: Normaliser
) -> None:
    """Every character of OpenCC's ranges (and the rest of the BMP) and of the content,
    normalised by the page's script in Chromium and by search/analysis."""
    chars = list(candidates())
    content = sorted({c for d in documents for t in _texts(d) for c in t} - set(chars))
    chars += content
    got: list[str] = []
    step = 20000
    for at in range(0, len(chars), step):
        part = chars[at : at + step]
        got += engine.evaluate(
            "chars => chars.map(c => window.ix['zh-hans'].normaliser.char(c))", part
        )
    expected = [site_normaliser.normalise(c) for c in chars]
    wrong = [(c, g, e) for c, g, e in zip(chars, got, expected, strict=True) if g != e]
    assert not wrong, wrong[:20]


def test_traditional_texts_are_the_sites(engine: Any, sample_site: Path) -> None:
    """Every document's title, county, theme and body as the page rebuilds them in
    Traditional (the Simplified text, the script table, the fragment's changes): what
    the Python side rebuilds, and for the body the site's converter's text."""
    static = sample_site / "_search" / "static"
    entry = json.loads((static / "entry.json").read_text("utf-8"))
    table = gzip.decompress((static / entry["scripts"]["zh-hant"]).read_bytes())
    text = table.decode("utf-16-le")
    pairs = {text[i]: text[i + 1] for i in range(0, len(text), 2)}
    fragments = _fragments(sample_site)
    got = engine.evaluate(
        """async n => {
            const out = [];
            for (let i = 0; i < n; i++) {
                const f = await window.ix['zh-hant'].fragment(i);
                out.push([f.slug, f.title, f.county, f.theme, f.body]);
            }
            return out;
        }""",
        len(fragments),
    )
    converter = make_converter("zh-hant", ROOT / "content" / "phrases.txt")
    for frag, (slug, *texts) in zip(fragments, got, strict=True):
        changes = frag["variants"]["zh-hant"]
        assert slug == frag["slug"]
        assert texts == [apply(frag[k], changes.get(k), pairs) for k in SHOWN], slug
        assert texts[3] == converter.convert(frag["body"]), slug
    assert any(frag["variants"]["zh-hant"] for frag in fragments)  # some changes to apply


def _wait_answer(page: Any) -> int:
    page.wait_for_selector("#search-results[data-total]", timeout=TIMEOUT_MS)
    return int(page.get_attribute("#search-results", "data-total"))


def _slugs(page: Any) -> list[str]:
    hrefs = page.eval_on_selector_all("li.search-result a", "els => els.map(a => a.href)")
    return [urlsplit(h).path.rstrip("/").rsplit("/", 1)[-1] for h in hrefs]


@pytest.mark.parametrize("variant", VARIANTS)
def test_search_page_answers_without_a_service(
    browser: Any, static_url: str, service: SearchApp, variant: str, artifacts: Path
) -> None:
    log = RequestLog()
    context = new_context(browser, log, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        q = "党" if variant == "zh-hans" else "黨"
        # ?q= runs on load
        page.goto(f"{static_url}{variant}/search/?q={quoted(q)}")
        total = _wait_answer(page)
        _, expected = service_answer(service, {"q": q, "variant": variant})
        assert total == expected["total"] > 10
        assert _slugs(page) == [r["slug"] for r in expected["results"]]
        assert page.locator("li.search-result a").count() == 10
        status = page.locator("#search-status").inner_text()
        assert str(total) in status  # announced to screen readers
        shot(page, artifacts, f"static-search-1-{variant}")
        # the links lead to the articles under the sub-path
        first = page.locator("li.search-result a").first.get_attribute("href")
        assert first and first.startswith("../articles/")

        # pagination, and the state in the URL
        page.locator("a[rel=next]").click()
        page.wait_for_url("**page=2**")
        page.wait_for_function(
            f"document.querySelectorAll('li.search-result').length === {total - 10}"
        )
        _, page2 = service_answer(service, {"q": q, "variant": variant, "page": 2})
        assert _slugs(page) == [r["slug"] for r in page2["results"]]

        # a facet as a filter
        county = page2["facets"]["county"]
        name, count = next(iter(expected["facets"]["county"].items()))
        del county
        page.locator(".search-facet a", has_text=name).first.click()
        page.wait_for_url("**county=**")
        page.wait_for_function(
            "n => document.getElementById('search-results').dataset.total === String(n)",
            arg=count,
        )
        _, filtered = service_answer(service, {"q": q, "variant": variant, "county": name})
        assert _slugs(page) == [r["slug"] for r in filtered["results"]]
        assert (
            page.locator(".search-facet a[aria-current=true]", has_text=name).first.get_attribute(
                "aria-current"
            )
            == "true"
        )

        # back and forward
        page.go_back()
        page.wait_for_function(
            "n => document.getElementById('search-results').dataset.total === String(n)",
            arg=total,
        )
        assert _slugs(page) == [r["slug"] for r in page2["results"]]
        page.go_forward()
        page.wait_for_function(
            "n => document.getElementById('search-results').dataset.total === String(n)",
            arg=count,
        )

        # a new query from the form
        box = page.locator("#search-q")
        box.fill("四議兩公開" if variant == "zh-hant" else "四议两公开")
        box.press("Enter")
        page.wait_for_url("**q=%E5%9B%9B**")
        _, four = service_answer(service, {"q": box.input_value(), "variant": variant})
        page.wait_for_function(
            "n => document.getElementById('search-results').dataset.total === String(n)",
            arg=four["total"],
        )
        marks = page.locator(".search-snippet mark").all_inner_texts()
        assert marks and set(marks) == {box.input_value()}, marks
        shot(page, artifacts, f"static-search-2-{variant}")
        # the service was asked once (it is not there), then the static index answered
        api = [u for u in log.urls if "/api/search" in u]
        assert len(api) == 1, api
        assert any("/_search/static/" in u for u in log.urls)
    finally:
        context.close()
    assert not log.foreign(), log.foreign()


def test_contract_with_the_service(page: Any, site_url: str) -> None:
    """With the service there, the page asks it, and shows the same markup."""
    page.goto(site_url + "zh-hans/search/?q=" + quoted("红色联盟"))
    assert _wait_answer(page) == 3
    assert page.locator("li.search-result a").count() == 3


def test_unknown_query_shows_none(browser: Any, static_url: str) -> None:
    log = RequestLog()
    context = new_context(browser, log)
    page = context.new_page()
    try:
        page.goto(f"{static_url}zh-hans/search/?q={quoted('不存在的词语组合')}")
        assert _wait_answer(page) == 0
        assert page.locator("li.search-result").count() == 0
        assert page.locator(".search-none").count() == 1
    finally:
        context.close()
