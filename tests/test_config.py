"""site.yaml and phrases.txt, validated in one place."""

from __future__ import annotations

from pathlib import Path

import pytest

from bulletin.config import load_config, load_phrases, normalise_base_url
from bulletin.model import SiteConfig
from bulletin.sources import SourceFile


def _file(tmp_path: Path, name: str, text: str) -> SourceFile:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    stat = path.stat()
    return SourceFile(name, str(path), (stat.st_size, stat.st_mtime_ns, stat.st_ino))


def _config(tmp_path: Path, text: str) -> tuple[SiteConfig, list[str]]:
    config, problems = load_config(_file(tmp_path, "site.yaml", text), str(tmp_path))
    return config, [f"{p.line}: {p.message}" for p in problems]


def test_a_full_config(tmp_path: Path) -> None:
    config, problems = _config(
        tmp_path,
        "title: 简报\nsubtitle: 副题\nbase_url: http://intranet/bulletin\nvariants: [zh-hans, "
        "zh-hk]\nper_page: 5\nslugs:\n  counties: {临颍县: linying}\n",
    )
    assert problems == []
    assert config.base_url == "http://intranet/bulletin/"
    assert config.variants == ("zh-hans", "zh-hk") and config.per_page == 5
    assert config.slug_overrides("counties") == {"临颍县": "linying"}


def test_every_config_problem_at_its_line(tmp_path: Path) -> None:
    _, problems = _config(
        tmp_path,
        "title: 简报\nbase_url: ftp://x\nvariants: [zh-tw]\nper_page: 0\n"
        "slugs:\n  towns: {}\n  counties: {临颍县: Lin Ying}\n",
    )
    assert problems == [
        "4: 'per_page' must be a whole number above 0, not 0",
        "2: 'base_url' must be an http(s) URL or a path starting with /, not 'ftp://x'",
        "3: 'variants' must list some of zh-hans, zh-hant, zh-hk; unknown: zh-tw",
        "5: slug 'Lin Ying' for '临颍县' must use only a-z, 0-9 and single hyphens",
        "5: 'slugs' has unknown kind 'towns' (known: counties, themes, slogans)",
    ]


def test_a_missing_config_and_a_missing_title(tmp_path: Path) -> None:
    config, problems = load_config(None, "content")
    assert config.title == "" and [str(p) for p in problems] == [
        "content/site.yaml:0: site.yaml is missing"
    ]
    assert _config(tmp_path, "subtitle: x\n")[1] == ["1: missing required key 'title' in site.yaml"]


def test_base_urls() -> None:
    assert normalise_base_url("/bulletin") == ("/bulletin/", None)
    assert normalise_base_url("https://a.example/") == ("https://a.example/", None)
    assert normalise_base_url("bulletin")[1] is not None
    assert normalise_base_url("http://a/?q=1")[1] == "'base_url' must not have a query or fragment"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("//evil.example/", "must not start with // (another host): write http://HOST/PATH/"),
        (
            "http://u:pw@a.example/",
            "must not hold a user name or password: every page would show it",
        ),
        (
            "http://a/b c/",
            "must not contain spaces or control characters (write %20): 'http://a/b c/'",
        ),
        ("/a\tb/", "must not contain spaces or control characters (write %20): '/a\\tb/'"),
        ("/a/../b/", "must not contain . or .. segments: '/a/../b/'"),
        ("/a/./", "must not contain . or .. segments: '/a/./'"),
    ],
)
def test_base_urls_that_would_print_a_broken_or_foreign_address(value: str, message: str) -> None:
    """Each was built into every canonical link, feed id and sitemap entry (exit 0)."""
    assert normalise_base_url(value) == (value, f"'base_url' {message}")


def test_base_urls_with_a_port_or_non_ascii_path_stay_allowed() -> None:
    for value in ("http://[::1]:8080/", "/a.b/c..d/"):
        assert normalise_base_url(value) == (value, None)
    assert normalise_base_url("http://intranet/简报/") == (
        "http://intranet/%E7%AE%80%E6%8A%A5/",
        None,
    )


def test_phrases(tmp_path: Path) -> None:
    phrases, problems = load_phrases(
        _file(tmp_path, "phrases.txt", "# 注释\n审签\t審簽\n\n坏行\n审签\t審签\n")
    )
    assert phrases == (("审签", "審簽"),)
    assert [(p.line, p.message) for p in problems] == [
        (4, "expected 'simplified<TAB>traditional'"),
        (5, "'审签' is listed twice"),
    ]


def test_a_base_url_path_is_percent_encoded_once() -> None:
    assert normalise_base_url("http://intranet/简报") == (
        "http://intranet/%E7%AE%80%E6%8A%A5/",
        None,
    )
    assert normalise_base_url("/%E7%AE%80%E6%8A%A5/") == ("/%E7%AE%80%E6%8A%A5/", None)
