"""The key of every output file: a digest of everything that went into it.

A page whose key is the one the last build recorded is kept from the previous output;
only the rest are rendered. A page's key digests its spec's data (with each article
standing for its digest and each body for its key) and its variant. To key only the
pages an edit touches, the build also records which specs show each article
(:func:`page_keys`) and a digest of everything else pages depend on
(:func:`site_structure`).
"""

from __future__ import annotations

import hashlib
import io
import pickle
from collections.abc import Mapping, Sequence
from typing import Any

from bulletin.bodies import BodyRef
from bulletin.content import Parsed
from bulletin.hashing import digest
from bulletin.model import Article, Issue
from bulletin.render import PageJob, PageSpec
from bulletin.sources import SourceTree
from bulletin.variants import Variant


class DataKeys:
    """Digests of page data, pickled with an article standing for its digest
    (``article_digests``: id -> digest), an issue for the digest of its fields and a
    rendered body for its key, so a list page's key costs one string per article. (A
    dispatch table is consulted for these types only, where a reducer_override would be
    called for every object.)"""

    def __init__(self, article_digests: Mapping[int, str]) -> None:
        self.article_digests = article_digests
        self.issue_digests: dict[int, str] = {}
        self._shown: set[str] = set()  # the slugs met while keying one piece of data
        self.dispatch_table = {
            Article: lambda article: (str, (self._article_digest(article),)),
            Issue: lambda issue: (str, (self._issue_digest(issue),)),
            BodyRef: lambda ref: (str, (self._body_key(ref),)),
        }

    def __call__(self, data: Any) -> str:
        return self.key_and_shown(data)[0]

    def key_and_shown(self, data: Any) -> tuple[str, set[str]]:
        """The key of ``data`` and the slugs of the articles (and bodies) it shows."""
        self._shown = set()
        flat = self._flat(data)
        if flat is not None:
            return hashlib.sha256(flat.encode("utf-8")).hexdigest(), self._shown
        stream = io.BytesIO()
        pickler = pickle.Pickler(stream, protocol=5)
        pickler.dispatch_table = self.dispatch_table  # type: ignore[assignment]
        pickler.dump(data)
        return hashlib.sha256(stream.getbuffer()).hexdigest(), self._shown

    def _article_digest(self, article: Article) -> str:
        self._shown.add(article.slug)
        return self.article_digests[id(article)]

    def _body_key(self, ref: BodyRef) -> str:
        self._shown.add(ref.slug)
        return ref.key

    def _issue_digest(self, issue: Issue) -> str:
        found = self.issue_digests.get(id(issue))
        if found is None:
            found = self.issue_digests[id(issue)] = hashlib.sha256(
                pickle.dumps(issue, protocol=5)
            ).hexdigest()
        return found

    def _flat(self, data: Any) -> str | None:
        """A key text for a tuple of plain values and flat dicts of them (an article
        page's data), made without pickling; None for anything else."""
        if type(data) is not tuple:
            return None
        tokens = []
        for item in data:
            if type(item) is dict:
                tokens.append("{")
                for name, value in item.items():
                    token = self._token(value)
                    if token is None:
                        return None
                    tokens += [repr(name), token]
                tokens.append("}")
            else:
                token = self._token(item)
                if token is None:
                    return None
                tokens.append(token)
        return "\0".join(tokens)

    def _token(self, value: Any) -> str | None:
        kind = type(value)
        if kind is str or kind is int or kind is bool or value is None:
            return f"{kind.__name__}:{value!r}"
        if kind is Article:
            return f"article:{self._article_digest(value)}"
        if kind is BodyRef:
            return f"body:{self._body_key(value)}"
        if kind is Issue:
            return f"issue:{self._issue_digest(value)}"
        return None


def site_structure(shared: str, tree: SourceTree, pages: int) -> str:
    """Digest of what the pages' data depends on besides the articles' files: the data
    every page shares (code, templates, config, navigation), the issues, the pages, the
    names of the static files, where the articles are and how many pages there are."""
    sources = (tree.site_config, tree.phrases, *tree.issues, *tree.pages)
    return digest(
        shared,
        str(pages),
        *(f"{s.display}\0{s.digest}" for s in sources if s is not None),
        *(s.display for s in tree.articles),
        *(s.rel for s in tree.static),
    )


def changed_bodies(
    tree: SourceTree,
    parsed: Mapping[str, Parsed],
    before: Mapping[str, Parsed] | None,
) -> set[str] | None:
    """The slugs of the articles whose files changed since the last build (``before``:
    its parse results, None when the site's structure changed too), when only their
    Markdown bodies did: each article's parsed fields the same. Otherwise None."""
    if before is None:
        return None
    changed = {s.display: s.digest for s in tree.articles if s.digest not in before}
    if not changed:
        return set()
    was = {
        result.item.path: result.item
        for result in before.values()
        if type(result.item) is Article and result.item.path in changed
    }
    slugs = set()
    for display, source_digest in changed.items():
        now = parsed[source_digest].item
        if now is None or was.get(display) != now:
            return None
        slugs.add(now.slug)
    return slugs


def page_keys(
    specs: Sequence[PageSpec],
    jobs: Sequence[PageJob],
    variants: Mapping[str, Variant],
    data_key: DataKeys,
    shared: str,
    previous: tuple[Mapping[str, tuple[int, ...]], Mapping[str, tuple[str, Any, Any]]] | None,
    changed: set[str] | None,
) -> tuple[dict[str, str], dict[str, tuple[int, ...]]]:
    """The key of every page (output path -> key), and for each article the indexes of
    the specs whose data show it.

    Given ``changed``, the only articles whose files changed since the last build (see
    :func:`changed_bodies`), and ``previous``, that build's record of which specs show
    each article and its file entries (key first) by output path, a spec that shows
    none of them has the data it had then, so only the specs that show one are keyed
    again: an edit costs the pages it touches, not every page's key."""
    redo: set[int] | None = None
    if changed is not None and previous is not None:
        redo = {index for slug in changed for index in previous[0].get(slug, ())}

    def key_of(spec: PageSpec) -> tuple[str, set[str]]:
        return data_key.key_and_shown((shared, spec.template, spec.path, spec.context))

    spec_keys: dict[int, str] = {}  # id(spec) -> key, of the specs keyed now
    shows: dict[str, list[int]] = {}
    for index, spec in enumerate(specs):
        if redo is None or index in redo:
            spec_keys[id(spec)], shown = key_of(spec)
            for slug in shown:
                shows.setdefault(slug, []).append(index)
    keys: dict[str, str] = {}
    for job in jobs:
        spec_key = spec_keys.get(id(job.spec))
        if spec_key is None:
            assert previous is not None
            recorded = previous[1].get(job.rel)
            if recorded is not None:
                keys[job.rel] = recorded[0]
                continue
            # not in the last build's record: keyed after all
            spec_key = spec_keys[id(job.spec)] = key_of(job.spec)[0]
        keys[job.rel] = f"{spec_key}:{variants[job.variant].key}"
    if redo is not None:
        assert previous is not None
        return keys, dict(previous[0])
    return keys, {slug: tuple(indexes) for slug, indexes in shows.items()}
