"""Pages: which there are, their paths, and each rendered into every script."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import jinja2
import pytest

from bulletin.cache import PreviousBuild, TemplateCode
from bulletin.pipeline import BuildOptions, Loaded, Timings, _renderer, load
from bulletin.render import Assets, chinese_date, paginate, template_error_line

from .conftest import FIXTURES


@pytest.fixture(scope="module")
def loaded() -> Loaded:
    return load(BuildOptions(FIXTURES / "minimal", Path()), PreviousBuild(), Timings(False))


def test_pagination() -> None:
    pages = list(paginate(tuple(range(45)), 20, "counties/x/"))
    assert [(p.number, len(p.items), p.previous, p.next) for p in pages] == [
        (1, 20, None, "counties/x/page/2/"),
        (2, 20, "counties/x/", "counties/x/page/3/"),
        (3, 5, "counties/x/page/2/", None),
    ]
    assert [p.number for p in paginate((), 20, "x/")] == [1]  # an empty list has a page


def test_chinese_dates() -> None:
    assert chinese_date(dt.date(2016, 8, 2)) == "2016年8月2日"


def test_assets_get_content_hashed_names(tmp_path: Path) -> None:
    (tmp_path / "site.css").write_text("body{}", "utf-8")
    (tmp_path / ".hidden").write_text("x", "utf-8")
    assets = Assets.load(tmp_path)
    hashed = assets.names["site.css"]
    assert hashed.startswith("site.") and hashed.endswith(".css") and len(hashed) == 19
    assert assets.files == {hashed: b"body{}"}


def test_every_page_of_the_minimal_site_once_in_a_fixed_order(loaded: Loaded) -> None:
    renderer = _renderer(loaded, FIXTURES.parent.parent / "templates", TemplateCode({}))
    paths = [spec.path for spec in renderer.page_specs()]
    assert len(paths) == len(set(paths))
    assert paths[:3] == ["", "articles/wuyang-tuopin/", "articles/linying-jiti-jingji/"]
    for path in ("counties/", "themes/", "slogans/", "issues/", "archive/", "about/", "search/"):
        assert path in paths
    jobs = renderer.page_jobs()
    assert len(jobs) == 2 * len(paths) and jobs[0].rel == "zh-hans/index.html"


def test_a_page_in_each_script(loaded: Loaded) -> None:
    renderer = _renderer(loaded, FIXTURES.parent.parent / "templates", TemplateCode({}))
    spec = renderer.article_spec(loaded.site.articles[0])
    hans = renderer.render_spec(spec, loaded.variants["zh-hans"]).decode("utf-8")
    hant = renderer.render_spec(spec, loaded.variants["zh-hant"]).decode("utf-8")
    assert '<html lang="zh-Hans">' in hans and '<html lang="zh-Hant">' in hant
    assert "舞阳县党建促脱贫" in hans and "舞陽縣黨建促脫貧" in hant
    assert "\ue003" not in hans + hant  # the body's slot is filled
    assert 'href="../../../zh-hant/articles/wuyang-tuopin/"' in hans  # the switcher


def test_a_template_error_names_its_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text("<p>\n{{ nothing.here }}</p>\n", "utf-8")
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(tmp_path)), undefined=jinja2.StrictUndefined
    )
    with pytest.raises(jinja2.UndefinedError) as caught:
        env.get_template("page.html").render()
    line = template_error_line(caught.value, tmp_path)
    assert line.endswith("page.html:2: template error: 'nothing' is undefined")
