"""Planning every file, writing them (all or nothing), and the report.

Nothing is written when any input cannot be imported or any file it would write exists
(unless ``force``), nor in a dry run. Files are first written beside their place, then
renamed into it; a failure removes what this run wrote.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bulletin.importer.places import Divisions
from bulletin.importer.plan import DOCX, FilePlan, Options, PlannedFile, plan_file
from bulletin.importer.slugging import Existing
from bulletin.problems import Problem

EXIT_OK, EXIT_NOTHING, EXIT_WRITE = 0, 1, 3


@dataclass(frozen=True)
class Report:
    plans: tuple[FilePlan, ...]
    dry_run: bool
    force: bool
    written: tuple[Path, ...] = ()
    refused: tuple[Path, ...] = ()  # exist, and --force was not given
    write_error: Problem | None = None  # the output could not be written

    @property
    def problems(self) -> list[Problem]:
        """Why nothing was written, as ``path:line: message``."""
        found = [Problem(p.source, p.error_line, p.error) for p in self.plans if p.error]
        found += [
            Problem(
                str(path), 0, "exists (imported before?): nothing was written; --force replaces it"
            )
            for path in self.refused
        ]
        if self.write_error:
            found.append(self.write_error)
        return found

    @property
    def status(self) -> int:
        if self.write_error:
            return EXIT_WRITE
        if self.problems or not any(p.files for p in self.plans):
            return EXIT_NOTHING
        return EXIT_OK


def import_files(paths: Sequence[Path], options: Options, dry_run: bool, force: bool) -> Report:
    """Plan every file, then write them all unless something stops the run."""
    divisions = Divisions.load()
    existing = Existing.scan(options.content)
    plans = tuple(plan_file(path, options, divisions, existing) for path in paths)
    files = [f for plan in plans for f in plan.files]
    refused = tuple(f.path for f in files if (f.exists or f.path.exists()) and not force)
    report = Report(plans, dry_run, force, refused=refused)
    if dry_run or report.problems or not files:
        return report
    try:
        written = write_all(files)
    except OSError as exc:
        where = str(exc.filename or options.content)
        problem = Problem(where, 0, f"cannot write ({exc.strerror or exc}): nothing was written")
        return Report(plans, dry_run, force, write_error=problem)
    return Report(plans, dry_run, force, written=tuple(written))


def write_all(files: list[PlannedFile]) -> list[Path]:
    """Write each file beside its place, then rename them all into place; on failure or
    interruption, remove what was written and put back what ``--force`` replaced."""
    staged: list[tuple[Path, Path]] = []
    placed: list[Path] = []
    kept: list[tuple[Path, Path]] = []  # (the replaced file's old text, its place)
    made: list[Path] = []  # folders this run made, outermost first
    try:
        for planned in files:
            folder = planned.path.parent
            made += reversed([p for p in (folder, *folder.parents) if not p.exists()])
            folder.mkdir(parents=True, exist_ok=True)
            temporary = planned.path.with_name(f".{planned.path.name}.importing")
            staged.append((temporary, planned.path))  # before writing: a full disk leaves it
            temporary.write_text(planned.text, encoding="utf-8")
        for temporary, path in staged:
            if path.is_file():
                kept.append((_keep(path), path))
            os.replace(temporary, path)
            placed.append(path)
    except BaseException:  # a full disk, or Ctrl-C/SIGTERM between two files
        _undo(staged, placed, kept, made)
        raise
    for old, _ in kept:
        old.unlink(missing_ok=True)
    return placed


def _keep(path: Path) -> Path:
    """A second name for ``path``'s current file (a hard link: no copy), kept until the
    run has placed every file."""
    old = path.with_name(f".{path.name}.replaced")
    old.unlink(missing_ok=True)
    try:
        os.link(path, old)
    except OSError:  # a file system without hard links
        shutil.copy2(path, old)
    return old


def _undo(
    staged: list[tuple[Path, Path]],
    placed: list[Path],
    kept: list[tuple[Path, Path]],
    made: list[Path],
) -> None:
    for temporary, _ in staged:
        temporary.unlink(missing_ok=True)
    for path in placed:
        path.unlink(missing_ok=True)
    for old, path in kept:
        os.replace(old, path)
    for folder in reversed(made):
        with contextlib.suppress(OSError):
            folder.rmdir()


# --- the report ---------------------------------------------------------------------


def text_report(report: Report) -> str:
    lines: list[str] = []
    for plan in report.plans:
        if plan.error:
            continue
        lines.append(f"{plan.source} ({plan.encoding}): {plan.layout}")
        for planned in plan.files:
            lines.append(f"  {_verb(report, planned)} {planned.path}  {_describe(planned)}")
        for subject, guess in plan.guesses:
            lines.append(f"  guessed: {subject}: {guess.field} {guess.value} ({guess.why})")
        where = "paragraph" if plan.encoding == DOCX else "line"
        for removed in plan.removed:
            lines.append(
                f"  removed: {where} {removed.line}: {removed.what}: {_excerpt(removed.text)}"
            )
        for cleaned in plan.cleaned:
            lines.append(f"  cleaned: {cleaned}")
        for note in plan.notes:
            lines.append(f"  note: {note}")
        for undecided in plan.undecided:
            lines.append(f"  could not decide: {undecided}")
    lines.append(_summary(report))
    return "\n".join(lines)


def _verb(report: Report, planned: PlannedFile) -> str:
    if planned.path in report.refused:
        return "exists, not replaced:"
    if report.written:
        return "wrote"
    return "would write" if report.dry_run or report.status == EXIT_OK else "not written:"


def _describe(planned: PlannedFile) -> str:
    values = dict(planned.fields)
    if planned.kind == "issue":
        return f"issue {values['title']}, {values['date']}, {len(values['articles'])} articles"
    place = "、".join(v for v in (values.get("city"), values.get("province")) if v)
    where = f"{values['county']} ({place})" if place else values["county"]
    slogans = "、".join(values["slogans"]) or "none"
    draft = "; draft" if values.get("draft") else ""
    facts = f"{values['theme']}; {values['date']}; slogans {slogans}{draft}"
    return f"{where}: {values['title']} [{facts}]"


def _excerpt(text: str, length: int = 40) -> str:
    text = " ".join(text.split())
    return f"“{text[:length]}…”" if len(text) > length else f"“{text}”"


def _summary(report: Report) -> str:
    count = sum(len(p.files) for p in report.plans)
    inputs = sum(1 for p in report.plans if not p.error)
    if report.status == EXIT_OK and report.dry_run:
        return (
            f"dry run: {count} file(s) planned from {inputs} bulletin file(s); nothing was written"
        )
    if report.status == EXIT_OK:
        return f"imported {count} file(s) from {inputs} bulletin file(s)"
    return "nothing was written"


def json_report(report: Report) -> str:
    def file_entry(planned: PlannedFile) -> dict[str, Any]:
        values = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in planned.fields}
        return {
            "path": str(planned.path),
            "kind": planned.kind,
            "slug": planned.slug,
            "exists": planned.exists or planned.path in report.refused,
            "front_matter": values,
        }

    document = {
        "ok": report.status == EXIT_OK,
        "dry_run": report.dry_run,
        "written": [str(p) for p in report.written],
        "errors": [p.as_dict() for p in report.problems],
        "sources": [
            {
                "source": plan.source,
                "encoding": plan.encoding,
                "layout": plan.layout,
                "files": [file_entry(f) for f in plan.files],
                "guesses": [
                    {"subject": s, "field": g.field, "value": g.value, "why": g.why}
                    for s, g in plan.guesses
                ],
                "removed": [{"line": r.line, "what": r.what, "text": r.text} for r in plan.removed],
                "cleaned": list(plan.cleaned),
                "notes": list(plan.notes),
                "undecided": list(plan.undecided),
                "error": plan.error,
            }
            for plan in report.plans
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2)
