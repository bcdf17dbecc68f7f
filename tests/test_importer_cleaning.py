"""Cleaning: notices, page marks and fragments out; broken lines joined between Chinese
characters only; widths; spaces of flattened page wraps."""

from __future__ import annotations

import pytest

from bulletin.importer.cleaning import Removed, clean, normalise_text
from bulletin.importer.reading import Block


def blocks(*lines: str) -> list[Block]:
    return [Block(text, number) for number, text in enumerate(lines, 1)]


def texts(*lines: str) -> list[str]:
    return [b.text for b in clean(blocks(*lines)).blocks]


LONG = (
    "全县推行村干部坐班值班制度，确保群众在村级组织活动场所随时找得到人、办得了事，"
    "切实提高联系服务群众的能力，加强对"
)


@pytest.mark.parametrize(
    "notice",
    [
        "- 1、下载文档前请自行甄别文档内容的完整性,平台不提供额外的编辑服务。",
        "《经验材料.docx》由会员分享,可在线阅读,更多相关《经验材料.docx》请在某文库上搜索。",
        "如文档侵犯您的权益,请联系客服反馈,我们会尽快为您处理。",
        "预览已结束，剩余3页未读，点击下载阅读全文",
        "首页 > 新闻中心 > 工作动态",
        "【字号：大 中 小】【打印本页】【关闭窗口】",
        "分享到：微信 微博",
        "浏览次数：1024",
    ],
)
def test_document_site_notices_are_removed_and_reported(notice: str) -> None:
    result = clean(blocks("标题", notice, "正文。"))
    assert [b.text for b in result.blocks] == ["标题", "正文。"]
    assert result.removed == [Removed(2, "document-site notice", notice)]


@pytest.mark.parametrize("mark", ["— 2 —", "- 12 -", "－3－", "7", "第2页 共5页", "2/5", "Page 4"])
def test_page_numbers_are_removed_and_the_sentence_goes_on(mark: str) -> None:
    result = clean(blocks("对抓党建", mark, "工作成绩突出的干部，进行提拔使用。"))
    assert [b.text for b in result.blocks] == ["对抓党建工作成绩突出的干部，进行提拔使用。"]
    assert result.removed == [Removed(2, "page number", mark)]
    assert result.cleaned.joined == 1


def test_numbered_page_fragments_are_unnumbered_and_joined() -> None:
    result = clean(
        blocks(
            "1、题目今年以来，全区严格规范组织生活制", "2、度，每月审查台账“三", "3、会一课”情况。"
        )
    )
    assert [b.text for b in result.blocks] == [
        "题目今年以来，全区严格规范组织生活制度，每月审查台账“三会一课”情况。"
    ]
    assert [r.text for r in result.removed] == ["1、", "2、", "3、"]


def test_a_numbered_list_of_whole_sentences_is_not_a_page_fragment() -> None:
    lines = ("1、建立责任清单。", "2、实行月审月报。", "3、开展督导检查。")
    assert texts(*lines) == list(lines)


def test_long_lines_broken_between_chinese_characters_are_joined() -> None:
    assert texts(LONG, "村干部的监督管理。") == [LONG + "村干部的监督管理。"]


def test_short_lines_and_finished_sentences_are_not_joined() -> None:
    assert texts("临颍县", "近年来，临颍县坚持抓党建。") == ["临颍县", "近年来，临颍县坚持抓党建。"]
    assert texts(LONG + "。", "二是加强管理。") == [LONG + "。", "二是加强管理。"]


def test_lines_are_not_joined_across_latin_or_digits() -> None:
    assert texts(LONG + "ABC", "村干部。") == [LONG + "ABC", "村干部。"]
    assert texts(LONG, "2021年起实行。") == [LONG, "2021年起实行。"]


def test_a_hard_wrapped_text_is_joined_at_its_width() -> None:
    wrapped = [
        "全区推行月审月报制度，各乡镇组织委员每月定期审",
        "查各党支部台账情况，同时将审查情况统一报送区委",
        "组织部复审，区委组织部安排专人进行严格复查，对",
        "执行月审月报制度的情况定期通报，起到了很大的指",
        "导作用。",
        "二是强化保障。",
    ]
    joined = texts(*wrapped)
    assert joined == ["".join(wrapped[:5]), "二是强化保障。"]


def test_blank_line_paragraphs_wrapped_inside_are_joined() -> None:
    halves = ("每一段的前一半写在这一行", "后一半写在下一行。")
    lines = [
        Block(text, 3 * group + offset, group=group)
        for group in range(3)
        for offset, text in enumerate(halves)
    ]
    assert [b.text for b in clean(lines).blocks] == ["".join(halves)] * 3


def test_full_width_letters_and_digits_become_half_width_punctuation_stays() -> None:
    text, widths, punct = normalise_text("全县３６７个村，（ＡＢＣ）“１＋Ｎ”。")
    assert text == "全县367个村，（ABC）“1＋N”。"
    assert (widths, punct) == (8, 0)


def test_half_width_punctuation_inside_chinese_becomes_full_width() -> None:
    text, _, punct = normalise_text("要求,推动工作;时间:9:00(本网记者 张三 报道)1,000 and (x)")
    assert text == "要求，推动工作；时间：9:00（本网记者 张三 报道）1,000 and (x)"
    assert punct == 5


def test_a_formula_loses_its_spaces() -> None:
    assert normalise_text("明确了“1 + 2 + 3 + X”的目标")[0] == "明确了“1+2+3+X”的目标"


def test_spaces_left_by_page_wraps_go_other_spaces_stay() -> None:
    width = 20
    line = "".join(f"{'第' * (width - 1)}{'段' if i % 2 else '句'} " for i in range(8)).strip()
    kept = "“心中有党 对党忠诚”"
    result = clean(blocks(line + kept))
    assert result.blocks[0].text == line.replace(" ", "") + kept
    assert result.cleaned.wrap_spaces == 7
    assert clean(blocks("组建 “红色联盟”，开展“心中有党 对党忠诚”活动。")).cleaned.wrap_spaces == 0
