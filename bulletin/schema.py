"""Checking a YAML mapping against a table of fields, collecting every problem."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bulletin.problems import Problem, excerpt, shorten
from bulletin.sources import YamlDoc

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
#: The years a bulletin's dates may fall in: a typo such as 0219 or 9019 would otherwise
#: give the overview a bar chart and a table of some 1,800-8,000 empty years (0001 and
#: 9999 made a 450 KB overview page).
YEARS = range(1900, 2100)


def _kind(value: Any) -> str:
    """The YAML name of a value's type, for messages."""
    if value is None:
        return "nothing (null)"
    names = {
        bool: "true/false",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a mapping",
    }
    return names.get(type(value), type(value).__name__)


def _text(value: Any) -> tuple[Any, str | None]:
    if isinstance(value, str) and value.strip():
        return value.strip(), None
    if isinstance(value, str):
        return None, "must not be empty"
    return None, f"must be a string, not {_kind(value)}"


def _optional_text(value: Any) -> tuple[Any, str | None]:
    if isinstance(value, str):
        return value.strip(), None
    return None, f"must be a string, not {_kind(value)}"


def _text_list(value: Any) -> tuple[Any, str | None]:
    if isinstance(value, str):
        example = shorten(value)
        return None, f"must be a list of strings, e.g. [{example}] (a bare string is not a list)"
    if not isinstance(value, list):
        return None, f"must be a list of strings, not {_kind(value)}"
    items: list[str] = []
    for item in value:
        if not isinstance(item, str) or not item.strip():
            return None, f"must be a list of non-empty strings; {excerpt(item)} is not one"
        if item.strip() not in items:
            items.append(item.strip())
    return tuple(items), None


def _date(value: Any) -> tuple[Any, str | None]:
    text = str(value).strip() if isinstance(value, str | int) else None
    if text is None or not DATE_RE.match(text):
        return None, f"must be a date written YYYY-MM-DD, not {excerpt(value)}"
    try:
        date = dt.date.fromisoformat(text)
    except ValueError as exc:
        return None, f"is not a real date: {text} ({exc})"
    if date.year not in YEARS:
        return None, f"is outside the years {YEARS[0]}-{YEARS[-1]}: {text} (a typo?)"
    return date, None


def _bool(value: Any) -> tuple[Any, str | None]:
    if isinstance(value, bool):
        return value, None
    return None, f"must be true or false, not {excerpt(value)}"


#: An issue's number or cumulative number past this is a typo (a weekly bulletin since
#: 1900 would be near 6,500).
MAX_WHOLE_NUMBER = 99_999


def _positive_int(value: Any) -> tuple[Any, str | None]:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        if value > MAX_WHOLE_NUMBER:
            return None, f"must be at most {MAX_WHOLE_NUMBER:,}, not {excerpt(value)} (a typo?)"
        return value, None
    return None, f"must be a whole number above 0, not {excerpt(value)}"


def _any(value: Any) -> tuple[Any, str | None]:
    return value, None


Checker = Callable[[Any], tuple[Any, "str | None"]]

CHECKERS: dict[str, Checker] = {
    "text": _text,
    "optional text": _optional_text,
    "text list": _text_list,
    "date": _date,
    "bool": _bool,
    "positive int": _positive_int,
    "any": _any,
}


@dataclass(frozen=True)
class Field:
    kind: str  # a key of CHECKERS
    required: bool = False


def check_fields(
    doc: YamlDoc, fields: dict[str, Field], display: str, what: str
) -> tuple[dict[str, Any], list[Problem]]:
    """Checked values of the known fields present in ``doc``, and every problem."""
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    for key, raw in doc.values.items():
        line = doc.key_lines.get(str(key), doc.start_line)
        field = fields.get(str(key))
        if field is None:
            close = difflib.get_close_matches(str(key)[:100], fields, n=1, cutoff=0.6)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            known = ", ".join(fields)
            name = shorten(str(key))
            problems.append(
                Problem(display, line, f"unknown key '{name}' in {what}{hint} (known: {known})")
            )
            continue
        if raw is None:  # `key:` with no value; a required one is reported below
            continue
        value, error = CHECKERS[field.kind](raw)
        if error is not None:
            problems.append(Problem(display, line, f"'{key}' {error}"))
        else:
            values[str(key)] = value
    for key, field in fields.items():
        if field.required and key not in doc.values:
            line = max(doc.start_line - 1, 1)  # the opening '---', or line 1 of a YAML file
            problems.append(Problem(display, line, f"missing required key '{key}' in {what}"))
        elif field.required and doc.values.get(key) is None:
            line = doc.key_lines.get(key, doc.start_line)
            problems.append(Problem(display, line, f"'{key}' must have a value"))
    return values, problems
