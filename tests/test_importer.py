"""`build.py import` end to end: bulletin files in, content files out that pass `check`
and build; refusals, dry runs, reports and exit status."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from bulletin import pipeline

from .conftest import FIXTURES, ROOT, run_cli
from .docx_maker import WordFile

IMPORT = FIXTURES / "import"
EXPECTED = IMPORT / "expected"
#: The project's own inputs, as paths relative to the repository (where run_cli runs).
MINE = [
    (IMPORT / name).relative_to(ROOT)
    for name in ("issue-gbk.txt", "report-news.txt", "report-signed.md")
]


def _sources() -> Path | None:
    """The shared source texts: beside the repository (CI) or beside a worktree's folder."""
    for folder in (ROOT.parent / "shared" / "sources", ROOT.parent.parent / "shared" / "sources"):
        if folder.is_dir():
            return folder
    return None


SOURCES = _sources()
needs_sources = pytest.mark.skipif(
    SOURCES is None and not os.environ.get("BULLETIN_REQUIRE_TOOLS"),
    reason="the shared source texts (../shared/sources) are not beside the repository",
)


@pytest.fixture
def content(tmp_path: Path) -> Path:
    """A small site to import into (two articles and an issue already there)."""
    folder = tmp_path / "content"
    shutil.copytree(FIXTURES / "minimal", folder)
    return folder


def _files(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): p.read_text("utf-8")
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _check_and_build(content: Path, tmp_path: Path) -> None:
    code, _, err = run_cli("check", "--content", str(content))
    assert code == 0, err
    assert " 0 error(s)" in err
    assert "does not list it" not in err and "never mentions it" not in err  # slogans agree
    pipeline.build(content, tmp_path / "site")
    assert (tmp_path / "site" / "zh-hant" / "index.html").is_file()


# --- the project's own inputs: exact files and report -----------------------------


def test_own_inputs_import_into_exactly_the_expected_files(content: Path, tmp_path: Path) -> None:
    before = _files(content)
    code, out, err = run_cli("import", *map(str, MINE), "--content", str(content))
    assert code == 0, err
    assert err == ""
    expected = (EXPECTED / "report.txt").read_text("utf-8").replace("CONTENT", str(content))
    assert out == expected
    written = {k: v for k, v in _files(content).items() if k not in before}
    assert written == {k: v for k, v in _files(EXPECTED).items() if k != "report.txt"}
    _check_and_build(content, tmp_path)


def test_gbk_issue_is_detected_and_reported(content: Path) -> None:
    code, out, _ = run_cli("import", str(MINE[0]), "--content", str(content), "--format", "json")
    assert code == 0
    report = json.loads(out)
    source = report["sources"][0]
    assert source["encoding"] == "GB18030/GBK"
    counties = [f["front_matter"].get("county") for f in source["files"][1:]]
    assert counties == ["禹州市", "鄢陵县", "魏都区", "许昌市城乡一体化示范区"]
    assert [g["field"] for g in source["guesses"] if g["subject"] == "许昌市城乡一体化示范区"] == [
        "county",
        "theme",
    ]
    assert {"line": 14, "what": "page number", "text": "— 2 —"} in source["removed"]
    assert report["written"] == [f["path"] for f in source["files"]]


# --- refusals and dry runs ----------------------------------------------------------


def test_existing_files_are_refused_and_nothing_is_written(content: Path) -> None:
    assert run_cli("import", str(MINE[0]), "--content", str(content))[0] == 0
    article = content / "articles" / "2019" / "weidou-wuxing-zhibu.md"
    edited = article.read_text("utf-8") + "\n编辑补充的一段。\n"
    article.write_text(edited, encoding="utf-8")
    before = _files(content)
    code, out, err = run_cli("import", *map(str, MINE), "--content", str(content))
    assert code == 1
    assert _files(content) == before  # not even the two reports that are new
    assert (
        f"{article}:0: exists (imported before?): nothing was written; --force replaces it" in err
    )
    assert "Traceback" not in err
    assert out.rstrip().endswith("nothing was written")
    code, _, err = run_cli("import", str(MINE[0]), "--content", str(content), "--force")
    assert code == 0, err
    assert article.read_text("utf-8") == edited.removesuffix("\n编辑补充的一段。\n")


def test_a_different_report_of_the_same_slug_gets_the_next_one(content: Path) -> None:
    assert run_cli("import", str(MINE[1]), "--content", str(content))[0] == 0
    code, out, _ = run_cli(
        "import", str(MINE[1]), "--content", str(content), "--date", "2019-07-01"
    )
    assert code == 0
    assert "articles/2019/zhangge-yizhong-xinsan-wangge-2.md" in out


def test_dry_run_writes_nothing_and_prints_the_plan(content: Path) -> None:
    before = _files(content)
    code, out, err = run_cli("import", *map(str, MINE), "--content", str(content), "--dry-run")
    assert code == 0, err
    assert _files(content) == before
    assert f"would write {content}/issues/2019-12.md  issue 2019年第12期" in out
    assert out.rstrip().endswith(
        "dry run: 7 file(s) planned from 3 bulletin file(s); nothing was written"
    )


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64, "an old binary Word file"),
        ("report.wps", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64, "a WPS document"),
        ("scan.pdf", b"%PDF-1.4\n", "a PDF"),
        ("renamed.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64, "an old (renamed)"),
        ("broken.docx", b"PK\x03\x04 not really", "not a .docx inside"),
        ("notes.odt", b"PK", "an OpenDocument file"),
        ("page.html", b"<p>x</p>", "cannot import '.html' files"),
        ("empty.txt", b"\n\n", "no text to import was found in it"),
        ("latin1.txt", "caf\u00e9 \u00ff\u00fe".encode("latin-1") + b"\x80\x80", "neither UTF-8"),
    ],
)
def test_unreadable_files_say_what_to_do_exit_1_without_a_traceback(
    content: Path, tmp_path: Path, name: str, data: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    before = _files(content)
    code, out, err = run_cli("import", str(path), str(MINE[1]), "--content", str(content))
    assert code == 1
    assert err.startswith(f"{path}:")
    assert message in err
    assert "Traceback" not in err + out
    assert _files(content) == before  # the readable report is not written either


def test_old_word_file_message_is_exact(tmp_path: Path, content: Path) -> None:
    path = tmp_path / "bulletin.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0")
    code, _, err = run_cli("import", str(path), "--content", str(content))
    assert code == 1
    assert err == (
        f"{path}:0: an old binary Word file: open it in Word or WPS, save it as .docx, "
        "import that\n"
    )


def test_missing_date_is_asked_for(tmp_path: Path, content: Path) -> None:
    path = tmp_path / "undated.txt"
    path.write_text("西平县“三步走”抓党建\n西平县推行“三步走”，全县党组织面貌一新。\n", "utf-8")
    code, _, err = run_cli("import", str(path), "--content", str(content))
    assert code == 1
    assert "no date found" in err and "--date YYYY-MM-DD" in err
    assert run_cli("import", str(path), "--content", str(content), "--date", "2020-01-02")[0] == 0


@pytest.mark.parametrize(
    "args",
    [
        ["import"],
        ["import", "x.txt", "--date", "2020-13-01"],
        ["import", "x.txt", "--date", "20200101"],
        ["import", "x.txt", "--format", "yaml"],
        ["import", "x.txt", "--theme", " "],
    ],
)
def test_usage_errors_exit_2(args: list[str]) -> None:
    code, _, err = run_cli(*args)
    assert code == 2
    assert "usage:" in err


def test_help_lists_every_option() -> None:
    code, out, _ = run_cli("import", "--help")
    assert code == 0
    for option in ("--content", "--date", "--theme", "--dry-run", "--force", "--format"):
        assert option in out


def test_theme_option_replaces_the_guess(content: Path) -> None:
    code, out, _ = run_cli(
        "import", str(MINE[1]), "--content", str(content), "--theme", "基层治理", "--format", "json"
    )
    assert code == 0
    source = json.loads(out)["sources"][0]
    assert source["files"][0]["front_matter"]["theme"] == "基层治理"
    assert "theme" not in [g["field"] for g in source["guesses"]]


# --- a Word issue -------------------------------------------------------------------


def word_issue(path: Path, chinese_style_names: bool) -> Path:
    word = WordFile(chinese_style_names)
    word.title("组织工作简报")
    word.para("2020年第3期")
    word.para("中共周口市委组织部　　　　2020年3月16日")
    word.heading("编者按", 2)
    word.para("本期选登三个县区的做法", ("note", "材料由各县区委组织部报送。"), "。")
    word.heading("项城市：党员先锋岗守住村口", 1)
    word.para("项城市在", ("bold", "478个"), "村口设立党员先锋岗，实行“一岗三员”值守。")
    word.heading("主要做法", 2)
    word.bullets(["岗前培训到位", "物资保障到位"])
    word.table([["乡镇", "先锋岗（个）"], ["水寨街道", "36"], ["丁集镇", "28"]])
    word.heading("淮阳区：网格化排查不留死角", 1)
    word.para("淮阳区划出2160个网格，推行“三查三看”，做到户不漏人。")
    word.heading("西华县", 1)
    word.para("西华县为每个村明确一名农技员，防疫春耕两不误。")
    return word.save(path)


@pytest.mark.parametrize("chinese", [True, False], ids=["标题-styles", "heading-styles"])
def test_word_issue_keeps_headings_bold_table_list_and_footnote(
    content: Path, tmp_path: Path, chinese: bool
) -> None:
    path = word_issue(tmp_path / "issue.docx", chinese)
    code, out, err = run_cli("import", str(path), "--content", str(content))
    assert code == 0, err
    assert "an issue: 编者按 and 3 county sections (headings)" in out
    issue = (content / "issues" / "2020-03.md").read_text("utf-8")
    assert issue == (
        "---\ntitle: 2020年第3期\nnumber: 3\ndate: 2020-03-16\n"
        "articles: [xiangcheng-yigang-sanyuan, huaiyang-sancha-sankan, "
        "xihua-weimei-gecun-mingque]\n---\n\n"
        "本期选登三个县区的做法[^1]。\n\n[^1]: 材料由各县区委组织部报送。\n"
    )
    article = (content / "articles" / "2020" / "xiangcheng-yigang-sanyuan.md").read_text("utf-8")
    assert article.split("---\n\n", 1)[1] == (
        "项城市在**478个**村口设立党员先锋岗，实行“一岗三员”值守。\n\n"
        "## 主要做法\n\n- 岗前培训到位\n- 物资保障到位\n\n"
        "| 乡镇 | 先锋岗（个） |\n| --- | --- |\n| 水寨街道 | 36 |\n| 丁集镇 | 28 |\n"
    )
    assert "city: 周口市\nprovince: 河南省\n" in article
    assert "slogans: [一岗三员]\n" in article
    lead = (content / "articles" / "2020" / "xihua-weimei-gecun-mingque.md").read_text("utf-8")
    assert "title: 西华县：为每个村明确一名农技员\n" in lead
    _check_and_build(content, tmp_path)


# --- the four real bulletins ------------------------------------------------------


@pytest.fixture(scope="module")
def imported_sources(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, dict]]:
    """The four source texts imported into one copy of the sample bulletin, whose
    articles already list slogans the sources quote (one check and one build for all)."""
    if SOURCES is None:
        pytest.fail("../shared/sources is missing")
    folder = tmp_path_factory.mktemp("sources") / "content"
    shutil.copytree(ROOT / "content", folder)
    reports = {}
    for name, date in (("000", "2016-08-20"), ("001", "2018-10-08"), ("002", "2018-10-08")):
        path = next(SOURCES.glob(f"{name}_*.txt"))
        code, out, err = run_cli(
            "import", str(path), "--content", str(folder), "--date", date, "--format", "json"
        )
        assert code == 0, err
        reports[name] = json.loads(out)["sources"][0]
    code, out, err = run_cli(
        "import", str(next(SOURCES.glob("003_*.txt"))), "--content", str(folder), "--format", "json"
    )
    assert code == 0, err
    reports["003"] = json.loads(out)["sources"][0]
    return folder, reports


@needs_sources
def test_source_000_is_an_issue_of_eight_counties_in_order(imported_sources) -> None:
    folder, reports = imported_sources
    files = reports["000"]["files"]
    assert [f["kind"] for f in files] == ["issue"] + ["article"] * 8
    fronts = [f["front_matter"] for f in files[1:]]
    assert [(f["county"], f.get("city")) for f in fronts] == [
        ("临颍县", "漯河市"),
        ("舞阳县", "漯河市"),
        ("郾城区", "漯河市"),
        ("源汇区", "漯河市"),
        ("召陵区", "漯河市"),
        ("漯河市城乡一体化示范区", "漯河市"),
        ("漯河市经济技术开发区", "漯河市"),
        ("漯河市西城区", "漯河市"),  # the table's only 西城区 is Beijing's: reported
    ]
    assert files[0]["front_matter"]["articles"] == [f["slug"] for f in files[1:]]
    note = (folder / "issues" / "2016-08-20.md").read_text("utf-8").split("---\n\n", 1)[1]
    assert note.startswith("为落实中央和省委关于全面从严治党要求，推动基层党建")
    assert note.count("\n") == 1  # the note only: no county section in it
    assert fronts[1]["theme"] == "脱贫攻坚"
    assert fronts[0]["slogans"][:4] == ["坐班+五办", "红色联盟", "五抓五促", "两个一线"]
    assert "村官直审" in fronts[0]["slogans"]  # another article's slogan, as check reads it
    assert any("西城区" in g["why"] and "北京市" in g["why"] for g in reports["000"]["guesses"])
    linying = folder / "articles" / "2016" / f"{files[1]['slug']}.md"
    assert "\n\n临颍县\n" not in linying.read_text("utf-8")


@needs_sources
def test_source_001_loses_the_site_notices_and_page_breaks(imported_sources) -> None:
    _, reports = imported_sources
    report = reports["001"]
    assert [r["what"] for r in report["removed"]] == ["document-site notice"] * 3
    assert "3 line(s) broken mid-sentence joined" in report["cleaned"]
    front = report["files"][0]["front_matter"]
    assert front["title"] == "扎兰屯市坚持“三动”工作法扎实推进党建功能区建设"
    assert (front["county"], front["city"], front["province"]) == (
        "扎兰屯市",
        "呼伦贝尔市",
        "内蒙古自治区",
    )
    body = Path(report["files"][0]["path"]).read_text("utf-8")
    assert "对抓党建工作成绩突的领导干部" in body  # the page break mid-sentence joined
    assert "下载文档" not in body and "客服" not in body


@needs_sources
def test_source_002_loses_the_page_fragments(imported_sources) -> None:
    _, reports = imported_sources
    report = reports["002"]
    fragments = [r["text"] for r in report["removed"] if r["what"] == "page fragment number"]
    assert fragments == [f"{n}、" for n in range(1, 8)]
    front = report["files"][0]["front_matter"]
    assert front["title"] == "“1+2+3+X”提升村级党组织建设水平"
    assert front["county"] == "某市某区"
    assert front["source"] == "村级党组织建设经验交流材料"
    body = Path(report["files"][0]["path"]).read_text("utf-8").split("---\n\n", 1)[1]
    assert body.startswith("今年以来，\\*市\\*区紧紧围绕")
    assert "组织生活制度，各乡镇" in body and "以创立“红旗党支部”为抓手" in body
    assert "由会员分享" not in body


@needs_sources
def test_source_003_has_its_date_source_and_reporter(imported_sources, tmp_path: Path) -> None:
    folder, reports = imported_sources
    front = reports["003"]["files"][0]["front_matter"]
    assert front["date"] == "2018-09-20"
    assert front["source"] == "青海新闻网"
    assert front["author"] == "本网记者 樊永涛 通讯员 西组宣"
    assert (front["county"], front["province"]) == ("海西蒙古族藏族自治州", "青海省")
    body = Path(reports["003"]["files"][0]["path"]).read_text("utf-8").split("---\n\n", 1)[1]
    assert body.startswith("党的十九大以来，海西州")
    assert "20.09.2018" not in body and "樊永涛" not in body
    assert "\n## 强化党的领导，凝聚党的建设向心力\n" in body
    _check_and_build(folder, tmp_path)


def test_a_write_failure_exits_3_and_leaves_nothing_behind(content: Path) -> None:
    (content / "articles" / "2019").write_text("a file where a folder should be", "utf-8")
    before = _files(content)
    code, _, err = run_cli("import", str(MINE[0]), "--content", str(content))
    assert code == 3
    assert f"{content / 'articles' / '2019'}:0: cannot write (" in err
    assert "Traceback" not in err
    assert _files(content) == before


def test_a_full_disk_leaves_no_partial_file_nor_new_folder(content: Path) -> None:
    """The file being written when the disk filled (here: RLIMIT_FSIZE, so every write
    fails) was left as .NAME.importing, in the folders the run had made."""
    before = sorted(p.relative_to(content).as_posix() for p in content.rglob("*"))
    code, _, err = run_cli("import", str(MINE[0]), "--content", str(content), file_limit=1)
    assert code == 3, err
    assert err.endswith(": cannot write (File too large): nothing was written\n")
    assert sorted(p.relative_to(content).as_posix() for p in content.rglob("*")) == before


@needs_sources
def test_a_report_already_in_the_sample_is_refused(tmp_path: Path) -> None:
    """The sample has 扎兰屯市's report of 2018-09-05 as zhalantun-sandong: importing the
    same report for that date aims at that file, and is refused without --force."""
    folder = tmp_path / "content"
    shutil.copytree(ROOT / "content", folder)
    path = next(SOURCES.glob("001_*.txt"))  # type: ignore[union-attr]
    code, out, err = run_cli("import", str(path), "--content", str(folder), "--date", "2018-09-05")
    assert "exists, not replaced:" in out
    assert code == 1
    assert err == (
        f"{folder}/articles/2018/zhalantun-sandong.md:0: exists (imported before?): nothing was "
        "written; --force replaces it\n"
    )
    assert (folder / "articles" / "2018" / "zhalantun-sandong.md").read_bytes() == (
        ROOT / "content" / "articles" / "2018" / "zhalantun-sandong.md"
    ).read_bytes()


def test_a_failed_forced_import_puts_back_what_it_replaced(content: Path) -> None:
    """--force replaces the files imported before; when a later file cannot be placed
    (here a stray folder stands where its old text would be kept), the files already
    replaced get their old text back, an editor's change included."""
    code, out, err = run_cli("import", str(MINE[0]), "--content", str(content), "--format", "json")
    assert code == 0, err
    written = [Path(path) for path in json.loads(out)["written"]]
    assert len(written) >= 3
    written[0].write_text(written[0].read_text("utf-8") + "\n编辑改过的一句。\n", "utf-8")
    stray = written[-1].with_name(f".{written[-1].name}.replaced")
    (stray / "x").mkdir(parents=True)
    before = _files(content) | {"stray": "folder"}
    code, _, err = run_cli("import", str(MINE[0]), "--content", str(content), "--force")
    assert code == 3 and "Traceback" not in err, err
    assert _files(content) | {"stray": "folder" if stray.is_dir() else "gone"} == before
    left = [p.name for p in content.rglob(".*") if p.is_file()]
    assert left == []


def test_a_single_report_under_an_editors_note_is_titled_from_its_lead(
    content: Path, tmp_path: Path
) -> None:
    """A 编者按 over one county section makes one article, whose title comes from the
    report's lead: not from the note, nor from the line that names the county."""
    source = tmp_path / "one.txt"
    source.write_text(
        "编者按：本期介绍两地做法，供学习借鉴。\n\n临颍县\n\n"
        "近年来，临颍县坚持把基层党建作为重点，组建村级党组织联盟。\n\n全县村集体收入普遍增加。\n",
        "utf-8",
    )
    code, out, err = run_cli(
        "import",
        str(source),
        "--content",
        str(content),
        "--date",
        "2019-05-10",
        "--dry-run",
        "--format",
        "json",
    )
    assert code == 0, err
    (planned,) = json.loads(out)["sources"][0]["files"]
    assert planned["front_matter"]["title"] == "临颍县：坚持把基层党建作为重点"
