"""Dates, datelines, reporter lines and signatures: what a report says about itself.

Each reader takes one paragraph's text and returns what it found, or None; the caller
decides where to look (the top of a report, its end, a masthead).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

_CN_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0, "○": 0, "Ｏ": 0}
_CN_NUMBER = "〇零○Ｏ一二三四五六七八九十"
_DATE_RES = [
    # 2018年9月20日, 2018 年 09 月 20 日
    re.compile(r"(?P<y>(?:19|20)\d\d)\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日"),
    # 2018-09-20, 2018/9/20, 2018.9.20
    re.compile(r"(?<!\d)(?P<y>(?:19|20)\d\d)[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})(?!\d)"),
    # 20.09.2018 (a news site's dateline, day first)
    re.compile(r"(?<![\d.])(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>(?:19|20)\d\d)(?!\d)"),
    # 二〇一八年九月二十日
    re.compile(
        rf"(?P<y>[{_CN_NUMBER}]{{4}})年(?P<m>[{_CN_NUMBER}]{{1,2}})月(?P<d>[{_CN_NUMBER}]{{1,3}})日"
    ),
]
_TIME = r"(?:\s*\d{1,2}[:：]\d{2}(?:[:：]\d{2})?)?"
_DATE_LABEL = r"(?:(?:发布|发表|更新|刊发|印发)?(?:时间|日期)\s*[：:]\s*)?"


def cn_number(text: str) -> int | None:
    """一 -> 1, 十二 -> 12, 二十 -> 20, 二〇一八 -> 2018 (digit by digit); digits as is."""
    if text.isdigit():
        return int(text)
    if "十" not in text:
        digits = [_CN_DIGITS.get(c) for c in text]
        return None if None in digits else int("".join(str(d) for d in digits))
    tens, _, ones = text.partition("十")
    high = _CN_DIGITS.get(tens, None) if tens else 1
    low = _CN_DIGITS.get(ones, None) if ones else 0
    return None if high is None or low is None else high * 10 + low


def find_date(text: str) -> tuple[dt.date, str] | None:
    """The first real date written in ``text``, and how it was written."""
    for pattern in _DATE_RES:
        for match in pattern.finditer(text):
            numbers = [cn_number(match.group(k)) for k in ("y", "m", "d")]
            if None in numbers:
                continue
            try:
                return dt.date(*numbers), match.group(0)  # type: ignore[arg-type]
            except ValueError:
                continue
    return None


def date_line(text: str) -> dt.date | None:
    """The date of a paragraph that is only a date (and a time, or a label such as 发布
    时间：): a dateline."""
    found = find_date(text)
    if found is None:
        return None
    rest = text.replace(found[1], "", 1)
    rest = re.sub(rf"^\s*{_DATE_LABEL}|{_TIME}|\s|[（()）]", "", rest)
    return found[0] if not rest else None


@dataclass(frozen=True)
class Byline:
    """What a reporter or source line says; ``rest`` is the paragraph without it."""

    source: str = ""
    author: str = ""
    date: dt.date | None = None
    rest: str = ""


#: 青海新闻网讯（本网记者 樊永涛 通讯员 西组宣 报道）, 本报讯（记者 张三）
_NEWS_RE = re.compile(r"^(?P<source>[^\s（(，。]{1,16}?)讯\s*[（(](?P<who>[^）)]{2,60})[）)]\s*")
#: 新华社北京9月20日电（记者 张三）
_WIRE_RE = re.compile(
    r"^(?P<source>新华社|中新社|中新网|人民网|央视网|新华网)\S{0,8}?\d{1,2}月\d{1,2}日电\s*"
    r"(?:[（(](?P<who>[^）)]{2,60})[）)])?\s*"
)
_OWN_PAPER = ("本报", "本网", "本刊", "本台", "本站")
_LABELS = {
    "source": r"(?:来源|来稿单位|供稿单位|稿件来源|信息来源|出处)",
    "author": r"(?:作者|撰稿|撰稿人|执笔|执笔人|记者|通讯员|文|文图|图文)",
    "skip": r"(?:编辑|责任编辑|责编|校对|审核|审校|签发|审稿|浏览次数|阅读|点击|字号)",
}
_LABEL_RE = re.compile(
    r"[【\[（(]?\s*(?P<label>"
    + "|".join(f"(?P<{k}>{v})" for k, v in _LABELS.items())
    + r")\s*[：:]\s*(?P<value>[^【\[（()）\]】：:]*?)\s*[】\]）)]?(?=\s|$|[【\[（(]|"
    + "|".join(_LABELS.values())
    + ")"
)
_SUPPLIED_RE = re.compile(
    r"^[（(]\s*(?P<source>[^（()）]{2,30}?)\s*(?:供稿|供稿单位|报送|提供)\s*[）)]$"
)
_AUTHOR_UNIT_RE = re.compile(r"^[（(]\s*作者单位\s*[：:]\s*(?P<source>[^（()）]{2,30})\s*[）)]$")


#: A line that only names reporters: 本报记者 王明 通讯员 李华, （记者 张三 摄）
_REPORTERS_RE = re.compile(
    r"^[（(]?\s*(?P<who>(?:(?:本报|本网|本刊|本台)?(?:特约)?(?:记者|通讯员)\s*[^\s（()）：:，。]{2,4}\s*)+)"
    r"(?:报道|摄|采写)?\s*[）)]?$"
)


def byline(text: str) -> Byline | None:
    """A reporter line at the start of a paragraph (青海新闻网讯（本网记者 …）…), or a line
    naming only reporters."""
    alone = _REPORTERS_RE.match(text) if len(text) <= 40 else None
    if alone:
        return Byline(author=re.sub(r"\s+", " ", alone.group("who")).strip())
    for pattern in (_NEWS_RE, _WIRE_RE):
        match = pattern.match(text)
        if match:
            source = match.group("source")
            who = match.groupdict().get("who") or ""
            who = re.sub(r"\s*(?:报道|报导|摄影?|采写)\s*$", "", who).strip()
            return Byline(
                source="" if source in _OWN_PAPER else source,
                author=re.sub(r"\s+", " ", who),
                rest=text[match.end() :].strip(),
            )
    return None


def label_line(text: str) -> Byline | None:
    """A paragraph made only of labelled parts: 来源：X 作者：Y 发布时间：2018-09-20."""
    source = ""
    authors: list[str] = []
    date = None
    rest = text
    for match in _LABEL_RE.finditer(text):
        value = match.group("value").strip()
        if match.group("source") and value:
            source = source or value
        elif match.group("author") and value:
            label = match.group("label")
            authors.append(f"{label} {value}" if label in ("记者", "通讯员") else value)
        rest = rest.replace(match.group(0), " ", 1)
    author = " ".join(authors)
    found = find_date(rest)
    if found:
        date = found[0]
        rest = rest.replace(found[1], " ", 1)
    rest = re.sub(rf"{_DATE_LABEL}|{_TIME}|[\s|｜/]", "", rest)
    if rest or not (source or author or date):
        return None
    return Byline(source, author, date)


def supplied_line(text: str) -> str:
    """The unit of a （XX供稿） or （作者单位：XX） line, else ''."""
    match = _SUPPLIED_RE.match(text) or _AUTHOR_UNIT_RE.match(text)
    return match.group("source").strip() if match else ""


_UNIT_ENDINGS = (
    "委",
    "部",
    "局",
    "办",
    "办公室",
    "组",
    "会",
    "中心",
    "政府",
    "党组",
    "党委",
    "支部",
    "街道",
    "乡",
    "镇",
    "区",
    "县",
    "市",
    "旗",
    "处",
    "科",
    "院",
    "所",
    "站",
    "队",
)


def is_unit_name(text: str) -> bool:
    """A short line naming an office (中共某县委组织部): a report's signature."""
    return (
        2 <= len(text) <= 30
        and text.endswith(_UNIT_ENDINGS)
        and not re.search(r"[，。；！？、：:,.!?;“”‘’《》\"]", text)
    )
