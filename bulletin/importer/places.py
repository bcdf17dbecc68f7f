"""China's county-level divisions (shipped as bulletin/data/divisions.csv): which city and
province a county name belongs to, and where names occur in a text."""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources

#: The 55 minority nationalities as they appear in the names of autonomous areas; an
#: autonomous county is commonly written without them (海西蒙古族藏族自治州 -> 海西州).
NATIONALITIES = [
    "蒙古",
    "回",
    "藏",
    "维吾尔",
    "苗",
    "彝",
    "壮",
    "布依",
    "朝鲜",
    "满",
    "侗",
    "瑶",
    "白",
    "土家",
    "哈尼",
    "哈萨克",
    "傣",
    "黎",
    "傈僳",
    "佤",
    "畲",
    "高山",
    "拉祜",
    "水",
    "东乡",
    "纳西",
    "景颇",
    "柯尔克孜",
    "土",
    "达斡尔",
    "仫佬",
    "羌",
    "布朗",
    "撒拉",
    "毛南",
    "仡佬",
    "锡伯",
    "阿昌",
    "普米",
    "塔吉克",
    "怒",
    "乌孜别克",
    "俄罗斯",
    "鄂温克",
    "德昂",
    "保安",
    "裕固",
    "京",
    "塔塔尔",
    "独龙",
    "鄂伦春",
    "赫哲",
    "门巴",
    "珞巴",
    "基诺",
]
_AUTONOMOUS_RE = re.compile(
    "^(.+?)(?:(?:" + "|".join(sorted(NATIONALITIES, key=len, reverse=True)) + ")族)+自治([州县旗])$"
)
#: The last character of every division name; names are looked for where one occurs.
NAME_ENDINGS = frozenset("县区市旗州盟会")
#: Names shorter than this are too common as words (城区, 新县, 和县) to be looked for in
#: running text; they are still recognised alone, as a heading.
MIN_SCANNED_LENGTH = 3
LONGEST_NAME = 16


@dataclass(frozen=True)
class Place:
    """A division: ``county`` is its name for county level, or the city's own name for a
    prefecture (``level`` "city")."""

    county: str
    city: str
    province: str
    level: str  # "county" or "city"


@dataclass(frozen=True)
class Mention:
    start: int
    written: str
    places: tuple[Place, ...]


class Divisions:
    """Names (official and common short forms) to the places they may mean."""

    def __init__(self, places: list[Place], aliases: list[tuple[str, Place]]) -> None:
        by_name: dict[str, list[Place]] = defaultdict(list)
        for place in places:
            by_name[place.county].append(place)
            short = short_name(place.county)
            if short != place.county:
                by_name[short].append(place)
        for alias, place in aliases:
            if place not in by_name[alias]:
                by_name[alias].append(place)
        self._by_name = {name: tuple(found) for name, found in by_name.items()}

    @classmethod
    def load(cls) -> Divisions:
        data = resources.files("bulletin") / "data"
        with (data / "divisions.csv").open(encoding="utf-8") as handle:
            places = [
                _place(row["province"], row["city"], row["county"])
                for row in csv.DictReader(handle)
            ]
        with (data / "division_aliases.csv").open(encoding="utf-8") as handle:
            aliases = [
                (row["alias"], _place(row["province"], row["city"], row["county"]))
                for row in csv.DictReader(handle)
            ]
        return cls(places, aliases)

    def lookup(self, name: str) -> tuple[Place, ...]:
        """Every place ``name`` may mean (none when it names no division)."""
        return self._by_name.get(name, ())

    def leading(self, text: str) -> Mention | None:
        """The longest division name that ``text`` starts with."""
        for end in range(min(len(text), LONGEST_NAME), 1, -1):
            places = self._by_name.get(text[:end])
            if places:
                return Mention(0, text[:end], places)
        return None

    def mentions(self, text: str) -> Iterator[Mention]:
        """Division names in running text, longest first at each place, left to right."""
        index = 0
        while index < len(text):
            found = self._ending_at_or_after(text, index)
            if found is None:
                return
            yield found
            index = found.start + len(found.written)

    def _ending_at_or_after(self, text: str, index: int) -> Mention | None:
        for end in range(index + MIN_SCANNED_LENGTH - 1, len(text)):
            if text[end] not in NAME_ENDINGS:
                continue
            for start in range(max(index, end + 1 - LONGEST_NAME), end + 2 - MIN_SCANNED_LENGTH):
                places = self._by_name.get(text[start : end + 1])
                if places:
                    return Mention(start, text[start : end + 1], places)
        return None


def _place(province: str, city: str, county: str) -> Place:
    if county:
        return Place(county, city, province, "county")
    if city.endswith(("县", "林区")):  # a county-level place directly under its province
        return Place(city, "", province, "county")
    return Place(city, city, province, "city")


def short_name(name: str) -> str:
    """The name as commonly written: 海西蒙古族藏族自治州 -> 海西州; others unchanged."""
    match = _AUTONOMOUS_RE.match(name)
    return match.group(1) + match.group(2) if match else name
