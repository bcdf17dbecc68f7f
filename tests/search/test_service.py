"""The service through real HTTP on 127.0.0.1 (waitress on a free port)."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import pytest

from tests.search.conftest import Server, start_server, stop_server
from tests.search.fixtures import fixture_documents

API_KEYS = {"query", "variant", "total", "page", "per_page", "results", "facets"}
RESULT_KEYS = {"slug", "url", "title", "county", "theme", "date", "snippet"}


def slugs(data: dict) -> list[str]:
    return [r["slug"] for r in data["results"]]


def test_api_shape(server: Server) -> None:
    r = server.search(q="红色联盟", variant="zh-hans")
    assert r.status == 200
    assert r.headers["Content-Type"].startswith("application/json")
    data = r.json()
    assert set(data) == API_KEYS
    assert data["total"] == 1 and data["page"] == 1 and data["per_page"] == 10
    (result,) = data["results"]
    assert set(result) == RESULT_KEYS
    assert result["url"] == "/zh-hans/articles/linying-hongse-lianmeng/"
    assert result["county"] == "临颍县" and result["theme"] == "非公党建"
    assert result["date"] == "2016-08-15"
    assert "<mark>红色联盟</mark>" in result["snippet"]
    assert data["facets"] == {"county": {"临颍县": 1}, "theme": {"非公党建": 1}}


def test_traditional_query_finds_simplified_text(server: Server) -> None:
    hans = server.search(q="村级集体经济", variant="zh-hans").json()
    hant = server.search(q="村級集體經濟", variant="zh-hant").json()
    assert hans["total"] == hant["total"] == 2
    assert slugs(hans) == slugs(hant)


def test_traditional_results_snippets_and_facets(server: Server) -> None:
    data = server.search(q="軟弱渙散", variant="zh-hant").json()
    (result,) = data["results"]
    assert result["title"] == "源匯區整頓軟弱渙散村黨組織"
    assert result["county"] == "源匯區" and result["theme"] == "基層黨建"
    assert "<mark>軟弱渙散</mark>" in result["snippet"]
    assert result["url"] == "/zh-hant/articles/yuanhui-ruanruo-huansan/"
    assert data["facets"]["county"] == {"源匯區": 1}
    assert data["facets"]["theme"] == {"基層黨建": 1}


def test_marks_survive_conversion_of_context_dependent_phrases(server: Server) -> None:
    # 凭借 converts to 憑藉 only as a phrase: a mark must not split the phrase
    (result,) = server.search(q="凭借", variant="zh-hant").json()["results"]
    assert "<mark>憑藉</mark>" in result["snippet"]


def test_filters_and_facets(server: Server) -> None:
    data = server.search(q="党", variant="zh-hans").json()
    docs = [d for d in fixture_documents() if any("党" in t for t in (d.title, d.body))]
    assert data["total"] == len(docs) == 5
    assert data["facets"]["county"] == dict(Counter(d.county for d in docs))
    assert data["facets"]["theme"] == {"基层党建": 4, "非公党建": 1}
    filtered = server.search(q="党", variant="zh-hans", theme="基层党建").json()
    assert filtered["total"] == data["facets"]["theme"]["基层党建"]
    assert {r["theme"] for r in filtered["results"]} == {"基层党建"}
    # a facet name as the reader sees it (Traditional) filters too
    hant = server.search(q="黨", variant="zh-hant", county="舞陽縣").json()
    assert slugs(hant) == ["wuyang-siyi-liangkai"]
    assert server.search(q="党", county="没有这个县").json()["total"] == 0


def test_query_syntax(server: Server) -> None:
    def total(q: str) -> int:
        return server.search(q=q).json()["total"]

    assert total("村 党") == total("村 AND 党")
    assert total("四议两公开 OR 三会一课") == 2
    assert total("村级 -四议") == total("村级") - 1
    assert total("村级 NOT 四议") == total("村级") - 1
    assert total("county:临颍县") == 1
    assert total("theme:基层党建") == 4
    assert total("slogan:五抓五促") == 1
    assert total("year:2018") == 3
    assert total('"Grid 2.0"') == 1
    assert total('county:"临颍县"') == 1


def test_ranking_title_above_body_and_newest_first(server: Server) -> None:
    data = server.search(q="软弱涣散").json()
    assert slugs(data)[0] == "yuanhui-ruanruo-huansan"
    data = server.search(q="year:2018").json()
    dates = [r["date"] for r in data["results"]]
    assert dates == sorted(dates, reverse=True)


def test_pagination(server: Server) -> None:
    first = server.search(q="村", per_page=3, page=1).json()
    second = server.search(q="村", per_page=3, page=2).json()
    assert first["total"] == second["total"] == 7
    assert len(first["results"]) == 3 and not set(slugs(first)) & set(slugs(second))
    last = server.search(q="村", per_page=3, page=3).json()
    assert len(last["results"]) == 1
    assert server.search(q="村", per_page=3, page=9).json()["results"] == []


HOSTILE = [
    {"q": "*"},
    {"q": "a*"},
    {"q": "?"},
    {"q": "党~2"},
    {"q": "/.*/"},
    {"q": "x" * 10_000},
    {"q": " ".join(f"词{i}" for i in range(100))},
    {"q": '"unbalanced'},
    {"q": '红色"联盟'},
    {"q": "county:"},
    {"q": "county: theme:"},
    {"q": "-"},
    {"q": "OR"},
    {"q": "NOT"},
    {"q": '""'},
    {"q": "党\x00建"},
    {"q": "\x00"},
    {"q": "党", "per_page": "1000"},
    {"q": "党", "per_page": "0"},
    {"q": "党", "page": "-1"},
    {"q": "党", "page": "abc"},
    {"q": "党", "page": "99999999999999999999"},
    {"q": "党", "variant": "xx"},
    {"q": ""},
    {},
    {"q": "<script>alert(1)</script>"},
    {"q": "\ud800".encode("utf-8", "surrogatepass").decode("latin-1")},
    {"q": "-党 -村 -县"},
    {"q": "党", "county": "x" * 5000},
]


@pytest.mark.parametrize("params", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_queries_get_400_or_an_answer(server: Server, params: dict) -> None:
    r = server.search(**params)
    assert r.status in (200, 400), r.text
    data = r.json()
    if r.status == 400:
        assert set(data) == {"error"} and data["error"]
    else:
        assert set(data) >= API_KEYS
    assert "<script>" not in r.text
    assert "Traceback" not in r.text


def test_bad_requests_are_400_json(server: Server) -> None:
    for params in (
        {"q": ""},
        {"q": "党", "variant": "xx"},
        {"q": "党", "page": "0"},
        {"q": "党", "per_page": "51"},
        {"q": "x" * 201},
    ):
        r = server.search(**params)
        assert r.status == 400 and "error" in r.json(), params


def test_wildcards_are_literal(server: Server) -> None:
    assert server.search(q="*").json()["total"] == 0
    assert server.search(q="村*").json()["total"] == 0


def test_query_is_escaped_in_html(server: Server) -> None:
    r = server.get("/search", {"q": '"><script>alert(1)</script>', "variant": "zh-hans"})
    assert r.status in (200, 400)
    assert "<script>alert" not in r.text
    assert "&lt;script&gt;" in r.text


def test_html_page_without_js(server: Server) -> None:
    r = server.get("/search", {"q": "红色联盟", "variant": "zh-hant"})
    assert r.status == 200 and r.headers["Content-Type"].startswith("text/html")
    page = r.text
    assert 'value="红色联盟"' in page
    assert '<base href="/zh-hant/search/">' in page
    assert "<!--search-results-->" not in page
    assert '<a href="/zh-hant/articles/linying-hongse-lianmeng/">' in page
    assert "<mark>紅色聯盟</mark>" in page
    assert "共 1 篇" in page and "縣區" in page
    # the site's own page around it
    assert '<html lang="zh-Hant">' in page and "search.js" in page


def test_html_page_errors_are_shown(server: Server) -> None:
    r = server.get("/search", {"q": "党", "variant": "zh-hans", "page": "x"})
    assert r.status == 400 and "page" in r.text
    empty = server.get("/search", {"variant": "zh-hans"})
    assert empty.status == 200 and "<!--search-results-->" not in empty.text


def test_healthz(server: Server) -> None:
    r = server.get("/healthz")
    assert r.status == 200
    data = r.json()
    assert data["loaded"] is True and data["documents"] == 8


def test_no_index_is_503(tmp_path: Path) -> None:
    client, srv, thread = start_server(tmp_path)
    try:
        assert client.get("/healthz").status == 503
        r = client.search(q="党")
        assert r.status == 503 and "error" in r.json()
        assert client.get("/search", {"q": "党"}).status == 503
    finally:
        stop_server(srv, thread)


def test_unknown_path_is_404(server: Server) -> None:
    assert server.get("/nothing").status == 404


def test_eight_threads_two_hundred_queries_each(server: Server) -> None:
    queries = [
        "红色联盟",
        "村级集体经济",
        "党",
        "基層黨建",
        "county:舞阳县",
        "村 -四议",
        '"Grid 2.0"',
        "year:2018",
        "三会一课 OR 四议两公开",
        "凭借",
    ]
    statuses: Counter[int] = Counter()
    errors: list[str] = []
    lock = threading.Lock()

    def client(n: int) -> None:
        for i in range(200):
            q = queries[(n + i) % len(queries)]
            try:
                r = server.search(q=q, variant=("zh-hans", "zh-hant")[i % 2])
                ok = r.status == 200 and r.json()["total"] >= 1
            except Exception as exc:  # a failed request is the failure we look for
                with lock:
                    errors.append(f"{q}: {exc!r}")
                continue
            with lock:
                statuses[r.status] += 1
                if not ok:
                    errors.append(f"{q}: {r.status} {r.text[:200]}")

    threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert statuses == Counter({200: 1600})


def _many_fields(count: int) -> dict[str, str]:
    return {"q": "党", **{f"f{i}": "1" for i in range(count - 1)}}


def test_too_many_fields_is_400_with_one_log_line(
    server: Server, capfd: pytest.CaptureFixture[str]
) -> None:
    capfd.readouterr()
    assert server.search(**_many_fields(20)).status == 200  # the limit itself
    r = server.search(**_many_fields(21))
    assert r.status == 400 and "20" in r.json()["error"]
    page = server.get("/search", _many_fields(40))
    assert page.status == 400 and "20" in page.text
    lines = capfd.readouterr().err.splitlines()
    assert len(lines) == 2 and all(line.startswith("search: 400 for GET /") for line in lines)


def test_no_bad_request_logs_a_traceback(server: Server, capfd: pytest.CaptureFixture[str]) -> None:
    capfd.readouterr()
    for params in [*HOSTILE, _many_fields(500), {"q": "党" * 5000}]:
        for path in ("/api/search", "/search", "/healthz", "/nothing", "/api/search/x"):
            assert server.get(path, params).status in (200, 400, 404)
    request = urllib.request.Request(server.base + "/api/search?q=x", method="POST", data=b"x")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 405
    err = capfd.readouterr().err
    assert "Traceback" not in err and "503" not in err
    assert all(line.startswith("search: 400 for GET ") for line in err.splitlines())
