"""Incremental builds: an edit redoes what it touches, and the output equals a clean build."""

from __future__ import annotations

import filecmp
import multiprocessing
import os
import pickle
import random
import shutil
from pathlib import Path

import pytest

import search.indexing
from bulletin import pipeline
from bulletin.cache import JOURNAL, STATE, CacheState, PreviousBuild, cache_path, code_fingerprint
from bulletin.problems import ContentError
from bulletin.render import TEMPLATES_DIR
from bulletin.tuning import Tuning

from .conftest import FIXTURES


def _files(root: Path) -> list[str]:
    return sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and p.relative_to(root).parts[:2] != ("_search", "whoosh")
    )


def assert_same_site(one: Path, two: Path) -> None:
    names = _files(one)
    assert names == _files(two)
    _, mismatch, errors = filecmp.cmpfiles(one, two, names, shallow=False)
    assert mismatch == [] and errors == []


def _state(site: Path) -> CacheState:
    """The cache state of ``site`` as the next build reads it (the journal applied)."""
    previous = PreviousBuild.load(cache_path(site), code_fingerprint(), site)
    assert previous.loaded
    return previous.state


def _clean_build_equals(content: Path, site: Path, tmp_path: Path, **options) -> None:
    """A build from scratch gives the same files, and its cache the same keys and records
    of what each page shows (an incremental build keys only the pages an edit touches)."""
    clean = tmp_path / "clean"
    for folder in (clean, cache_path(clean)):
        shutil.rmtree(folder, ignore_errors=True)
    pipeline.build(content, clean, **options)
    assert_same_site(site, clean)
    if cache_path(site).is_dir():
        ours, theirs = _state(site), _state(clean)
        assert {r: e[0] for r, e in ours.files.items() if not r.startswith("_search/")} == {
            r: e[0] for r, e in theirs.files.items() if not r.startswith("_search/")
        }
        assert (ours.structure, ours.refs) == (theirs.structure, theirs.refs)


@pytest.fixture
def content(tmp_path: Path) -> Path:
    folder = tmp_path / "content"
    shutil.copytree(FIXTURES / "variants", folder)
    return folder


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    """A copy of the project's templates, for tests that edit them."""
    folder = tmp_path / "templates"
    shutil.copytree(TEMPLATES_DIR, folder)
    return folder


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def _inode(path: Path) -> int:
    return path.stat().st_ino


def test_an_article_edit_reuses_untouched_pages_and_equals_a_clean_build(
    content: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    pipeline.build(content, site)
    untouched = site / "zh-hant" / "about" / "index.html"
    touched = site / "zh-hant" / "articles" / "shequ-3" / "index.html"
    before = {p: _inode(p) for p in (untouched, touched)}

    _edit(content / "articles" / "shequ-3.md", "社区群众工作第3篇", "社区群众工作第三篇")
    pipeline.build(content, site)
    assert _inode(untouched) == before[untouched]  # hard-linked from the last build
    assert _inode(touched) != before[touched]
    assert "社區群眾工作第三篇" in touched.read_text("utf-8")
    # its neighbours and the lists it is in show the new title too
    assert "社區群眾工作第三篇" in (site / "zh-hant/articles/shequ-2/index.html").read_text("utf-8")
    assert "社區群眾工作第三篇" in (site / "zh-hant/counties/mou-qu/page/2/index.html").read_text(
        "utf-8"
    )

    _clean_build_equals(content, site, tmp_path)


def test_a_body_edit_rekeys_only_the_pages_that_show_the_article(
    content: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    pipeline.build(content, site)
    before = _state(site)
    # the first paragraph changes: lists show it as the article's summary
    _edit(content / "articles" / "shequ-3.md", "群众在村里也能办事", "群众在家门口就能办事")
    found, changed_bodies = [], pipeline.changed_bodies
    monkeypatch.setattr(
        pipeline, "changed_bodies", lambda *args: found.append(changed_bodies(*args)) or found[-1]
    )
    pipeline.build(content, site)
    assert found == [{"shequ-3"}]  # only the article's body changed: the short way
    after = _state(site)
    changed = {r for r, e in after.files.items() if before.files.get(r, ("",))[0] != e[0]}
    shown = {
        f"{variant}/{path}index.html"
        for variant in ("zh-hans", "zh-hant")
        for path in ("articles/shequ-3/", "articles/shequ-2/", "articles/shequ-4/", "")
    }
    assert shown <= changed
    assert "zh-hant/about/index.html" not in changed
    for shows in ("themes/she-qu-zhi-li/page/2/index.html", "archive/2017/03/index.html"):
        assert "群眾在家門口就能辦事" in (site / "zh-hant" / shows).read_text("utf-8")
    _clean_build_equals(content, site, tmp_path)


def test_template_config_and_phrase_edits_give_a_clean_build_result(
    content: Path, templates: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    pipeline.build(content, site, templates=templates)
    _edit(templates / "page.html", "<h1>{{ page.title }}</h1>", "<h1>《{{ page.title }}》</h1>")
    _edit(content / "site.yaml", "title: 社区工作简报", "title: 社区工作通讯")
    _edit(content / "phrases.txt", "审签\t審簽", "审签\t審签")
    pipeline.build(content, site, templates=templates)
    _clean_build_equals(content, site, tmp_path, templates=templates)
    assert "《關於本刊》" in (site / "zh-hant/about/index.html").read_text("utf-8")
    assert "審签制度" in (site / "zh-hant/articles/shenqian/index.html").read_text("utf-8")


def test_adding_and_removing_articles_equals_a_clean_build(content: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    pipeline.build(content, site)
    (content / "articles" / "shequ-5.md").unlink()
    shutil.copy(content / "articles" / "shequ-1.md", content / "articles" / "shequ-6.md")
    _edit(content / "articles" / "shequ-6.md", "date: 2017-01-10", "date: 2017-08-10")
    pipeline.build(content, site)
    assert not (site / "zh-hans/articles/shequ-5").exists()
    _clean_build_equals(content, site, tmp_path)


def test_a_corrupt_or_foreign_cache_is_ignored(content: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    pipeline.build(content, site)
    stored = cache_path(site) / "cache.pickle"
    fingerprint = code_fingerprint()
    assert PreviousBuild.load(cache_path(site), fingerprint, site).loaded

    stored.write_bytes(stored.read_bytes()[:100])  # truncated
    assert not PreviousBuild.load(cache_path(site), fingerprint, site).loaded

    class Evil:
        def __reduce__(self):  # would run code if the cache were trusted blindly
            return (Path("/tmp/should-not-exist").touch, ())

    stored.write_bytes(pickle.dumps({"format": 1, "x": Evil()}))
    assert not PreviousBuild.load(cache_path(site), fingerprint, site).loaded
    assert not Path("/tmp/should-not-exist").exists()

    pipeline.build(content, site)  # a full build over the bad cache, which it replaces
    assert PreviousBuild.load(cache_path(site), "another version", site).loaded is False
    assert PreviousBuild.load(cache_path(site), fingerprint, tmp_path / "elsewhere").loaded is False


@pytest.mark.parametrize("apart", [False, True], ids=["here", "in-a-process-of-its-own"])
def test_a_tampered_output_file_is_rendered_again(
    content: Path, tmp_path: Path, apart: bool
) -> None:
    tuning = Tuning(check_outputs_apart_from=0 if apart else 10**9)
    site = tmp_path / "site"
    pipeline.build(content, site, tuning=tuning)
    page = site / "zh-hans" / "about" / "index.html"
    twin = site / "zh-hant" / "feed.xml.gz"
    original, original_twin = page.read_bytes(), twin.read_bytes()
    page.write_bytes(b"tampered")
    twin.unlink()
    pipeline.build(content, site, tuning=tuning)
    assert page.read_bytes() == original and twin.read_bytes() == original_twin


def test_a_failed_build_leaves_no_output_check_running(content: Path, tmp_path: Path) -> None:
    tuning = Tuning(check_outputs_apart_from=0)
    site = tmp_path / "site"
    pipeline.build(content, site, tuning=tuning)
    _edit(content / "articles" / "shequ-3.md", "date: 2017-03-10", "date: 2017-13-10")
    with pytest.raises(ContentError):
        pipeline.build(content, site, tuning=tuning)
    assert multiprocessing.active_children() == []


def test_the_cache_lives_beside_the_output_not_in_it(content: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    pipeline.build(content, site)
    assert (tmp_path / "site.cache" / "cache.pickle").is_file()
    assert not any("cache" in p.name for p in site.rglob("*"))
    assert not any("cache" in p.name for p in content.rglob("*"))
    shutil.rmtree(tmp_path / "site.cache")
    pipeline.build(content, tmp_path / "nocache", use_cache=False)
    assert not (tmp_path / "nocache.cache").exists()


def _answers(site: Path, query: str) -> dict:
    import json
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "search", "query", str(site), query, "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    answer = json.loads(done.stdout)
    return {
        "total": answer["total"],
        "slugs": [r["slug"] for r in answer["results"]],
        "facets": answer["facets"],
    }


def test_an_edit_updates_the_search_index_instead_of_rewriting_it(
    content: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    pipeline.build(content, site)
    first_segment = sorted((site / "_search" / "whoosh").glob("*.seg"))
    _edit(content / "articles" / "shequ-3.md", "第3篇。", "第3篇。新增的独特短语青稞酒坊。")
    (content / "articles" / "shequ-5.md").unlink()
    pipeline.build(content, site)
    index = site / "_search" / "whoosh"
    assert (index / "_MAIN_2.toc").is_file()  # a second commit on the previous index
    assert all(seg.name in {p.name for p in index.glob("*.seg")} for seg in first_segment)

    clean = tmp_path / "clean"
    pipeline.build(content, clean, use_cache=False)
    for query in ("青稞酒坊", "靑稞", "社区群众", "第5篇", "群眾", "county:某市某区"):
        assert _answers(site, query) == _answers(clean, query), query
    assert _answers(site, "青稞酒坊")["slugs"] == ["shequ-3"]
    assert _answers(site, "第5篇")["total"] == 0


def test_a_template_edit_renders_pages_again_but_keeps_the_index(
    content: Path, templates: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    pipeline.build(content, site, templates=templates)
    segments = {p.name: _inode(p) for p in (site / "_search" / "whoosh").glob("*.seg")}
    _edit(templates / "base.html", '<a class="skip-link"', '<a class="skip-link" id="top"')
    pipeline.build(content, site, templates=templates)
    assert 'id="top"' in (site / "zh-hans/about/index.html").read_text("utf-8")
    after = {p.name: _inode(p) for p in (site / "_search" / "whoosh").glob("*.seg")}
    assert after == segments  # the same files: the index was not written again
    _clean_build_equals(content, site, tmp_path, templates=templates)


def test_an_issue_title_and_note_edit_reach_every_page_that_shows_them(
    content: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    pipeline.build(content, site)
    issue = content / "issues" / "2017-01.md"
    _edit(issue, "title: 2017年第1期", "title: 2017年第一期")
    _edit(issue, "编者按：本期介绍群众工作。", "编者按：本期介绍审签工作。")
    pipeline.build(content, site)
    assert "2017年第一期" in (site / "zh-hans/articles/shequ-1/index.html").read_text("utf-8")
    assert "審簽工作" in (site / "zh-hant/index.html").read_text("utf-8")
    assert "審簽工作" in (site / "zh-hant/issues/2017-01/index.html").read_text("utf-8")
    _clean_build_equals(content, site, tmp_path)
    clean = tmp_path / "clean"
    for query in ("第一期", "2017年第一期", "社区"):
        assert _answers(site, query) == _answers(clean, query), query


def test_a_date_edit_moves_an_article_between_months_and_neighbours(
    content: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    pipeline.build(content, site)
    _edit(content / "articles" / "shequ-3.md", "date: 2017-03-10", "date: 2017-05-20")
    pipeline.build(content, site)
    assert not (site / "zh-hans/archive/2017/03").exists()
    _clean_build_equals(content, site, tmp_path)


def test_a_renamed_link_target_and_a_new_static_file_render_linking_bodies_again(
    content: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    pipeline.build(content, site)
    # the target renamed: the body linking to it now leads nowhere, then is fixed
    (content / "articles" / "shequ-1.md").rename(content / "articles" / "shequ-one.md")
    _edit(content / "issues" / "2017-01.md", "shequ-1,", "shequ-one,")
    result = pipeline.build(content, site)
    assert any("shequ-1.md" in w.message for w in result.warnings)
    _clean_build_equals(content, site, tmp_path)
    _edit(content / "articles" / "shenqian.md", "(shequ-1.md)", "(shequ-one.md)")
    pipeline.build(content, site)
    page = (site / "zh-hans/articles/shenqian/index.html").read_text("utf-8")
    assert 'href="../../articles/shequ-one/"' in page
    _clean_build_equals(content, site, tmp_path)

    # a broken image becomes good when the static file appears (and broken again)
    _edit(content / "articles" / "shequ-2.md", "第2篇。", "第2篇。![图](/static/images/new.svg)")
    result = pipeline.build(content, site)
    assert any("new.svg" in w.message for w in result.warnings)
    new = content / "static" / "images" / "new.svg"
    shutil.copy(content / "static" / "images" / "map.svg", new)
    result = pipeline.build(content, site)
    assert not any("new.svg" in w.message for w in result.warnings)
    _clean_build_equals(content, site, tmp_path)
    new.unlink()
    pipeline.build(content, site)
    assert not (site / "static/images/new.svg").exists()
    _clean_build_equals(content, site, tmp_path)


def test_per_page_and_variant_edits_equal_a_clean_build(content: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    config = content / "site.yaml"
    pipeline.build(content, site)
    _edit(config, "per_page: 2", "per_page: 3")
    pipeline.build(content, site)
    _clean_build_equals(content, site, tmp_path)
    _edit(config, "variants: [zh-hans, zh-hant, zh-hk]", "variants: [zh-hans, zh-hant]")
    pipeline.build(content, site)
    assert not (site / "zh-hk").exists()
    _clean_build_equals(content, site, tmp_path)
    _edit(config, "variants: [zh-hans, zh-hant]", "variants: [zh-hant, zh-hans, zh-hk]")
    pipeline.build(content, site)
    _clean_build_equals(content, site, tmp_path)


def test_a_draft_and_back_and_two_successive_edits(content: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    article = content / "articles" / "shequ-4.md"
    pipeline.build(content, site)
    _edit(article, "date:", "draft: true\ndate:")
    pipeline.build(content, site)
    assert not (site / "zh-hans/articles/shequ-4").exists()
    _clean_build_equals(content, site, tmp_path)
    _edit(article, "draft: true\ndate:", "date:")
    _edit(article, "第4篇。", "第四篇。")
    pipeline.build(content, site)
    _edit(article, "第四篇。", "第4篇。")  # back to a body built before
    pipeline.build(content, site)
    _clean_build_equals(content, site, tmp_path)


def test_headings_seen_before_get_the_same_ids(content: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    pipeline.build(content, site)
    _edit(
        content / "articles" / "shequ-2.md",
        "第2篇。",
        "第2篇。\n\n## 主要做法\n\n一。\n\n## 主要做法\n",
    )
    pipeline.build(content, site)
    # the same heading in another article, and a heading that is a county with a set slug
    _edit(content / "articles" / "shequ-3.md", "第3篇。", "第3篇。\n\n## 主要做法\n\n## 某市某区\n")
    pipeline.build(content, site)
    page = (site / "zh-hans/articles/shequ-3/index.html").read_text("utf-8")
    assert 'id="zhu-yao-zuo-fa"' in page
    _clean_build_equals(content, site, tmp_path)


@pytest.mark.parametrize("newline", [b"\r\n", b"\r"])
def test_a_bom_and_other_line_ends_re_slice_the_same_body(
    content: Path, tmp_path: Path, newline: bytes
) -> None:
    site = tmp_path / "site"
    article = content / "articles" / "shequ-3.md"
    pipeline.build(content, site)
    data = article.read_bytes().replace(b"\n", newline) + newline.join(
        [b"", "第二段。".encode(), b"", "第三段".encode()]
    )
    article.write_bytes(b"\xef\xbb\xbf" + data)
    pipeline.build(content, site)
    # a title edit: the parse result is new, then kept; the body is sliced from the bytes
    article.write_bytes(article.read_bytes().replace("第3篇\r".encode(), "第叁篇\r".encode()))
    pipeline.build(content, site)
    _edit(content / "articles" / "shequ-2.md", "第2篇。", "第二篇。")  # shequ-3 parsed from cache
    pipeline.build(content, site)
    assert "第三段" in (site / "zh-hans/articles/shequ-3/index.html").read_text("utf-8")
    _clean_build_equals(content, site, tmp_path)


def _damage(path: Path, how: str) -> None:
    data = path.read_bytes()
    if how == "deleted":
        path.unlink()
    elif how == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "garbage":
        path.write_bytes(b"\x80\x05h\x07.")
    elif how == "a list":
        path.write_bytes(pickle.dumps([1, 2]))
    elif how == "two strings":
        path.write_bytes(pickle.dumps(("<p>forged</p>", {})))
    elif how == "bad conversions":
        path.write_bytes(pickle.dumps(("x", frozenset({1}))))


@pytest.mark.parametrize(
    "how", ["deleted", "truncated", "empty", "garbage", "a list", "two strings", "bad conversions"]
)
def test_damaged_body_files_are_rendered_again(content: Path, tmp_path: Path, how: str) -> None:
    site = tmp_path / "site"
    pipeline.build(content, site)
    bodies = sorted(p for p in (cache_path(site) / "bodies").rglob("*") if p.is_file())
    assert len(bodies) >= 5  # the articles' bodies (notes and pages are in the state)
    for body in bodies:
        _damage(body, how)
    _edit(content / "site.yaml", "title: 社区工作简报", "title: 社区工作通讯")  # every page
    pipeline.build(content, site)
    _clean_build_equals(content, site, tmp_path)
    pipeline.build(content, site)  # the bodies written again are good
    assert (site / "zh-hant/articles/shenqian/index.html").read_text("utf-8").count("審簽") >= 1
    _clean_build_equals(content, site, tmp_path)


def test_a_phrase_only_edit_converts_pages_again(content: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    pipeline.build(content, site)
    _edit(content / "phrases.txt", "审签\t審簽", "审签\t審签")
    pipeline.build(content, site)
    assert "審签制度" in (site / "zh-hant/articles/shenqian/index.html").read_text("utf-8")
    assert "審签制度" in (site / "zh-hant/feed.xml").read_text("utf-8")
    _clean_build_equals(content, site, tmp_path)


def test_edits_append_to_the_journal_until_the_state_is_written_afresh(
    content: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    pipeline.build(content, site)
    state, journal = cache_path(site) / STATE, cache_path(site) / JOURNAL
    written = state.stat().st_mtime_ns
    for n in range(3):
        _edit(content / "articles" / "shequ-3.md", "第3篇", f"第3篇（{n}）")
        pipeline.build(content, site)
    assert state.stat().st_mtime_ns == written and journal.stat().st_size > 0
    _clean_build_equals(content, site, tmp_path)

    full = Tuning(journal_share=0, journal_floor=0)  # the journal is full now
    _edit(content / "articles" / "shequ-3.md", "第3篇", "第三篇")
    pipeline.build(content, site, tuning=full)
    assert state.stat().st_mtime_ns != written and not journal.exists()
    _clean_build_equals(content, site, tmp_path)


def _site_with_a_journal(content: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A site built, then built again after an edit: its path and its cache's journal."""
    site = tmp_path / "site"
    pipeline.build(content, site)
    _edit(content / "articles" / "shequ-3.md", "第3篇", "第三篇")
    pipeline.build(content, site)
    return site, cache_path(site) / JOURNAL


def test_a_torn_journal_means_a_full_build(content: Path, tmp_path: Path) -> None:
    site, journal = _site_with_a_journal(content, tmp_path)
    journal.write_bytes(journal.read_bytes()[:-5])  # a build stopped while appending
    assert not PreviousBuild.load(cache_path(site), code_fingerprint(), site).loaded
    _edit(content / "articles" / "shequ-2.md", "第2篇", "第二篇")
    pipeline.build(content, site)
    _clean_build_equals(content, site, tmp_path)


def test_a_journal_left_from_an_earlier_state_is_not_applied(content: Path, tmp_path: Path) -> None:
    site, journal = _site_with_a_journal(content, tmp_path)
    old_records = journal.read_bytes()
    pipeline.build(content, site, use_cache=False)  # writes no state
    shutil.rmtree(cache_path(site))
    pipeline.build(content, site)  # a new state, as if its build stopped before the
    journal.write_bytes(old_records)  # old journal was removed
    cache = PreviousBuild.load(cache_path(site), code_fingerprint(), site)
    assert cache.loaded and cache.journal > cache.base_size  # the next build starts afresh
    _edit(content / "articles" / "shequ-2.md", "第2篇", "第二篇")
    pipeline.build(content, site)
    assert not journal.exists()
    _clean_build_equals(content, site, tmp_path)


def test_damaged_compiled_templates_in_the_cache_are_not_used(
    content: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    pipeline.build(content, site)
    stored = cache_path(site) / "cache.pickle"
    data = stored.read_bytes()
    assert "首页".encode() in data  # same length: the pickle stays readable
    stored.write_bytes(data.replace("首页".encode(), "首頁".encode()))
    _edit(content / "site.yaml", "title: 社区工作简报", "title: 社区工作通讯")  # every page
    pipeline.build(content, site)
    _clean_build_equals(content, site, tmp_path)


def test_compiled_templates_in_the_cache_run_no_code(content: Path, tmp_path: Path) -> None:
    import jinja2.bccache

    site = tmp_path / "site"
    pipeline.build(content, site)
    stored = cache_path(site) / "cache.pickle"
    state = pickle.loads(stored.read_bytes())
    marker = tmp_path / "code-ran"

    class Evil:
        def __reduce__(self):  # Jinja's own format reads a bucket's checksum by pickle
            return (Path(marker).touch, ())

    evil = jinja2.bccache.bc_magic + pickle.dumps(Evil())
    state["templates"] = dict.fromkeys(state["templates"], evil)
    stored.write_bytes(pickle.dumps(state))
    pipeline.build(content, site)
    assert not marker.exists()


def test_touched_gz_twins_are_written_again(content: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    pipeline.build(content, site)
    (site / "zh-hans/feed.xml.gz").unlink()
    (site / "sitemap.xml.gz").write_bytes(b"tampered")
    (site / "static/images/map.svg.gz").write_bytes(b"tampered")
    pipeline.build(content, site)
    _clean_build_equals(content, site, tmp_path)


def test_a_moved_content_folder_names_its_new_paths(content: Path, tmp_path: Path) -> None:
    import os

    _edit(content / "articles" / "shequ-2.md", "第2篇。", "第2篇。[坏](nowhere.md)")
    for path in content.rglob("*"):
        if path.is_file():
            os.utime(path, ns=(0, 1_600_000_000 * 10**9))  # settled: the cache keeps stamps
    site = tmp_path / "site"
    pipeline.build(content, site)
    moved = tmp_path / "moved"
    content.rename(moved)  # same inodes, sizes and mtimes
    result = pipeline.build(moved, site)
    assert [w.path for w in result.warnings] == [str(moved / "articles" / "shequ-2.md")]


def test_a_folder_in_place_of_a_body_file_is_no_crash(content: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    pipeline.build(content, site)
    for body in sorted(p for p in (cache_path(site) / "bodies").rglob("*") if p.is_file()):
        body.unlink()
        body.mkdir()
    _edit(content / "site.yaml", "title: 社区工作简报", "title: 社区工作通讯")
    pipeline.build(content, site)
    _clean_build_equals(content, site, tmp_path)


def test_a_body_file_holding_another_body_is_not_trusted(content: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    pipeline.build(content, site)
    bodies = sorted(p for p in (cache_path(site) / "bodies").rglob("*") if p.is_file())
    first = bodies[0].read_bytes()
    for body in bodies[1:]:
        body.write_bytes(first)
    _edit(content / "site.yaml", "title: 社区工作简报", "title: 社区工作通讯")
    pipeline.build(content, site)
    _clean_build_equals(content, site, tmp_path)


def test_after_many_updates_the_index_is_written_afresh(
    content: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search.indexing, "MAX_UPDATE_SEGMENTS", 2)
    site = tmp_path / "site"
    pipeline.build(content, site)

    def segments() -> int:
        return len(list((site / "_search" / "whoosh").glob("*.seg")))

    fresh = segments()
    counts = []
    for number in range(3):
        _edit(content / "articles" / "shequ-3.md", "第3篇。", f"第3篇。第{number}次修改。")
        pipeline.build(content, site)
        counts.append(segments())
    assert counts == [fresh + 1, fresh + 2, fresh]  # two updates, then a fresh index
    clean = tmp_path / "clean"
    pipeline.build(content, clean, use_cache=False)
    for query in ("第2次修改", "社区群众"):
        assert _answers(site, query) == _answers(clean, query), query


_EDITS = ("paragraph", "opening", "link", "unlink", "touch", "same", "revert", "two", "page")


@pytest.mark.parametrize("seed", [1, 2])
def test_random_edits_each_give_a_clean_build_result(
    content: Path, tmp_path: Path, seed: int
) -> None:
    """A random walk of small edits (and hand-deleted output and cache files): after each
    build, the output and the cache keys are a clean build's."""
    rng = random.Random(seed)
    site = tmp_path / "site"
    pipeline.build(content, site)
    first = {p.name: p.read_bytes() for p in (content / "articles").iterdir()}
    for _ in range(6):
        article = rng.choice(sorted((content / "articles").iterdir()))
        text = article.read_text("utf-8")
        edit = rng.choice(_EDITS)
        if edit == "paragraph":
            article.write_text(f"{text}\n\n追加一段，第{rng.randint(1, 99)}句。\n", "utf-8")
        elif edit == "opening":  # lists show the first paragraph
            end = text.index("---", 3) + 4
            article.write_text(f"{text[:end]}首句{rng.randint(1, 99)}，{text[end:]}", "utf-8")
        elif edit == "link":
            article.write_text(f"{text}\n\n参见[另一篇](shequ-1.md)。\n", "utf-8")
        elif edit == "unlink":
            article.write_text(text.replace("](", "]（"), "utf-8")
        elif edit == "touch":
            os.utime(article)
        elif edit == "same":
            article.write_text(text, "utf-8")
        elif edit == "revert":
            article.write_bytes(first[article.name])
        elif edit == "two":
            other = rng.choice(sorted((content / "articles").iterdir()))
            article.write_text(f"{text}\n\n甲。\n", "utf-8")
            other.write_text(other.read_text("utf-8") + "\n\n乙。\n", "utf-8")
        elif edit == "page":  # a page and a body file deleted by hand, then an edit
            rng.choice(sorted(site.rglob("index.html"))).unlink()
            bodies = sorted(p for p in (cache_path(site) / "bodies").rglob("*") if p.is_file())
            rng.choice(bodies).unlink()
            article.write_text(f"{text}\n\n又一段。\n", "utf-8")
        pipeline.build(content, site)
        _clean_build_equals(content, site, tmp_path)
