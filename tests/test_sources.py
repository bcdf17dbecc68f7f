"""Reading the content folder: what is read, in which order, and what is refused."""

from __future__ import annotations

import os
from pathlib import Path

from bulletin.sources import (
    MAX_YAML_VALUES,
    SourceFile,
    body_text,
    decode,
    parse_yaml,
    read_tree,
    split_front_matter,
)


def _write(root: Path, rel: str, text: str = "x") -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
    return path


def _source(path: Path) -> SourceFile:
    stat = path.stat()
    return SourceFile(path.name, str(path), (stat.st_size, stat.st_mtime_ns, stat.st_ino))


def test_the_tree_is_sorted_and_skips_hidden_files_backups_and_strays(tmp_path: Path) -> None:
    for rel in (
        "site.yaml",
        "articles/b/z.md",
        "articles/a.md",
        "articles/b/a.md",
        "articles/.hidden.md",
        "articles/.git/x.md",
        "articles/a.md~",
        "articles/notes.txt",
        "static/img/1.png",
        "static/.DS_Store",
    ):
        _write(tmp_path, rel)
    tree = read_tree(tmp_path)
    assert [s.rel for s in tree.articles] == ["articles/a.md", "articles/b/a.md", "articles/b/z.md"]
    assert [s.rel for s in tree.stray] == ["articles/notes.txt"]
    assert [s.rel for s in tree.static] == ["img/1.png"]
    assert tree.site_config is not None and tree.phrases is None
    assert tree.problems == ()


def test_links_inside_are_read_links_out_and_to_nowhere_are_problems(tmp_path: Path) -> None:
    root = tmp_path / "content"
    _write(root, "articles/real.md")
    _write(tmp_path, "secret.txt")
    os.symlink("real.md", root / "articles" / "alias.md")
    os.symlink("../../secret.txt", root / "articles" / "out.md")
    os.symlink("gone.md", root / "articles" / "gone-link.md")
    os.symlink(tmp_path, root / "static")  # a folder link out of the content
    os.symlink(".", root / "articles" / "loop")  # a folder link back into itself
    tree = read_tree(root)
    assert [s.rel for s in tree.articles] == ["articles/alias.md", "articles/real.md"]
    assert tree.static == ()
    messages = [(p.path, p.line, p.message.split(" (")[0]) for p in tree.problems]
    shown = str(root) + "/"
    assert messages == [
        (shown + "articles/gone-link.md", 0, "symbolic link leads nowhere"),
        (shown + "articles/out.md", 0, "symbolic link leads out of the content folder"),
        (shown + "static", 0, "symbolic link leads out of the content folder"),
    ]


def test_a_file_name_that_is_not_utf8_is_named_with_its_bytes(tmp_path: Path) -> None:
    _write(tmp_path, os.fsdecode(b"articles/caf\xe9.md"))
    tree = read_tree(tmp_path)
    assert tree.articles == ()
    assert [str(p) for p in tree.problems] == [
        f"{tmp_path}/articles/caf\\xe9.md:0: the file name is not valid UTF-8: "
        "rename it (a-z, 0-9, -)"
    ]


def test_decode_accepts_a_bom_and_crlf_and_names_gbk(tmp_path: Path) -> None:
    good = tmp_path / "a.md"
    good.write_bytes(b"\xef\xbb\xbfa\r\nb\rc\n")
    assert decode(_source(good)) == ("a\nb\nc\n", [])
    gbk = tmp_path / "b.md"
    gbk.write_bytes("第一行\n临颍县".encode("gbk"))
    text, problems = decode(_source(gbk))
    assert text is None
    assert [(p.line, p.message) for p in problems] == [
        (1, "file is not valid UTF-8 (it looks like GBK/GB18030: save the file as UTF-8)")
    ]


def test_front_matter_and_body_lines(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_text("---\ntitle: 标题\ncounty: 某县\n---\n第一段\n\n第二段\n", "utf-8")
    doc, problems = split_front_matter(_source(path))
    assert problems == [] and doc is not None
    assert doc.front.values == {"title": "标题", "county": "某县"}
    assert doc.front.key_lines == {"title": 2, "county": 3}
    assert doc.body_line == 5
    assert body_text(_source(path), doc.body_line) == doc.body == "第一段\n\n第二段\n"


def test_yaml_within_the_bound_is_read_and_past_it_named() -> None:
    under = "a: &a [1, 2, 3]\nb: [*a, *a]\n"
    doc, problems = parse_yaml(under, "x.yaml", 1)
    assert problems == [] and doc is not None and doc.values["b"] == [[1, 2, 3], [1, 2, 3]]
    rows = ["a0: &a0 [x]"]
    rows += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in (1, 2, 3, 4)]
    doc, problems = parse_yaml("\n".join(rows) + "\n", "x.yaml", 1)
    assert doc is None
    assert [(p.line, p.message) for p in problems] == [
        (
            5,
            f"'a4' stands for more than {MAX_YAML_VALUES:,} values through YAML aliases "
            "(*name): write the values out",
        )
    ]
    doc, problems = parse_yaml("a: &a [*a]\n", "x.yaml", 7)
    assert doc is None and problems[0].line == 7


def test_tabs_in_indentation_are_named_at_their_line() -> None:
    for text, line in (
        ("title: a\ncounty: b\n\ttheme: c\n", 4),
        ("title: a\nslogans:\n\t- 五抓\n", 4),
        ("title: a\nslogans:\n  -\t五抓\n", 4),
    ):
        doc, problems = parse_yaml(text, "x.md", 2)
        assert doc is None
        assert [(p.line, p.message) for p in problems] == [
            (line, "a tab in the indentation: YAML allows only spaces there")
        ], text
    doc, problems = parse_yaml("title: a\t# a comment after a tab\n", "x.md", 2)
    assert problems == [] and doc is not None


def test_duplicate_keys_are_named_shortly() -> None:
    key = "很长" * 40
    _, problems = parse_yaml(f"{key}: 1\n{key}: 2\n", "x.md", 2)
    assert [(p.line, len(p.message) < 60) for p in problems] == [(3, True)]
