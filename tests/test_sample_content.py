"""The bundled bulletin in content/: clean, complete, and fully converted."""

from __future__ import annotations

from pathlib import Path

from bulletin import pipeline

from .conftest import ROOT, parse_page


def test_the_bundled_content_passes_check_strict() -> None:
    checked = pipeline.check(ROOT / "content")
    assert [str(p) for p in checked.problems] == []
    counties = {a.county for a in checked.site.articles}
    assert len(checked.site.articles) >= 14 and len(checked.site.issues) >= 2
    for county in (
        "临颍县",
        "舞阳县",
        "郾城区",
        "源汇区",
        "召陵区",
        "扎兰屯市",
        "某市某区",
        "海西蒙古族藏族自治州",
    ):
        assert county in counties
    assert all(issue.note.strip() for issue in checked.site.issues)


def test_the_bundled_site_is_traditional_throughout_in_zh_hant(sample_site: Path, recheck) -> None:
    converter = recheck(sample_site, "zh-hant")
    pages = sorted((sample_site / "zh-hant").rglob("index.html"))
    assert len(pages) > 100
    for page in pages:
        parsed = parse_page(page)
        for text in [*parsed.text, *parsed.attribute_text]:
            if text.strip() and "漯河日报" not in text:  # kept as written with -{ }-
                assert converter.convert(text) == text, f"{page}: {text!r}"


def test_the_recheck_still_catches_simplified_text(sample_site: Path, recheck) -> None:
    converter = recheck(sample_site, "zh-hant")
    assert converter.convert("鄰里群眾") == "鄰里群眾"  # Traditional stays
    assert converter.convert("邻里群众") == "鄰里群眾"  # Simplified is caught
