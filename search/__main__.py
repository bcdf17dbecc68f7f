"""``python -m search serve OUTPUT`` and ``python -m search query OUTPUT QUERY``."""

from __future__ import annotations

import argparse
import html
import json
import sys
from pathlib import Path


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m search", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve /api/search, /search and /healthz")
    serve.add_argument("output", type=Path, help="a built site (the folder with _search/)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--threads", type=int, default=8)
    query = sub.add_parser("query", help="run one query and print the results")
    query.add_argument("output", type=Path)
    query.add_argument("query")
    query.add_argument("--variant", default="")
    query.add_argument("--county", default="")
    query.add_argument("--theme", default="")
    query.add_argument("--page", default="1")
    query.add_argument("--per-page", default="10")
    query.add_argument("--json", action="store_true", help="print the API's JSON")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from search.service import SearchApp, has_index, serve

    if not has_index(args.output):
        print(
            f"{args.output}: no search index (expected {args.output}/_search/whoosh/); "
            "build the site first",
            file=sys.stderr,
        )
        return 1
    if args.command == "serve":
        if not 1 <= args.threads <= 256 or not 0 <= args.port <= 65535:
            print("--threads must be 1..256 and --port 0..65535", file=sys.stderr)
            return 2
        serve(args.output, args.host, args.port, args.threads)
        return 0

    from search.engine import IndexUnavailable
    from search.query import BadRequest, answer, parse_params

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
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    print(f"{data['total']} results for {data['query']!r} ({data['variant']})")
    for i, r in enumerate(data["results"], (request.page - 1) * request.per_page + 1):
        snippet = r["snippet"].replace("<mark>", "[").replace("</mark>", "]")

        print(f"{i:3}. {r['title']}  {r['county']} · {r['theme']} · {r['date']}")
        print(f"     {r['url']}")
        print(f"     {html.unescape(snippet)}")
    for name, counts in data["facets"].items():
        shown = ", ".join(f"{k} {v}" for k, v in counts.items())
        print(f"{name}: {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
