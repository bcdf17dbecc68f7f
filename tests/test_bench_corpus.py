"""bench/corpus.py: the same seed gives the same bytes, and the content is valid."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from bulletin import pipeline
from bulletin.content import ArticleBodies
from bulletin.sources import read_tree

ROOT = Path(__file__).resolve().parent.parent
N = 30


def _load_corpus() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_corpus", ROOT / "bench" / "corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


corpus = _load_corpus()


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The corpus written twice with the same seed, into two folders."""
    first = tmp_path_factory.mktemp("corpus-a")
    second = tmp_path_factory.mktemp("corpus-b")
    for base in (first, second):
        corpus.write_all(N, 7, base / "project", base / "pelican", base / "mkdocs")
    return first, second


def test_same_seed_gives_byte_identical_files(written: tuple[Path, Path]) -> None:
    first, second = written
    a, b = _tree(first), _tree(second)
    assert a.keys() == b.keys()
    assert [name for name in a if a[name] != b[name]] == []


def test_another_seed_gives_another_corpus(tmp_path: Path, written: tuple[Path, Path]) -> None:
    corpus.write_all(N, 8, tmp_path / "project")
    assert _tree(tmp_path / "project") != _tree(written[0] / "project")


def test_project_layout_passes_check_with_no_errors(written: tuple[Path, Path]) -> None:
    content = written[0] / "project"
    checked = pipeline.check(content)
    assert [str(p) for p in checked.errors] == []
    assert len(checked.site.articles) == N
    assert len(checked.site.issues) == -(-N // corpus.ARTICLES_PER_ISSUE)
    assert (content / "site.yaml").read_bytes() == (ROOT / "content" / "site.yaml").read_bytes()
    assert (content / "pages" / "about.md").is_file()
    texts = ArticleBodies(read_tree(content), checked.site.articles)
    sizes = [len(texts[a.slug]) for a in checked.site.articles]
    assert 2000 < sum(sizes) / len(sizes) < 4000  # ~3,000 characters each


def test_peer_layouts_hold_the_same_articles(written: tuple[Path, Path]) -> None:
    base = written[0]
    pelican = sorted((base / "pelican" / "content" / "articles").glob("*.md"))
    mkdocs = [p for p in (base / "mkdocs" / "docs").glob("*.md") if p.stem[:1].isdigit()]
    assert len(pelican) == len(mkdocs) == N
    head = pelican[0].read_text("utf-8").split("\n\n", 1)[0]
    assert [line.split(":", 1)[0] for line in head.splitlines()] == [
        "Title",
        "Date",
        "Category",
        "Tags",
        "Slug",
    ]
    assert "RELATIVE_URLS = True" in (base / "pelican" / "pelicanconf.py").read_text("utf-8")
    assert "- search" in (base / "mkdocs" / "mkdocs.yml").read_text("utf-8")
