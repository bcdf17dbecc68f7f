"""The index's fields and analyzers.

Whoosh pickles the analyzer objects into the index's TOC, so the analyzer class lives
here, importable as ``search.whoosh.schema.BigramAnalyzer`` (moving it is a change of
:data:`search.layout.INDEX_FORMAT`).
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable, Iterator
from typing import Any

from whoosh import columns, fields
from whoosh.analysis import Composable, Token
from whoosh.system import pack_uint

from search.analysis import RUN_END, Normaliser, gram_positions, grams, iter_runs, positioned

#: Text fields searched for a literal, with their BM25F weights (title, slogans above body).
TEXT_FIELDS: dict[str, float] = {"title": 4.0, "slogans": 3.0, "body": 1.0}
#: The facets counted.
FACET_FIELDS: tuple[str, ...] = ("county", "theme")
#: The keyword fields a filter names, with the text of each (county, theme, slogan: by
#: name in either script; year as written).
NAMED_FIELDS: tuple[str, ...] = ("county", "theme", "slogan")


class BigramAnalyzer(Composable):
    """Overlapping bigrams of units: any string of >= 2 units is a phrase of them. The
    last unit of a run also gives a run-end term (unit + line break), so that a unit
    occurs iff some term starts with it: one unit is found by those terms.

    The normaliser is not pickled (it holds an OpenCC object); it is rebuilt lazily from
    ``extra_pairs`` and ``fold`` (the base fold table), which are, so an index carries
    its own normalisation and opening it does not rebuild the fold table (~0.5 s)."""

    def __init__(
        self, extra_pairs: Iterable[tuple[str, str]] = (), fold: dict[int, str] | None = None
    ) -> None:
        self.extra_pairs: tuple[tuple[str, str], ...] = tuple(sorted(set(extra_pairs)))
        self.fold = fold
        self._normaliser: Normaliser | None = None

    @property
    def normaliser(self) -> Normaliser:
        if self._normaliser is None:
            self._normaliser = Normaliser(self.extra_pairs, fold=self.fold)
        return self._normaliser

    def use(self, normaliser: Normaliser) -> None:
        """Share an already-built normaliser (built with the same extra pairs)."""
        self._normaliser = normaliser

    def __getstate__(self) -> dict[str, object]:
        return {"extra_pairs": self.extra_pairs, "fold": self.fold}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.extra_pairs = tuple(tuple(p) for p in state.get("extra_pairs", ()))  # type: ignore[misc]
        self.fold = state.get("fold")
        self._normaliser = None

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, BigramAnalyzer)
            and self.extra_pairs == other.extra_pairs
            and self.fold == other.fold
        )

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.extra_pairs))

    def __call__(  # Whoosh's analyzer signature
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        norm, offsets = self.normaliser.normalise_with_offsets(value)
        for run in iter_runs(norm, offsets, len(value)):
            for text, pos, start, end in grams(run):
                token.text, token.boost, token.stopped = text, 1.0, False
                if keeporiginal:
                    token.original = text
                if positions:
                    token.pos = start_pos + pos
                if chars:
                    token.startchar, token.endchar = start_char + start, start_char + end
                yield token


def encode_positions(positions: list[int]) -> bytes:
    """Exactly ``whoosh.formats.Positions.encode``: the count, then the pickled deltas."""
    deltas = [b - a for a, b in zip([0, *positions], positions, strict=False)]
    return pack_uint(len(deltas)) + pickle.dumps(deltas, 2)


def exact_length(normalised: str) -> int:
    """A field's length (its term occurrences: one per unit) from its normalised text."""
    text = positioned(normalised)
    return len(text) - text.count(RUN_END)


class GramField(fields.TEXT):
    """A TEXT field of unit bigrams with positions (:class:`BigramAnalyzer`), whose
    postings are computed directly from the normalised string: the same terms,
    frequencies, weights and encoded positions as the analyzer and Whoosh's
    ``Positions`` format give, without a Token object per bigram.

    Its column holds each document's exact length: Whoosh keeps a byte's approximation
    per document and only the segment's total, so without it the statistics over the
    documents not deleted (see :mod:`search.whoosh.evaluate`) could not be exact."""

    def __init__(self, analyzer: BigramAnalyzer, stored: bool, field_boost: float) -> None:
        column = columns.NumericColumn("I", default=0)
        super().__init__(
            analyzer=analyzer, phrase=True, stored=stored, field_boost=field_boost, sortable=column
        )

    def to_column_value(self, value: Any) -> int:
        return exact_length(self.analyzer.normaliser.normalise(value)) if value else 0

    def from_column_value(self, value: Any) -> int:
        return int(value)

    def index(self, value: Any, **kwargs: Any) -> Iterator[tuple[bytes, int, float, bytes]]:
        if not isinstance(value, str):
            yield from super().index(value, **kwargs)
            return
        boost = self.format.field_boost
        for gram, positions in gram_positions(self.analyzer.normaliser.normalise(value)).items():
            freq = len(positions)
            yield gram.encode("utf-8"), freq, float(freq) * boost, encode_positions(positions)


def make_schema(
    extra_pairs: Iterable[tuple[str, str]] = (), fold: dict[int, str] | None = None
) -> fields.Schema:
    """The index's schema; ``fold``: the base fold table to store with the analyzer."""
    bigram = BigramAnalyzer(extra_pairs, fold)
    text_fields = {
        name: GramField(bigram, stored=name in ("title", "body"), field_boost=boost)
        for name, boost in TEXT_FIELDS.items()
    }
    return fields.Schema(
        # a column too: ties are broken by slug (a docnum changes with an update)
        slug=fields.ID(stored=True, unique=True, sortable=True),
        county=fields.ID(stored=True, sortable=True),
        theme=fields.ID(stored=True, sortable=True),
        slogan=fields.KEYWORD(commas=True, lowercase=False, scorable=False),
        tag=fields.KEYWORD(commas=True, lowercase=False, scorable=False),
        year=fields.ID(),
        issue=fields.ID(stored=True),
        date=fields.ID(stored=True),
        # -YYYYMMDD: ascending is newest first. (A reversed facet on the date text
        # makes Whoosh scan the list of all dates for every hit.)
        newest=fields.NUMERIC(int, bits=32, signed=True, sortable=True),
        display=fields.STORED(),
        **text_fields,
    )


def share_normaliser(schema: fields.Schema, normaliser: Normaliser) -> None:
    """Make every analyzer of ``schema`` use ``normaliser`` (one fold table per process)."""
    for name in TEXT_FIELDS:
        analyzer = schema[name].analyzer
        if (
            isinstance(analyzer, BigramAnalyzer)
            and analyzer.extra_pairs == normaliser.extra_pairs
            and (analyzer.fold is None or analyzer.fold == normaliser.base_fold)
        ):
            analyzer.use(normaliser)


def analyzer_of(schema: fields.Schema) -> BigramAnalyzer:
    """The analyzer of an index's text fields (one for all)."""
    analyzer = schema["body"].analyzer
    if not isinstance(analyzer, BigramAnalyzer):
        raise TypeError(f"not this search's index: {type(analyzer).__name__}")
    return analyzer
