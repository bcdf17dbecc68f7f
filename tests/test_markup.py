"""Markdown: tables, footnotes, heading anchors, safe HTML, links between files."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bulletin.markup import (
    KEEP_CLOSE,
    KEEP_OPEN,
    LinkMap,
    MarkdownRenderer,
    sanitise,
    strip_markers,
)

from .conftest import ROOT


def _render(source: str, rel: str = "articles/2016/a.md"):
    links = LinkMap({"articles/2016/b.md": "articles/b/", "pages/about.md": "about/"})
    return MarkdownRenderer(links, frozenset({"images/x.svg"})).render(source, rel, "../../")


def test_tables_footnotes_and_ascii_heading_anchors() -> None:
    html = _render(
        "## 主要做法\n\n| 年 | 村 |\n|---|---|\n| 2015 | 59 |\n\n正文[^1]\n\n[^1]: 注释\n"
    ).html
    assert '<h2 id="zhu-yao-zuo-fa">主要做法</h2>' in html
    assert "<td>2015</td>" in html
    assert 'class="footnote-ref"' in html and "注释" in html


def test_hostile_html_is_removed_and_surrounding_text_kept() -> None:
    source = (
        '前文<script>alert("x")</script>后文\n\n'
        '<p onclick="steal()" onmouseover="x()">点击</p>\n\n'
        '[链接](javascript:alert(1)) <a href="JaVaScRiPt:alert(2)">二</a>\n\n'
        '<img src="x.png" onerror="alert(3)"><iframe src="http://evil"></iframe>\n'
    )
    html = _render(source).html
    lowered = html.lower()
    for bad in ("<script", "onclick", "onmouseover", "onerror", "javascript:", "<iframe", "alert("):
        assert bad not in lowered, bad
    for kept in ("前文", "后文", "点击", "链接", "二"):
        assert kept in html


def test_sanitiser_keeps_ordinary_markup() -> None:
    html = sanitise('<table><tr><td style="text-align: left; color: red">a</td></tr></table>')
    assert '<td style="text-align:left">a</td>' in html  # only text-align survives


def test_links_to_markdown_files_static_and_missing() -> None:
    rendered = _render(
        "[b](b.md#x) [关于](../../pages/about.md) ![图](/static/images/x.svg) "
        "[无](nothing.md) ![缺](/static/images/none.png) [外](https://example.org/)"
    )
    assert 'href="../../articles/b/#x"' in rendered.html
    assert 'href="../../about/"' in rendered.html
    assert 'src="../../../static/images/x.svg"' in rendered.html
    assert 'href="https://example.org/"' in rendered.html
    assert rendered.broken_links == ("nothing.md", "/static/images/none.png")


def test_protected_text_is_marked_and_plain_text_is_clean() -> None:
    rendered = _render("发行单位 -{漯河日报}- 等。\n\n第二段")
    assert f"{KEEP_OPEN}漯河日报{KEEP_CLOSE}" in rendered.html
    assert rendered.text == "发行单位 漯河日报 等。\n第二段"


def test_strip_markers_returns_a_plain_string() -> None:
    class Sub(str):
        pass

    assert strip_markers(f"a{KEEP_OPEN}b{KEEP_CLOSE}c") == "abc"
    for value in ("abc", Sub("abc"), Sub(f"a{KEEP_OPEN}bc")):
        assert strip_markers(value) == "abc" and type(strip_markers(value)) is str


# The fast paths (see bulletin/markup.py) skip Python-Markdown processors that cannot
# match; whatever they skip, the result must be what the stock processors give.

_LINKS = LinkMap({"articles/2016/b.md": "articles/b/", "pages/about.md": "about/"})
_FAST = MarkdownRenderer(_LINKS, frozenset({"images/x.svg"}))
_STOCK = MarkdownRenderer(_LINKS, frozenset({"images/x.svg"}), fast=False)

_TRICKY = [
    "",
    "# h\n\n## h\n\n## h\n\n### -{保留}-标题\n\n#### a & b <i>x</i> \\*星\\*\n",
    "<div>raw block</div>\n\n<!-- note -->\n\n&amp; &copy; &#20013; &#20013 AT&T < > 'a'",
    "*em* **strong** ***both*** _u_ __uu__ `code <x>` ``a`b``\n\n    indented code\n    <tag>\n",
    "> quote\n> > nested\n\n1. a\n2. b\n\n- x\n  - y\n* z\n\n- **初审**：一\n- **复审**：二\n",
    "<http://example.org/a?b=1&c=2> <mail@example.org> [ref][r] ![img][i] [r]\n\n"
    '[r]: /static/images/x.svg "t"\n[i]: b.md\n',
    "line  \nbreak\\\nx\n\n---\n\n* * *\n\nSetext\n===\n\nSub\n---\n",
    "a[^n] b[^m] c[^n]\n\n[^n]: one\n    more\n\n[^m]: two *em*\n\n[^x]: unused\n",
    "| a | b |\n|:-|-:|\n| 1 | 2 |\n| `|` | \\| |\n\n|x|\n|--|\n|y|\n\nno | table\n",
    "<p onclick=x>p</p><script>bad()</script><a href='javascript:x'>j</a>\n\ntab\there\r\nCR\r",
    "[x](#f) [y](//h/p) [z](mailto:a@b) [v](b.md) [u](./b.md#q) [t](../../pages/about.md) [](e.md)",
    "-{a *b* c}- -{多\n行}- -{}- -{ [链接](b.md) }-\n\n\ue000marked\ue001 \x02 \x03",
    "text<br>more<br/>x\n\n<pre>\n  pre  <b>b</b>\n</pre>\n\n10. ten\n11. eleven\n \n  \n",
    "&#20013 and &#x4e2d without a semicolon, &copy AT&T",  # the HTML parser adds one
    "a line of one space\n \nis blank",
    "a line of two\n  \nis blank",
]


def _same(source: str, rel: str = "articles/2016/a.md") -> None:
    assert _FAST.render(source, rel, "../../") == _STOCK.render(source, rel, "../../")


def test_fast_paths_change_nothing_on_tricky_markdown() -> None:
    for source in _TRICKY:
        _same(source)


def test_fast_paths_change_nothing_on_the_bundled_content() -> None:
    content = ROOT / "content"
    for path in sorted(content.rglob("*.md")):
        _same(path.read_text("utf-8"), str(path.relative_to(content)))


_PIECES = [
    *"*_`\\[]()!<>&#|-=:^~ .1\n\t\r",
    *["  \n", "\n\n", "    ", "1. ", "- ", "> ", "## ", "[^1]: ", "| a | b |\n|---|---|\n"],
    *["---", "===", "[^1]", "[x]:b.md", "](b.md)", "](/static/images/x.svg)", "<b>", "</b>"],
    *["<div>", "</div>", "<!--", "-->", "&amp;", "&#20013;", "-{", "}-", "中文", "一、主要做法"],
    *["abc", "\x02", "\ue000"],
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=40).map("".join))
def test_fast_paths_change_nothing_on_any_mixture(source: str) -> None:
    _same(source)


def _in_order(registry) -> list[tuple[str, object]]:
    items = sorted(registry._priority, key=lambda item: item.priority, reverse=True)
    return [(item.name, registry[item.name]) for item in items]


def test_fast_paths_are_the_stock_processors_in_the_same_order() -> None:
    for name in ("preprocessors", "treeprocessors", "inlinePatterns", "postprocessors"):
        fast, stock = _in_order(getattr(_FAST.md, name)), _in_order(getattr(_STOCK.md, name))
        assert [n for n, _ in fast] == [n for n, _ in stock], name
        for (_, mine), (_, theirs) in zip(fast, stock, strict=True):
            assert isinstance(mine, type(theirs)), name
    fast_blocks = _in_order(_FAST.md.parser.blockprocessors)
    stock_blocks = _in_order(_STOCK.md.parser.blockprocessors)
    assert [(n, type(p)) for n, p in fast_blocks] == [(n, type(p)) for n, p in stock_blocks]


def test_fast_paths_know_every_stock_inline_pattern_and_the_costly_block_tests() -> None:
    """Fails when Python-Markdown changes an expression the tables in bulletin/markup.py
    list: rendering stays right (an unknown processor is always tried) but gets slower,
    so the table wants the new expression."""
    from bulletin.markup import _block_triggers, _inline_triggers

    assert [p for p in _FAST.md.inlinePatterns if _inline_triggers(p) is None] == []
    listed = {type(p).__name__ for p in _FAST.md.parser.blockprocessors if _block_triggers(p)}
    assert listed == {
        "TableProcessor",
        "HashHeaderProcessor",
        "SetextHeaderProcessor",
        "HRProcessor",
        "BlockQuoteProcessor",
        "FootnoteBlockProcessor",
        "ReferenceProcessor",
    }
