"""Cleaning what editors paste: document-site notices, page numbers and page fragments
out; lines broken mid-sentence joined; full-width letters and digits made half-width.

Each step takes blocks and returns blocks, recording what it removed (:class:`Removed`)
or changed (:class:`Cleaned`), so the report can say so.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace
from itertools import pairwise

from bulletin.importer.reading import Block

HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAN_RE = re.compile(f"[{HAN}]")
#: After these a Chinese sentence cannot have ended; before these one can go on.
_CONTINUES_RE = re.compile(f"[{HAN}，、：；“‘《（〈【]$")
_GOES_ON_RE = re.compile(f"^[{HAN}“‘《（〈【]")
#: Sentence ends (a line ending so is a whole paragraph).
TERMINAL = "。！？；…”」』）)!?.:："
#: A line at least this long that ends mid-sentence was broken, not a heading.
LONG_LINE = 50
#: In a text whose paragraphs are apart by blank lines, a line this long that ends
#: mid-sentence goes on in the next line of its paragraph (a county's name does not).
GROUPED_LINE = 10

#: Phrases of the notices document sites put around a copied text (下载文档前请自行甄别…,
#: 《X.docx》由会员分享…请在…上搜索), and of a news page's furniture (打印本页, 字号：大
#: 中 小, 首页 > 工作动态). Each is specific enough not to occur in a report.
SITE_NOTICE_RE = re.compile(
    "|".join(
        [
            r"下载文档前",
            r"自行甄别",
            r"仅部分预览",
            r"不可在线预览",
            r"可在线阅读",
            r"侵犯.{0,6}(?:权益|版权)",
            r"联系客服",
            r"人工客服",
            r"申请退款",
            r"由(?:会员|用户)(?:分享|上传)",
            r"更多相关《",
            r"请在.{0,80}上搜索",
            r"(?:文档|资料|内容)来自(?:网络|用户上传)",
            r"上传(?:者|人)(?:自行|负责)",
            r"下载(?:积分|券)",
            r"(?:积分|金币)下载",
            r"预览(?:已)?结束",
            r"剩余\s*\d+\s*页未读",
            r"(?:点击|立即|免费)下载",
            r"(?:百度|豆丁|道客巴巴|原创力|淘文阁|人人)文(?:库|档)",
            r"taowenge\.com",
            r"book118\.com",
            r"doc88\.com",
            r"docin\.com",
            r"renrendoc\.com",
            r"wenku\.baidu",
            r"微信扫(?:一扫|码)",
            r"关注(?:微信)?公众号",
            r"本文(?:档)?由.{0,12}(?:整理|发布|提供)",
            r"(?:版权|著作权)(?:所有|声明|归原作者)",
            r"转载请注明",
            # a web page's furniture around a copied news report
            r"打印本页",
            r"关闭窗口",
            r"【(?:打印|关闭|收藏)】",
            r"(?:字号|字体)\s*[：:]\s*【?大",
            r"分享到\s*[：:]",
            r"(?:浏览|阅读|点击)(?:次数|量)\s*[：:]",
            r"^(?:上一篇|下一篇)\s*[：:]",
            r"^(?:首页|网站首页|当前位置\s*[：:])\s*[>＞›»]",
        ]
    )
)
_PAGE_MARK_RES = [
    re.compile(r"^[-—–－―~～·•\s]*\d{1,4}[-—–－―~～·•\s]*$"),  # — 2 —, - 2 -, 2
    re.compile(r"^第\s*\d+\s*页(?:\s*[/，,、]?\s*共\s*\d+\s*页)?$"),  # 第2页 共5页
    re.compile(r"^\d+\s*/\s*\d+$"),  # 2/5
    re.compile(r"^(?:page|Page|PAGE)\s*\d+(?:\s*(?:of|/)\s*\d+)?$"),
]
_FRAGMENT_RE = re.compile(r"^(\d{1,3})、")
_FULL_WIDTH_ALNUM = {
    **{chr(c): chr(c - 0xFEE0) for c in range(ord("０"), ord("９") + 1)},
    **{chr(c): chr(c - 0xFEE0) for c in range(ord("Ａ"), ord("Ｚ") + 1)},
    **{chr(c): chr(c - 0xFEE0) for c in range(ord("ａ"), ord("ｚ") + 1)},
}
_WIDTHS = str.maketrans(_FULL_WIDTH_ALNUM)
_HALF_PUNCT = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！"}
_HALF_PUNCT_RE = re.compile(f"(?<=[{HAN}”’》）]) ?([,;:?!])")
_FORMULA_SPACE_RE = re.compile(r"(?<=[0-9A-Za-z]) \+ (?=[0-9A-Za-z])")  # 1 + 2 + X -> 1+2+X
_PAREN_RE = re.compile(f"\\(([^()\\n]*[{HAN}][^()\\n]*)\\)")


@dataclass(frozen=True)
class Removed:
    line: int
    what: str
    text: str


@dataclass(frozen=True)
class Cleaned:
    """What the cleaner changed in the text, and how often."""

    joined: int = 0  # lines broken mid-sentence joined
    wrap_spaces: int = 0  # spaces left where a flattened page wrapped, removed
    widths: int = 0  # full-width letters and digits made half-width
    punctuation: int = 0  # half-width punctuation inside Chinese text made full-width

    def lines(self) -> list[str]:
        said = [
            (self.joined, "line(s) broken mid-sentence joined"),
            (self.wrap_spaces, "space(s) left by page wraps removed"),
            (self.widths, "full-width letter(s) and digit(s) made half-width"),
            (self.punctuation, "half-width punctuation mark(s) in Chinese text made full-width"),
        ]
        return [f"{count} {what}" for count, what in said if count]


@dataclass
class CleanResult:
    blocks: list[Block]
    removed: list[Removed] = field(default_factory=list)
    cleaned: Cleaned = field(default_factory=Cleaned)


def clean(blocks: list[Block] | tuple[Block, ...]) -> CleanResult:
    """Every cleaning step, in order."""
    result = CleanResult(list(blocks))
    breaks = _remove_lines(result)
    breaks |= _page_fragments(result)
    widths = punctuation = 0
    for index, block in enumerate(result.blocks):
        text, changed_widths, changed_punct = normalise_text(block.text)
        if changed_widths or changed_punct:
            widths += changed_widths
            punctuation += changed_punct
            markdown = normalise_text(block.markdown)[0] if block.markdown else ""
            result.blocks[index] = replace(block, text=text, markdown=markdown)
    joined = _join_broken_lines(result, breaks)
    spaces = _remove_wrap_spaces(result)
    result.cleaned = Cleaned(joined, spaces, widths, punctuation)
    return result


def normalise_text(text: str) -> tuple[str, int, int]:
    """Full-width letters and digits to half-width (Ａ１ -> A1; never NFKC: Chinese
    punctuation stays); half-width , ; : ? ! and () inside Chinese text to full-width;
    a formula's spaces out (1 + 2 + X -> 1+2+X). Returns the text and the counts of
    width changes and of punctuation changes."""
    widths = sum(1 for char in text if char in _FULL_WIDTH_ALNUM)
    text = text.translate(_WIDTHS)
    text, punct = _HALF_PUNCT_RE.subn(lambda m: _HALF_PUNCT[m.group(1)], text)
    text, parens = _PAREN_RE.subn(r"（\1）", text)
    text, formulas = _FORMULA_SPACE_RE.subn("+", text)
    return text, widths, punct + 2 * parens + formulas


def _remove_lines(result: CleanResult) -> set[int]:
    """Drop site notices and page marks; the indexes (in the blocks kept) before which a
    page mark stood, where a sentence may go on across the break."""
    kept: list[Block] = []
    breaks: set[int] = set()
    for block in result.blocks:
        text = block.text.strip()
        if block.kind != "markdown" and len(text) < 400 and SITE_NOTICE_RE.search(text):
            result.removed.append(Removed(block.line, "document-site notice", text))
        elif block.kind == "para" and any(r.match(text) for r in _PAGE_MARK_RES):
            result.removed.append(Removed(block.line, "page number", text))
            breaks.add(len(kept))
        else:
            kept.append(block)
    result.blocks = kept
    return breaks


def _page_fragments(result: CleanResult) -> set[int]:
    """Numbered page fragments (1、… 2、… each page of a document site's text, numbered
    where the page begins, mid-sentence): the numbers removed, the pages joined."""
    numbered = [
        (index, int(match.group(1)))
        for index, block in enumerate(result.blocks)
        if block.kind == "para" and (match := _FRAGMENT_RE.match(block.text))
    ]
    run = _counting_run(numbered)
    if len(run) < 3:
        return set()
    broken = sum(1 for index in run[1:] if not _ends_sentence(result.blocks[index - 1].text))
    if broken * 2 < len(run) - 1:  # mostly whole sentences: a numbered list, not pages
        return set()
    for index in run:
        block = result.blocks[index]
        number = _FRAGMENT_RE.match(block.text).group(0)  # type: ignore[union-attr]
        result.removed.append(Removed(block.line, "page fragment number", number))
        markdown = block.markdown[len(number) :] if block.markdown.startswith(number) else ""
        result.blocks[index] = replace(block, text=block.text[len(number) :], markdown=markdown)
    return set(run[1:])


def _counting_run(numbered: list[tuple[int, int]]) -> list[int]:
    """The indexes of the longest run numbered 1, 2, 3, … in document order."""
    best: list[int] = []
    current: list[int] = []
    for index, number in numbered:
        if number == 1:
            current = [index]
        elif current and number == len(current) + 1:
            current.append(index)
        else:
            continue
        if len(current) > len(best):
            best = list(current)
    return best


def _ends_sentence(text: str) -> bool:
    return not text or text[-1] in TERMINAL


def _join_broken_lines(result: CleanResult, breaks: set[int]) -> int:
    """Join a line to the one before it where a sentence was broken between two Chinese
    characters: after a page mark or fragment, after a long line, after a line of a
    hard-wrapped text's width, or inside a paragraph of a blank-line-separated text."""
    blocks = result.blocks
    wrap = _wrap_width(blocks)
    grouped = _blank_line_paragraphs(blocks)
    out: list[Block] = []
    joined = 0
    for index, block in enumerate(blocks):
        previous = out[-1] if out else None
        if previous is not None and _broken(previous, block, index in breaks, wrap, grouped):
            out[-1] = _joined(previous, block)
            joined += 1
        else:
            out.append(block)
    result.blocks = out
    return joined


def _broken(a: Block, b: Block, page_break: bool, wrap: int, grouped: bool) -> bool:
    if a.kind != "para" or b.kind != "para" or not a.text or not b.text:
        return False
    if _LEADS_A_HEADING_RE.match(a.text) and not page_break:
        return False
    if page_break and not _ends_sentence(a.text):
        return True
    if not (_CONTINUES_RE.search(a.text) and _GOES_ON_RE.match(b.text)):
        return False
    width = display_width(a.text)
    return (
        width >= LONG_LINE
        or (wrap > 0 and width >= wrap - 2)
        or (grouped and a.group == b.group and width >= GROUPED_LINE)
    )


_LEADS_A_HEADING_RE = re.compile(r"^[【\[〖◆◇■□●○★☆▲△▶►•※❖◎]")


def _joined(a: Block, b: Block) -> Block:
    glue = "" if _HAN_RE.match(b.text[:1]) or _HAN_RE.match(a.text[-1:]) else " "
    if a.text[-1:] in "，、：；“‘《（〈【" or b.text[:1] in "“‘《（〈【":
        glue = ""
    markdown = a.md + glue + b.md if (a.markdown or b.markdown) else ""
    return replace(a, text=a.text + glue + b.text, markdown=markdown)


def display_width(text: str) -> int:
    """Columns in a monospaced view: a Chinese character is one, ASCII half of one."""
    return (sum(2 if ord(char) > 0x2E7F else 1 for char in text) + 1) // 2


def _wrap_width(blocks: list[Block]) -> int:
    """The width a hard-wrapped text was wrapped at, or 0: most of its lines are about as
    long as the longest of them."""
    widths = [display_width(b.text) for b in blocks if b.kind == "para" and len(b.text) >= 10]
    if len(widths) < 3:
        return 0
    width, _ = Counter(widths).most_common(1)[0]
    near = sum(1 for w in widths if width - 2 <= w <= width)
    if width > 100 or near * 10 < len(widths) * 4 or max(widths) > width + 2:
        return 0
    return width


def _blank_line_paragraphs(blocks: list[Block]) -> bool:
    """Whether the text separates paragraphs by blank lines and wraps lines inside them:
    several blank-line groups, and most line breaks inside a group fall mid-sentence."""
    paras = [b for b in blocks if b.kind == "para"]
    if len({b.group for b in paras}) < 3:
        return False
    inside = [a for a, b in pairwise(paras) if a.group == b.group]
    broken = sum(1 for a in inside if not _ends_sentence(a.text))
    return bool(inside) and broken * 2 > len(inside)


_CJK = f"{HAN}，。、：；！？“”‘’《》（）【】"
#: A space beside Chinese text (on one side at least): where a flattened page may have wrapped.
_WRAP_SPACE_RE = re.compile(f"(?<=[{_CJK}]) (?=[^\\s])|(?<=[^\\s]) (?=[{_CJK}])")


def _remove_wrap_spaces(result: CleanResult) -> int:
    """Remove the spaces a flattened page left where its lines wrapped (002's 为抓 手):
    they fall at one steady interval of columns through the text; other spaces stay."""
    spaced = [
        (index, _columns(block.text, [m.start() for m in _WRAP_SPACE_RE.finditer(block.text)]))
        for index, block in enumerate(result.blocks)
        if block.kind == "para" and not block.markdown  # a .docx keeps its spaces
    ]
    gaps = Counter(round(b[1] - a[1]) for _, spaces in spaced for a, b in pairwise(spaces))
    steady = [(gap, count) for gap, count in gaps.items() if 15 <= gap <= 80]
    if not steady:
        return 0
    width = max(steady, key=lambda item: sum(c for g, c in steady if abs(g - item[0]) <= 2))[0]
    if sum(c for g, c in steady if abs(g - width) <= 2) < 6:
        return 0
    removed = 0
    for index, spaces in spaced:
        columns = [column for _, column in spaces]
        wraps = {i for i, column in spaces if _has_wrap_neighbour(column, columns, width)}
        if wraps:
            block = result.blocks[index]
            text = "".join(c for i, c in enumerate(block.text) if i not in wraps)
            result.blocks[index] = replace(block, text=text)
            removed += len(wraps)
    return removed


def _columns(text: str, positions: list[int]) -> list[tuple[int, float]]:
    """(index, column) of each position: a Chinese character is one column, ASCII half."""
    out, column, last = [], 0.0, 0
    for position in positions:
        column += sum(1 if ord(c) > 0x2E7F else 0.5 for c in text[last:position])
        last = position
        out.append((position, column))
    return out


def _has_wrap_neighbour(column: float, columns: list[float], width: int) -> bool:
    return any(
        abs(abs(other - column) - k * width) <= 2.5 * k
        for other in columns
        if other != column
        for k in (1, 2)
    )
