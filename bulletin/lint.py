"""Editor-facing lint for ``build.py check``: warnings, never errors.

- slogans quoted in a body (“…”) that look like slogans but are not in front matter (the
  shape is defined once, in bulletin/slogans.py, which ``import`` uses too);
- front-matter slogans that the body never mentions;
- duplicate titles;
- characters that OpenCC converts to Traditional by its character table alone (no phrase
  of OpenCC's nor of the site dictionary covers them) where that table offers several
  readings, e.g. 里 -> 裡 or 里, 干 -> 幹, 乾 or 干.

For the last one, OpenCC itself says which positions a phrase decides: the lint loads a
copy of the variant's config whose character table is replaced by a table mapping each
ambiguous character to a private-use sentinel, so after conversion a sentinel marks
exactly a position that the character table alone decided. The candidates come from
OpenCC's own ``STCharacters`` dictionary, dumped to text with the package's
``opencc_dict`` tool into a temporary folder once per run.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

import opencc

from bulletin.markup import KEEP_CLOSE, KEEP_OPEN, protect
from bulletin.model import Article, Site
from bulletin.problems import Problem
from bulletin.slogans import is_slogan, quoted
from bulletin.slogans import normalise as _norm
from bulletin.variants import phrases_text
from search.scripts import VARIANT_CONFIGS, Converter, custom_config, opencc_share_dir

# --- slogans ----------------------------------------------------------------------------


def lint_slogans(articles: Iterable[Article], bodies: Mapping[str, str]) -> list[Problem]:
    """Quoted slogans missing from front matter; front-matter slogans the body lacks."""
    articles = list(articles)
    declared: dict[str, list[str]] = defaultdict(list)  # slogan -> paths declaring it
    for article in articles:
        for slogan in dict.fromkeys(_norm(s) for s in article.slogans):
            declared[slogan].append(article.path)
    problems: list[Problem] = []
    for article in articles:
        own = {_norm(s) for s in article.slogans}
        reported: set[str] = set()
        body = bodies[article.slug]
        for line, text, single in quoted(body, article.body_line):
            if text in reported or text in own or any(text in slogan for slogan in own):
                continue
            others = [path for path in declared.get(text, ()) if path != article.path]
            if others:
                reason = f"a slogan of {others[0]}"
            elif is_slogan(text, single):
                reason = "shaped like a numbered work method"
            else:
                continue
            reported.add(text)
            problems.append(
                Problem(
                    article.path,
                    line,
                    f"“{text}” is quoted here and is {reason}, "
                    "but this article's 'slogans' does not list it",
                    "warning",
                )
            )
        body = _norm(body.replace("*", "").replace("-{", "").replace("}-", ""))
        for slogan in dict.fromkeys(article.slogans):
            if _norm(slogan) not in body:
                problems.append(
                    Problem(
                        article.path,
                        article.slogans_line,
                        f"slogan '{slogan}' is in 'slogans' but the body never mentions it",
                        "warning",
                    )
                )
    return problems


# --- titles -----------------------------------------------------------------------------


def lint_titles(articles: Iterable[Article]) -> list[Problem]:
    """The same title on two articles: readers cannot tell them apart in lists."""
    first: dict[str, Article] = {}
    problems: list[Problem] = []
    for article in sorted(articles, key=lambda a: a.path):
        key = re.sub(r"\s+", " ", _norm(article.title))
        if key in first:
            problems.append(
                Problem(
                    article.path,
                    article.title_line,
                    f"duplicate title '{article.title}' (also {first[key].path})",
                    "warning",
                )
            )
        else:
            first[key] = article
    return problems


# --- ambiguous conversions --------------------------------------------------------------

#: A character counts as ambiguous only if OpenCC's own phrase tables override its default
#: reading in at least this many phrases, and in at least this share of the phrases that
#: contain it. Of the ~280 characters with several candidates in STCharacters, this keeps
#: the ~130 whose other readings are in real use (里 裡/里, 干 幹/乾, 发 發/髮, 面 面/麵,
#: 系, 松, 斗, 复, 历, 征, 准, 冲, 尽, 范, 获, ...) and drops those whose alternatives are
#: rare variants that the phrase tables already cover (党/党, 个/箇, 了/瞭, 局/侷, ...):
#: on the sample bulletin these were 470 of 570 hits, all converted right.
MIN_ALTERNATE_PHRASES = 10
MIN_ALTERNATE_SHARE = 0.05

#: Characters that pass the test above but whose default reading is right in nearly every
#: use in these bulletins, where the exceptions are phrases OpenCC already knows.
ALLOWLIST = {
    "后": "後; 后 only in 皇后, 太后, 后土 (phrases)",
    "并": "並 (and); 併 only in 合并, 兼并, 吞并 (phrases)",
    "家": "家; 傢 only in 家具, 家伙 (phrases)",
    "当": "當; 噹 only for the sound (叮当, phrases)",
}

#: Common words of these bulletins with an ambiguous character whose reading OpenCC's
#: character table gets right in every use (tests/test_lint.py checks each), settled so
#: that ordinary text passes ``check --strict``: 刊发 is 刊發 (never 髮, hair). (里 is not
#: settled: 区里 may be 區裡, in the district, or 區里, districts and their 里.)
_SETTLED_WORDS = (
    "刊发 印发 下发 转发 签发 颁发 分发 散发 突发 引发 激发 启发 研发 自发 首发 多发 频发 "
    "高发 易发 开发 出发 发放 发展 发挥 发动 发现 发布 发起 发出 发生 发言 发扬 发达"
)
SETTLED = dict.fromkeys(_SETTLED_WORDS.split(" "), "發")


def _with_settled(phrases: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """The site phrases and the settled words, as the scanner's phrases (only the scanner
    gets the settled words: a phrase decides them, so they are never flagged)."""
    known = dict(phrases)
    return phrases + tuple((word, word) for word in SETTLED if word not in known)


_SENTINEL_BASE = 0xF0000  # Supplementary Private Use Area-A: never in content


@dataclass(frozen=True)
class Ambiguous:
    """A character decided by OpenCC's character table alone, at ``index`` of a text."""

    index: int
    char: str


def dump_dictionary(tool: Path, ocd2: Path, out: Path) -> list[tuple[str, str]]:
    """An OpenCC ``.ocd2`` dictionary as (key, values) pairs; values are separated by
    spaces, the default first."""
    env = dict(os.environ)
    clib = tool.parent.parent
    libs = [str(p) for p in (clib / "lib64", clib / "lib") if p.is_dir()]
    if libs:
        env["LD_LIBRARY_PATH"] = os.pathsep.join([*libs, env.get("LD_LIBRARY_PATH", "")])
    subprocess.run(
        [str(tool), "-i", str(ocd2), "-o", str(out), "-f", "ocd2", "-t", "text"],
        check=True,
        capture_output=True,
        env=env,
        timeout=60,
    )
    return _ENTRY_RE.findall(out.read_text(encoding="utf-8"))


_ENTRY_RE = re.compile(r"^([^\t\n]+)\t([^\n]+)$", re.M)


def _first_step_dicts(config: dict[str, Any]) -> list[dict[str, Any]]:
    return config["conversion_chain"][0]["dict"]["dicts"]


def _ocd2_files(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if node.get("type") == "ocd2":
            yield node["file"]
        for value in node.values():
            yield from _ocd2_files(value)
    elif isinstance(node, list):
        for value in node:
            yield from _ocd2_files(value)


def _load_converter(config: dict[str, Any], folder: Path, name: str) -> Converter:
    path = folder / f"{name}.json"
    path.write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
    return opencc.OpenCC(str(path))


class AmbiguityFinder:
    """Finds ambiguous characters that OpenCC converts by its character table alone.

    Made once per run (it loads OpenCC's dictionaries); ``find`` is then cheap.
    """

    def __init__(
        self,
        scanners: list[Converter],
        sentinels: Mapping[str, str],
        choices: Mapping[str, Mapping[str, tuple[str, ...]]],
    ) -> None:
        self._scanners = scanners  # turn chars that the char table alone decides to sentinels
        self._sentinels = sentinels  # sentinel -> char
        # variant -> char -> its candidates in the variant's script, OpenCC's pick first;
        # only chars with more than one there (覈 and 核 are both 核 in zh-hant)
        self.choices = choices

    @classmethod
    def load(
        cls, variants: Iterable[str], phrases: tuple[tuple[str, str], ...]
    ) -> AmbiguityFinder | None:
        """The finder for the Traditional ``variants`` with the site ``phrases``;
        None when there is no Traditional variant."""
        configs = {
            variant: custom_config(base, None)
            for variant in variants
            if (base := VARIANT_CONFIGS.get(variant))
        }
        if not configs:
            return None
        tool = opencc_share_dir().parent.parent / "bin" / "opencc_dict"
        if not tool.is_file():
            raise FileNotFoundError(f"OpenCC's opencc_dict tool is missing ({tool})")
        with tempfile.TemporaryDirectory(prefix="bulletin-lint-") as tmp:
            folder = Path(tmp)
            first_step = _first_step_dicts(next(iter(configs.values())))
            tables = {
                Path(f).name: dump_dictionary(tool, Path(f), folder / f"{Path(f).stem}.txt")
                for f in dict.fromkeys(_ocd2_files(first_step))
            }
            characters = tables.pop("STCharacters.ocd2")
            candidates = _ambiguous(characters, tables.values())
            choices: dict[str, dict[str, tuple[str, ...]]] = {}
            for variant, config in configs.items():
                later = _later_steps(config)
                step = _load_converter(later, folder, f"{variant}-later") if later else None
                mapped = {
                    char: tuple(dict.fromkeys(step.convert(c) if step else c for c in options))
                    for char, options in candidates.items()
                }
                choices[variant] = {c: o for c, o in mapped.items() if len(o) > 1}
            ambiguous = sorted({c for chars in choices.values() for c in chars})
            sentinels = {chr(_SENTINEL_BASE + i): c for i, c in enumerate(ambiguous)}
            sentinel_file = folder / "sentinels.txt"
            sentinel_file.write_text(
                "".join(f"{c}\t{s}\n" for s, c in sentinels.items()), encoding="utf-8"
            )
            phrases_file = folder / "phrases.txt"
            phrases_file.write_text(phrases_text(_with_settled(phrases)), encoding="utf-8")
            scanners: dict[str, Converter] = {}
            for variant in configs:
                base = VARIANT_CONFIGS[variant]
                assert base is not None
                scan = _scanner_config(custom_config(base, phrases_file), sentinel_file)
                key = json.dumps(scan, sort_keys=True)  # zh-hant and zh-hk share one
                if key not in scanners:
                    scanners[key] = _load_converter(scan, folder, f"scan-{len(scanners)}")
        return cls(list(scanners.values()), sentinels, choices)

    def find(self, text: str) -> list[Ambiguous]:
        """Positions in ``text`` (one line) that the character table alone decided."""
        found: set[int] = set()
        for scanner in self._scanners:
            found.update(self._positions(text, scanner.convert(text)))
        return [Ambiguous(i, text[i]) for i in sorted(found)]

    def _positions(self, text: str, converted: str) -> Iterator[int]:
        if len(converted) == len(text):
            for index, char in enumerate(converted):
                if self._sentinels.get(char) == text[index]:
                    yield index
            return
        # a phrase changed the length (rare): align on the characters left as they were
        restored = "".join(self._sentinels.get(c, c) for c in converted)
        matcher = SequenceMatcher(None, text, restored, autojunk=False)
        for tag, i1, i2, j1, _ in matcher.get_opcodes():
            if tag == "equal":
                for k in range(i2 - i1):
                    if converted[j1 + k] in self._sentinels:
                        yield i1 + k


def _ambiguous(
    characters: list[tuple[str, str]], phrase_tables: Iterable[list[tuple[str, str]]]
) -> dict[str, tuple[str, ...]]:
    """Characters with several candidates whose other readings OpenCC's phrases use."""
    several = {
        key: tuple(values.split())
        for key, values in characters
        if len(key) == 1 and " " in values.strip()
    }
    pairs: Counter[tuple[str, str]] = Counter()
    for table in phrase_tables:
        firsts = [(key, values.split(" ", 1)[0]) for key, values in table]
        same_length = [(key, value) for key, value in firsts if len(key) == len(value)]
        keys = "".join(key for key, _ in same_length)
        values = "".join(value for _, value in same_length)
        pairs.update(zip(keys, values, strict=True))  # counted in C: ~50k phrases
    other, total = Counter[str](), Counter[str]()
    for (source, target), count in pairs.items():
        if source in several:
            total[source] += count
            if target != several[source][0]:
                other[source] += count
    return {
        c: v
        for c, v in several.items()
        if c not in ALLOWLIST
        and other[c] >= MIN_ALTERNATE_PHRASES
        and other[c] >= MIN_ALTERNATE_SHARE * total[c]
    }


def _scanner_config(config: dict[str, Any], sentinel_file: Path) -> dict[str, Any]:
    """The first conversion step only, with the character table replaced by sentinels."""
    scan = json.loads(json.dumps(config))
    dicts = _first_step_dicts(scan)
    for index, node in enumerate(dicts):
        if node.get("type") == "ocd2" and Path(node["file"]).name == "STCharacters.ocd2":
            dicts[index] = {"type": "text", "file": str(sentinel_file)}
    scan["conversion_chain"] = scan["conversion_chain"][:1]
    return scan


def _later_steps(config: dict[str, Any]) -> dict[str, Any] | None:
    """The steps after the first (regional variants, such as 裏 -> 裡 for zh-hant)."""
    steps = config["conversion_chain"][1:]
    if not steps:
        return None
    later = {key: value for key, value in config.items() if key != "normalization"}
    later["conversion_chain"] = steps
    later["segmentation"] = {"type": "mmseg", "dict": steps[0]["dict"]}
    return later


def _masked(text: str) -> str:
    """Text inside ``-{ }-`` is never converted: blank it out, keeping lines and columns."""
    marked = protect(text)
    if KEEP_OPEN not in marked:
        return text
    out, keep = [], False
    for char in marked:
        if char == KEEP_OPEN:
            keep = True
            out.append(" " * 2)  # "-{"
        elif char == KEEP_CLOSE:
            keep = False
            out.append(" " * 2)  # "}-"
        else:
            out.append(" " if keep and char != "\n" else char)
    return "".join(out)


@dataclass(frozen=True)
class _Text:
    path: str
    first_line: int
    text: str


def _texts(site: Site, bodies: Mapping[str, str]) -> Iterator[_Text]:
    for article in site.articles:
        yield _Text(article.path, article.title_line, article.title)
        yield _Text(article.path, article.body_line, bodies[article.slug])
    for issue in site.issues:
        yield _Text(issue.path, issue.note_line, issue.note)
    for page in site.pages:
        yield _Text(page.path, page.body_line, page.body)


def _context(line: str, index: int, width: int = 4) -> str:
    start, end = max(0, index - width), min(len(line), index + width + 1)
    head = "…" if start > 0 else ""
    tail = "…" if end < len(line) else ""
    return f"{head}{line[start:end].strip()}{tail}"


def lint_ambiguous(
    site: Site, bodies: Mapping[str, str], finder: AmbiguityFinder, phrases_path: str
) -> list[Problem]:
    """One warning per file and character: its first place, OpenCC's pick, other lines."""
    found: dict[tuple[str, str], list[tuple[int, str]]] = defaultdict(list)
    for item in _texts(site, bodies):
        for offset, line in enumerate(_masked(item.text).split("\n")):
            for hit in finder.find(line):
                found[(item.path, hit.char)].append(
                    (item.first_line + offset, _context(line, hit.index))
                )
    problems = []
    for (path, char), places in found.items():
        line, context = places[0]
        where = {v: options[char] for v, options in finder.choices.items() if char in options}
        picks = ", ".join(f"{options[0]} in {variant}" for variant, options in where.items())
        options = "/".join(dict.fromkeys(o for found in where.values() for o in found))
        more = sorted({n for n, _ in places[1:]} - {line})
        also = ""
        if more:
            listed = ", ".join(str(n) for n in more[:8]) + (", …" if len(more) > 8 else "")
            also = f" (also line{'s' if len(more) > 1 else ''} {listed})"
        problems.append(
            Problem(
                path,
                line,
                f"'{char}' in “{context}”: OpenCC's character table alone picks {picks} "
                f"(of {options}){also}; if that is wrong, add the phrase with its right "
                f"form to {phrases_path}",
                "warning",
            )
        )
    return problems


# --- all --------------------------------------------------------------------------------


def lint(
    site: Site,
    content: Path,
    bodies: Mapping[str, str],
    finder: AmbiguityFinder | None = None,
) -> list[Problem]:
    """Every lint warning for a site that has no errors (``bodies``: each article's
    Markdown by slug). ``finder`` is made here when not given (it loads OpenCC's
    dictionaries: make it once when linting repeatedly)."""
    problems = lint_slogans(site.articles, bodies) + lint_titles(site.articles)
    phrases_path = str(content / "phrases.txt")
    if finder is None:
        try:
            finder = AmbiguityFinder.load(site.config.variants, site.phrases)
        except (OSError, subprocess.SubprocessError) as exc:
            problems.append(
                Problem(
                    str(content / "site.yaml"),
                    0,
                    f"ambiguous conversions not checked: cannot read OpenCC's dictionaries ({exc})",
                    "warning",
                )
            )
    if finder is not None:
        problems += lint_ambiguous(site, bodies, finder, phrases_path)
    return problems
