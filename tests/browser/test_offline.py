"""No request leaves 127.0.0.1 (DESIGN: no CDN, no outside request).

Every browser test records its page's requests and fails if one left 127.0.0.1 (the
``page`` fixtures), so the pages the other tests open (one of every kind, both scripts)
are covered there; here every article in both scripts, the chooser and a scripted
search, and a check that the recorder does see a request that would leave."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .conftest import ALL_REQUESTS, QUERY, RequestLog, new_context


def test_pages_load_only_from_127_0_0_1(
    page: Any, site_url: str, sample_site: Path, requests_log: RequestLog
) -> None:
    paths = sorted(  # article bodies are where an editor could embed an outside image
        p.parent.relative_to(sample_site).as_posix() + "/"
        for p in sample_site.glob("*/articles/*/index.html")
    )
    assert len(paths) >= 2 * 17
    paths += ["", "zh-hans/about/", "zh-hant/contact/"]  # the script chooser, the pages
    failed = []
    for path in paths:
        response = page.goto(site_url + path, wait_until="load")
        if response is None or response.status != 200:
            failed.append(f"{path}: {response and response.status}")
    # and a search run by the page's own script
    page.goto(site_url + "zh-hant/search/")
    page.locator("#search-q").fill(QUERY["zh-hant"])
    page.locator("#search-q").press("Enter")
    page.locator(".search-result").first.wait_for(state="visible")
    assert not failed, failed
    hosts = {urlsplit(u).hostname for u in requests_log.urls}
    assert hosts == {"127.0.0.1"}, hosts
    # the log saw sub-resources, not only documents
    assert any("/assets/" in u and ".css" in u for u in requests_log.urls)
    assert any("/assets/" in u and ".js" in u for u in requests_log.urls)
    assert any("/static/" in u for u in requests_log.urls)
    assert any("/api/search?" in u for u in requests_log.urls)


def test_the_recorder_sees_a_request_to_another_host(browser: Any, site_url: str) -> None:
    log = RequestLog()
    context = new_context(browser, log)
    try:
        page = context.new_page()
        page.goto(site_url + "zh-hans/")
        page.evaluate(
            "() => fetch('http://example.org/x.png', {mode: 'no-cors'}).catch(() => null)"
        )
    finally:
        context.close()
        # a planted request, not the site's: keep it out of the session-wide check
        ALL_REQUESTS.urls[:] = [u for u in ALL_REQUESTS.urls if u not in log.foreign()]
    assert log.foreign() == ["http://example.org/x.png"]


def test_no_browser_test_so_far_left_127_0_0_1() -> None:
    """Every request of the browser tests that ran before this one (each test's page
    fixture checks its own as well)."""
    assert not ALL_REQUESTS.foreign(), ALL_REQUESTS.foreign()
