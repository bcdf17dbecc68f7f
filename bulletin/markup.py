"""Markdown to safe HTML, once per document, in the script it was written in.

Text inside ``-{ }-`` is wrapped in two private-use characters that survive Markdown and
sanitising; the variant converter keeps what is between them and drops the markers.
"""

from __future__ import annotations

import html
import posixpath
import re
import xml.etree.ElementTree as etree
from collections.abc import Callable
from dataclasses import dataclass, field

import markdown
import nh3
from markdown.blockparser import BlockParser
from markdown.extensions import Extension
from markdown.extensions.footnotes import FootnoteExtension
from markdown.extensions.sane_lists import SaneListExtension
from markdown.extensions.tables import TableExtension
from markdown.preprocessors import HtmlBlockPreprocessor, NormalizeWhitespace
from markdown.treeprocessors import (
    InlineProcessor,
    PrettifyTreeprocessor,
    Treeprocessor,
    UnescapeTreeprocessor,
)
from markdown.util import ETX, STX, AtomicString

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
    if KEEP_OPEN in text or KEEP_CLOSE in text or type(text) is not str:
        return _MARKERS_RE.sub("", text)
    return text  # what the substitution returns: the same string (and always a str)


@dataclass(frozen=True)
class LinkMap:
    """Where Markdown links to other content files lead.

    ``targets`` maps a content path (``articles/2016/x.md``, ``pages/about.md``) to the
    output path below a variant (``articles/x/``, ``about/``).
    """

    targets: dict[str, str] = field(default_factory=dict)


class MarkupError(ValueError):
    """A Markdown text that cannot be rendered (the message says why, for an editor)."""


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
        next_number: dict[str, int] = {}  # base -> the suffix to try next (linear in headings)
        for element in root.iter():
            if element.tag not in HEADINGS or "id" in element.attrib:
                continue
            text = strip_markers("".join(element.itertext()))
            base = self.renderer.heading_slug(text) or "section"
            anchor, number = base, next_number.get(base, 2)
            while anchor in used:
                anchor, number = f"{base}-{number}", number + 1
                next_number[base] = number
            used.add(anchor)
            element.set("id", anchor)


HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})


# Fast paths. Python-Markdown tries every block processor on every block and every
# inline pattern on every piece of text, and that, not the building of the tree, is
# most of its cost on this content. A test or pattern that cannot match leaves
# everything as it was, so where a cheap check shows that it cannot, it is skipped:
# each table below maps a stock processor, by its regular expression (Python-Markdown
# 3.11), to strings one of which must be in the text for it to match. A processor not
# listed is always tried. tests/test_markup.py renders with and without these and
# compares the results (``MarkdownRenderer(..., fast=False)``).

_INLINE_TRIGGERS: dict[str, tuple[str, ...]] = {
    r"(?:(?<!\\)((?:\\{2})+)(?=`+)|(?<!\\)`)": ("`",),  # backtick
    r"\\(.)": ("\\",),  # escape
    r"\[\^([^\]]*)\]": ("[^",),  # footnote reference
    r"(?<!\!)\[": ("[",),  # reference, link, short_reference
    r"\!\[": ("![",),  # image_link, image_reference, short_image_ref
    r"<([A-Za-z][A-Za-z0-9+.-]*://[^<>]*)>": ("<",),  # autolink
    r"<([^<> !]+@[^@<> ]+)>": ("<",),  # automail
    r"  \n": ("  \n",),  # linebreak
    r"""(<(\/?+[a-zA-Z][^\s"'<>@]*+(?:\s+[^\s"'=<>]++(?:\s*+=\s*+(?:"[^"]*+"|'[^']*+'|"""
    r"""[^\s"'=<>]++))?+)*+\s*+/?|!--(?:(?!<!--|-->).)*--|[?](?:(?!<[?]|[?]>).)*[?]|"""
    r"""!\[CDATA\[(?:(?!<!\[CDATA\[|\]\]>).)*\]\])>)""": ("<",),  # html
    r"(&(?:\#[0-9]+|\#x[0-9a-fA-F]+|[a-zA-Z0-9]+);)": ("&",),  # entity
    r"\*|_": ("*", "_"),  # em_strong
}

# Block processors by class name and the expression their test (or, for footnote and
# reference definitions, whose test is always true, their run) searches the block with.
_BLOCK_TRIGGERS: dict[tuple[str, str | None], tuple[str, ...]] = {
    ("TableProcessor", None): ("|",),
    (
        "HashHeaderProcessor",
        r"(?:^|\n)(?P<level>#{1,6})(?P<header>(?:\\.|[^\\#]|#+(?=[^#\n]))*?)#*(?:\n|$)",
    ): ("#",),
    ("SetextHeaderProcessor", r"^.*?\n(?:=+|-+)[ ]*(\n|$)"): ("\n=", "\n-"),
    (
        "HRProcessor",
        r"^[ ]{0,3}(?=(?P<atomicgroup>(-+[ ]{0,2}){3,}|(_+[ ]{0,2}){3,}|(\*+[ ]{0,2}){3,}))"
        r"(?P=atomicgroup)[ ]*$",
    ): ("-", "_", "*"),
    ("BlockQuoteProcessor", r"(^|\n)[ ]{0,3}>[ ]?(.*)"): (">",),
    ("FootnoteBlockProcessor", r"^[ ]{0,3}\[\^([^\]]*)\]:[ ]*(.*)$"): ("]:",),
    (
        "ReferenceProcessor",
        r"""^[ ]{0,3}\[([^\[\]]*)\]:[ ]*(?:\n[ ]*)?([^\s]+)[ ]*(?:\n[ ]*)?"""
        r"""((["\'])(.*)\4[ ]*|\((.*)\)[ ]*)?$""",
    ): ("]:",),
}


def _inline_triggers(pattern: object) -> tuple[str, ...] | None:
    return _INLINE_TRIGGERS.get(pattern.getCompiledRegExp().pattern)  # type: ignore[attr-defined]


def _block_triggers(processor: object) -> tuple[str, ...] | None:
    regex = getattr(processor, "SEARCH_RE", None) or getattr(processor, "RE", None)
    return _BLOCK_TRIGGERS.get((type(processor).__name__, getattr(regex, "pattern", None)))


class _Inline(InlineProcessor):
    """The stock inline processor, trying on each text only the patterns that can match
    it; the tree it builds is the same."""

    _registered: tuple[object, ...] = ()

    def run(self, tree: etree.Element, ancestors: list[str] | None = None) -> etree.Element:
        registered = tuple(self.inlinePatterns)
        if registered != self._registered:
            self._registered = registered
            self._patterns = [(p, _inline_triggers(p)) for p in registered]
            # a text with none of the strings can match no pattern
            self._any_trigger = None
            if all(triggers is not None for _, triggers in self._patterns):
                strings = {t for _, triggers in self._patterns for t in triggers}  # type: ignore[union-attr]
                self._any_trigger = re.compile("|".join(map(re.escape, sorted(strings)))).search
        return super().run(tree, ancestors)

    # the stock processor's private __handleInline, with the check before each pattern
    def _InlineProcessor__handleInline(self, data: str, patternIndex: int = 0) -> str:
        if isinstance(data, AtomicString):
            return data
        if self._any_trigger is not None and self._any_trigger(data) is None:
            return data
        patterns = self._patterns
        apply = self._InlineProcessor__applyPattern  # type: ignore[attr-defined]
        start = 0
        count = len(patterns)
        while patternIndex < count:
            pattern, triggers = patterns[patternIndex]
            if triggers is not None:
                for trigger in triggers:
                    if trigger in data:
                        break
                else:  # cannot match: what applying it would have returned
                    patternIndex += 1
                    start = 0
                    continue
            data, matched, start = apply(pattern, data, patternIndex, start)
            if not matched:
                patternIndex += 1
        return data


# the private methods of the stock inline processor that _Inline overrides or calls
_INLINE_PRIVATE = ("_InlineProcessor__handleInline", "_InlineProcessor__applyPattern")


class _Whitespace(NormalizeWhitespace):
    """The stock preprocessor, without the steps that would change nothing."""

    def run(self, lines: list[str]) -> list[str]:
        source = "\n".join(lines)
        if STX in source or ETX in source:
            source = source.replace(STX, "").replace(ETX, "")
        if "\r" in source:
            source = source.replace("\r\n", "\n").replace("\r", "\n")
        source += "\n\n"
        if "\t" in source:
            source = source.expandtabs(self.md.tab_length)
        if " \n" in source:
            source = re.sub(r"(?<=\n) +\n", "\n", source)
        return source.split("\n")


class _HtmlBlocks(HtmlBlockPreprocessor):
    """The stock preprocessor, which runs the text through an HTML parser; a text
    without ``<`` or ``&`` comes out of it as it went in."""

    def run(self, lines: list[str]) -> list[str]:
        if any("<" in line or "&" in line for line in lines):
            return super().run(lines)
        return lines


class _Prettify(PrettifyTreeprocessor):
    """The stock line breaks, asking whether a tag is block-level once per tag and
    document, and once per element."""

    def _prettifyETree(self, elem: etree.Element) -> None:
        known: dict[object, bool] = {}
        is_block_level = self.md.is_block_level

        def prettify(elem: etree.Element, tag: object) -> None:  # elem is block-level
            if tag != "code" and tag != "pre":
                text = elem.text
                if (not text or not text.strip()) and len(elem):
                    first = elem[0].tag
                    block = known.get(first)
                    if block is None:
                        block = known[first] = is_block_level(first)
                    if block:
                        elem.text = "\n"
                for child in elem:
                    child_tag = child.tag
                    block = known.get(child_tag)
                    if block is None:
                        block = known[child_tag] = is_block_level(child_tag)
                    if block:
                        prettify(child, child_tag)
            if not elem.tail or not elem.tail.strip():
                elem.tail = "\n"

        if is_block_level(elem.tag):
            prettify(elem, elem.tag)
        elif not elem.tail or not elem.tail.strip():
            elem.tail = "\n"


class _Unescape(UnescapeTreeprocessor):
    """The stock processor, looking for escapes only in texts that have a marker."""

    def run(self, root: etree.Element) -> None:
        unescape = self.unescape
        for elem in root.iter():
            text = elem.text
            if text and STX in text and elem.tag != "code":
                elem.text = unescape(text)
            tail = elem.tail
            if tail and STX in tail:
                elem.tail = unescape(tail)
            for key, value in elem.items():
                if value is not None and STX in value:
                    elem.set(key, unescape(value))


def _fast_block_parser(parser: BlockParser) -> None:
    """``parser.parseBlocks`` as the stock one, skipping the processors that cannot
    take the block, over the processors registered now."""
    processors = [(p, _block_triggers(p)) for p in parser.blockprocessors]

    def parse_blocks(parent: etree.Element, blocks: list[str]) -> None:
        while blocks:
            for processor, triggers in processors:
                if triggers is not None:
                    block = blocks[0]
                    for trigger in triggers:
                        if trigger in block:
                            break
                    else:  # cannot take the block
                        continue
                if processor.test(parent, blocks[0]) and processor.run(parent, blocks) is not False:
                    break

    parser.parseBlocks = parse_blocks  # type: ignore[method-assign]


class _Hooks(Extension):
    def __init__(self, renderer: MarkdownRenderer, fast: bool) -> None:
        super().__init__()
        self.renderer = renderer
        self.fast = fast

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        if self.fast:  # the same names and priorities, so the same order
            md.preprocessors.register(_Whitespace(md), "normalize_whitespace", 30)
            md.preprocessors.register(_HtmlBlocks(md), "html_block", 20)
            if all(hasattr(InlineProcessor, name) for name in _INLINE_PRIVATE):
                md.treeprocessors.register(_Inline(md), "inline", 20)
            md.treeprocessors.register(_Prettify(md), "prettify", 10)
            md.treeprocessors.register(_Unescape(md), "unescape", 0)
        md.treeprocessors.register(_LinkRewriter(md, self.renderer), "bulletin-links", 1)
        md.treeprocessors.register(_HeadingIds(md, self.renderer), "bulletin-headings", 0)


class MarkdownRenderer:
    """One Python-Markdown instance, reused (it is reset between documents).

    ``fast=False``: Python-Markdown's own processors only, for comparison in tests.
    ``slug`` makes heading ids (the build passes one that remembers them).
    ``links_key``: a digest of ``links`` and ``static_files``, what a body with links
    depends on besides its text (for the build cache)."""

    def __init__(
        self,
        links: LinkMap,
        static_files: frozenset[str],
        fast: bool = True,
        slug: Callable[[str], str] = pinyin_slug,
        links_key: str = "",
    ) -> None:
        self.links = links
        self.static_files = static_files
        self.links_key = links_key
        self.state = _RenderState()
        self.slug = slug
        self.heading_slugs: dict[str, str] = {}
        # extensions as objects: by name, Markdown looks them up among the entry points
        # of every installed package, which cost more than rendering an article
        self.md = markdown.Markdown(
            extensions=[
                TableExtension(),
                FootnoteExtension(BACKLINK_TITLE="返回正文"),
                SaneListExtension(),
                _Hooks(self, fast),
            ],
            output_format="html",
        )
        if fast:
            _fast_block_parser(self.md.parser)

    def heading_slug(self, text: str) -> str:
        """Pinyin of a heading, remembered: bulletins repeat headings (一、主要做法)."""
        slug = self.heading_slugs.get(text)
        if slug is None:
            slug = self.heading_slugs[text] = self.slug(text)
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
        try:
            raw = self.md.convert(protect(source))
        except RecursionError:
            raise MarkupError(
                "lists or quotes nested too deeply to render: flatten the nesting"
            ) from None
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
    return "\n".join(filter(None, map(str.strip, strip_markers(text).split("\n"))))


def _first_paragraph(fragment: str) -> str:
    match = re.search(r"<p>(.*?)</p>", fragment, re.S)
    if not match:
        return ""
    return html.unescape(_TAG_RE.sub("", match.group(1))).strip()
