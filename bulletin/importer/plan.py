"""From a bulletin file to the files it becomes (pure: nothing is written here)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bulletin.importer import fields
from bulletin.importer.body import front_matter, markdown_body
from bulletin.importer.cleaning import Removed, clean
from bulletin.importer.fields import Guess, Located
from bulletin.importer.places import Divisions
from bulletin.importer.reading import Source, Unreadable, read_source
from bulletin.importer.slugging import Existing, article_slug, issue_slug
from bulletin.importer.structure import Layout, Masthead, Part, is_note, lay_out
from bulletin.slogans import method_slogans

UNDECIDED_COUNTY = "待定"
DOCX = "Word (.docx)"  # what the report names in place of a text file's encoding


@dataclass(frozen=True)
class Options:
    content: Path
    date: dt.date | None = None
    theme: str | None = None


@dataclass(frozen=True)
class PlannedFile:
    path: Path
    kind: str  # "issue" or "article"
    slug: str
    text: str
    fields: tuple[tuple[str, Any], ...]  # the front matter, for the report
    exists: bool = False  # the same file was imported before: refused without --force


@dataclass(frozen=True)
class FilePlan:
    """What one input file becomes, and everything the report says about it."""

    source: str
    encoding: str = ""
    layout: str = ""
    files: tuple[PlannedFile, ...] = ()
    guesses: tuple[tuple[str, Guess], ...] = ()  # (which article, guess)
    removed: tuple[Removed, ...] = ()
    cleaned: tuple[str, ...] = ()
    undecided: tuple[str, ...] = ()
    error: str = ""  # why nothing of this file can be imported
    error_line: int = 0
    notes: tuple[str, ...] = field(default=())


def plan_file(path: Path, options: Options, divisions: Divisions, existing: Existing) -> FilePlan:
    """The plan for one file; ``existing`` is updated with the slugs it takes."""
    try:
        source = read_source(path)
    except Unreadable as exc:
        return FilePlan(str(path), error=str(exc), error_line=exc.line)
    cleaned = clean(source.blocks)
    layout = lay_out(cleaned.blocks, divisions, cleaned.removed)
    removed = tuple(cleaned.removed) + layout.removed
    base = FilePlan(
        str(path),
        source.encoding or DOCX,
        "; ".join(layout.remarks) or "one article",
        removed=tuple(sorted(removed, key=lambda r: r.line)),
        cleaned=tuple(cleaned.cleaned.lines()),
        notes=source.notes,
    )
    if not any(part.blocks for part in layout.parts):
        return replace(base, error="no text to import was found in it")
    planner = _Planner(source, layout, options, divisions, existing)
    try:
        files = planner.files()
    except _NoDate as exc:
        return replace(base, error=str(exc), undecided=tuple(planner.undecided))
    return replace(
        base,
        files=tuple(files),
        guesses=tuple(planner.guesses),
        undecided=tuple([*layout.undecided, *planner.undecided]),
    )


class _NoDate(Exception):
    pass


class _Planner:
    """Front matter and bodies for the parts of one file's layout."""

    def __init__(
        self,
        source: Source,
        layout: Layout,
        options: Options,
        divisions: Divisions,
        existing: Existing,
    ) -> None:
        self.source, self.layout, self.options = source, layout, options
        self.divisions, self.existing = divisions, existing
        self.footnotes = dict(source.footnotes)
        self.guesses: list[tuple[str, Guess]] = []
        self.undecided: list[str] = []

    def files(self) -> list[PlannedFile]:
        if self.layout.kind == "issue":
            return self._issue()
        part = self.layout.parts[0]
        return [self._article(part, self._single_place(part), self.layout.masthead)]

    # --- an issue ---------------------------------------------------------------------

    def _issue(self) -> list[PlannedFile]:
        layout, masthead = self.layout, self.layout.masthead
        mentioned = [m.written for b in layout.note for m in self.divisions.mentions(b.text)]
        votes = fields.city_context([p.county for p in layout.parts] + mentioned, self.divisions)
        city = fields.dominant_city(votes)
        dated = [p.byline.date for p in layout.parts if p.byline.date]
        date = self._date(masthead.date or max(dated, default=None), "the issue")
        if not self.options.date:
            why = "from the masthead" if masthead.date else "the latest of its sections' dates"
            self.guesses.append(("the issue", Guess("date", date.isoformat(), why)))
        articles = []
        for part in layout.parts:
            located = fields.locate(part.county, self.divisions, city, shared=True)
            articles.append(self._article(part, located, masthead, date))
        number = masthead.number
        year = masthead.year or date.year
        title = (
            f"{year}年第{number}期"
            if number
            else (masthead.name or f"{date:%Y}年{date.month}月{date.day}日")
        )
        if not number:
            self.undecided.append("the issue's number (no 第N期 line in the masthead): left out")
        slug, path, exists = issue_slug(self.existing, year, number, date, title)
        front: dict[str, Any] = {"title": title}
        if number:
            front["number"] = number
        front["date"] = date
        front["articles"] = [a.slug for a in articles]
        note = markdown_body(layout.note, self.footnotes)
        text = front_matter(front) + note
        issue = PlannedFile(path, "issue", slug, text, tuple(front.items()), exists)
        return [issue, *articles]

    # --- an article -------------------------------------------------------------------

    def _single_place(self, part: Part) -> Located:
        text = "\n".join(b.text for b in part.blocks)
        found = fields.main_place(part.headline, text, self.divisions)
        if found is None:
            self.undecided.append(
                f"the county: no county-level name found; written as '{UNDECIDED_COUNTY}' in a "
                "draft: set 'county' and remove 'draft: true'"
            )
            return Located(UNDECIDED_COUNTY)
        written, why = found
        names = [m.written for m in self.divisions.mentions(text)]
        city = fields.dominant_city(fields.city_context(names, self.divisions))
        located = fields.locate(written, self.divisions, city)
        if located.guess is None:
            self.guesses.append((located.county, Guess("county", located.county, why)))
        return located

    def _article(
        self,
        part: Part,
        located: Located,
        masthead: Masthead,
        issue_date: dt.date | None = None,
    ) -> PlannedFile:
        county = located.county
        label = county
        if located.guess:
            self.guesses.append((label, located.guess))
        if located.undecided:
            self.undecided.append(located.undecided)
        level = self._section_level(part)
        body = markdown_body(part.blocks, self.footnotes, level)
        named = part.county if part.county and not part.county.startswith("市") else county
        title = part.headline
        if title and part.county and named not in title:
            title = f"{named}：{title}"  # a section's headline, as a list shows it
        elif not title:
            paragraphs = (
                b
                for b in part.blocks
                if b.kind == "para" and not is_note(b) and b.text.strip() not in (named, county)
            )
            first = next((b.text for b in paragraphs), "")
            title = fields.lead_title(named, first)
            self.guesses.append((label, Guess("title", title, "from the section's lead")))
        date = self._article_date(label, part, masthead, issue_date)
        theme = self._theme(label, title, body)
        front: dict[str, Any] = {"title": title, "county": county}
        if located.city:
            front["city"] = located.city
        if located.province:
            front["province"] = located.province
        slogans = method_slogans(body, self.existing.slogans)
        front.update(theme=theme, slogans=slogans, date=date)
        source = part.byline.source or masthead.name or masthead.publisher
        if source:
            front["source"] = source
        if part.byline.author:
            front["author"] = part.byline.author
        if county == UNDECIDED_COUNTY:
            front["draft"] = True
        slug, path, exists = article_slug(self.existing, county, title, front["slogans"], date)
        text = front_matter(front) + body
        return PlannedFile(path, "article", slug, text, tuple(front.items()), exists)

    def _section_level(self, part: Part) -> int:
        """The heading level of the section's own heading (a .docx issue), else 0."""
        if self.layout.kind != "issue":
            return 1
        heading = next((b for b in self.source.blocks if b.line == part.line), None)
        return heading.level if heading is not None and heading.kind == "heading" else 1

    def _article_date(
        self, label: str, part: Part, masthead: Masthead, issue_date: dt.date | None
    ) -> dt.date:
        if self.options.date:
            return self.options.date
        if part.byline.date:
            why = "from its dateline or signature"
        elif issue_date:
            return issue_date
        else:
            why = "from the masthead"
        date = self._date(part.byline.date or masthead.date, label)
        self.guesses.append((label, Guess("date", date.isoformat(), why)))
        return date

    def _date(self, date: dt.date | None, what: str) -> dt.date:
        if self.options.date:
            return self.options.date
        if date is None:
            raise _NoDate(
                f"no date found for {what} (no masthead date, dateline or signature): "
                "give one with --date YYYY-MM-DD"
            )
        return date

    def _theme(self, label: str, title: str, body: str) -> str:
        if self.options.theme:
            return self.options.theme
        theme, why = fields.guess_theme(title, body)
        self.guesses.append((label, Guess("theme", theme, why)))
        return theme
