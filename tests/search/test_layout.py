"""The ``_search/`` folder: paths, Whoosh's lock and segments, meta.json and the index
format it declares (an index of another format is refused with a clear message)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from search import layout
from search.layout import INDEX_FORMAT, SearchMeta
from search.whoosh import LiveIndex
from tests.search.conftest import META, build_output, start_server, stop_server
from tests.search.fixtures import fixture_documents


def test_paths() -> None:
    out = Path("/srv/site")
    assert layout.index_dir(out) == out / "_search" / "whoosh"
    assert layout.meta_path(out) == out / "_search" / "meta.json"
    assert layout.phrases_path(out, SearchMeta()) is None
    assert layout.phrases_path(out, SearchMeta(phrases="phrases.txt")) == out / layout.PHRASES


def test_index_files_segments_and_key(tmp_path: Path) -> None:
    output = build_output(tmp_path / "site", fixture_documents()[:3])
    folder = layout.index_dir(output)
    (folder / layout.WRITE_LOCK).write_text("")
    files = layout.index_files(output)
    assert files and all(f.startswith("_search/whoosh/") for f in files)
    assert not any(f.endswith(layout.WRITE_LOCK) for f in files)
    assert layout.count_segments(files) == len(layout.segment_files(files)) == 1
    key = layout.index_key(folder)
    assert key is not None and key[2] >= 1
    assert layout.index_key(tmp_path / "nothing") is None
    assert layout.index_files(tmp_path / "nothing") == []


def test_meta_json_round_trip_with_its_format(tmp_path: Path) -> None:
    meta = SearchMeta(variants=("zh-hans", "zh-hk"), base_path="/b/", phrases="phrases.txt")
    layout.write_meta(tmp_path, meta)
    data = json.loads(layout.meta_path(tmp_path).read_text("utf-8"))
    assert data["format"] == INDEX_FORMAT and data["variants"] == ["zh-hans", "zh-hk"]
    assert layout.read_meta(tmp_path) == meta
    assert layout.index_format(layout.index_dir(tmp_path)) == INDEX_FORMAT
    # a meta.json written before formats were recorded is format 1
    del data["format"]
    layout.meta_path(tmp_path).write_text(json.dumps(data), "utf-8")
    assert layout.index_format(layout.index_dir(tmp_path)) == 1
    layout.meta_path(tmp_path).write_text("{not json", "utf-8")
    assert layout.read_meta(tmp_path) is None


def test_an_index_of_another_format_says_build_again(tmp_path: Path) -> None:
    output = build_output(tmp_path / "site", fixture_documents()[:3])
    layout.write_meta(output, dataclasses.replace(META, format=1))
    live = LiveIndex(layout.index_dir(output))
    info = live.info()
    assert info["loaded"] is False
    assert "an index of format 1" in info["error"] and "build the site again" in info["error"]
    client, srv, thread = start_server(output)
    try:
        r = client.get("/healthz")
        assert r.status == 503 and "build the site again" in r.json()["error"]
        assert client.search(q="党").status == 503
    finally:
        stop_server(srv, thread)
    layout.write_meta(output, META)
    assert LiveIndex(layout.index_dir(output)).info()["loaded"] is True
