"""A deterministic benchmark corpus, recombined from the project's own sample content.

    python bench/corpus.py --articles N [--seed S] --out DIR [--pelican DIR] [--mkdocs DIR]

Writes N articles of ~3,000 characters each into DIR in this project's layout
(site.yaml and phrases.txt copied from content/, articles/YEAR/SLUG.md, issues/,
pages/about.md), and with --pelican / --mkdocs the same articles for Pelican (content/
with Title/Date/Category/Tags/Slug metadata and a pelicanconf.py) and for MkDocs
(mkdocs.yml and docs/, flat nav, built-in search). The same seed gives byte-identical
files. Bodies recombine paragraphs, sentences, headings, lists and tables of
content/articles/*.md; ~60 counties (the samples' and generated names such as 东河县),
12 themes, a pool of slogans (the samples' and generated ones), dates over ten years,
one issue per 20 articles. Nothing is fetched from the network.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import re
import shutil
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "content"
DEFAULT_SEED = 20160802
ARTICLES_PER_ISSUE = 20
FIRST_YEAR, LAST_YEAR = 2015, 2024
MARKER = ".bench-corpus.json"  # hidden: the build does not read it

EXTRA_THEMES = ("乡村振兴", "作风建设", "人才工作", "城市基层党建", "干部队伍建设")
COUNTY_TARGET = 60
# Generated county names: a direction, a landform, a suffix (东河县, 西山区, ...).
COUNTY_FIRST = "东西南北中上下新"
COUNTY_SECOND = "河山湖川城阳平安宁丰泉林源溪"
COUNTY_SUFFIX = "县区"
# Fictional prefectures for the generated counties, each in a real province.
CITIES = (
    ("青州市", "山东省"),
    ("云江市", "四川省"),
    ("石门市", "河北省"),
    ("丰源市", "河南省"),
    ("临江市", "江苏省"),
    ("清河市", "湖南省"),
    ("白水市", "陕西省"),
    ("金川市", "甘肃省"),
)
SOURCES = ("组织工作简报", "基层党建交流材料", "县委组织部", "经验交流会材料")
AUTHORS = ("编辑部", "通讯员", "组织科")
# Generated slogans (提法): 三抓三促, 1+3+N, 红色引擎工程 ...
NUMERALS = "一二三四五六七八九十"
SLOGAN_VERBS = "抓联比议帮带评管"
SLOGAN_ENDS = ("促", "争", "提升", "联动", "公开", "落实")
SLOGAN_ADJ = ("红色", "先锋", "强基", "固本", "暖心", "连心", "领航", "聚力")
SLOGAN_NOUN = ("引擎", "堡垒", "纽带", "驿站", "阵地", "家园", "网格")
SLOGAN_KIND = ("工程", "行动", "计划")
EXTRA_SLOGANS = 160
SLOGAN_LINES = (
    "{county}把“{slogan}”作为抓手，一项一项推进，一年一年见效。",
    "在推行“{slogan}”的过程中，{county}注重先行试点、总结经验、逐步推开。",
    "“{slogan}”是{county}在实践中摸索出来的做法，基层干部群众普遍认可。",
    "围绕“{slogan}”，{county}细化了任务清单，明确了责任人和完成时限。",
)
# Short names the sample texts use for their counties, replaced like the full names.
PLACE_ALIASES = ("西城区", "海西州", "某区")
CLOSING_HEADINGS = ("几点启示", "体会", "结语", "经验启示")
HEADING_NUMBER = re.compile(
    r"^(做法[一二三四五六七八九十]+：|第[一二三四五六七八九十]+步：|[一二三四五六七八九十]+、)"
)


# --------------------------------------------------------------------------- the pool


@dataclass
class Pool:
    """What the sample content offers to recombine."""

    intros: list[str] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    sentences: list[str] = field(default_factory=list)
    lists: list[str] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)
    headings: list[str] = field(default_factory=list)
    subheadings: list[str] = field(default_factory=list)
    title_tails: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # issue 编者按 sentences
    slogans: list[str] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    counties: list[tuple[str, str, str]] = field(default_factory=list)  # name, city, province
    sample_places: list[str] = field(default_factory=list)  # replaced by the article's county


def _front(text: str) -> tuple[dict[str, Any], str]:
    match = re.match(r"\A---\n(.*?)\n---\n", text, flags=re.DOTALL)
    if not match:
        return {}, text
    return yaml.safe_load(match.group(1)) or {}, text[match.end() :]


def _clean_block(block: str) -> str | None:
    """A body block without links, images and footnotes; None to drop it."""
    if re.search(r"\]\([^)]*\)", block) and not block.startswith("|"):
        return None  # cross references and images name sample articles and files
    if block.startswith("[^") or block.strip() == "---":
        return None
    return re.sub(r"\[\^[^\]]+\]", "", block).strip() or None


def _sentences(paragraph: str) -> Iterable[str]:
    text = paragraph.replace("**", "")
    for piece in re.findall(r"[^。！？]+[。！？]", text):
        piece = piece.strip()
        if len(piece) >= 10 and not piece.startswith(("-", "|", "#", ">")):
            yield piece


def load_pool(sample: Path = SAMPLE) -> Pool:
    """Read the sample content (drafts included: their text is the project's too)."""
    pool = Pool()
    slogans: list[str] = []
    themes: list[str] = []
    tags: list[str] = []
    counties: dict[str, tuple[str, str, str]] = {}
    for path in sorted((sample / "articles").glob("**/*.md")):
        front, body = _front(path.read_text("utf-8-sig").replace("\r\n", "\n"))
        county = str(front.get("county", ""))
        city, province = str(front.get("city") or ""), str(front.get("province") or "")
        counties.setdefault(county, (county, city, province))
        themes.append(str(front.get("theme", "")))
        slogans += [str(s) for s in front.get("slogans") or []]
        tags += [str(t) for t in front.get("tags") or []]
        title = str(front.get("title", ""))
        if "：" in title:
            pool.title_tails.append(title.split("：", 1)[1].strip())
        _add_blocks(pool, body)
    for path in sorted((sample / "issues").glob("*.md")):
        _, body = _front(path.read_text("utf-8-sig").replace("\r\n", "\n"))
        pool.notes += [
            s for s in _sentences(body) if not any(w in s for w in ("本期", "：", "参考借鉴"))
        ]
    pool.slogans = _unique(slogans)
    pool.themes = _unique(themes)
    pool.tags = _unique(tags)
    pool.counties = [counties[name] for name in sorted(counties)]
    places = {c for c, _, _ in pool.counties} | {c for _, c, _ in pool.counties if c}
    places |= set(PLACE_ALIASES)
    pool.sample_places = sorted(places, key=lambda p: (-len(p), p))  # longest first
    if not (pool.paragraphs and pool.sentences and pool.headings and pool.counties):
        raise SystemExit(f"{sample}: no sample articles to recombine")
    return pool


def _add_blocks(pool: Pool, body: str) -> None:
    """Sort an article body's blocks into the pool: headings, tables, lists, the first
    paragraph (an intro) and the other paragraphs, with their sentences."""
    first = True
    for raw in re.split(r"\n\s*\n", body.strip()):
        block = _clean_block(raw)
        if block is None:
            continue
        if block.startswith("### "):
            pool.subheadings.append(HEADING_NUMBER.sub("", block[4:].strip()))
        elif block.startswith("## "):
            core = HEADING_NUMBER.sub("", block[3:].strip())
            if core not in CLOSING_HEADINGS:
                pool.headings.append(core)
        elif block.startswith("#"):
            continue
        elif block.startswith("|"):
            pool.tables.append(block)
        elif re.match(r"^(- |\d+\. )", block):
            pool.lists.append(block)
        else:
            (pool.intros if first else pool.paragraphs).append(block)
            pool.sentences += _sentences(block)
            first = False


def _unique(items: Iterable[str]) -> list[str]:
    return sorted({i.strip() for i in items if i and i.strip()})


# --------------------------------------------------------------------------- the corpus


@dataclass(frozen=True)
class Article:
    slug: str
    title: str
    county: str
    city: str
    province: str
    theme: str
    slogans: tuple[str, ...]
    tags: tuple[str, ...]
    date: dt.date
    source: str
    author: str
    body: str  # Markdown, without the closing cross reference
    see_also: tuple[str, str] | None  # (slug, title) of an earlier article, or None

    @property
    def year(self) -> int:
        return self.date.year


@dataclass(frozen=True)
class Issue:
    slug: str
    title: str
    number: int
    date: dt.date
    note: str
    articles: tuple[str, ...]


@dataclass(frozen=True)
class Corpus:
    articles: tuple[Article, ...]
    issues: tuple[Issue, ...]
    counties: tuple[tuple[str, str, str], ...]
    themes: tuple[str, ...]
    slogans: tuple[str, ...]


def make_counties(pool: Pool, rng: random.Random) -> list[tuple[str, str, str]]:
    counties = list(pool.counties)
    taken = {c for c, _, _ in counties}
    names = sorted(
        a + b + s
        for a in COUNTY_FIRST
        for b in COUNTY_SECOND
        for s in COUNTY_SUFFIX
        if a + b + s not in taken
    )
    rng.shuffle(names)
    for name in names[: max(0, COUNTY_TARGET - len(counties))]:
        city, province = rng.choice(CITIES)
        counties.append((name, city, province))
    return counties


def make_slogans(pool: Pool, rng: random.Random) -> list[str]:
    made: set[str] = set()
    for n in NUMERALS[:6]:
        for verb in SLOGAN_VERBS:
            for end in SLOGAN_ENDS:
                made.add(f"{n}{verb}{n}{end}")
    for adj in SLOGAN_ADJ:
        for noun in SLOGAN_NOUN:
            for kind in SLOGAN_KIND:
                made.add(f"{adj}{noun}{kind}")
    for a in range(1, 6):
        for b in range(2, 8):
            made.add(f"{a}+{b}+N")
    generated = sorted(made - set(pool.slogans))
    rng.shuffle(generated)
    # the samples' slogans first: a Zipf-like draw makes them the common ones
    return list(pool.slogans) + generated[:EXTRA_SLOGANS]


def _zipf_weights(count: int) -> list[float]:
    return [1.0 / (rank + 1) ** 0.8 for rank in range(count)]


def _localise(text: str, pool: Pool, county: str, city: str) -> str:
    """Put the article's own county (and city) in place of the sample's names."""
    for place in pool.sample_places:
        if place in text:
            is_county = place in PLACE_ALIASES or any(place == c for c, _, _ in pool.counties)
            text = text.replace(place, county if is_county else (city or county))
    return text


def _paragraph(pool: Pool, rng: random.Random) -> str:
    if rng.random() < 0.4:
        return rng.choice(pool.paragraphs)
    return "".join(rng.sample(pool.sentences, k=min(len(pool.sentences), rng.randint(2, 5))))


def make_body(
    pool: Pool, rng: random.Random, county: str, city: str, slogans: Sequence[str]
) -> str:
    target = rng.randint(2300, 2900)
    blocks = [rng.choice(pool.intros) if pool.intros else _paragraph(pool, rng)]
    size = len(blocks[0])
    pending = list(slogans)
    headings = rng.sample(pool.headings, k=min(8, len(pool.headings)))
    numbered = rng.random() < 0.7
    section = 0
    while size < target and section < len(headings):
        heading = headings[section]
        section += 1
        blocks.append(f"## {NUMERALS[section - 1]}、{heading}" if numbered else f"## {heading}")
        if pending:
            line = rng.choice(SLOGAN_LINES).format(county=county, slogan=pending.pop(0))
            blocks.append(line + _paragraph(pool, rng))
        else:
            blocks.append(_paragraph(pool, rng))
        for _ in range(rng.randint(1, 3)):
            roll = rng.random()
            if roll < 0.12 and pool.tables:
                blocks.append(rng.choice(pool.tables))
            elif roll < 0.3 and pool.lists:
                blocks.append(rng.choice(pool.lists))
            elif roll < 0.5 and pool.subheadings:
                blocks.append("### " + rng.choice(pool.subheadings))
                blocks.append(_paragraph(pool, rng))
            else:
                blocks.append(_paragraph(pool, rng))
        size = sum(len(b) for b in blocks)
    for slogan in pending:
        blocks.append(rng.choice(SLOGAN_LINES).format(county=county, slogan=slogan))
    blocks.append(f"## {rng.choice(CLOSING_HEADINGS)}")
    blocks.append(_paragraph(pool, rng))
    return _localise("\n\n".join(blocks), pool, county, city) + "\n"


def _title(pool: Pool, rng: random.Random, county: str, slogans: Sequence[str]) -> str:
    if slogans and rng.random() < 0.5:
        plain = [h for h in pool.headings if "：" not in h] or pool.headings
        tail = f"推行“{slogans[0]}” {rng.choice(plain)}"
    else:
        tail = rng.choice(pool.title_tails)
    return f"{county}：{tail}"


def generate(articles: int, seed: int = DEFAULT_SEED, sample: Path = SAMPLE) -> Corpus:
    """The whole corpus in memory; the same arguments give the same corpus."""
    pool = load_pool(sample)
    rng = random.Random(seed)
    counties = make_counties(pool, rng)
    themes = list(pool.themes) + [t for t in EXTRA_THEMES if t not in pool.themes]
    slogans = make_slogans(pool, rng)
    slogan_weights = _zipf_weights(len(slogans))
    first, last = dt.date(FIRST_YEAR, 1, 1), dt.date(LAST_YEAR, 12, 31)
    span = (last - first).days
    made: list[Article] = []
    for i in range(articles):
        county, city, province = rng.choice(counties)
        chosen: list[str] = []
        for s in rng.choices(slogans, weights=slogan_weights, k=rng.randint(1, 5)):
            if s not in chosen:
                chosen.append(s)
        date = first + dt.timedelta(days=rng.randrange(span + 1))
        see_also = None
        if made and rng.random() < 0.12:
            other = rng.choice(made)
            see_also = (other.slug, other.title)
        made.append(
            Article(
                slug=f"{date.year}-{i + 1:05d}",
                title=_title(pool, rng, county, chosen),
                county=county,
                city=city,
                province=province,
                theme=rng.choice(themes),
                slogans=tuple(chosen),
                tags=tuple(sorted(rng.sample(pool.tags, k=min(3, len(pool.tags))))),
                date=date,
                source=rng.choice(SOURCES),
                author=rng.choice(AUTHORS),
                body=make_body(pool, rng, county, city, chosen),
                see_also=see_also,
            )
        )
    return Corpus(
        articles=tuple(made),
        issues=tuple(_issues(made, pool, rng)),
        counties=tuple(counties),
        themes=tuple(themes),
        slogans=tuple(slogans),
    )


def _issues(articles: list[Article], pool: Pool, rng: random.Random) -> Iterable[Issue]:
    ordered = sorted(articles, key=lambda a: (a.date, a.slug))
    numbers: dict[int, int] = {}
    for start in range(0, len(ordered), ARTICLES_PER_ISSUE):
        group = ordered[start : start + ARTICLES_PER_ISSUE]
        date = group[-1].date + dt.timedelta(days=rng.randint(1, 9))
        number = numbers[date.year] = numbers.get(date.year, 0) + 1
        places = "、".join(dict.fromkeys(a.county for a in group[:6]))
        lines = rng.sample(pool.notes, k=min(2, len(pool.notes)))
        note = (
            "**编者按：** "
            + "".join(lines)
            + f"本期刊发{places}等{len(group)}个县区的经验材料，请结合实际参考借鉴。\n"
        )
        yield Issue(
            slug=f"{date.year}-{number:02d}",
            title=f"{date.year}年第{number}期",
            number=number,
            date=date,
            note=note,
            articles=tuple(a.slug for a in group),
        )


# --------------------------------------------------------------------------- writers


def _q(text: str) -> str:
    """A YAML scalar: a JSON string is a valid YAML double-quoted one."""
    return json.dumps(text, ensure_ascii=False)


def _qlist(items: Iterable[str]) -> str:
    return "[" + ", ".join(_q(i) for i in items) + "]"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")


def _prepare(folder: Path, force: bool) -> None:
    if folder.exists() and any(folder.iterdir()):
        if not force and not (folder / MARKER).is_file():
            raise SystemExit(f"{folder}: exists and is not empty (use --force to replace it)")
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)


def _marker(folder: Path, corpus: Corpus, seed: int, layout: str) -> None:
    info = {"layout": layout, "articles": len(corpus.articles), "seed": seed}
    _write(folder / MARKER, json.dumps(info, sort_keys=True) + "\n")


def write_project(corpus: Corpus, out: Path, seed: int, sample: Path = SAMPLE) -> None:
    """This project's layout: site.yaml, phrases.txt, articles/YEAR/, issues/, pages/."""
    shutil.copyfile(sample / "site.yaml", out / "site.yaml")
    if (sample / "phrases.txt").is_file():
        shutil.copyfile(sample / "phrases.txt", out / "phrases.txt")
    years = {a.slug: a.year for a in corpus.articles}
    for a in corpus.articles:
        lines = [
            "---",
            f"title: {_q(a.title)}",
            f"county: {_q(a.county)}",
            *([f"city: {_q(a.city)}"] if a.city else []),
            *([f"province: {_q(a.province)}"] if a.province else []),
            f"theme: {_q(a.theme)}",
            f"slogans: {_qlist(a.slogans)}",
            f"date: {a.date.isoformat()}",
            f"source: {_q(a.source)}",
            f"author: {_q(a.author)}",
            f"tags: {_qlist(a.tags)}",
            "---",
            "",
        ]
        body = a.body
        if a.see_also:
            slug, title = a.see_also
            body += f"\n相关做法，可参看[《{title}》](../{years[slug]}/{slug}.md)。\n"
        _write(out / "articles" / str(a.year) / f"{a.slug}.md", "\n".join(lines) + body)
    for issue in corpus.issues:
        lines = [
            "---",
            f"title: {_q(issue.title)}",
            f"number: {issue.number}",
            f"date: {issue.date.isoformat()}",
            "articles:",
            *(f"  - {slug}" for slug in issue.articles),
            "---",
            "",
        ]
        _write(out / "issues" / f"{issue.slug}.md", "\n".join(lines) + issue.note)
    _write(out / "pages" / "about.md", (sample / "pages" / "about.md").read_text("utf-8"))
    _marker(out, corpus, seed, "bulletin")


PELICANCONF = '''"""Pelican settings of the benchmark corpus (bench/corpus.py).

Default theme, no feeds, relative URLs: it builds offline."""

AUTHOR = "编辑部"
SITENAME = {sitename}
SITEURL = ""
TIMEZONE = "Asia/Shanghai"
DEFAULT_LANG = "zh"
DEFAULT_DATE_FORMAT = "%Y-%m-%d"
RELATIVE_URLS = True
DEFAULT_PAGINATION = {per_page}
ARTICLE_PATHS = ["articles"]
PAGE_PATHS = ["pages"]
STATIC_PATHS: list[str] = []
ARTICLE_URL = "articles/{{slug}}/"
ARTICLE_SAVE_AS = "articles/{{slug}}/index.html"
PAGE_URL = "{{slug}}/"
PAGE_SAVE_AS = "{{slug}}/index.html"
FEED_ALL_ATOM = None
CATEGORY_FEED_ATOM = None
TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
LINKS = ()
SOCIAL = ()
'''


def _site_title(sample: Path) -> tuple[str, int]:
    config = yaml.safe_load((sample / "site.yaml").read_text("utf-8")) or {}
    return str(config.get("title", "简报")), int(config.get("per_page", 20))


def write_pelican(corpus: Corpus, out: Path, seed: int, sample: Path = SAMPLE) -> None:
    """Pelican's layout: content/articles/SLUG.md, content/pages/about.md, pelicanconf.py.
    The county and the slogans are tags, the theme is the category."""
    title, per_page = _site_title(sample)
    _write(out / "pelicanconf.py", PELICANCONF.format(sitename=_q(title), per_page=per_page))
    for a in corpus.articles:
        tags = ", ".join([a.county, *a.slogans])
        head = [
            f"Title: {a.title}",
            f"Date: {a.date.isoformat()}",
            f"Category: {a.theme}",
            f"Tags: {tags}",
            f"Slug: {a.slug}",
            "",
            "",
        ]
        body = a.body
        if a.see_also:
            slug, other = a.see_also
            body += f"\n相关做法，可参看[《{other}》]({{filename}}/articles/{slug}.md)。\n"
        _write(out / "content" / "articles" / f"{a.slug}.md", "\n".join(head) + body)
    _, about = _front((sample / "pages" / "about.md").read_text("utf-8"))
    _write(out / "content" / "pages" / "about.md", "Title: 关于本刊\nSlug: about\n\n" + about)
    _marker(out, corpus, seed, "pelican")


def write_mkdocs(corpus: Corpus, out: Path, seed: int, sample: Path = SAMPLE) -> None:
    """MkDocs' layout: mkdocs.yml and docs/ (one flat folder: the automatic nav is flat),
    the built-in theme and search plugin as they come."""
    title, _ = _site_title(sample)
    _write(
        out / "mkdocs.yml",
        f"site_name: {_q(title)}\ndocs_dir: docs\ntheme:\n  name: mkdocs\nplugins:\n  - search\n",
    )
    _write(
        out / "docs" / "index.md",
        f"# {title}\n\n各县区经验做法摘编，共 {len(corpus.articles)} 篇。\n",
    )
    for a in corpus.articles:
        head = f"---\ntitle: {_q(a.title)}\n---\n\n# {a.title}\n\n"
        body = a.body
        if a.see_also:
            slug, other = a.see_also
            body += f"\n相关做法，可参看[《{other}》]({slug}.md)。\n"
        _write(out / "docs" / f"{a.slug}.md", head + body)
    _, about = _front((sample / "pages" / "about.md").read_text("utf-8"))
    _write(out / "docs" / "about.md", "# 关于本刊\n\n" + about)
    _marker(out, corpus, seed, "mkdocs")


def write_all(
    articles: int,
    seed: int,
    out: Path,
    pelican: Path | None = None,
    mkdocs: Path | None = None,
    force: bool = False,
) -> Corpus:
    corpus = generate(articles, seed)
    for folder, writer in ((out, write_project), (pelican, write_pelican), (mkdocs, write_mkdocs)):
        if folder is not None:
            _prepare(folder, force)
            writer(corpus, folder, seed)
    return corpus


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, required=True, help="how many articles")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", type=Path, required=True, help="this project's content folder")
    parser.add_argument("--pelican", type=Path, help="also write a Pelican site here")
    parser.add_argument("--mkdocs", type=Path, help="also write an MkDocs site here")
    parser.add_argument("--force", action="store_true", help="replace non-empty folders")
    args = parser.parse_args(argv)
    if args.articles < 1:
        parser.error("--articles must be 1 or more")
    corpus = write_all(args.articles, args.seed, args.out, args.pelican, args.mkdocs, args.force)
    chars = sum(len(a.body) for a in corpus.articles) / len(corpus.articles)
    print(
        f"{len(corpus.articles)} articles ({chars:.0f} characters each on average), "
        f"{len(corpus.issues)} issues, {len({a.county for a in corpus.articles})} counties, "
        f"{len({a.theme for a in corpus.articles})} themes, "
        f"{len({s for a in corpus.articles for s in a.slogans})} slogans, "
        f"{corpus.articles and min(a.year for a in corpus.articles)}-"
        f"{corpus.articles and max(a.year for a in corpus.articles)}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
