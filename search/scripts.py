"""OpenCC converters for the site's scripts, with the site phrase dictionary.

The site dictionary must act inside OpenCC's own longest-match segmentation, not as a
string replacement afterwards, so it is added as a text dictionary in front of the
built-in phrase dictionaries of a copy of the base config. A config outside the opencc
package has to name the built-in ``.ocd2`` files by absolute path, which is done here.

Both the generator (page variants) and the search service (snippets, facets) build their
converters through this module, so a page and a search result read the same.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import opencc

#: Variant name -> OpenCC base config. ``None`` means the text is shown as written.
VARIANT_CONFIGS: dict[str, str | None] = {
    "zh-hans": None,
    "zh-hant": "s2tw",
    "zh-hk": "s2hk",
}

#: The value of ``<html lang>`` for each variant.
VARIANT_LANGS: dict[str, str] = {
    "zh-hans": "zh-Hans",
    "zh-hant": "zh-Hant",
    "zh-hk": "zh-Hant-HK",
}


class Converter(Protocol):
    def convert(self, text: str) -> str: ...


class Identity:
    """The converter of the variant the sources are written in."""

    def convert(self, text: str) -> str:
        return text


def opencc_share_dir() -> Path:
    """Where the opencc package keeps its configs and ``.ocd2`` dictionaries."""
    package_dir = Path(opencc.__file__).resolve().parent
    for candidate in (package_dir / "clib" / "share" / "opencc", package_dir / "share"):
        if (candidate / "s2t.json").is_file():
            return candidate
    raise RuntimeError(f"cannot find OpenCC's dictionaries under {package_dir}")


def _dict_nodes(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if "type" in node and "file" in node:
            yield node
        for value in node.values():
            yield from _dict_nodes(value)
    elif isinstance(node, list):
        for value in node:
            yield from _dict_nodes(value)


def _phrase_groups(config: dict[str, Any]) -> Iterator[list[Any]]:
    """The dictionary lists where phrases are looked up: segmentation and first step."""
    yield config["segmentation"]["dict"]["dicts"]
    first_step = config["conversion_chain"][0]["dict"]
    if first_step.get("type") == "group":
        yield first_step["dicts"]


def custom_config(base: str, phrases_file: Path | None) -> dict[str, Any]:
    """A copy of OpenCC's ``base`` config, absolute paths, site phrases in front."""
    share = opencc_share_dir()
    config = json.loads((share / f"{base}.json").read_text(encoding="utf-8"))
    for node in _dict_nodes(config):
        if node["type"] == "ocd2":
            node["file"] = str(share / node["file"])
    if phrases_file is not None:
        site_dict = {"type": "text", "file": str(phrases_file.resolve())}
        for dicts in _phrase_groups(config):
            dicts.insert(0, dict(site_dict))
    return config


def make_converter(variant: str, phrases_file: Path | None = None) -> Converter:
    """The converter for ``variant``; raises KeyError for an unknown variant.

    ``phrases_file`` is an OpenCC text dictionary (``simplified<TAB>target`` per line,
    no comments). OpenCC reads the config from disk, so it is written to a temporary
    file that is removed once the converter is loaded.
    """
    base = VARIANT_CONFIGS[variant]
    if base is None:
        return Identity()
    config = custom_config(base, phrases_file)
    with tempfile.TemporaryDirectory(prefix="bulletin-opencc-") as tmp:
        path = os.path.join(tmp, f"{variant}.json")
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(config, handle, ensure_ascii=False)
        return opencc.OpenCC(path)


def make_normaliser() -> Converter:
    """Traditional -> Simplified, for indexing and querying in one script."""
    return opencc.OpenCC("t2s.json")
