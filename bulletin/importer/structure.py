"""The shape of a bulletin file: its masthead, its editor's note (编者按), and its county
sections, or one report with a headline, a dateline and a reporter line.

A section starts at a line that leads with a county-level name, in the shapes editors
use: the name alone on its line, 【X县】, 一、X县：, ◆X县, X县：headline, or a .docx/.md
heading. The shape that occurs most often in the file is taken as its section heading.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field

from bulletin.importer.cleaning import HAN, TERMINAL, Removed, display_width
from bulletin.importer.meta import (
    Byline,
    byline,
    cn_number,
    date_line,
    find_date,
    is_unit_name,
    label_line,
    supplied_line,
)
from bulletin.importer.places import Divisions
from bulletin.importer.reading import Block

#: Names of zones that report like counties without being divisions (经济技术开发区).
ZONE_WORDS = (
    "开发区",
    "示范区",
    "新区",
    "高新区",
    "园区",
    "管委会",
    "管理区",
    "试验区",
    "实验区",
    "集聚区",
    "合作区",
    "工业区",
    "保税区",
    "度假区",
    "风景区",
    "林区",
    "特区",
)
_ZONES = "|".join(ZONE_WORDS)
_COUNTY_SHAPE_RE = re.compile(f"^[{HAN}]{{1,14}}(?:{_ZONES}|县|区|市|旗|州|盟)$")
_GENERIC_START = set("全该本我各此这那其每")  # 全县, 该区, 我市, 各县区: not names
_ANONYMOUS_RE = re.compile(r"^(?:[*＊×XxＸ某]{1,3}[省市州])?[*＊×XxＸ某]{1,3}[县区市旗]$")
_SEPARATOR_RE = re.compile(r"^\s*[：:，,—－\-·\s]+\s*")
_NUMBERED_RE = re.compile(
    r"^(?:[一二三四五六七八九十]{1,3}[、.．]|[（(][一二三四五六七八九十]{1,3}[）)]|\d{1,2}[、.．])\s*(.+)$"
)
_BULLET_RE = re.compile(r"^[◆◇■□●○★☆▲△▶►•※❖◎]\s*(.+)$")
_BRACKET_RE = re.compile(r"^[【\[〖]\s*(.+?)\s*[】\]〗]\s*(.*)$")
_HEADING_MARK_RE = re.compile(
    r"^(?:[一二三四五六七八九十]{1,3}[、.．]|[（(][一二三四五六七八九十]{1,3}[）)]|\d{1,2}[、.．]"
    r"|[◆◇■□●○★☆▲△▶►•※❖◎])\s*|[【\[〖]|[】\]〗]"
)
_COLON_RE = re.compile(r"^(.{2,16}?)\s*[：:]\s*(.+)$")
#: Shapes in order of preference when two are equally common.
SHAPES = ("heading", "bracket", "numbered", "bullet", "colon", "alone")
SHAPE_NAMES = {
    "heading": "headings",
    "bracket": "【name】 lines",
    "numbered": "numbered name lines (一、X县)",
    "bullet": "◆name lines",
    "colon": "'name：headline' lines",
    "alone": "a name alone on its line",
}

_NOTE_RE = re.compile(r"^[【\[（(]?\s*编者(?:按|的话)\s*[】\]）)]?\s*[：:]?\s*(.*)$")
_ISSUE_RE = re.compile(
    r"(?:(?P<year>(?:19|20)\d\d)\s*年\s*)?(?<!总)第\s*(?P<n>[0-9一二三四五六七八九十百〇零]{1,6})\s*期"
)
_TOTAL_RE = re.compile(r"[（(]?\s*总第\s*[0-9一二三四五六七八九十百〇零]+\s*期\s*[）)]?")
_INTERNAL_RE = re.compile(r"内部资料|注意保存|内部刊物|仅供参考|内部交流|密级|秘密|机密|妥善保管")
_NAME_RE = re.compile(r"(?:简报|通讯|快报|动态|专刊|增刊|周报|月报|旬报)$")
_PUBLISHER_RE = re.compile(r"(?:编印|编发|主办|印发|编|办公室|组织部|宣传部|领导小组|委员会)$")
_COLOPHON_RE = re.compile(
    r"^(?:报|送|发|抄送|抄报|分送|主送|报送|印发|责任编辑|编辑|校对|审核|签发|联系电话|电话)\s*[：:]"
    r"|^[（(]?共印\s*\d+\s*份[）)]?$"
)
_LEAD_IN_RE = re.compile(
    r"(?:今年以来|近年来|近年|近几年来|年初以来|去年以来|近期|近日|近来|自\S{1,10}以来"
    r"|为(?:认真|深入|全面|进一步)?(?:贯彻|落实|推动|推进|加强))"
)
_DOCUMENT_NAME_RE = re.compile(r"《([^《》]{2,60}?)\.(?:docx?|pdf|wps|txt)》")


@dataclass(frozen=True)
class Start:
    """A line that starts a county section."""

    shape: str
    county: str
    headline: str
    level: int = 0  # of a heading


@dataclass(frozen=True)
class Masthead:
    name: str = ""  # the bulletin's name, e.g. 经验交流简报
    number: int | None = None
    year: int | None = None
    date: dt.date | None = None
    publisher: str = ""


@dataclass(frozen=True)
class Part:
    """What becomes one article."""

    line: int
    county: str  # as the heading writes it; '' for a report without county sections
    headline: str
    blocks: tuple[Block, ...]
    byline: Byline = field(default_factory=Byline)


@dataclass(frozen=True)
class Layout:
    kind: str  # "issue" or "article"
    masthead: Masthead
    note: tuple[Block, ...]
    parts: tuple[Part, ...]
    removed: tuple[Removed, ...] = ()
    remarks: tuple[str, ...] = ()
    undecided: tuple[str, ...] = field(default=())


# --- county names -------------------------------------------------------------------


def is_county_name(name: str, divisions: Divisions) -> bool:
    """A county-level name: in the divisions table, anonymised (*市*区), or shaped like
    one (a zone, or a short name ending in 县, 区, 市 or 旗)."""
    if not name or (len(name) <= 3 and name[0] in _GENERIC_START):
        return False
    if divisions.lookup(name) or _ANONYMOUS_RE.match(name):
        return True
    if not _COUNTY_SHAPE_RE.match(name):
        return False
    return name.endswith(ZONE_WORDS) or len(name) <= 5


def leading_county(text: str, divisions: Divisions) -> tuple[str, str] | None:
    """(name, rest) when ``text`` leads with a county-level name: 临颍县：组建…,
    临颍县组建… (a name from the table), 经济技术开发区 开展… (a zone, then a separator)."""
    match = re.match(rf"^([{HAN}*＊×]{{2,16}}?)(?:[：:，,—－\-·]|\s)\s*(.*)$", text)
    if match and is_county_name(match.group(1), divisions):
        return match.group(1), match.group(2).strip()
    if is_county_name(text, divisions):
        return text, ""
    mention = divisions.leading(text)
    if mention is not None and mention.places[0].level == "county":
        return mention.written, _SEPARATOR_RE.sub("", text[len(mention.written) :])
    return None


def section_start(block: Block, divisions: Divisions) -> Start | None:
    """The section a block starts, if it is a county heading in one of the shapes."""
    text = block.text.strip()
    if block.kind == "heading":
        text = _HEADING_MARK_RE.sub("", text)  # 一、临颍县, 【临颍县】组建…, ◆临颍县
        found = leading_county(text, divisions)
        return Start("heading", found[0], found[1], block.level) if found else None
    if block.kind != "para" or display_width(text) > 60:
        return None
    for shape, pattern in (
        ("bracket", _BRACKET_RE),
        ("numbered", _NUMBERED_RE),
        ("bullet", _BULLET_RE),
    ):
        match = pattern.match(text)
        if not match:
            continue
        if shape == "bracket":
            name, after = match.group(1), match.group(2).strip()
            found = (name, after) if is_county_name(name, divisions) else None
        else:
            found = leading_county(match.group(1), divisions)
        if found and _headline_shaped(found[1]):
            return Start(shape, found[0], found[1])
        return None
    if is_county_name(text, divisions):
        return Start("alone", text, "")
    match = _COLON_RE.match(text)
    if match and is_county_name(match.group(1), divisions) and _headline_shaped(match.group(2)):
        return Start("colon", match.group(1), match.group(2))
    return None


def _headline_shaped(text: str) -> bool:
    """Empty, or short and not a finished sentence."""
    return not text or (display_width(text) <= 50 and text[-1] not in "。；！？")


def title_shaped(text: str) -> bool:
    """A headline: short, and not a sentence (it does not end in 。；，、)."""
    return 4 <= display_width(text) <= 64 and text[-1] not in "。；，、：:;,"


# --- masthead ---------------------------------------------------------------------


def masthead_line(text: str) -> dict | None:
    """What a masthead line says (name, number, year, date, publisher), or None when the
    line is something else."""
    found: dict = {}
    rest = text
    issue = _ISSUE_RE.search(rest)
    if issue:
        found["number"] = cn_number(issue.group("n"))
        if issue.group("year"):
            found["year"] = int(issue.group("year"))
        rest = rest.replace(issue.group(0), " ", 1)
    rest = _TOTAL_RE.sub(" ", rest)
    when = find_date(rest)
    if when:
        found["date"] = when[0]
        rest = rest.replace(when[1], " ", 1)
    internal = bool(_INTERNAL_RE.search(rest))
    rest = re.sub(r"[\s（()）【】\[\]·•|｜/]+", " ", _INTERNAL_RE.sub(" ", rest)).strip()
    for part in rest.split(" ") if rest else []:
        if display_width(part) > 30 or re.search(r"[，。；！？]", part):
            return None
        if _NAME_RE.search(part) and "name" not in found:
            found["name"] = part
        elif _PUBLISHER_RE.search(part) or (is_unit_name(part) and part[-1] not in "县区市旗乡镇"):
            found["publisher"] = re.sub(r"(?:编印|编发|主办|印发|编)$", "", part)
        else:
            return None
    return found if (found or internal) else None


def read_masthead(blocks: list[Block]) -> tuple[Masthead, list[Block], list[Block]]:
    """The masthead of the leading blocks that are masthead lines; (masthead, its lines,
    the blocks after them)."""
    values: dict = {}
    used: list[Block] = []
    for block in blocks:
        found = masthead_line(block.text) if block.kind in ("para", "title", "heading") else None
        if found is None or display_width(block.text) > 60:
            break
        for key, value in found.items():
            values.setdefault(key, value)
        used.append(block)
    return Masthead(**values), used, blocks[len(used) :]


def issue_masthead(blocks: list[Block]) -> Masthead:
    """The masthead of everything above an issue's 编者按: each line, and each cell of a
    table (Word bulletins often set the masthead in one), read for what it says."""
    values: dict = {}
    for block in blocks:
        for line in block.text.split("\n"):
            parts = [line] if masthead_line(line) is not None else line.split()
            for part in parts:
                for key, value in (masthead_line(part) or {}).items():
                    values.setdefault(key, value)
    return Masthead(**values)


# --- layout -----------------------------------------------------------------------


def lay_out(blocks: list[Block], divisions: Divisions, notices: list[Removed]) -> Layout:
    """An issue when the file has an editor's note and two or more county sections;
    otherwise one article."""
    note_at = next((i for i, b in enumerate(blocks) if is_note(b)), None)
    search_from = note_at + 1 if note_at is not None else 0
    starts = choose_sections(blocks, divisions, search_from)
    removed: list[Removed] = []
    remarks: list[str] = []
    if note_at is not None and len(starts) >= 2:
        masthead = issue_masthead(blocks[:note_at])
        removed += [Removed(b.line, "masthead", b.text) for b in blocks[:note_at]]
        first = starts[0][0]
        note = _note_blocks(blocks[note_at], blocks[note_at + 1 : first])
        shape = SHAPE_NAMES[starts[0][1].shape]
        remarks.append(f"an issue: 编者按 and {len(starts)} county sections ({shape})")
        parts = _parts(blocks, starts, removed)
        return Layout("issue", masthead, tuple(note), tuple(parts), tuple(removed), tuple(remarks))
    undecided = []
    if len(starts) >= 2:
        undecided.append(
            f"{len(starts)} county sections but no 编者按: imported as one article "
            "(add a line '编者按' with the note before the first section to make it an issue)"
        )
    elif note_at is not None:
        remarks.append("a 编者按 but fewer than two county sections: imported as one article")
    masthead, lines, rest = read_masthead(blocks)
    removed += [Removed(b.line, "masthead", b.text) for b in lines]
    part = _single_report(rest, notices, removed)
    return Layout(
        "article", masthead, (), (part,), tuple(removed), tuple(remarks), tuple(undecided)
    )


def is_note(block: Block) -> bool:
    return block.kind in ("para", "heading") and bool(_NOTE_RE.match(block.text.strip()))


def _note_blocks(marker: Block, after: list[Block]) -> list[Block]:
    own = _NOTE_RE.match(marker.text.strip()).group(1)  # type: ignore[union-attr]
    first = [Block(own, marker.line)] if own else []
    return first + [b for b in after if masthead_line(b.text) is None]


def choose_sections(
    blocks: list[Block], divisions: Divisions, search_from: int
) -> list[tuple[int, Start]]:
    """The section starts of the most common shape (two at least), in order."""
    found = [
        (index, start)
        for index, block in enumerate(blocks[search_from:], search_from)
        if (start := section_start(block, divisions)) is not None and index + 1 < len(blocks)
    ]
    groups: Counter[tuple[str, int]] = Counter((s.shape, s.level) for _, s in found)
    if not groups:
        return []
    best = max(groups, key=lambda key: (groups[key], -SHAPES.index(key[0]), -key[1]))
    if groups[best] < 2:
        return []
    return [(i, s) for i, s in found if (s.shape, s.level) == best]


def _parts(
    blocks: list[Block], starts: list[tuple[int, Start]], removed: list[Removed]
) -> list[Part]:
    parts = []
    bounds = [i for i, _ in starts] + [len(blocks)]
    for (index, start), end in zip(starts, bounds[1:], strict=True):
        body = _drop_colophon(list(blocks[index + 1 : end]), removed)
        headline = start.headline
        if not headline and len(body) >= 2 and _is_headline_block(body[0]):
            headline, body = body[0].text, body[1:]
        body, found = read_bylines(body, removed)
        parts.append(Part(blocks[index].line, start.county, headline, tuple(body), found))
    return parts


def _is_headline_block(block: Block) -> bool:
    """The line under a county's name that is its headline; a subheading such as
    主要做法 or 一、基本情况 is not."""
    return (
        block.kind in ("para", "heading")
        and title_shaped(block.text)
        and display_width(block.text) <= 40
        and not (
            block.kind == "heading" and (len(block.text) <= 6 or _NUMBERED_RE.match(block.text))
        )
    )


def _drop_colophon(body: list[Block], removed: list[Removed]) -> list[Block]:
    """A masthead line anywhere (a page header repeated) and the colophon at the end
    (报：… 送：… 共印N份) are not the report."""
    kept = []
    for block in body:
        if block.kind == "para" and (
            _COLOPHON_RE.match(block.text) or _repeated_masthead(block.text)
        ):
            removed.append(Removed(block.line, "masthead or colophon", block.text))
        else:
            kept.append(block)
    return kept


def _repeated_masthead(text: str) -> bool:
    found = masthead_line(text)
    return found is not None and ("number" in found or "name" in found or not found)


def read_bylines(body: list[Block], removed: list[Removed]) -> tuple[list[Block], Byline]:
    """Date, source and author from the lines around a report (a dateline, 来源：, a
    reporter line leading the first paragraph, （X供稿）, a signature with a date)."""
    source = author = ""
    date = None
    body = list(body)
    while body and body[0].kind == "para":
        text = body[0].text
        when = date_line(text)
        labelled = label_line(text) if when is None else None
        news = byline(text) if when is None and labelled is None else None
        if when is None and labelled is None and news is None:
            break
        said = text[: len(text) - len(news.rest)].strip() if news else text
        removed.append(Removed(body[0].line, "dateline or reporter line", said))
        found = labelled or news or Byline(date=when)
        source, author = source or found.source, author or found.author
        date = date or found.date or when
        if news is not None and news.rest:
            body[0] = Block(news.rest, body[0].line, group=body[0].group)
            break
        body.pop(0)
    source, author, date, body = _read_end(body, removed, source, author, date)
    return body, Byline(source, author, date)


def _read_end(
    body: list[Block], removed: list[Removed], source: str, author: str, date: dt.date | None
) -> tuple[str, str, dt.date | None, list[Block]]:
    after_date = False
    for _ in range(3):
        if not body or body[-1].kind != "para":
            break
        text = body[-1].text.strip()
        unit = supplied_line(text)
        when = date_line(text)
        labelled = label_line(text) if not unit and when is None else None
        if unit:
            source = source or unit
        elif when is not None:
            date = date or when
        elif labelled is not None:
            source, author = source or labelled.source, author or labelled.author
            date = date or labelled.date
        elif after_date and is_unit_name(text) and len(body) > 1:
            source = source or text  # the office signing above the date
        else:
            break
        after_date = when is not None
        removed.append(Removed(body[-1].line, "signature or source line", text))
        body.pop()
    return source, author, date, body


def _single_report(blocks: list[Block], notices: list[Removed], removed: list[Removed]) -> Part:
    """One report: a headline (two alike: the longer), a subtitle (——…), the body."""
    blocks = _drop_colophon(list(blocks), removed)
    headline = ""
    while (
        blocks and blocks[0].kind in ("title", "heading", "para") and title_shaped(blocks[0].text)
    ):
        text = blocks[0].text
        if date_line(text) or label_line(text) or len(blocks) == 1:
            break
        if not headline:
            headline = text
        elif text in headline or headline in text:
            headline = max(headline, text, key=len)
        elif text.startswith(("——", "—", "－－")):
            headline = f"{headline}{text}"
        else:
            break
        blocks.pop(0)
    body, found = read_bylines(blocks, removed)
    if not headline and body:
        headline, body = _run_in_headline(body, notices)
    source = found.source or _document_name(notices)
    return Part(
        body[0].line if body else 1,
        "",
        headline,
        tuple(body),
        Byline(source, found.author, found.date),
    )


def _document_name(notices: list[Removed]) -> str:
    for notice in notices:
        match = _DOCUMENT_NAME_RE.search(notice.text)
        if match:
            return match.group(1)
    return ""


def _run_in_headline(body: list[Block], notices: list[Removed]) -> tuple[str, list[Block]]:
    """A headline run into the first paragraph when a page was flattened (题目今年以来，…):
    what comes before the lead-in phrase, less the document's name."""
    first = body[0]
    match = _LEAD_IN_RE.search(first.text[:80])
    head = first.text[: match.start()] if match else ""
    if not head or re.search(r"[。！？，；]", head) or first.kind != "para":
        return "", body
    name = _document_name(notices)
    title = (
        head[len(name) :] if name and head.startswith(name) and len(head) > len(name) + 3 else head
    )
    rest = Block(first.text[match.start() :], first.line, group=first.group)  # type: ignore[union-attr]
    return title.strip(), [rest, *body[1:]]


def subheading(block: Block) -> bool:
    """A short line without a sentence end between paragraphs: a subheading (##)."""
    text = block.text
    return (
        block.kind == "para"
        and 4 <= display_width(text) <= 30
        and text[-1] not in TERMINAL + "，、"
        and not re.search(r"[。！？；]", text)
    )
