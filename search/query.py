"""Query syntax, request validation, and the API's answer: results, snippets, facets.

Syntax (DESIGN.md): words separated by spaces are ANDed; ``"..."`` is a phrase; ``OR``
between two words; ``NOT word`` or ``-word`` excludes; ``county:`` ``theme:``
``slogan:`` ``year:`` filter (``county:"a b"`` for a value with spaces). Every word is
matched as a verbatim substring (see :mod:`search.analysis`): no wildcard, prefix,
regex or fuzzy expansion exists, so no query can blow up into many terms.
"""

from __future__ import annotations

import html
import json
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from search.analysis import Normaliser, literal_units
from search.model import AnyOf, Clause, Filter, Hit, Literal, Query
from search.scripts import Converter

if TYPE_CHECKING:
    from search.whoosh import LiveIndex

MAX_QUERY_CHARS = 200
MAX_TERMS = 16
MAX_PER_PAGE = 50
DEFAULT_PER_PAGE = 10
#: page * per_page may not pass this: nobody reads result 1,001, and a deep page costs.
MAX_WINDOW = 1000
#: Seconds a query may spend collecting before it answers with what it has.
TIME_LIMIT = 2.0
FILTER_FIELDS = ("county", "theme", "slogan", "year")
SNIPPET_CHARS = 110
ELLIPSIS = "…"


class BadRequest(ValueError):
    """A request the service refuses with a 400 (the message is shown to the reader)."""


@dataclass(frozen=True, slots=True)
class SearchRequest:
    q: str
    variant: str
    county: str = ""
    theme: str = ""
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE


def _clean(text: str) -> str:
    """Control characters become spaces; full-width ASCII forms (＂：－) become ASCII,
    per character as the analyzer does, so operators typed on a Chinese IME work."""
    out = []
    for c in text:
        if unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn") or c.isspace():
            out.append(" ")
        elif 0xFF01 <= ord(c) <= 0xFF5E:
            out.append(unicodedata.normalize("NFKC", c))
        else:
            out.append(c)
    return "".join(out)


def _int_param(params: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name, "")
    if raw == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise BadRequest(f"{name} 必须是整数") from None
    if not low <= value <= high:
        raise BadRequest(f"{name} 必须在 {low} 到 {high} 之间")
    return value


def parse_params(
    params: Mapping[str, str], variants: list[str], default_variant: str
) -> SearchRequest:
    """Validate the query string of ``/api/search``; raises :class:`BadRequest`."""
    q = params.get("q", "")
    if len(q) > MAX_QUERY_CHARS:
        raise BadRequest(f"搜索词不能超过 {MAX_QUERY_CHARS} 个字")
    variant = params.get("variant", "") or default_variant
    if variant not in variants:
        raise BadRequest(f"未知的文字版本，可用：{'、'.join(variants)}")
    per_page = _int_param(params, "per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
    page = _int_param(params, "page", 1, 1, MAX_WINDOW)
    if page * per_page > MAX_WINDOW:
        raise BadRequest(f"只提供前 {MAX_WINDOW} 条结果")
    county = _clean(params.get("county", "")).strip()[:MAX_QUERY_CHARS]
    theme = _clean(params.get("theme", "")).strip()[:MAX_QUERY_CHARS]
    request = SearchRequest(_clean(q).strip(), variant, county, theme, page, per_page)
    if not request.q:
        raise BadRequest("请输入搜索词")
    return request


def _words(q: str) -> list[tuple[str, str, bool]]:
    """Split into (head, text, quoted) words: ``-"a b"`` gives ("-", "a b", True),
    ``county:"a b"`` ("county:", "a b", True), ``abc`` ("", "abc", False). An
    unbalanced quote runs to the end of the query."""
    words: list[tuple[str, str, bool]] = []
    i, n = 0, len(q)
    while i < n:
        if q[i] == " ":
            i += 1
            continue
        start = i
        while i < n and q[i] not in ' "':
            i += 1
        head = q[start:i]
        if i < n and q[i] == '"' and (head in ("", "-") or head.endswith(":")):
            close = q.find('"', i + 1)
            end = n if close < 0 else close
            words.append((head, q[i + 1 : end], True))
            i = end + 1
            continue
        while i < n and q[i] != " ":
            i += 1
        words.append(("", q[start:i], False))
    return words


def _clause(head: str, text: str, quoted: bool) -> tuple[Literal | Filter, bool] | None:
    """One word as a clause and whether it is negated; None for an empty word."""
    negated = False
    word = head if quoted else text
    if word.startswith("-") and (len(word) > 1 or quoted):
        negated, word = True, word[1:]
    name, colon, value = word.partition(":")
    if colon and name.lower() in FILTER_FIELDS:
        value = text if quoted else value
        if value.strip():
            return Filter(name.lower(), value.strip()), negated
    if quoted:
        word = (word + text) if word else text
    return (Literal(word), negated) if word.strip() else None


def parse(q: str) -> Query:
    """The engine query for the syntax above; raises :class:`BadRequest`."""
    items: list[tuple[Literal | Filter, bool] | str] = []
    negate_next = False
    for head, text, quoted in _words(_clean(q)):
        if not quoted and text in ("OR", "AND", "NOT"):
            if text == "NOT":
                negate_next = True
            else:
                items.append(text)
            continue
        parsed = _clause(head, text, quoted)
        if parsed is None:
            continue
        clause, negated = parsed
        items.append((clause, negated != negate_next))
        negate_next = False
    terms = [x for x in items if not isinstance(x, str)]
    if len(terms) > MAX_TERMS:
        raise BadRequest(f"搜索词最多 {MAX_TERMS} 个")
    if not terms:
        raise BadRequest("请输入搜索词")

    must: list[Clause] = []
    must_not: list[Clause] = []
    group: list[Literal | Filter] = []
    joining = False
    for item in items:
        if isinstance(item, str):
            joining = item == "OR" and bool(group)
            continue
        clause, negated = item
        if negated:
            must_not.append(clause)
        elif joining:
            group.append(clause)
        else:
            if group:
                must.append(group[0] if len(group) == 1 else AnyOf(tuple(group)))
            group = [clause]
        joining = False
    if group:
        must.append(group[0] if len(group) == 1 else AnyOf(tuple(group)))
    return Query(must=tuple(must), must_not=tuple(must_not))


def with_filters(query: Query, county: str, theme: str) -> Query:
    extra: list[Clause] = []
    if county:
        extra.append(Filter("county", county))
    if theme:
        extra.append(Filter("theme", theme))
    return Query(must=(*query.must, *extra), must_not=query.must_not)


# --------------------------------------------------------------------------- snippets


def _find_all(haystack: str, needle: str, limit: int = 64) -> list[int]:
    found: list[int] = []
    i = haystack.find(needle)
    while i >= 0 and len(found) < limit:
        found.append(i)
        i = haystack.find(needle, i + 1)
    return found


def snippet_html(
    body: str, literals: list[str], normaliser: Normaliser, converter: Converter
) -> str:
    """A window of ``body`` around the best cluster of hits, with ``<mark>``s, in the
    reader's script, HTML-escaped. The marks are placed on the converted text by
    offset when conversion keeps the length (it does for s2tw/s2hk), so a mark never
    splits a phrase OpenCC converts as a whole."""
    spans = _spans(body, literals, normaliser)
    begin = _window_start(body, spans)
    end = min(len(body), begin + SNIPPET_CHARS)
    marks: list[tuple[int, int]] = []
    for s, e, _ in spans:
        s, e = max(s, begin) - begin, min(e, end) - begin
        if s >= e:
            continue
        if marks and s <= marks[-1][1]:
            marks[-1] = (marks[-1][0], max(marks[-1][1], e))
        else:
            marks.append((s, e))
    text = _marked(body[begin:end], marks, converter).strip()
    return (ELLIPSIS if begin > 0 else "") + text + (ELLIPSIS if end < len(body) else "")


def _spans(body: str, literals: list[str], normaliser: Normaliser) -> list[tuple[int, int, int]]:
    """(start, end, literal index) in ``body`` of each literal's matches, sorted."""
    norm, offsets = normaliser.normalise_with_offsets(body)

    def orig(i: int) -> int:
        return offsets[i] if offsets is not None else i

    def orig_end(i: int) -> int:
        if offsets is None:
            return i + 1
        return offsets[i + 1] if i + 1 < len(offsets) else len(body)

    spans: list[tuple[int, int, int]] = []
    for k, literal in enumerate(literals):
        needle = "".join(literal_units(normaliser, literal))
        if not needle:
            continue
        for i in _find_all(norm, needle):
            spans.append((orig(i), orig_end(i + len(needle) - 1), k))
    return sorted(spans)


def _window_start(body: str, spans: list[tuple[int, int, int]]) -> int:
    """Where the snippet starts: before the match with the most different literals in
    the window after it, at the start of its line if that is near."""
    if not spans:
        return 0
    best, best_score = spans[0][0], -1
    for start, _, _ in spans:
        kinds = {k for s, _, k in spans if start <= s < start + SNIPPET_CHARS - 30}
        if len(kinds) > best_score:
            best, best_score = start, len(kinds)
    begin = max(0, best - 20)
    newline = body.rfind("\n", begin, best)
    return newline + 1 if newline >= 0 else begin


def _marked(plain: str, marks: list[tuple[int, int]], converter: Converter) -> str:
    """``plain`` converted and escaped, with ``<mark>`` around the ``marks``."""
    converted = converter.convert(plain)
    pieces: list[str] = []
    if len(converted) != len(plain):  # fall back to converting the pieces apart
        segments, cursor = [], 0
        for s, e in marks:
            segments += [(plain[cursor:s], False), (plain[s:e], True)]
            cursor = e
        segments.append((plain[cursor:], False))
        for text, marked in segments:
            escaped = html.escape(converter.convert(text).replace("\n", " "))
            pieces.append(f"<mark>{escaped}</mark>" if marked else escaped)
        return "".join(pieces)
    cursor = 0
    for s, e in marks:
        pieces.append(html.escape(converted[cursor:s].replace("\n", " ")))
        pieces.append(f"<mark>{html.escape(converted[s:e].replace(chr(10), ' '))}</mark>")
        cursor = e
    pieces.append(html.escape(converted[cursor:].replace("\n", " ")))
    return "".join(pieces)


# --------------------------------------------------------------------------- answers


@dataclass
class Site:
    """What the service knows of the built site, from ``_search/meta.json``."""

    variants: list[str]
    default_variant: str
    base_path: str
    converters: dict[str, Converter]

    def convert(self, variant: str, text: str) -> str:
        return self.converters[variant].convert(text)


def _display(hit: Hit, variant: str, site: Site) -> dict[str, str]:
    stored = hit.stored
    try:
        display = json.loads(stored.get("display") or "{}")
    except ValueError:
        display = {}
    shown = (display.get("variants") or {}).get(variant) or {}
    out = {}
    for key in ("title", "county", "theme"):
        value = shown.get(key)
        out[key] = (
            value
            if isinstance(value, str) and value
            else site.convert(variant, str(stored.get(key) or display.get(key) or ""))
        )
    return out


def answer(live: LiveIndex, request: SearchRequest, site: Site) -> dict[str, Any]:
    """The API's JSON answer for a validated request; raises :class:`BadRequest` for a
    query the syntax refuses, :class:`search.whoosh.IndexUnavailable` without index."""
    query = with_filters(parse(request.q), request.county, request.theme)
    offset = (request.page - 1) * request.per_page
    outcome = live.search(query, offset, request.per_page, TIME_LIMIT)
    normaliser = live.normaliser()
    literals = query.literals()
    facets = {
        name: {
            site.convert(request.variant, value): count
            for value, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        }
        for name, counts in outcome.facets.items()
    }
    body: dict[str, Any] = {
        "query": request.q,
        "variant": request.variant,
        "total": outcome.total,
        "page": request.page,
        "per_page": request.per_page,
        "results": [_result(hit, request, site, literals, normaliser) for hit in outcome.hits],
        "facets": facets,
    }
    if outcome.partial:
        body["partial"] = True
    return body


def _result(
    hit: Hit, request: SearchRequest, site: Site, literals: list[str], normaliser: Normaliser | None
) -> dict[str, str]:
    stored = hit.stored
    shown = _display(hit, request.variant, site)
    slug = str(stored.get("slug", ""))
    snippet = ""
    if normaliser is not None:
        body = str(stored.get("body") or "")
        snippet = snippet_html(body, literals, normaliser, site.converters[request.variant])
    return {
        "slug": slug,
        "url": f"{site.base_path}{request.variant}/articles/{slug}/",
        "title": shown["title"],
        "county": shown["county"],
        "theme": shown["theme"],
        "date": str(stored.get("date", "")),
        "snippet": snippet,
    }
