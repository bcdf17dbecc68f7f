"""``python -m search serve OUTPUT`` and ``python -m search query OUTPUT QUERY``."""

from __future__ import annotations

import argparse
import html
import json
import os
import sys
from pathlib import Path
from typing import Any


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m search", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    defaults = argparse.ArgumentDefaultsHelpFormatter
    serve = sub.add_parser(
        "serve",
        help="serve /api/search, /search and /healthz",
        description="Serve the search of a built site. Starts without an index too: "
        "answers 503 until a build writes one, then picks it up (and every later build).",
        formatter_class=defaults,
    )
    serve.add_argument("output", type=Path, help="a built site (the folder with _search/)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8080, help="port (0: any free one)")
    serve.add_argument("--threads", type=int, default=8, help="worker threads")
    query = sub.add_parser("query", help="run one query and print the results")
    query.add_argument("output", type=Path, help="a built site (the folder with _search/)")
    query.add_argument("query", help="the words, as a reader types them")
    query.add_argument("--variant", default="", help="script (default: the site's first)")
    query.add_argument("--county", default="", help="only this county (default: all)")
    query.add_argument("--theme", default="", help="only this theme (default: all)")
    query.add_argument("--page", default="1", help="page of results (default: 1)")
    query.add_argument("--per-page", default="10", help="results per page (default: 10)")
    query.add_argument("--json", action="store_true", help="print the API's JSON")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "serve":
        if not 1 <= args.threads <= 256 or not 0 <= args.port <= 65535:
            print("--threads must be 1..256 and --port 0..65535", file=sys.stderr)
            return 2
        from search.service import serve

        try:
            serve(args.output, args.host, args.port, args.threads)
        except OSError as exc:  # the address is taken, or not ours to bind
            print(f"{args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
            return 1
        return 0
    return _query(args)


def _query(args: argparse.Namespace) -> int:
    from search.layout import index_dir, index_key
    from search.query import BadRequest, answer, parse_params
    from search.service import SearchApp
    from search.whoosh import IndexUnavailable

    if index_key(index_dir(args.output)) is None:
        print(
            f"{args.output}: no search index (expected {index_dir(args.output)}/); "
            "build the site first",
            file=sys.stderr,
        )
        return 1
    app = SearchApp(args.output)
    site = app.state.site()
    params = {
        "q": args.query,
        "variant": args.variant,
        "county": args.county,
        "theme": args.theme,
        "page": args.page,
        "per_page": args.per_page,
    }
    try:
        request = parse_params(params, site.variants, site.default_variant)
        data = answer(app.index, request, site)
    except BadRequest as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except IndexUnavailable as exc:
        print(f"{args.output}: {exc}", file=sys.stderr)
        return 1
    try:
        if args.json:
            print(json.dumps(data, ensure_ascii=False, indent=2))
        else:
            _print_answer(data, (request.page - 1) * request.per_page + 1)
        sys.stdout.flush()
    except BrokenPipeError:  # the reader of the output went away (`| head`)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def _print_answer(data: dict[str, Any], first: int) -> None:
    noun = "result" if data["total"] == 1 else "results"
    print(f"{data['total']} {noun} for {data['query']!r} ({data['variant']})")
    for i, r in enumerate(data["results"], first):
        snippet = r["snippet"].replace("<mark>", "[").replace("</mark>", "]")
        print(f"{i:3}. {r['title']}  {r['county']} · {r['theme']} · {r['date']}")
        print(f"     {r['url']}")
        print(f"     {html.unescape(snippet)}")
    for name, counts in data["facets"].items():
        shown = ", ".join(f"{k} {v}" for k, v in counts.items())
        print(f"{name}: {shown}")


if __name__ == "__main__":
    sys.exit(main())
