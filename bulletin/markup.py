"""Markdown to safe HTML, once per document, in the script it was written in.

Text inside ``-{ }-`` is wrapped in two private-use characters that survive Markdown and
sanitising; the variant converter keeps what is between them and drops the markers.
"""

from __future__ import annotations

import html
import posixpath
import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass, field

import markdown
import nh3
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

from bulletin.slugs import pinyin_slug

KEEP_OPEN = "\ue000"
KEEP_CLOSE = "\ue001"
_KEEP_SOURCE_RE = re.compile(r"-\{(.*?)\}-", re.S)
_MARKERS_RE = re.compile(f"[{KEEP_OPEN}{KEEP_CLOSE}]")

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "caption",
    "code",
    "dd",
    "del",
    "div",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "ins",
    "kbd",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "small",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "*": {"id", "class", "title", "lang"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"style", "colspan", "rowspan"},
    "th": {"style", "colspan", "rowspan", "scope"},
    "ol": {"start"},
}


def protect(text: str) -> str:
    """Turn ``-{text}-`` into marked text that no variant converts."""
    return _KEEP_SOURCE_RE.sub(lambda m: f"{KEEP_OPEN}{m.group(1)}{KEEP_CLOSE}", text)


def strip_markers(text: str) -> str:
    return _MARKERS_RE.sub("", text)


@dataclass(frozen=True)
class LinkMap:
    """Where Markdown links to other content files lead.

    ``targets`` maps a content path (``articles/2016/x.md``, ``pages/about.md``) to the
    output path below a variant (``articles/x/``, ``about/``).
    """

    targets: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Rendered:
    html: str  # sanitised, with keep-markers; links relative to the page it appears on
    text: str  # plain text, markers removed, paragraphs separated by newlines
    first_paragraph: str
    broken_links: tuple[str, ...]  # internal links that lead to no content file


class _LinkRewriter(Treeprocessor):
    """Rewrites links to ``.md`` files and root-relative URLs to page-relative ones."""

    def __init__(self, md: markdown.Markdown, renderer: MarkdownRenderer) -> None:
        super().__init__(md)
        self.renderer = renderer

    def run(self, root: etree.Element) -> None:
        state = self.renderer.state
        for element in root.iter():
            attribute = {"a": "href", "img": "src"}.get(element.tag)
            if attribute is None or element.get(attribute) is None:
                continue
            url = element.get(attribute, "")
            new_url = self._rewrite(url, state)
            if new_url is None:
                state.broken.append(url)
            else:
                element.set(attribute, new_url)

    def _rewrite(self, url: str, state: _RenderState) -> str | None:
        if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", url) or url.startswith(("#", "//")):
            return url
        path, _, fragment = url.partition("#")
        suffix = f"#{fragment}" if fragment else ""
        if path.startswith("/"):  # root-relative: the site root, wherever it is hosted
            target = path.lstrip("/")
            if target.startswith("static/") and target[len("static/") :] not in state.static:
                return None
            return state.root + "../" + target + suffix
        if path.endswith(".md"):
            resolved = posixpath.normpath(posixpath.join(state.source_dir, path))
            output = state.links.targets.get(resolved)
            if output is None:
                return None
            return state.root + output + suffix
        return url


@dataclass
class _RenderState:
    source_dir: str = ""
    root: str = ""  # relative path to the variant's root folder, e.g. "../../"
    links: LinkMap = field(default_factory=LinkMap)
    static: frozenset[str] = frozenset()
    broken: list[str] = field(default_factory=list)


class _HeadingIds(Treeprocessor):
    """ASCII anchors from the heading's pinyin, the same in every script.

    (Python-Markdown's toc extension does this too, at several times the cost.)"""

    def __init__(self, md: markdown.Markdown, renderer: MarkdownRenderer) -> None:
        super().__init__(md)
        self.renderer = renderer

    def run(self, root: etree.Element) -> None:
        used: set[str] = set()
        for element in root.iter():
            if element.tag not in HEADINGS or "id" in element.attrib:
                continue
            text = strip_markers("".join(element.itertext()))
            base = self.renderer.heading_slug(text) or "section"
            anchor, number = base, 2
            while anchor in used:
                anchor, number = f"{base}-{number}", number + 1
            used.add(anchor)
            element.set("id", anchor)


HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})


class _Hooks(Extension):
    def __init__(self, renderer: MarkdownRenderer) -> None:
        super().__init__()
        self.renderer = renderer

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.treeprocessors.register(_LinkRewriter(md, self.renderer), "bulletin-links", 1)
        md.treeprocessors.register(_HeadingIds(md, self.renderer), "bulletin-headings", 0)


class MarkdownRenderer:
    """One Python-Markdown instance, reused (it is reset between documents)."""

    def __init__(self, links: LinkMap, static_files: frozenset[str]) -> None:
        self.links = links
        self.static_files = static_files
        self.state = _RenderState()
        self.heading_slugs: dict[str, str] = {}
        self.md = markdown.Markdown(
            extensions=["tables", "footnotes", "sane_lists", _Hooks(self)],
            extension_configs={"footnotes": {"BACKLINK_TITLE": "返回正文"}},
            output_format="html",
        )

    def heading_slug(self, text: str) -> str:
        """Pinyin of a heading, remembered: bulletins repeat headings (一、主要做法)."""
        slug = self.heading_slugs.get(text)
        if slug is None:
            slug = self.heading_slugs[text] = pinyin_slug(text)
        return slug

    def render(self, source: str, source_rel: str, root: str) -> Rendered:
        """``source_rel``: the file's path in content/; ``root``: the relative path from
        the page this HTML appears on to its variant's root, e.g. ``../../``."""
        self.state = _RenderState(
            source_dir=posixpath.dirname(source_rel),
            root=root,
            links=self.links,
            static=self.static_files,
        )
        self.md.reset()
        raw = self.md.convert(protect(source))
        safe = sanitise(raw)
        return Rendered(
            html=safe,
            text=html_to_text(safe),
            first_paragraph=_first_paragraph(safe),
            broken_links=tuple(self.state.broken),
        )


def sanitise(raw_html: str) -> str:
    """Keep an allowlist of tags and attributes: no script, no on*=, no javascript: URLs."""
    return nh3.clean(
        raw_html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "tel"},
        link_rel=None,
        filter_style_properties={"text-align"},
        strip_comments=True,
    )


_BLOCK_END_RE = re.compile(r"</(p|h[1-6]|li|tr|pre|blockquote|div|table|dt|dd)>|<br\s*/?>", re.I)
_TAG_RE = re.compile(r"<[^>]*>")


_FOOTNOTE_LINKS_RE = re.compile(
    r'<sup id="fnref[^"]*"><a class="footnote-ref"[^>]*>.*?</a></sup>'
    r'|<a class="footnote-backref"[^>]*>.*?</a>',
    re.S,
)


def html_to_text(fragment: str) -> str:
    """Text a reader reads in an HTML fragment, a line per block, markers removed
    (footnote numbers and back-links are navigation, not text)."""
    text = _FOOTNOTE_LINKS_RE.sub("", fragment)
    text = _BLOCK_END_RE.sub("\n", text)
    text = html.unescape(_TAG_RE.sub("", text))
    lines = (line.strip() for line in strip_markers(text).split("\n"))
    return "\n".join(line for line in lines if line)


def _first_paragraph(fragment: str) -> str:
    match = re.search(r"<p>(.*?)</p>", fragment, re.S)
    if not match:
        return ""
    return html.unescape(_TAG_RE.sub("", match.group(1))).strip()
