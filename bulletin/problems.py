"""Problems found in content, reported as ``path:line: message``."""

from __future__ import annotations

import reprlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

Severity = Literal["error", "warning"]

_EXCERPT = reprlib.Repr()
_EXCERPT.maxlevel, _EXCERPT.maxlist, _EXCERPT.maxdict = 2, 4, 4
_EXCERPT.maxstring = _EXCERPT.maxother = _EXCERPT.maxlong = 40


def shorten(text: str, limit: int = 40) -> str:
    """``text`` cut to ``limit`` characters (with "…") and on one line, for a message."""
    text = text.replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def excerpt(value: Any) -> str:
    """A short, one-line quotation of a value for a message: never the whole of a long
    string or a large (or alias-expanded) structure."""
    return shorten(_EXCERPT.repr(value).replace("\n", "\\n"), 60)


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the content, at a file and line (1-based; 0: whole file)."""

    path: str
    line: int
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        prefix = "" if self.severity == "error" else "warning: "
        return f"{self.path}:{self.line}: {prefix}{self.message}"

    def as_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "line": self.line,
            "message": self.message,
            "severity": self.severity,
        }


class ContentError(Exception):
    """Raised when content has errors; carries every problem of the run."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s) in content")
        self.problems = sorted(problems)


class UsageError(Exception):
    """A command-line mistake (exit status 2), such as an output folder that is not ours."""


class OutputError(Exception):
    """The output could not be written (exit status 3): disk full, permission denied.
    Nothing was published."""

    def __init__(self, cause: OSError, output: Path) -> None:
        self.cause = cause
        where = cause.filename or output  # a write() names no file: the folder it fills
        reason = cause.strerror or str(cause) or type(cause).__name__
        super().__init__(f"{where}: could not write: {reason}")
