"""Fixture articles for the search tests, written for these tests (not from the sources)."""

from __future__ import annotations

from search.documents import SearchDocument
from search.scripts import make_converter

#: (slug, title, county, city, theme, slogans, date, paragraphs)
_ARTICLES: list[tuple[str, str, str, str, str, list[str], str, list[str]]] = [
    (
        "linying-hongse-lianmeng",
        "临颍县：组建“红色联盟”带动园区党建",
        "临颍县",
        "漯河市",
        "非公党建",
        ["红色联盟", "五抓五促"],
        "2016-08-15",
        [
            "临颍县把产业集聚区内的非公企业联合起来，组建“红色联盟”，由龙头企业党组织牵头。",
            "联盟实行“五抓五促”工作法：抓组织覆盖促规范，抓活动载体促融合，抓人才队伍促发展。",
            "目前，全县已有43家企业加入联盟，新发展党员126名。",
        ],
    ),
    (
        "yancheng-sanhui-yike",
        "郾城区落实“三会一课”制度的做法",
        "郾城区",
        "漯河市",
        "基层党建",
        ["三会一课"],
        "2016-09-02",
        [
            "郾城区围绕“三会一课”制度，制定了村级组织生活规范，每月固定主题党日。",
            "区委组织部对全区村级党组织开展督查，着力解决党内组织生活不经常、不认真的问题。",
            "各村支部书记带头讲党课，党员参学率达到95%以上。",
        ],
    ),
    (
        "wuyang-siyi-liangkai",
        "舞阳县推行“四议两公开”工作法",
        "舞阳县",
        "漯河市",
        "基层党建",
        ["四议两公开"],
        "2017-03-20",
        [
            "舞阳县在全县村级组织中推行“四议两公开”工作法，村里的大事由村民一起商量。",
            "凡涉及村级集体经济的重大事项，都要经过党支部提议、两委商议、党员大会审议、村民代表会议决议。",
            "决议公开、实施结果公开，群众满意度明显提高。",
        ],
    ),
    (
        "shaoling-jiti-jingji",
        "召陵区发展壮大村级集体经济",
        "召陵区",
        "漯河市",
        "村级集体经济",
        ["一村一策"],
        "2017-05-11",
        [
            "召陵区按照“一村一策”的思路，盘活闲置资源，发展村级集体经济。",
            "2016年，全区村级集体收入超过5万元的村达到88个，比上年增加了31个。",
            "区里还凭借电商平台销售特色农产品，带动群众增收。",
        ],
    ),
    (
        "yuanhui-ruanruo-huansan",
        "源汇区整顿软弱涣散村党组织",
        "源汇区",
        "漯河市",
        "基层党建",
        ["1+2+3+X"],
        "2018-01-08",
        [
            "源汇区对软弱涣散村党组织逐一建立台账，实行“1+2+3+X”包联机制。",
            "每个软弱涣散村由1名县级干部联系、2个部门帮扶、3名第一书记驻村，X项措施因村而定。",
            "经过一年整顿，15个村全部转化升级。",
        ],
    ),
    (
        "xiping-tuopin",
        "西平县精准扶贫365天",
        "西平县",
        "驻马店市",
        "脱贫攻坚",
        ["五个一批"],
        "2018-06-30",
        [
            "西平县开展“精准扶贫365天”行动，干部每周到户走访。",
            "按照“五个一批”要求，全县5·10专项行动共帮扶贫困户2300户。",
            "村里的留守老人和儿童得到了更多关照。",
        ],
    ),
    (
        "suiping-dangjian-xiangmu",
        "遂平县基层党建项目观摩侧记",
        "遂平县",
        "驻马店市",
        "基层党建",
        [],
        "2018-09-15",
        [
            "遂平县组织各乡镇党委书记观摩基层党建项目，现场打分、当场讲评。",
            "观摩中，大家看到村级活动场所建设标准化，党员服务中心窗口齐全。",
            "全县基层党建工作由“要我抓”变为“我要抓”。",
        ],
    ),
    (
        "queshan-wangge",
        "确山县推行网格化管理服务群众",
        "确山县",
        "驻马店市",
        "社会治理",
        ["网格化管理"],
        "2019-04-22",
        [
            "确山县把每个村划分为若干网格，每个网格配备一名网格员。",
            "网格员收集群众诉求，能解决的当场解决，不能解决的逐级上报。",
            "The county calls it Grid 2.0, a web of small teams.",
        ],
    ),
]


def fixture_documents(variants: tuple[str, ...] = ("zh-hant",)) -> list[SearchDocument]:
    """The fixture articles as the generator gives them (with per-variant display)."""
    converters = {v: make_converter(v) for v in variants}
    docs = []
    for slug, title, county, city, theme, slogans, date, paragraphs in _ARTICLES:
        display = {"zh-hans": {"title": title, "county": county, "theme": theme}}
        for v, conv in converters.items():
            display[v] = {k: conv.convert(x) for k, x in display["zh-hans"].items()}
        docs.append(
            SearchDocument.from_mapping(
                {
                    "slug": slug,
                    "title": title,
                    "body": "\n".join(paragraphs),
                    "county": county,
                    "theme": theme,
                    "city": city,
                    "province": "河南省",
                    "slogans": slogans,
                    "date": date,
                    "issue": date[:7],
                    "display": display,
                }
            )
        )
    return docs
