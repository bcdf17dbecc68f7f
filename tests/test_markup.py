"""Markdown: tables, footnotes, heading anchors, safe HTML, links between files."""

from __future__ import annotations

from bulletin.markup import KEEP_CLOSE, KEEP_OPEN, LinkMap, MarkdownRenderer, sanitise


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
