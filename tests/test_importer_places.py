"""The divisions table: names, short forms, mentions in running text."""

from __future__ import annotations

from bulletin.importer.places import Divisions, Place, short_name

DIVISIONS = Divisions.load()


def test_county_lookups() -> None:
    assert DIVISIONS.lookup("临颍县") == (Place("临颍县", "漯河市", "河南省", "county"),)
    assert DIVISIONS.lookup("扎兰屯市") == (
        Place("扎兰屯市", "呼伦贝尔市", "内蒙古自治区", "county"),
    )
    assert len(DIVISIONS.lookup("城区")) > 1  # 晋城, 阳泉, 汕尾: ambiguous
    assert DIVISIONS.lookup("不存在县") == ()


def test_short_forms_of_autonomous_areas() -> None:
    assert short_name("海西蒙古族藏族自治州") == "海西州"
    assert short_name("乐东黎族自治县") == "乐东县"
    assert DIVISIONS.lookup("海西州") == (
        Place("海西蒙古族藏族自治州", "海西蒙古族藏族自治州", "青海省", "city"),
    )
    assert DIVISIONS.lookup("前郭县")[0].county == "前郭尔罗斯蒙古族自治县"  # the package's alias


def test_counties_under_a_province_directly() -> None:
    assert DIVISIONS.lookup("神农架林区") == (Place("神农架林区", "", "湖北省", "county"),)


def test_mentions_in_running_text_longest_first() -> None:
    text = "漯河市委组织部在临颍县召开现场会，新城区建设和全县工作一并部署。"
    found = [(m.start, m.written) for m in DIVISIONS.mentions(text)]
    assert found == [(0, "漯河市"), (8, "临颍县"), (17, "新城区")]


def test_leading_name() -> None:
    mention = DIVISIONS.leading("临颍县组建红色联盟")
    assert mention is not None and mention.written == "临颍县"
    assert DIVISIONS.leading("组建红色联盟") is None
