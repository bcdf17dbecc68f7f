"""Scripts: OpenCC s2tw character forms, the site phrase dictionary, -{ }- protection."""

from __future__ import annotations

from pathlib import Path

import pytest

from bulletin.markup import KEEP_CLOSE, KEEP_OPEN
from bulletin.variants import local_converters, make_variants, phrases_text

PHRASES = (("内制度", "內制度"), ("审签", "審簽"), ("款物折合", "款物折合"))


@pytest.fixture(scope="module")
def variants():
    phrases = phrases_text(PHRASES).encode("utf-8")
    return make_variants(("zh-hans", "zh-hant", "zh-hk"), phrases, local_converters(phrases))


def test_s2tw_character_forms_not_s2t_and_not_s2twp(variants) -> None:
    hant = variants["zh-hant"]
    assert hant.text("群众村里考核") == "群眾村裡考核"  # s2t would give 羣衆村裏考覈
    assert hant.text("社区项目文件") == "社區項目文件"  # s2twp would give 社群專案檔案


def test_site_phrases_act_inside_opencc_segmentation(variants) -> None:
    hant = variants["zh-hant"]
    assert hant.text("落实审签制度") == "落實審簽制度"
    assert hant.text("款物折合") == "款物折合"
    assert hant.text("健全党内制度") == "健全黨內制度"  # 设党|内制度 segmentation is fixed


def test_zh_hk_uses_s2hk(variants) -> None:
    assert variants["zh-hk"].text("群众村里") == "羣眾村裏"  # Hong Kong standard forms
    assert variants["zh-hk"].lang == "zh-Hant-HK"


def test_simplified_variant_is_unchanged_but_markers_go(variants) -> None:
    assert variants["zh-hans"].text(f"群众{KEEP_OPEN}后台{KEEP_CLOSE}") == "群众后台"


def test_html_conversion_keeps_tags_urls_and_protected_runs(variants) -> None:
    hant = variants["zh-hant"]
    html = (
        f'<a href="../学习/" title="学习园地" data-x="学习">学习</a>'
        f'<img alt="示意图" src="图.svg">{KEEP_OPEN}后台{KEEP_CLOSE}<!-- 注释 -->'
    )
    assert hant.html(html) == (
        '<a href="../学习/" title="學習園地" data-x="学习">學習</a>'
        '<img alt="示意圖" src="图.svg">后台<!-- 注释 -->'
    )


def test_a_body_converted_on_its_own_reads_as_within_its_page(variants) -> None:
    """Article pages are converted with a slot where the body goes, the body apart (and
    kept by the cache): the same text as converting the page with the body in it."""
    from bulletin.bodies import BODY_SLOT
    from bulletin.cache import PreviousBuild
    from bulletin.pipeline import BuildOptions, Timings, load

    from .conftest import FIXTURES, ROOT

    before = '<dl><dt>县区</dt><dd title="某区">某区</dd></dl>\n  <div class="article-body">\n'
    after = "\n  </div>\n<p>下一篇：干部群众</p>"
    loaded = [
        load(BuildOptions(folder, Path()), PreviousBuild(), Timings(enabled=False))
        for folder in (ROOT / "content", FIXTURES / "variants")
    ]
    bodies = [one.bodies.get(a.slug).html for one in loaded for a in one.site.articles]
    bodies.append(f"<p>{KEEP_OPEN}后台{KEEP_CLOSE}里面的发展</p>")
    assert len(bodies) > 20
    slot = f"{BODY_SLOT}0123abcd{BODY_SLOT}"
    for variant in variants.values():
        for body in bodies:
            whole = variant.html(before + body + after)
            apart = variant.html(before + slot + after).replace(slot, variant.html(body))
            assert apart == whole


def test_frame_pieces_are_converted_once_and_reused(variants) -> None:
    hant = variants["zh-hant"]
    page = '<nav aria-label="主导航">群众工作</nav><p>干部群众</p>'
    first = hant.html(page)
    assert hant.seen["干部群众"] == "幹部群眾"
    assert hant.html(page) == first == '<nav aria-label="主導航">群眾工作</nav><p>幹部群眾</p>'
    hant.html("<p>只转换一次的正文</p>", remember=False)
    assert "只转换一次的正文" not in hant.seen
