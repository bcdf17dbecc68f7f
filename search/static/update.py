"""Updating the static index where only some documents' content changed.

The caller names the documents that may have changed since the last write (and a key
for everything else their texts depend on: the site's converters). An edit changes a
few grams' records (the edited documents' postings in them), so only their shards
and big records, the edited documents' fragments, the document table, the shards'
names and the entry are written again; every other file keeps its (content-hashed) name. A
place is a run and an offset in it (:mod:`search.static.grams`), so an edit inside a
paragraph changes the records of that paragraph's grams only. The files are exactly
those a fresh write gives (``tests/search/test_static.py`` checks): the same records,
the same shard count, the same normalisation. Where that cannot be had cheaply (a
document added, removed or re-dated, a county, theme or slogan name added or gone, a
folding pair gained or lost, the shard count changed, another key), :func:`update`
answers None and the caller writes the index afresh.
"""

from __future__ import annotations

import gzip
import json
import os
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from search.analysis import Normaliser
from search.documents import SearchDocument
from search.scripts import Converter
from search.static import varint
from search.static.fragments import (
    SOURCE_VARIANT,
    all_fragments,
    lookup,
    read_fragment,
)
from search.static.grams import FIELDS, ORDERS, run_ids
from search.static.lengths import length_bytes
from search.static.pairs import pair_counts
from search.static.postings import Gram, Posting
from search.static.rewrite import Rewritten, count_references, rewrite_shards
from search.static.shards import count_for
from search.static.state import State
from search.static.writer import (
    ENTRY,
    STATE,
    Written,
    convert_documents,
    doc_table,
    field_texts,
    fragment_name,
    gz,
    keyword,
    make_entry,
    outside_candidates,
    own_texts,
    put,
    slogan_lists,
    store_fragment,
    store_shard_names,
    unit_count,
)

#: A document's grams: gram (as text) -> field -> posting.
DocGrams = dict[str, dict[int, Posting]]


def read(folder: Path, rel: str) -> bytes:
    return gzip.decompress((folder / rel).read_bytes())


@dataclass
class Previous:
    """The last write, as an update reads it."""

    folder: Path
    state: State
    entry: dict[str, Any]
    county_of: list[int]
    theme_of: list[int]
    lengths: list[list[int]]  # per field: each document's length byte
    digests: list[bytes]  # each document's fragment digest
    slogans: dict[int, list[int]]  # each slogan's documents

    @classmethod
    def read(cls, folder: Path) -> Previous | None:
        state = State.from_bytes((folder / STATE).read_bytes())
        if state is None:
            return None
        entry = json.loads((folder / ENTRY).read_text("utf-8"))
        n = len(state.slugs)
        table = read(folder, entry["doc_table"])
        values = varint.decode(table[: len(table) - 4 * n])
        tail = table[len(table) - 4 * n :]
        return cls(
            folder,
            state,
            entry,
            county_of=values[1 : 1 + n],
            theme_of=values[1 + n : 1 + 2 * n],
            lengths=[values[1 + (2 + f) * n : 1 + (3 + f) * n] for f in range(len(FIELDS))],
            digests=[tail[4 * d : 4 * d + 4] for d in range(n)],
            slogans=read_slogans(read(folder, entry["slogans"])),
        )

    def document(self, number: int, now: SearchDocument) -> SearchDocument:
        """Document ``number`` as the last write held it, from its fragment (``now``:
        the document as it is, for what the index does not keep)."""
        frag = read_fragment(read(self.folder, fragment_name(number, self.digests[number])))
        return SearchDocument(
            slug=frag["slug"],
            title=frag.get("indexed_title", frag["title"]),
            body=frag["body"],
            county=self.state.names["county"][self.county_of[number]],
            theme=self.state.names["theme"][self.theme_of[number]],
            date=frag["date"],
            slogans=tuple(frag["slogans"]),
            shown=now.shown,
        )


def read_slogans(data: bytes) -> dict[int, list[int]]:
    values = varint.decode(data)
    out: dict[int, list[int]] = {}
    at = 1
    for _ in range(values[0]):
        slogan, count = values[at], values[at + 1]
        docs, last = [], 0
        for step in values[at + 2 : at + 2 + count]:
            last += step
            docs.append(last)
        out[slogan] = docs
        at += 2 + count
    return out


def update(
    folder: Path,
    documents: Sequence[SearchDocument],
    changed: frozenset[str],
    variants: Sequence[str],
    converters: Mapping[str, Converter],
    key: str,
) -> tuple[Written, set[str]] | None:
    """The files that change (relative to ``folder``, the previous index) and the names
    of all files of the new index; None where a fresh write is needed. ``documents``:
    the documents of the slugs ``changed`` that are still published."""
    previous = Previous.read(folder)
    if previous is None:
        return None
    state = previous.state
    if state.key != key or state.variants != tuple(variants) or SOURCE_VARIANT not in variants:
        return None
    numbers = {slug: i for i, slug in enumerate(state.slugs)}
    now = {d.slug: d for d in documents}
    if set(now) != set(changed) or not all(s in numbers for s in changed):
        return None  # documents added or removed: numbered afresh
    edits = sorted((numbers[slug], doc) for slug, doc in now.items())
    olds = {i: previous.document(i, doc) for i, doc in edits}
    if any(olds[i].date != doc.date for i, doc in edits):
        return None  # the documents' order may change
    return Update.make(previous, dict(edits), olds, converters)


@dataclass
class Update:
    """An update under way: the edited documents (number -> document, now and as the
    index held them) and what it writes."""

    previous: Previous
    edits: dict[int, SearchDocument]
    olds: dict[int, SearchDocument]
    converters: Mapping[str, Converter]
    converted: dict[str, list[tuple[str, str, tuple[str, ...]]]]
    normaliser: Normaliser
    pairs: Counter[tuple[str, str]]
    files: dict[str, bytes]

    @classmethod
    def make(
        cls,
        previous: Previous,
        edits: dict[int, SearchDocument],
        olds: dict[int, SearchDocument],
        converters: Mapping[str, Converter],
    ) -> tuple[Written, set[str]] | None:
        state = previous.state
        others = [v for v in state.variants if v != SOURCE_VARIANT]
        new_docs, old_docs = list(edits.values()), list(olds.values())
        converted = {v: convert_documents(new_docs, converters[v]) for v in others}
        if outside_candidates([*new_docs, *old_docs], converted):
            return None  # characters outside the table's ranges: their entries may change
        if not same_names(previous, edits, olds):
            return None
        base = Normaliser(fold=state.fold)
        before = _pairs(old_docs, {v: converters[v] for v in others}, base)
        after = pair_counts(
            [own_texts(d) for d in new_docs],
            [[(t, b, *s) for t, b, s in converted[v]] for v in others],
            base,
        )
        pairs = Counter(state.pairs) - before + after  # (a count that falls to zero is dropped)
        if set(pairs) != set(state.pairs):
            return None  # the normalisation changes: a fresh write
        normaliser = Normaliser(set(pairs), base=base)
        work = cls(previous, edits, olds, converters, converted, normaliser, pairs, {})
        return work.run()

    def run(self) -> tuple[Written, set[str]] | None:
        previous = self.previous
        changes = gram_changes(self.edits, self.olds, self.normaliser)
        shards = rewrite_shards(previous.folder, previous.state.inline, previous.entry, changes)
        if count_for(shards.inline) != len(shards.names):
            return None  # a fresh write lays the grams out in another number of shards
        self.files.update(shards.files)
        return self.finish(shards)

    def finish(self, shards: Rewritten) -> tuple[Written, set[str]]:
        """The tables, fragments, entry and state after the shards."""
        previous, state, entry = self.previous, self.previous.state, self.previous.entry
        totals, lengths = new_lengths(self)
        named = {k: entry[k] for k in ("chars", "names", "scripts")}
        named["slogans"] = write_slogans(self)
        named["doc_table"] = write_doc_table(self, lengths, write_fragments(self))
        named["shard_names"] = store_shard_names(shards.names, self.files)
        self.files[ENTRY] = make_entry(
            len(state.slugs), entry["years"], state.variants, totals, len(shards.names), named
        )
        present = listing(previous.folder)
        gone, shared = count_references(present, state.shared, shards.dropped, shards.named)
        self.files[STATE] = replace(
            state, inline=shards.inline, totals=totals, pairs=dict(self.pairs), shared=shared
        ).to_bytes()
        replaced = {fragment_name(i, previous.digests[i]) for i in self.edits}
        replaced |= {entry["doc_table"], entry["slogans"], entry["shard_names"]}
        kept = {named["chars"], named["names"], named["slogans"], *named["scripts"].values()}
        names = (present - gone - replaced) | set(self.files) | kept
        written = {r: d for r, d in self.files.items() if not _kept(previous.folder, r, d)}
        return Written(written), names


def _kept(folder: Path, rel: str, data: bytes) -> bool:
    """Whether the previous index has this file already (a hashed name: if it is there)."""
    path = folder / rel
    if rel in (ENTRY, STATE):
        return path.is_file() and path.read_bytes() == data
    return path.is_file()


def same_names(
    previous: Previous, edits: dict[int, SearchDocument], olds: dict[int, SearchDocument]
) -> bool:
    """Whether the counties, themes and slogans of all documents stay the same."""
    names = previous.state.names
    for kind, column in (("county", previous.county_of), ("theme", previous.theme_of)):
        counts = Counter(column)
        index = {name: n for n, name in enumerate(names[kind])}
        for i, doc in edits.items():
            counts[index[getattr(olds[i], kind)]] -= 1
            if getattr(doc, kind) not in index:
                return False
            counts[index[getattr(doc, kind)]] += 1
        if any(counts[n] <= 0 for n in range(len(names[kind]))):
            return False
    index = {name: n for n, name in enumerate(names["slogan"])}
    counts = Counter({s: len(docs) for s, docs in previous.slogans.items()})
    for i, doc in edits.items():
        counts.subtract({index[k] for k in map(keyword, olds[i].slogans) if k})
        new = {keyword(s) for s in doc.slogans if keyword(s)}
        if not new <= index.keys():
            return False
        counts.update({index[k] for k in new})
    return all(counts[n] > 0 for n in range(len(names["slogan"])))


def _pairs(
    docs: list[SearchDocument], converters: Mapping[str, Converter], base: Normaliser
) -> Counter[tuple[str, str]]:
    conversions = [
        [(t, b, *s) for t, b, s in convert_documents(docs, c)] for c in converters.values()
    ]
    return pair_counts([own_texts(d) for d in docs], conversions, base)


def doc_grams(texts: Mapping[str, str]) -> DocGrams:
    """Every gram of one document's positioned, normalised field texts: gram -> field ->
    posting, as the records keep it (orders 1 and 3: presence; 2: the count; 4: the
    count and places)."""
    grams: DocGrams = {}
    for f, name in enumerate(FIELDS):
        text = texts[name]
        if not text:
            continue
        present: Counter[str] = Counter()
        places: dict[str, list[tuple[int, int]]] = {}
        runs = text.split("\n")
        for r, run in zip(run_ids(runs), runs, strict=True):
            for k in ORDERS[:-1]:
                present.update(run[o : o + k] for o in range(len(run) - k + 1))
            for o in range(len(run) - 3):
                places.setdefault(run[o : o + 4], []).append((r, o))
        for gram, count in present.items():
            grams.setdefault(gram, {})[f] = (count if len(gram) == 2 else 1, ())
        for gram, at in places.items():
            grams.setdefault(gram, {})[f] = (len(at), tuple(at))
    return grams


def gram_changes(
    edits: dict[int, SearchDocument], olds: dict[int, SearchDocument], normaliser: Normaliser
) -> dict[Gram, dict[int, dict[int, Posting]]]:
    """The grams whose postings of an edited document differ: gram (code points) ->
    document -> its postings now (field -> posting; empty where it has none)."""
    changes: dict[Gram, dict[int, dict[int, Posting]]] = {}
    numbers = list(edits)
    new_texts = field_texts([edits[i] for i in numbers], normaliser)
    old_texts = field_texts([olds[i] for i in numbers], normaliser)
    for k, i in enumerate(numbers):
        old = doc_grams({f: old_texts[f][k] for f in FIELDS})
        new = doc_grams({f: new_texts[f][k] for f in FIELDS})
        for gram in old.keys() | new.keys():
            if old.get(gram) != new.get(gram):
                changes.setdefault(tuple(map(ord, gram)), {})[i] = new.get(gram, {})
    return changes


def new_lengths(update: Update) -> tuple[dict[str, int], dict[int, list[int]]]:
    """The fields' summed lengths, and each edited document's lengths."""
    numbers = list(update.edits)
    new_texts = field_texts([update.edits[i] for i in numbers], update.normaliser)
    old_texts = field_texts([update.olds[i] for i in numbers], update.normaliser)
    totals = dict(update.previous.state.totals)
    lengths: dict[int, list[int]] = {}
    for k, i in enumerate(numbers):
        row = []
        for f in FIELDS:
            after = unit_count(new_texts[f][k])
            totals[f] += after - unit_count(old_texts[f][k])
            row.append(after)
        lengths[i] = row
    return totals, lengths


def write_fragments(update: Update) -> dict[int, bytes]:
    """Store the edited documents' fragments; their digests."""
    previous = update.previous
    tables = {
        v: lookup(script_pairs_of(read(previous.folder, name)))
        for v, name in previous.entry["scripts"].items()
    }
    numbers = list(update.edits)
    converted = {v: update.converted[v] for v in tables}
    raw = all_fragments([update.edits[i] for i in numbers], converted, update.converters, tables)
    return {i: store_fragment(update.files, i, data) for i, data in zip(numbers, raw, strict=True)}


def script_pairs_of(table: bytes) -> dict[str, str]:
    text = table.decode("utf-16-le")
    return {text[i]: text[i + 1] for i in range(0, len(text), 2)}


def write_doc_table(
    update: Update, lengths: dict[int, list[int]], digests: dict[int, bytes]
) -> str:
    previous = update.previous
    names = previous.state.names
    county_index = {c: n for n, c in enumerate(names["county"])}
    theme_index = {t: n for n, t in enumerate(names["theme"])}
    county_of, theme_of = list(previous.county_of), list(previous.theme_of)
    columns = [list(c) for c in previous.lengths]
    all_digests = list(previous.digests)
    for i, doc in update.edits.items():
        county_of[i] = county_index[doc.county]
        theme_of[i] = theme_index[doc.theme]
        for f, length in enumerate(length_bytes(lengths[i]).tolist()):
            columns[f][i] = length
        all_digests[i] = digests[i]
    return put(update.files, "docs.", gz(doc_table(county_of, theme_of, columns, all_digests)))


def write_slogans(update: Update) -> str:
    """The slogans file: the previous one where no edited document's slogans changed."""
    previous = update.previous
    if all(update.olds[i].slogans == doc.slogans for i, doc in update.edits.items()):
        return previous.entry["slogans"]
    index = {name: n for n, name in enumerate(previous.state.names["slogan"])}
    members = {s: set(docs) for s, docs in previous.slogans.items()}
    for i, doc in update.edits.items():
        for k in map(keyword, update.olds[i].slogans):
            if k:
                members[index[k]].discard(i)
        for k in map(keyword, doc.slogans):
            if k:
                members.setdefault(index[k], set()).add(i)
    lists = {s: sorted(docs) for s, docs in members.items() if docs}
    return put(update.files, "slogans.", gz(slogan_lists(lists)))


def listing(folder: Path) -> set[str]:
    """The files of the index in ``folder`` (relative names)."""
    subs = ("s", "b", "f")
    out = {name for name in os.listdir(folder) if name not in subs}
    for sub in subs:
        if (folder / sub).is_dir():
            out.update(f"{sub}/{name}" for name in os.listdir(folder / sub))
    return out
