"""Server-rendered search results (the no-JS ``/search`` page).

The markup matches what ``templates/assets/search.js`` builds, so the site's CSS styles
both. The page itself is the generator's ``{variant}/search/index.html``: its
``<!--search-results-->`` marker is replaced and the input's value filled, so the
results appear in the site's look without Jinja here.
"""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import urlencode

#: Interface strings, Simplified; converted to the reader's variant when shown.
STRINGS: dict[str, str] = {
    "total": "共 {n} 篇",
    "none": "没有找到",
    "unavailable": "搜索服务暂时不可用",
    "county": "县区",
    "theme": "主题",
    "prev": "上一页",
    "next": "下一页",
    "all": "全部",
    "pages": "分页",
    "partial": "搜索超时，结果可能不完整",
    "title": "搜索",
}

MARKER = "<!--search-results-->"
_INPUT = re.compile(r'(<input\b[^>]*\bid="search-q"[^>]*>)', re.IGNORECASE)
_VALUE = re.compile(r'\bvalue="[^"]*"', re.IGNORECASE)
_HEAD = re.compile(r"<head\b[^>]*>", re.IGNORECASE)
_STATUS = re.compile(r'(<div\b[^>]*\bid="search-status"[^>]*>)(</div>)', re.IGNORECASE)

FALLBACK_PAGE = (
    """<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title></head>
<body><main>
<h1>{title}</h1>
<form class="search-form" role="search" action="{base}search" method="get">
<input type="hidden" name="variant" value="{variant}">
<label for="search-q">{title}</label> <input id="search-q" name="q" type="search" value="">
<button type="submit">{title}</button>
</form>
<div id="search-status" role="status" aria-live="polite"></div>
<div id="search-results">"""
    + MARKER
    + """</div>
</main></body></html>
"""
)


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _link(base_path: str, params: dict[str, Any]) -> str:
    clean = {k: v for k, v in params.items() if v not in ("", None)}
    return f"{base_path}search?{urlencode(clean)}"


def results_html(
    data: dict[str, Any], strings: dict[str, str], base_path: str, county: str, theme: str
) -> str:
    """The results of one API answer ``data`` as HTML (``strings`` already converted)."""
    params = {"q": data["query"], "variant": data["variant"], "county": county, "theme": theme}
    out: list[str] = []
    total = int(data["total"])
    if total:
        out.append(f'<p class="search-total">{_e(strings["total"].replace("{n}", str(total)))}</p>')
    else:
        out.append(f'<p class="search-none">{_e(strings["none"])}</p>')
    if data.get("partial"):
        out.append(f'<p class="search-partial">{_e(strings["partial"])}</p>')
    out.append('<div class="search-facets">')
    for name in ("county", "theme"):
        out += _facet(name, data["facets"].get(name, {}), params, strings, base_path)
    out.append("</div>")
    page, per_page = int(data["page"]), int(data["per_page"])
    if data["results"]:
        out.append(f'<ol class="search-list" start="{(page - 1) * per_page + 1}">')
        out += [_result(r) for r in data["results"]]
        out.append("</ol>")
    out += _pages(page, per_page, total, params, strings, base_path)
    return "\n".join(out)


def _facet(
    name: str, counts: dict[str, int], params: dict[str, Any], strings: dict[str, str], base: str
) -> list[str]:
    """One facet's list of links (none if it has no counts and no choice)."""
    chosen = params[name]
    if not counts and not chosen:
        return []
    out = [f'<section class="search-facet" aria-labelledby="facet-{name}">']
    out.append(f'<h2 id="facet-{name}">{_e(strings[name])}</h2><ul>')
    current = ' aria-current="true"' if not chosen else ""
    href = _link(base, {**params, name: "", "page": ""})
    out.append(f'<li><a href="{_e(href)}"{current}>{_e(strings["all"])}</a></li>')
    for value, count in counts.items():
        href = _link(base, {**params, name: value, "page": ""})
        current = ' aria-current="true"' if value == chosen else ""
        out.append(
            f'<li><a href="{_e(href)}"{current}>{_e(value)} '
            f'<span class="search-count">({int(count)})</span></a></li>'
        )
    out.append("</ul></section>")
    return out


def _result(r: dict[str, Any]) -> str:
    return (
        '<li class="search-result">'
        f'<h2 class="search-title"><a href="{_e(r["url"])}">{_e(r["title"])}</a></h2>'
        f'<p class="search-meta"><span class="search-county">{_e(r["county"])}</span>'
        f' · <span class="search-theme">{_e(r["theme"])}</span>'
        f' · <time datetime="{_e(r["date"])}">{_e(r["date"])}</time></p>'
        # the snippet is escaped by the query module, <mark> aside
        f'<p class="search-snippet">{r["snippet"]}</p></li>'
    )


def _pages(
    page: int, per_page: int, total: int, params: dict[str, Any], strings: dict[str, str], base: str
) -> list[str]:
    """Links to the previous and next page, where there are several."""
    pages = max(1, -(-total // per_page))
    if pages <= 1:
        return []
    out = [f'<nav class="search-pages" aria-label="{_e(strings["pages"])}">']
    if page > 1:
        href = _link(base, {**params, "page": page - 1})
        out.append(f'<a rel="prev" href="{_e(href)}">{_e(strings["prev"])}</a>')
    out.append(f'<span class="search-page">{page} / {pages}</span>')
    if page < pages and page * per_page < 1000:
        href = _link(base, {**params, "page": page + 1})
        out.append(f'<a rel="next" href="{_e(href)}">{_e(strings["next"])}</a>')
    out.append("</nav>")
    return out


def fill_page(page: str, q: str, results: str, status: str, base_href: str) -> str:
    """The search page with results, the query in its input, a status message, and a
    ``<base>`` so its relative links still work when served from ``/search``."""
    if "<base " not in page.lower():
        page = _HEAD.sub(lambda m: f'{m.group(0)}<base href="{_e(base_href)}">', page, count=1)

    def set_value(m: re.Match[str]) -> str:
        tag = m.group(1)
        value = f'value="{_e(q)}"'
        if _VALUE.search(tag):
            return _VALUE.sub(lambda _: value, tag, count=1)
        return tag[:-1].rstrip("/").rstrip() + f" {value}>"

    page = _INPUT.sub(set_value, page, count=1)
    if status:
        page = _STATUS.sub(lambda m: f"{m.group(1)}{_e(status)}{m.group(2)}", page, count=1)
    if MARKER in page:
        return page.replace(MARKER, results, 1)
    return page.replace("</main>", results + "</main>", 1)
