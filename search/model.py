"""A query and its answer as plain values: what :mod:`search.query` parses a reader's
words into, and what the engine (:mod:`search.whoosh`) answers. Nothing here knows
Whoosh, so another engine could answer the same queries."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Literal:
    """A string the text must contain verbatim (after normalisation)."""

    text: str


@dataclass(frozen=True, slots=True)
class Filter:
    """A keyword field equal to a value (county, theme, slogan, year...)."""

    field: str
    value: str


@dataclass(frozen=True, slots=True)
class AnyOf:
    """At least one of the clauses (``a OR b``)."""

    clauses: tuple[Literal | Filter, ...]


Clause = Literal | Filter | AnyOf


@dataclass(frozen=True, slots=True)
class Query:
    """Every clause of ``must`` and none of ``must_not``; no ``must``: every document."""

    must: tuple[Clause, ...] = ()
    must_not: tuple[Clause, ...] = ()

    def literals(self) -> list[str]:
        """The positive literals, for highlighting."""
        out: list[str] = []
        for clause in self.must:
            items = clause.clauses if isinstance(clause, AnyOf) else (clause,)
            out.extend(c.text for c in items if isinstance(c, Literal))
        return out


@dataclass(frozen=True, slots=True)
class Hit:
    """One result: the document's stored fields and its BM25F score."""

    stored: Mapping[str, Any]
    score: float


@dataclass(frozen=True, slots=True)
class Outcome:
    """A query's answer: the exact total, one page of hits, and the facet counts of
    every result. ``partial``: the time limit cut the evaluation short."""

    total: int
    hits: tuple[Hit, ...]
    facets: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    partial: bool = False
