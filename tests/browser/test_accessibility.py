"""An accessibility smoke test on one page of every kind, in both scripts: one h1, a
main landmark, labelled inputs, alt text, headings in order, the skip link first."""

from __future__ import annotations

from typing import Any

from .conftest import VARIANTS, sample_pages

AUDIT = """() => {
    const problems = [];
    const h1 = document.querySelectorAll('h1').length;
    if (h1 !== 1) problems.push(`${h1} <h1> elements`);
    if (document.querySelectorAll('main').length !== 1) problems.push('not one <main>');
    for (const input of document.querySelectorAll('input, select, textarea')) {
        if (input.type === 'hidden') continue;
        const byFor = input.id && document.querySelector(`label[for="${CSS.escape(input.id)}"]`);
        const wrapped = input.closest('label');
        const aria = input.getAttribute('aria-label') || input.getAttribute('aria-labelledby');
        if (!(byFor || wrapped || aria)) problems.push(`unlabelled <input name=${input.name}>`);
    }
    for (const img of document.querySelectorAll('img')) {
        if (!img.hasAttribute('alt')) problems.push(`<img ${img.getAttribute('src')}> lacks alt`);
    }
    let last = 0;
    for (const h of document.querySelectorAll('h1, h2, h3, h4, h5, h6')) {
        const level = Number(h.tagName[1]);
        if (last && level > last + 1) {
            problems.push(`h${last} -> h${level} ("${h.textContent.trim().slice(0, 30)}")`);
        }
        last = level;
    }
    if (!document.documentElement.lang) problems.push('<html> has no lang');
    return problems;
}"""


def test_pages_pass_the_accessibility_smoke_test(page: Any, site_url: str) -> None:
    failures = []
    for variant in VARIANTS:
        for _name, path in sample_pages(variant):
            page.goto(site_url + path)
            problems = page.evaluate(AUDIT)
            if problems:
                failures.append(f"{path}: {'; '.join(problems)}")
    assert not failures, "\n".join(failures)


def test_first_tab_stop_is_the_skip_link(page: Any, site_url: str) -> None:
    for variant in VARIANTS:
        for _name, path in sample_pages(variant)[:4]:
            page.goto(site_url + path)
            page.keyboard.press("Tab")
            focused = page.evaluate(
                """() => {
                    const e = document.activeElement;
                    return {text: e.innerText, href: e.getAttribute('href'),
                            visible: e.getBoundingClientRect().left >= 0};
                }"""
            )
            assert focused["text"] == "跳到正文", (path, focused)
            assert focused["href"] == "#main"
            assert focused["visible"], f"{path}: the focused skip link is off screen"
            page.keyboard.press("Enter")
            assert page.evaluate("location.hash") == "#main"
