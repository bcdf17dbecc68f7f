"""A reader's path: home -> 县区 -> a county -> an article -> 繁體, the same article."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from search.scripts import make_converter

from .conftest import shot


def test_home_county_article_then_traditional(
    page: Any, site_url: str, sample_site: Path, artifacts: Path
) -> None:
    page.goto(site_url + "zh-hans/")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    shot(page, artifacts, "nav-1-home-zh-hans")

    page.locator(".site-nav a", has_text="县区").click()
    page.wait_for_url(re.compile(r"/zh-hans/counties/$"))
    assert page.locator("h1").inner_text() == "县区"
    shot(page, artifacts, "nav-2-counties-zh-hans")

    page.locator(".term-list a", has_text="临颍县").click()
    page.wait_for_url(re.compile(r"/zh-hans/counties/[a-z0-9-]+/$"))
    assert page.locator("h1").inner_text() == "临颍县"
    shot(page, artifacts, "nav-3-county-zh-hans")

    first = page.locator(".article-list-title a").first
    simplified_title = first.inner_text()
    first.click()
    page.wait_for_url(re.compile(r"/zh-hans/articles/[a-z0-9-]+/$"))
    slug = page.url.rstrip("/").rsplit("/", 1)[1]
    assert page.locator("h1").inner_text() == simplified_title
    assert "临颍县" in page.locator(".article-meta").inner_text()
    shot(page, artifacts, "nav-4-article-zh-hans")

    switch = page.locator(".switcher a", has_text="繁體")
    assert switch.get_attribute("hreflang") == "zh-Hant"
    switch.click()
    page.wait_for_url(re.compile(rf"/zh-hant/articles/{re.escape(slug)}/$"))
    assert page.url == f"{site_url}zh-hant/articles/{slug}/"
    assert page.locator("html").get_attribute("lang") == "zh-Hant"
    to_hant = make_converter("zh-hant", sample_site / "_search" / "phrases.txt")
    traditional_title = to_hant.convert(simplified_title)
    assert traditional_title != simplified_title  # the test means something
    assert page.locator("h1").inner_text() == traditional_title
    assert page.title().startswith(traditional_title)
    assert "臨潁縣" in page.locator(".article-meta").inner_text()
    # the switcher now shows 繁體 as current and leads back to the same article
    back = page.locator(".switcher a[hreflang='zh-Hans']")
    assert back.get_attribute("href") is not None
    assert page.locator(".switcher [aria-current]").inner_text() == "繁體"
    shot(page, artifacts, "nav-5-article-zh-hant")

    back.click()
    page.wait_for_url(re.compile(rf"/zh-hans/articles/{re.escape(slug)}/$"))
    assert page.locator("h1").inner_text() == simplified_title
