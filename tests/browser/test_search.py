"""The search page in a real browser: a Traditional query, highlighting, facets, the
no-JS form, and the keyboard alone."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .conftest import QUERY, TIMEOUT_MS, RequestLog, new_context, quoted, shot

HANT_COUNTY = "臨潁縣"  # 临颍县: 2 of the 3 articles that contain 红色联盟


def _total(page: Any) -> int:
    """The number in 共 N 篇."""
    text = page.locator(".search-total").inner_text()
    match = re.search(r"(\d+)", text)
    assert match, f"no total in {text!r}"
    return int(match.group(1))


def _results(page: Any) -> list[dict[str, Any]]:
    return page.eval_on_selector_all(
        ".search-result",
        """items => items.map(li => ({
            title: li.querySelector('.search-title')?.innerText ?? '',
            href: li.querySelector('.search-title a')?.href ?? '',
            county: li.querySelector('.search-county')?.innerText ?? '',
            marks: [...li.querySelectorAll('mark')].map(m => m.innerText),
        }))""",
    )


def test_traditional_query_results_highlight_and_county_facet(
    page: Any, site_url: str, artifacts: Path, requests_log: RequestLog
) -> None:
    page.goto(site_url + "zh-hant/search/")
    assert page.locator("html").get_attribute("lang") == "zh-Hant"
    box = page.locator("#search-q")
    box.fill(QUERY["zh-hant"])
    box.press("Enter")
    page.locator(".search-result").first.wait_for(state="visible")
    shot(page, artifacts, "search-1-results-zh-hant")

    # the page's script answered (through the API), not a form submission
    assert urlsplit(page.url).path == "/zh-hant/search/"
    assert any("/api/search?" in u for u in requests_log.urls)
    results = _results(page)
    total = _total(page)
    assert total == 3 == len(results), results
    for r in results:
        assert QUERY["zh-hant"] in r["marks"], r  # highlighted, in Traditional
        assert "/zh-hant/articles/" in r["href"], r
    assert "臨潁縣：結成“紅色聯盟”" in results[0]["title"]  # title weighs most

    facets = page.locator(".search-facet")
    assert facets.count() >= 2, "county and theme facets"
    county_facet = page.locator(".search-facet", has=page.locator("#facet-county"))
    assert county_facet.locator("h2").inner_text() == "縣區"
    option = county_facet.locator("a, button", has_text=HANT_COUNTY)
    assert "(2)" in option.inner_text()
    option.click()
    page.wait_for_function(
        """county => {
            const items = [...document.querySelectorAll('.search-result .search-county')];
            return items.length > 0 && items.every(e => e.innerText === county);
        }""",
        arg=HANT_COUNTY,
        timeout=TIMEOUT_MS,
    )
    shot(page, artifacts, "search-2-county-facet-zh-hant")
    filtered = _results(page)
    assert _total(page) == 2 == len(filtered)
    assert _total(page) <= total
    assert all(r["county"] == HANT_COUNTY for r in filtered)
    chosen = county_facet.locator("[aria-current='true']")
    assert HANT_COUNTY in chosen.inner_text()

    # Back undoes the filter (the script keeps the state in the URL)
    page.go_back()
    page.wait_for_function("document.querySelectorAll('.search-result').length === 3")
    assert _total(page) == 3
    page.go_forward()
    page.wait_for_function("document.querySelectorAll('.search-result').length === 2")

    page.locator(".search-result a").first.click()
    page.wait_for_url(re.compile(r"/zh-hant/articles/[a-z0-9-]+/$"))
    assert page.locator("h1").inner_text().startswith(HANT_COUNTY)


def test_server_rendered_search_without_javascript(
    browser: Any, site_url: str, artifacts: Path
) -> None:
    log = RequestLog()
    context = new_context(browser, log, java_script_enabled=False)
    try:
        page = context.new_page()
        # straight to the URL a shared link or a no-JS form gives
        page.goto(f"{site_url}search?q={quoted('黨建')}&variant=zh-hant")
        assert page.locator("html").get_attribute("lang") == "zh-Hant"
        assert page.locator("#search-q").input_value() == "黨建"
        assert _total(page) >= 10
        marks = page.locator(".search-snippet mark").all_inner_texts()
        assert marks and set(marks) == {"黨建"}, marks
        assert page.locator(".search-facet").count() >= 1
        shot(page, artifacts, "search-3-nojs-zh-hant")

        # the search page's own form, submitted without JS, lands on the same results
        page.goto(site_url + "zh-hant/search/")
        page.locator("#search-q").fill(QUERY["zh-hant"])
        page.locator(".search-form button[type=submit]").click()
        page.wait_for_url(re.compile(r"/search\?"))
        assert _total(page) == 3
        # the facet links work without JS too
        page.locator(".search-facet a", has_text=HANT_COUNTY).click()
        page.wait_for_url(re.compile(r"county="))
        assert _total(page) == 2
        assert set(page.locator(".search-county").all_inner_texts()) == {HANT_COUNTY}
        # and result links lead to the article in the same script
        page.locator(".search-title a").first.click()
        page.wait_for_url(re.compile(r"/zh-hant/articles/[a-z0-9-]+/$"))
        assert page.locator("html").get_attribute("lang") == "zh-Hant"
    finally:
        context.close()
    assert not log.foreign(), log.foreign()


def test_search_by_keyboard_alone(page: Any, site_url: str, artifacts: Path) -> None:
    page.goto(site_url + "zh-hans/search/")
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == "search-q":
            break
    else:
        raise AssertionError("Tab never reached the search box")
    page.keyboard.type("集体经济")
    page.keyboard.press("Enter")
    page.locator(".search-result").first.wait_for(state="visible")
    assert _total(page) >= 1
    assert "集体经济" in page.locator(".search-snippet mark, .search-title mark").all_inner_texts()
    shot(page, artifacts, "search-4-keyboard-zh-hans")
