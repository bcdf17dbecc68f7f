"""The command line: parse arguments, call the package, map outcomes to exit status.

Exit status: 0 success; 1 the content has errors (nothing published); 2 usage error;
3 the output could not be written (nothing published); 130 interrupted (Ctrl-C or
SIGTERM; nothing published, the build's own temporary folders removed).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import signal
import sys
import threading
from dataclasses import replace
from pathlib import Path
from types import FrameType
from typing import Any

import jinja2

from bulletin import pipeline, skeleton
from bulletin.pdf import PdfUnavailable
from bulletin.problems import ContentError, OutputError, Problem, UsageError
from bulletin.render import template_error_line
from bulletin.schema import CHECKERS
from bulletin.tuning import DEFAULT

EXIT_OK, EXIT_CONTENT, EXIT_USAGE, EXIT_OUTPUT, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="build.py",
        description="Build the experience-sharing bulletin (经验交流简报) into a static site "
        "in Simplified and Traditional Chinese, with a Whoosh search index.",
        epilog="Exit status: 0 success; 1 the content has errors (nothing published); "
        "2 usage error; 3 the output could not be written (nothing published). Errors go "
        "to stderr as path:line: message.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in (_build_parser, _check_parser, _new_parser, _import_parser, _serve_parser):
        add(commands)
    return parser


def _build_parser(commands: Any) -> None:
    build = commands.add_parser("build", help="build the site (the default command)")
    _content_option(build)
    build.add_argument(
        "--output",
        type=Path,
        default=Path("output"),
        help="where the site is written (default: output/); only after everything has "
        "rendered: a full build swaps the new folder in at once, a rebuild renames each "
        "changed file into place",
    )
    build.add_argument(
        "--base-url",
        help="the URL the site is served at, e.g. "
        "http://intranet/bulletin/ (default: base_url of site.yaml)",
    )
    build.add_argument(
        "--no-cache",
        action="store_true",
        help="build everything afresh, without reading or writing the build cache "
        "(kept beside the output as OUTPUT.cache/)",
    )
    build.add_argument(
        "--jobs", type=int, default=0, help="worker processes (default: one per core)"
    )
    build.add_argument(
        "--pdf",
        action="store_true",
        help="also write each issue as a PDF (A4, as it prints) beside its page, "
        "linked from it: {variant}/issues/SLUG/SLUG.pdf; needs WeasyPrint "
        "(pip install -e '.[pdf]'). A build without --pdf publishes no PDFs",
    )
    build.add_argument(
        "--templates",
        type=Path,
        default=pipeline.TEMPLATES_DIR,
        help="the Jinja2 templates and assets/ (default: the project's templates/)",
    )


def _check_parser(commands: Any) -> None:
    check = commands.add_parser("check", help="validate and lint the content; write nothing")
    _content_option(check)
    check.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text: path:line: message lines on stderr; json: a report on stdout",
    )
    check.add_argument("--strict", action="store_true", help="treat warnings as errors")


def _new_parser(commands: Any) -> None:
    new = commands.add_parser("new", help="write a new article skeleton and print its path")
    new.add_argument(
        "slug", metavar="SLUG", help="file name: a-z, 0-9 and -, e.g. linying-dangjian"
    )
    new.add_argument("--county", required=True, help="the reporting county or district (县区)")
    new.add_argument("--theme", required=True, help="the theme (主题)")
    new.add_argument(
        "--slogan",
        action="append",
        default=[],
        dest="slogans",
        help="a slogan (提法) quoted in the article; repeat for several",
    )
    new.add_argument(
        "--title", help="the title (default: a placeholder; the article is a draft until edited)"
    )
    _content_option(new)


def _serve_parser(commands: Any) -> None:
    serve = commands.add_parser(
        "serve",
        help="build, serve the site and search on 127.0.0.1, rebuild and reload on change",
        description="Build the content into a preview folder, serve the site and the search "
        "API on 127.0.0.1, watch the content and templates, rebuild on change and reload "
        "open pages. A content error keeps the last good site served and shows the errors "
        "in the terminal and over every page.",
    )
    _content_option(serve)
    serve.add_argument(
        "--port", type=_port, default=8000, help="the port (default: 8000; 0: any free port)"
    )
    serve.add_argument(
        "--output",
        type=Path,
        default=None,
        help="where the preview is built (default: a temporary folder, removed on exit; "
        "never output/, so previewing never replaces what you deploy)",
    )


def _import_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "import",
        help="turn bulletin files (.docx, .txt, .md) into an issue and per-county articles",
        description="Read bulletin files as editors receive them (.docx; .txt/.md in UTF-8 or "
        "GB18030/GBK) and write content files: a file with a 编者按 and two or more county "
        "sections becomes one issue (content/issues/) and one article per section, in order; "
        "any other file one article. Site notices, page numbers and page fragments are "
        "removed, lines broken mid-sentence joined; county, city, province, title, date, "
        "slogans, source and author come from the text; the theme from --theme or a keyword "
        "guess. The report lists every file written, each guess, what was removed and what "
        "could not be decided. Nothing is written if any file cannot be imported or would "
        "overwrite one (unless --force).",
        epilog="Exit status: 0 imported (or planned, with --dry-run); 1 nothing imported (the "
        "reasons on stderr as path:line: message; an old .doc/.wps/.pdf: save it as .docx); "
        "2 usage error; 3 the files could not be written.",
    )
    parser.add_argument("files", metavar="FILE", nargs="+", type=Path, help="a bulletin file")
    _content_option(parser)
    parser.add_argument(
        "--date",
        type=_date,
        help="the date of everything imported, YYYY-MM-DD (default: "
        "the text's own: masthead, dateline or signature)",
    )
    parser.add_argument(
        "--theme",
        type=_nonempty,
        help="the theme of every article (default: a guess from keywords, reported as one)",
    )
    parser.add_argument("--dry-run", action="store_true", help="write nothing; print the plan")
    parser.add_argument("--force", action="store_true", help="replace files imported before")
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="the report on stdout: text, or json",
    )


def _date(value: str) -> dt.date:
    date, error = CHECKERS["date"](value)
    if error is not None:
        raise argparse.ArgumentTypeError(error)
    return date


def _nonempty(value: str) -> str:
    if not value.strip():
        raise argparse.ArgumentTypeError("must not be empty")
    return value.strip()


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {value!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"not a port number: {value!r}")
    return port


def _content_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--content",
        type=Path,
        default=Path("content"),
        help="the content folder (default: content/)",
    )


def report(problems: list[Problem] | tuple[Problem, ...]) -> None:
    for problem in problems:
        print(problem, file=sys.stderr)


class ProgressBar:
    """A tqdm bar on stderr, for builds on a terminal; silent otherwise and in CI."""

    def __init__(self) -> None:
        self.bar: Any = None

    @staticmethod
    def wanted() -> bool:
        return sys.stderr.isatty() and not os.environ.get("CI")

    def start(self, total: int) -> None:
        if total >= 200:  # small rebuilds finish before a bar could be read
            from tqdm import tqdm  # only on a terminal: the import costs 40 ms

            self.bar = tqdm(total=total, unit="page", leave=False, file=sys.stderr)

    def advance(self, count: int) -> None:
        if self.bar is not None:
            self.bar.update(count)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def run_build(args: argparse.Namespace) -> int:
    if args.jobs < 0:
        raise UsageError("--jobs must be 0 (one per core) or more")
    result = pipeline.build(
        args.content,
        args.output,
        base_url=args.base_url,
        use_cache=not args.no_cache,
        jobs=args.jobs or None,
        templates=args.templates,
        progress=ProgressBar() if ProgressBar.wanted() else None,
        # this process ends with the build: its memory need not be given back first
        tuning=replace(DEFAULT, collect_after=False),
        pdf=args.pdf,
    )
    report(result.warnings)
    print(
        f"built {_count(result.articles, 'article')}, {_count(result.pages, 'page')}, "
        f"{_count(result.variants, 'variant')} "
        f"{'and the issues as PDFs ' if args.pdf else ''}"
        f"into {args.output} in {result.seconds:.1f} s",
        file=sys.stderr,
    )
    return EXIT_OK


def run_check(args: argparse.Namespace) -> int:
    checked = pipeline.check(args.content)
    problems = list(checked.problems)
    failing = [p for p in problems if p.severity == "error" or args.strict]
    if args.format == "json":
        print(
            json.dumps(
                {
                    "ok": not failing,
                    "errors": [p.as_dict() for p in problems if p.severity == "error"],
                    "warnings": [p.as_dict() for p in problems if p.severity == "warning"],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        report(problems)
        errors = sum(p.severity == "error" for p in problems)
        print(
            f"{_count(len(checked.site.articles), 'article')} checked: {errors} error(s), "
            f"{len(problems) - errors} warning(s)",
            file=sys.stderr,
        )
    return EXIT_CONTENT if failing else EXIT_OK


def _existing_content(content: Path) -> None:
    """``new`` and ``import`` write into a content folder; a mistyped one is not made."""
    if not content.is_dir():
        raise UsageError(f"{content}: no such content folder")


def run_new(args: argparse.Namespace) -> int:
    _existing_content(args.content)
    path = skeleton.write_article(
        args.content, args.slug, args.county, args.theme, args.slogans, args.title
    )
    print(path)
    return EXIT_OK


def run_import(args: argparse.Namespace) -> int:
    from bulletin import importer  # reads Word files and the divisions table: only here

    _existing_content(args.content)
    options = importer.Options(args.content, args.date, args.theme)
    result = importer.import_files(args.files, options, args.dry_run, args.force)
    report(result.problems)
    print(importer.json_report(result) if args.format == "json" else importer.text_report(result))
    return result.status


def run_serve(args: argparse.Namespace) -> int:
    from bulletin import serve  # imports watchdog and the search service: only when serving

    return serve.serve(args.content, args.output, args.port)


def main(argv: list[str] | None = None) -> int:
    runners = {
        "build": run_build,
        "check": run_check,
        "new": run_new,
        "serve": run_serve,
        "import": run_import,
    }
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0] not in runners and argv[0] not in ("-h", "--help")):
        argv.insert(0, "build")  # `build` is the default command
    args = make_parser().parse_args(argv)
    previous_handler = _interrupt_on_sigterm()
    try:
        return runners[args.command](args)
    except ContentError as exc:
        report(exc.problems)
        errors = sum(p.severity == "error" for p in exc.problems)
        print(f"{errors} error(s): nothing was published", file=sys.stderr)
        return EXIT_CONTENT
    except jinja2.TemplateError as exc:
        templates = getattr(args, "templates", pipeline.TEMPLATES_DIR)
        print(template_error_line(exc, templates), file=sys.stderr)
        print("nothing was published", file=sys.stderr)
        return EXIT_CONTENT
    except (UsageError, skeleton.SkeletonError, PdfUnavailable) as exc:
        print(f"build.py: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OutputError as exc:
        print(f"{exc}; nothing was published", file=sys.stderr)
        return EXIT_OUTPUT
    except KeyboardInterrupt:
        done = "written" if args.command in ("import", "new") else "published"
        print(f"interrupted: nothing was {done}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader of our output went away (`| head`)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    finally:
        if previous_handler is not None:
            signal.signal(signal.SIGTERM, previous_handler)


def _interrupt_on_sigterm() -> Any:
    """SIGTERM stops a command as Ctrl-C does: it unwinds, so a build removes its
    staging folder and stops its workers. Returns the handler it replaced (None where
    handlers cannot be set: off the main thread)."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, interrupt)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
