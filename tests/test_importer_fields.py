"""Front matter from the text: places, themes, titles."""

from __future__ import annotations

from collections import Counter

from bulletin.importer.fields import (
    DEFAULT_THEME,
    Located,
    city_context,
    dominant_city,
    guess_theme,
    lead_title,
    locate,
    main_place,
)
from bulletin.importer.places import Divisions

DIVISIONS = Divisions.load()
LUOHE = DIVISIONS.lookup("漯河市")[0]


def test_a_unique_name_gets_its_city_and_province() -> None:
    assert locate("舞阳县", DIVISIONS, None) == Located("舞阳县", "漯河市", "河南省")
    assert locate("海西州", DIVISIONS, None) == Located("海西蒙古族藏族自治州", "", "青海省")


def test_an_ambiguous_name_is_left_undecided_without_context() -> None:
    located = locate("城区", DIVISIONS, None)
    assert (located.city, located.province) == ("", "")
    assert located.undecided.startswith("城区 is in several places (")


def test_context_settles_an_ambiguous_name() -> None:
    jincheng = DIVISIONS.lookup("晋城市")[0]
    assert locate("城区", DIVISIONS, jincheng) == Located("城区", "晋城市", "山西省")


def test_in_an_issue_of_one_city_other_names_are_that_citys_own() -> None:
    xicheng = locate("西城区", DIVISIONS, LUOHE, shared=True)
    assert (xicheng.county, xicheng.city, xicheng.province) == ("漯河市西城区", "漯河市", "河南省")
    assert xicheng.guess is not None and "only in 北京市" in xicheng.guess.why
    zone = locate("市城乡一体化示范区", DIVISIONS, LUOHE, shared=True)
    assert (zone.county, zone.city) == ("漯河市城乡一体化示范区", "漯河市")
    assert locate("西城区", DIVISIONS, None) == Located("西城区", "北京市", "北京市")


def test_an_anonymised_name_is_written_with_mou() -> None:
    located = locate("*市*区", DIVISIONS, None)
    assert located.county == "某市某区" and located.guess is not None


def test_the_city_most_names_point_to() -> None:
    votes = city_context(["临颍县", "舞阳县", "漯河市", "西城区"], DIVISIONS)
    assert votes[LUOHE] == 3
    assert dominant_city(votes) == LUOHE
    assert dominant_city(Counter({LUOHE: 1})) is None  # one name is not enough


def test_main_place_of_a_single_report() -> None:
    assert main_place("扎兰屯市坚持“三动”工作法", "", DIVISIONS) == (
        "扎兰屯市",
        "named in the title",
    )
    text = "为落实呼伦贝尔市委部署，扎兰屯市推行新办法。扎兰屯市各街道都已推开。"
    assert main_place("推进党建功能区建设", text, DIVISIONS) == ("扎兰屯市", "mentioned 2 times")
    assert main_place("题目", "*市*区紧紧围绕。*区紧盯短板。", DIVISIONS) == (
        "*市*区",
        "the text hides the name",
    )
    assert main_place("题目", "没有地名的一段话。", DIVISIONS) is None


def test_theme_from_keywords_or_the_general_one() -> None:
    theme, why = guess_theme("抓党建促脱贫", "扶贫工作队进村，帮助贫困户脱贫。" * 3)
    assert theme == "脱贫攻坚" and why.startswith("keywords 脱贫×6, 扶贫×3, 贫困×3: ")
    assert guess_theme("题目", "党建工作全面推进。")[0] == DEFAULT_THEME


def test_title_from_a_sections_lead() -> None:
    assert (
        lead_title("西城区", "近年来，西城区以“强基础、抓规范”为思路。")
        == "西城区：“强基础、抓规范”"
    )
    lead = "“党旗似火，干群同心。”召陵区实现“三大转变”。"
    assert lead_title("召陵区", lead) == "召陵区：“三大转变”"
    assert (
        lead_title("西华县", "西华县为每个村明确一名农技员。") == "西华县：为每个村明确一名农技员"
    )
