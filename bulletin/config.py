"""The site configuration (site.yaml) and the site phrase dictionary (phrases.txt),
loaded and validated in one place."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import SplitResult, quote, urlsplit, urlunsplit

from bulletin.model import SiteConfig
from bulletin.problems import Problem, excerpt, shorten
from bulletin.schema import Field, check_fields
from bulletin.sources import SourceFile, decode, parse_yaml
from search.scripts import VARIANT_CONFIGS

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
TAXONOMIES = ("counties", "themes", "slogans")

SITE_FIELDS = {
    "title": Field("text", required=True),
    "subtitle": Field("optional text"),
    "description": Field("optional text"),
    "base_url": Field("text"),
    "variants": Field("text list"),
    "per_page": Field("positive int"),
    "copyright": Field("optional text"),
    "publisher": Field("optional text"),
    "slugs": Field("any"),
}


def load_config(
    source: SourceFile | None, content_display: str
) -> tuple[SiteConfig, list[Problem]]:
    """The site config; with problems, a usable default so later checks still run."""
    fallback = SiteConfig(title="")
    if source is None:
        return fallback, [Problem(f"{content_display}/site.yaml", 0, "site.yaml is missing")]
    text, problems = decode(source)
    if text is None:
        return fallback, problems
    doc, problems = parse_yaml(text, source.display, first_line=1)
    if doc is None:
        return fallback, problems
    values, field_problems = check_fields(doc, SITE_FIELDS, source.display, "site.yaml")
    problems += field_problems

    def line_of(key: str) -> int:
        return doc.key_lines.get(key, 1)

    settings: dict[str, Any] = {"title": values.get("title", "")}
    for key in ("subtitle", "description", "copyright", "publisher", "per_page"):
        if key in values:
            settings[key] = values[key]
    if "base_url" in values:
        base_url, error = normalise_base_url(values["base_url"])
        if error:
            problems.append(Problem(source.display, line_of("base_url"), error))
        else:
            settings["base_url"] = base_url
    if "variants" in values:
        unknown = [v for v in values["variants"] if v not in VARIANT_CONFIGS]
        if unknown or not values["variants"]:
            known = ", ".join(VARIANT_CONFIGS)
            problems.append(
                Problem(
                    source.display,
                    line_of("variants"),
                    f"'variants' must list some of {known}; unknown: {', '.join(unknown)}",
                )
            )
        else:
            settings["variants"] = values["variants"]
    if "slugs" in values:
        slugs, slug_problems = _check_slugs(values["slugs"], source.display, line_of("slugs"))
        problems += slug_problems
        settings["slugs"] = slugs
    return SiteConfig(**settings), problems


_BASE_URL_HINT = "'base_url' must be an http(s) URL or a path starting with /, not "


def normalise_base_url(value: str) -> tuple[str, str | None]:
    """``http://host/path/`` or ``/path/``, always ending in a slash."""
    parts = urlsplit(value)
    if parts.scheme not in ("", "http", "https") or (parts.scheme and not parts.netloc):
        return value, _BASE_URL_HINT + excerpt(value)
    if not parts.scheme and not value.startswith("/"):
        return value, _BASE_URL_HINT + excerpt(value)
    if parts.query or parts.fragment:
        return value, "'base_url' must not have a query or fragment"
    problem = _base_url_problem(value, parts)
    if problem:
        return value, problem
    # a path such as /简报/ percent-encoded, as sitemaps and feeds need (escapes kept)
    value = urlunsplit(parts._replace(path=quote(parts.path, safe="/%:@!$&'()*+,;=~")))
    return value if value.endswith("/") else value + "/", None


def _base_url_problem(value: str, parts: SplitResult) -> str | None:
    """What else would print a broken or foreign address into every page and feed."""
    if not parts.scheme and value.startswith("//"):
        return "'base_url' must not start with // (another host): write http://HOST/PATH/"
    if parts.username is not None or parts.password is not None:
        return "'base_url' must not hold a user name or password: every page would show it"
    if any(c.isspace() or not c.isprintable() for c in value):
        return "'base_url' must not contain spaces or control characters (write %20): " + excerpt(
            value
        )
    if any(segment in (".", "..") for segment in parts.path.split("/")):
        return f"'base_url' must not contain . or .. segments: {excerpt(value)}"
    return None


def _check_slugs(
    raw: Any, display: str, line: int
) -> tuple[tuple[tuple[str, tuple[tuple[str, str], ...]], ...], list[Problem]]:
    if not isinstance(raw, dict):
        return (), [Problem(display, line, "'slugs' must map counties/themes/slogans to names")]
    problems: list[Problem] = []
    result = []
    for kind in sorted(raw, key=str):
        mapping = raw[kind]
        if kind not in TAXONOMIES:
            problems.append(
                Problem(
                    display,
                    line,
                    f"'slugs' has unknown kind '{kind}' (known: counties, themes, slogans)",
                )
            )
            continue
        if mapping is None:
            continue
        if not isinstance(mapping, dict):
            problems.append(Problem(display, line, f"'slugs.{kind}' must map names to slugs"))
            continue
        pairs = []
        for name, slug in sorted(mapping.items(), key=lambda item: str(item[0])):
            if not isinstance(slug, str) or not SLUG_RE.match(slug):
                problems.append(
                    Problem(
                        display,
                        line,
                        f"slug {excerpt(slug)} for '{shorten(str(name))}' must use only "
                        "a-z, 0-9 and single hyphens",
                    )
                )
                continue
            pairs.append((str(name), slug))
        result.append((kind, tuple(pairs)))
    return tuple(result), problems


def load_phrases(source: SourceFile | None) -> tuple[tuple[tuple[str, str], ...], list[Problem]]:
    """The site phrase dictionary: ``simplified<TAB>traditional`` lines, ``#`` comments."""
    if source is None:
        return (), []
    text, problems = decode(source)
    if text is None:
        return (), problems
    pairs: dict[str, str] = {}
    for number, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        parts = stripped.split("\t")
        if len(parts) != 2 or not parts[0].strip() or not parts[1].strip() or " " in parts[0]:
            problems.append(
                Problem(source.display, number, "expected 'simplified<TAB>traditional'")
            )
            continue
        if parts[0] in pairs:
            problems.append(Problem(source.display, number, f"'{parts[0]}' is listed twice"))
            continue
        pairs[parts[0].strip()] = parts[1].strip()
    return tuple(sorted(pairs.items())), problems
