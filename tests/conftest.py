"""Shared fixtures: the fixture sites under tests/fixtures/, built once per session."""

from __future__ import annotations

import html.parser
import sys
from pathlib import Path

import pytest

from bulletin import pipeline

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def minimal_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    output = tmp_path_factory.mktemp("minimal") / "output"
    pipeline.build(FIXTURES / "minimal", output)
    return output


@pytest.fixture(scope="session")
def variants_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    output = tmp_path_factory.mktemp("variants") / "output"
    pipeline.build(FIXTURES / "variants", output)
    return output


@pytest.fixture(scope="session")
def sample_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled bulletin in content/."""
    output = tmp_path_factory.mktemp("sample") / "output"
    pipeline.build(ROOT / "content", output)
    return output


class PageParser(html.parser.HTMLParser):
    """Links, text and language of a page, for checks that read HTML like a browser."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.html_lang = ""
        self.text: list[str] = []  # visible text in the page's own language
        self.attribute_text: list[str] = []
        self._skip: list[str] = []  # tags whose text is not the page's language or not shown
        self._stack: list[tuple[str, bool]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "html":
            self.html_lang = values.get("lang") or ""
        for name in ("href", "src"):
            if values.get(name):
                self.links.append(values[name] or "")
        other_lang = bool(values.get("lang")) and values.get("lang") != self.html_lang
        hidden = tag in ("script", "style")
        if tag not in VOID:
            self._stack.append((tag, other_lang or hidden))
        if not (other_lang or any(skip for _, skip in self._stack)):
            for name in ("alt", "title", "content", "aria-label"):
                if values.get(name):
                    self.attribute_text.append(values[name] or "")

    def handle_endtag(self, tag: str) -> None:
        while self._stack:
            if self._stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if not any(skip for _, skip in self._stack):
            self.text.append(data)


VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}


def parse_page(path: Path) -> PageParser:
    parser = PageParser()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def run_cli(*args: str, cwd: Path = ROOT, file_limit: int | None = None) -> tuple[int, str, str]:
    """Run ``python build.py ARGS`` as an editor would. ``file_limit``: the largest file
    it may write, in bytes (RLIMIT_FSIZE: past it a write fails as on a full disk)."""
    import subprocess

    command = [sys.executable, str(ROOT / "build.py"), *args]
    if file_limit is not None:
        limit = f"import resource; resource.setrlimit(resource.RLIMIT_FSIZE, ({file_limit}, -1))"
        run = (
            "import runpy, sys; sys.argv = sys.argv[1:]; "
            "runpy.run_path(sys.argv[0], run_name='__main__')"
        )
        command[1:1] = ["-c", f"{limit}; {run}"]
    done = subprocess.run(
        command,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return done.returncode, done.stdout, done.stderr


@pytest.fixture(scope="session")
def recheck(tmp_path_factory: pytest.TempPathFactory):
    """``recheck(output, variant)``: a converter for checking that a page's visible text
    is all in the variant's script. Plain s2tw is not idempotent on Traditional text
    (鄰里 -> 鄰裡: 里 is also a Traditional character), so this one also maps every
    Traditional phrase of OpenCC's dictionary and of the site's to itself; what it still
    changes is a character the build left unconverted."""
    from bulletin.lint import dump_dictionary
    from search.scripts import make_converter, opencc_share_dir

    folder = tmp_path_factory.mktemp("recheck")
    share = opencc_share_dir()
    tool = share.parent.parent / "bin" / "opencc_dict"
    phrases = dump_dictionary(tool, share / "STPhrases.ocd2", folder / "stphrases.txt")

    def make(output: Path, variant: str):
        site = [
            line.split("\t")
            for line in (output / "_search" / "phrases.txt").read_text("utf-8").splitlines()
            if line
        ]
        entries = {simplified: target for simplified, target in site}
        for _, values in phrases:
            first = values.split(" ")[0]
            entries.setdefault(first, first)
        for _, target in site:
            entries.setdefault(target, target)
        path = folder / f"{output.parent.name}-{variant}.txt"
        path.write_text("".join(f"{k}\t{v}\n" for k, v in sorted(entries.items())), "utf-8")
        return make_converter(variant, path)

    return make
