"""Front matter from the text: county, city and province (the divisions table, where the
name is unambiguous), title, theme (a keyword table), slogans (the lint's definition),
date, source and author. What is guessed, or could not be decided, is said."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from bulletin.importer.cleaning import display_width
from bulletin.importer.places import Divisions, Place
from bulletin.importer.structure import _ANONYMOUS_RE, ZONE_WORDS

#: Theme -> words that show a report is about it. A report takes the theme whose words
#: cover most of its text (a word in the title counts three times), when they cover at
#: least MIN_THEME_SHARE of its characters; otherwise the general theme, DEFAULT_THEME.
#: (Of the eight county sections of a city's 2016 issue, one is about poverty relief with
#: its words at 4.9 %; the others, general Party-building reports, stay below 2 %.)
THEMES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("脱贫攻坚", ("脱贫", "扶贫", "贫困")),
    ("村级集体经济", ("集体经济", "集体收入", "合作社")),
    ("社区治理", ("社区", "网格", "物业", "小区")),
    ("非公党建", ("非公", "两新", "园区", "商圈", "楼宇", "企业党")),
    (
        "党员教育管理",
        ("党员教育", "学习教育", "积分管理", "党员管理", "主题党日", "党性教育", "三会一课"),
    ),
    ("阵地建设", ("阵地", "活动场所", "党群服务中心")),
    ("干部队伍建设", ("村干部", "干部队伍", "第一书记", "后备干部")),
    ("乡村振兴", ("乡村振兴", "产业振兴", "组织振兴")),
)
DEFAULT_THEME = "基层党建"
MIN_THEME_SHARE = 0.025
_TIME_LEAD_RE = re.compile(
    r"^(?:今年以来|近年来|近年|近几年来|年初以来|去年以来|近期|近日|近来年?|目前|当前)[，,]?"
)
_QUOTE_RE = re.compile(r"“([^“”]{2,20})”")
_MASK_RE = re.compile(r"[*＊×XxＸ]+")


@dataclass(frozen=True)
class Guess:
    field: str
    value: str
    why: str


@dataclass(frozen=True)
class Located:
    county: str
    city: str = ""
    province: str = ""
    guess: Guess | None = None
    undecided: str = ""


def guess_theme(title: str, body: str) -> tuple[str, str]:
    """(theme, why) from the keyword table."""
    length = max(len(body) + 3 * len(title), 1)
    scores = []
    for theme, words in THEMES:
        counts = {w: body.count(w) + 3 * title.count(w) for w in words}
        covered = sum(len(w) * n for w, n in counts.items())
        scores.append((covered / length, theme, counts))
    share, theme, counts = max(scores, key=lambda item: item[0])
    if share < MIN_THEME_SHARE:
        return DEFAULT_THEME, "no theme's keywords are frequent enough: the general theme"
    said = ", ".join(f"{w}×{n}" for w, n in sorted(counts.items(), key=lambda i: -i[1]) if n)
    return theme, f"keywords {said}: {share:.1%} of the text"


def city_context(names: list[str], divisions: Divisions) -> Counter[Place]:
    """Votes for the city a set of county names and city mentions point to."""
    votes: Counter[Place] = Counter()
    for name in names:
        places = divisions.lookup(name)
        if len(places) != 1:
            continue
        place = places[0]
        city = place if place.level == "city" else _city_of(place, divisions)
        if city is not None:
            votes[city] += 1
    return votes


def _city_of(place: Place, divisions: Divisions) -> Place | None:
    return next((p for p in divisions.lookup(place.city) if p.level == "city"), None)


def dominant_city(votes: Counter[Place]) -> Place | None:
    """The city most votes point to, when it has two or more and no rival as many."""
    ranked = votes.most_common(2)
    if not ranked or ranked[0][1] < 2 or (len(ranked) > 1 and ranked[1][1] == ranked[0][1]):
        return None
    return ranked[0][0]


def locate(
    written: str, divisions: Divisions, context: Place | None, shared: bool = False
) -> Located:
    """County, city and province for a county name as written. ``context`` is the city
    the file's other places point to; ``shared``: the file's sections are all of that
    city (an issue), so a name the table places elsewhere is this city's own."""
    if _ANONYMOUS_RE.match(written):
        county = _MASK_RE.sub("某", written)
        return Located(
            county, guess=Guess("county", county, f"the text hides the name ({written})")
        )
    places = divisions.lookup(written)
    if context is not None and (shared or len(places) > 1):
        inside = tuple(p for p in places if p.city == context.county or p == context)
        if inside:
            places = inside
        elif places or written.endswith(ZONE_WORDS):
            return _in_context(written, places, context)
        else:
            why = (
                f"{written} is not in the divisions table; "
                f"the file's other places are in {context.county}"
            )
            return Located(
                written, context.county, context.province, Guess("city", context.county, why)
            )
    if len(places) == 1:
        return _place_fields(places[0])
    if places:
        cities = "、".join(sorted({p.city or p.province for p in places}))
        return Located(
            written, undecided=f"{written} is in several places ({cities}): city left out"
        )
    return Located(
        written, undecided=f"{written} is not in the divisions table: city and province left out"
    )


def _place_fields(place: Place) -> Located:
    if place.level == "city":
        return Located(place.county, "", place.province)
    return Located(place.county, place.city, place.province)


def _in_context(written: str, places: tuple[Place, ...], context: Place) -> Located:
    """A name of this file's city that the table does not place there (a zone such as
    经济技术开发区, or 西城区 when the table knows only Beijing's): the city's name is
    put before it, as a guess."""
    city = context.county
    local = written[1:] if written.startswith("市") and len(written) > 3 else written
    county = local if local.startswith(city.rstrip("市")) else city + local
    elsewhere = "、".join(sorted({p.city or p.province for p in places}))
    why = (
        f"the divisions table has {written} only in {elsewhere}, "
        if places
        else f"{written} is not in the divisions table; "
    ) + f"the file's other places are in {city}"
    return Located(county, city, context.province, Guess("county", county, why))


def main_place(title: str, text: str, divisions: Divisions) -> tuple[str, str] | None:
    """(name as written, why) of the place a single report is about: a name in its
    title, else the county-level name its text mentions most, else a city."""
    in_title = [m for m in divisions.mentions(title)]
    if in_title:
        return in_title[0].written, "named in the title"
    hidden = re.search(r"(?:[*＊×]{1,3}[省市州])?[*＊×]{1,3}[县区市旗]", text)
    counted: Counter[str] = Counter()
    first: dict[str, int] = {}
    levels: dict[str, str] = {}
    for mention in divisions.mentions(text):
        counted[mention.written] += 1
        first.setdefault(mention.written, mention.start)
        levels[mention.written] = mention.places[0].level
    if hidden and (not counted or text.count(hidden.group(0)) >= max(counted.values())):
        return hidden.group(0), "the text hides the name"
    for level in ("county", "city"):
        names = [n for n in counted if levels[n] == level]
        if names:
            best = max(names, key=lambda n: (counted[n], -first[n]))
            return best, "mentioned once" if counted[
                best
            ] == 1 else f"mentioned {counted[best]} times"
    return None


def lead_title(county: str, first_paragraph: str) -> str:
    """A title from a section's lead: “county：“its first quoted phrase””, else its
    first clause."""
    for match in _QUOTE_RE.finditer(first_paragraph[:200]):
        phrase = match.group(1)
        if not re.search(r"[。；！？，]", phrase):
            return f"{county}：“{phrase}”"
    text = _TIME_LEAD_RE.sub("", first_paragraph)
    for name in (county, county[:2]):
        if text.startswith(name):
            text = text[len(name) :]
            break
    clause = re.split(r"[，。；！？,]", text, maxsplit=1)[0].strip()
    if display_width(clause) > 24:
        clause = clause[:24] + "…"
    return f"{county}：{clause}" if clause else county
