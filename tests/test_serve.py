"""`python build.py serve` as an editor uses it: a real subprocess answering real HTTP.

Every wait is bounded (DEADLINE); the server is always stopped in the fixture's teardown.
"""

from __future__ import annotations

import html
import http.client
import io
import json
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import jinja2
import pytest
from watchdog.events import (
    DirModifiedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileOpenedEvent,
    FileSystemEvent,
)

from bulletin import serve

from .conftest import FIXTURES, ROOT, run_cli

DEADLINE = 20.0  # seconds for any one thing to happen
STARTUP = 90.0  # the first build on a slow machine
ARTICLE = "articles/linying-jiti-jingji.md"
OLD_TITLE = "临颍县发展村级集体经济"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(what: str, probe: Callable[[], object], deadline: float = DEADLINE) -> object:
    """Poll ``probe`` until it returns something true; fail after ``deadline`` seconds."""
    end = time.monotonic() + deadline
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > end:
            pytest.fail(f"timed out after {deadline:.0f} s waiting for {what}")
        time.sleep(0.05)


@dataclass
class Served:
    proc: subprocess.Popen[str]
    port: int
    content: Path
    stdout: list[str] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def get(
        self, path: str, method: str = "GET", host: str | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=DEADLINE)
        try:
            conn.request(method, path, headers={"Host": host} if host is not None else {})
            response = conn.getresponse()
            headers = {k.lower(): v for k, v in response.getheaders()}
            return response.status, headers, response.read()
        finally:
            conn.close()

    def page(self, path: str = "/zh-hans/") -> str:
        status, _, body = self.get(path)
        assert status == 200
        return body.decode("utf-8")

    def preview_folder(self) -> Path:
        line = next(s for s in self.stderr if s.startswith("building the preview into "))
        return Path(line.removeprefix("building the preview into ").rsplit(" (", 1)[0])


def _collect(stream: object, lines: list[str]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        lines.append(line.rstrip("\n"))


def start(content: Path) -> Served:
    port = free_port()
    command = ["serve", "--content", str(content), "--port", str(port)]
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "build.py"), *command],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )
    served = Served(proc, port, content)
    for stream, lines in ((proc.stdout, served.stdout), (proc.stderr, served.stderr)):
        threading.Thread(target=_collect, args=(stream, lines), daemon=True).start()
    return served


def stop(served: Served) -> int:
    """Ctrl-C, as an editor would; kill if that does not work in time."""
    if served.proc.poll() is None:
        served.proc.send_signal(signal.SIGINT)
    try:
        return served.proc.wait(timeout=DEADLINE)
    except subprocess.TimeoutExpired:
        served.proc.kill()
        served.proc.wait(timeout=DEADLINE)
        pytest.fail("serve did not stop on Ctrl-C in time")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    content = tmp_path / "content"
    shutil.copytree(FIXTURES / "minimal", content)
    server = start(content)
    try:
        expected = f"serving {server.url} (Ctrl-C to stop)"

        def ready() -> bool:
            if server.proc.poll() is not None:
                pytest.fail(f"serve exited {server.proc.returncode}: {server.stderr}")
            return expected in server.stdout

        wait_for("the serving line", ready, STARTUP)
        yield server
    finally:
        stop(server)  # Ctrl-C first, so the temporary preview folder is removed


class EventStream:
    """An SSE client over http.client; every read bounded by the socket timeout."""

    def __init__(self, port: int, since: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=DEADLINE)
        self.conn.request("GET", f"/__livereload?since={quote(since)}")
        self.response = self.conn.getresponse()
        assert self.response.status == 200
        assert self.response.getheader("Content-Type", "").startswith("text/event-stream")

    def next_event(self) -> tuple[str, str]:
        """The next (event, data), skipping comments and the retry field."""
        end = time.monotonic() + DEADLINE
        event, data = "", ""
        while time.monotonic() < end:
            line = self.response.readline().decode("utf-8").rstrip("\n")
            if line.startswith("event: "):
                event = line.removeprefix("event: ")
            elif line.startswith("data: "):
                data = line.removeprefix("data: ")
            elif line == "" and event:
                return event, data
        pytest.fail("no server-sent event in time")

    def close(self) -> None:
        self.conn.close()


def since(page: str) -> str:
    match = re.search(r'<script src="/__livereload\.js" data-since="([^"]+)"></script>', page)
    assert match, "no live-reload script in the served page"
    return match.group(1)


def test_serves_site_and_search_from_one_process(served: Served) -> None:
    status, headers, body = served.get("/zh-hans/")
    assert status == 200 and headers["content-type"] == "text/html; charset=utf-8"
    page = body.decode("utf-8")
    assert OLD_TITLE in page and "bulletin-serve-errors" not in page
    since(page)

    status, headers, body = served.get("/api/search?q=" + quote("临颍"))
    assert status == 200 and headers["content-type"].startswith("application/json")
    assert json.loads(body)["total"] >= 1
    assert served.get("/healthz")[0] == 200
    status, headers, body = served.get("/search?q=" + quote("临颍"))
    assert status == 200 and "/__livereload.js" in body.decode("utf-8")

    status, headers, _ = served.get("/zh-hans")
    assert status == 301 and headers["location"] == "/zh-hans/"
    assert served.get("/sitemap.xml")[1]["content-type"].startswith("application/xml")
    assert served.get("/zh-hans/feed.xml")[1]["content-type"].startswith("application/xml")
    asset = re.search(r'href="\.\./(assets/[^"]+\.css)"', page)
    assert asset, "no stylesheet link"
    assert served.get("/" + asset.group(1))[1]["content-type"].startswith("text/css")
    assert served.get("/__livereload.js")[1]["content-type"].startswith("text/javascript")

    status, headers, body = served.get("/no/such/page/")
    assert status == 404 and "页面不存在" in body.decode("utf-8")
    assert served.get("/../../etc/passwd")[0] == 404
    assert served.get("/zh-hans/", method="HEAD")[2] == b""

    # open event streams do not hold up other requests
    streams = [EventStream(served.port, since(page)) for _ in range(12)]
    try:
        started = time.monotonic()
        assert served.get("/zh-hans/")[0] == 200
        assert time.monotonic() - started < 5
    finally:
        for stream in streams:
            stream.close()

    # the preview is built apart from output/, and the built files carry no reload script
    preview = served.preview_folder()
    assert preview.resolve() != (ROOT / "output").resolve()
    built = (preview / "zh-hans" / "index.html").read_text("utf-8")
    assert "__livereload" not in built and OLD_TITLE in built

    assert stop(served) == 0
    assert "stopped" in served.stderr[-1]
    assert not preview.exists(), "the temporary preview folder is left behind"


def test_only_this_machine_s_names_are_answered_and_redirects_stay_here(
    served: Served,
) -> None:
    assert served.get("/zh-hans/", host=f"localhost:{served.port}")[0] == 200
    # a page elsewhere reaching the preview through a name that resolves to 127.0.0.1
    for host in (f"rebind.example:{served.port}", "127.0.0.1.example", ""):
        status, _, body = served.get("/zh-hans/", host=host)
        assert status == 421 and "127.0.0.1" in body.decode("utf-8"), host
        assert served.get("/api/search?q=x", host=host)[0] == 421
    for path in ("/%2fzh-hans", "//zh-hans", "/./zh-hans", "/%2F%2Fzh-hans"):
        status, headers, _ = served.get(path)
        assert status == 301 and headers["location"] == "/zh-hans/", path


def test_edited_title_reloads_open_pages(served: Served) -> None:
    stream = EventStream(served.port, since(served.page()))
    try:
        article = served.content / ARTICLE
        article.write_text(
            article.read_text("utf-8").replace(OLD_TITLE, "临颍县新标题"), encoding="utf-8"
        )
        event, _ = stream.next_event()
        assert event == "reload"
        wait_for("the new title", lambda: "临颍县新标题" in served.page())
    finally:
        stream.close()


def test_broken_front_matter_keeps_last_good_site_and_shows_errors(served: Served) -> None:
    article = served.content / ARTICLE
    good = article.read_text("utf-8")
    stream = EventStream(served.port, since(served.page()))
    try:
        broken = good.replace("date: 2016-08-15", "date: 2016-13-45").replace(
            "slogans: [四议两公开]", "slogans: 四议两公开"
        )
        article.write_text(broken, encoding="utf-8")
        code, _, err = run_cli("check", "--content", str(served.content))
        assert code == 1
        expected = [
            line
            for line in err.splitlines()
            if re.match(r".+:\d+: ", line) and ": warning: " not in line
        ]
        assert len(expected) == 2 and all(ARTICLE in line for line in expected)

        event, data = stream.next_event()
        assert event == "errors" and json.loads(data) == expected

        page = served.page()
        assert OLD_TITLE in page, "the last good page is no longer served"
        overlay = re.search(r'<div id="bulletin-serve-errors".*?</div>', page, re.S)
        assert overlay, "no error overlay in the page"
        for line in expected:
            assert html.escape(line, quote=False) in overlay.group(0)
        assert "bulletin-serve-errors" in served.page("/zh-hant/")
        wait_for("the errors in the terminal", lambda: set(expected) <= set(served.stderr))

        article.write_text(good.replace(OLD_TITLE, "临颍县修好了"), encoding="utf-8")
        event, _ = stream.next_event()
        assert event == "reload"
        page = served.page()
        assert "bulletin-serve-errors" not in page and "临颍县修好了" in page
    finally:
        stream.close()


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(FIXTURES / "minimal", content)
    code, _, err = run_cli("serve", "--content", str(content), "--port", "70000")
    assert code == 2 and "not a port number" in err
    code, _, err = run_cli("serve", "--content", str(tmp_path / "nowhere"), "--port", "0")
    assert code == 2 and "no such content folder" in err
    code, _, err = run_cli(
        "serve", "--content", str(content), "--port", "0", "--output", str(content / "site")
    )
    assert code == 2 and "inside the content" in err
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, _, err = run_cli("serve", "--content", str(content), "--port", str(port))
    assert code == 2 and f"127.0.0.1:{port}" in err


# the parts, in-process


def test_template_errors_name_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text("<p>\n{{ x | nosuchfilter }}\n</p>\n", encoding="utf-8")
    (tmp_path / "run.html").write_text("<p>\n{{ x.y.z }}\n</p>\n", encoding="utf-8")
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(tmp_path), undefined=jinja2.StrictUndefined
    )
    with pytest.raises(jinja2.TemplateSyntaxError) as syntax:
        env.get_template("page.html")
    line = serve.template_error_line(syntax.value, tmp_path)
    assert re.fullmatch(r".*page\.html:2: template error: .*nosuchfilter.*", line), line
    with pytest.raises(jinja2.UndefinedError) as undefined:
        env.get_template("run.html").render()
    line = serve.template_error_line(undefined.value, tmp_path)
    assert re.fullmatch(r".*run\.html:2: template error: .*'x' is undefined", line), line


def test_overlay_is_escaped_and_injected_before_body_end() -> None:
    status = serve.Status("b", 3, ("a.md:1: bad <script>alert(1)</script> & co",))
    page = serve.inject(b"<html><body><p>x</p></body></html>", status)
    text = page.decode("utf-8")
    assert "<script>alert" not in text
    assert "a.md:1: bad &lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in text
    assert text.endswith('data-since="b-3"></script></body></html>')
    assert serve.inject(b"no body", serve.Status("b", 1, ())).startswith(b"no body<script")


def test_state_counts_successes_and_new_errors_only() -> None:
    state = serve.LiveState()
    first = state.publish(())
    assert state.publish(("a:1: x",)).version == first.version + 1
    assert state.publish(("a:1: x",)).version == first.version + 1  # same errors: no news
    assert state.publish(()).version == first.version + 2
    assert state.wait_for_change(state.current().tag, 0.01) == state.current()
    state.stop()
    assert state.wait_for_change("other", 1) is None


def test_bursts_of_changes_make_one_build() -> None:
    builds: list[float] = []
    rebuilder = serve.Rebuilder(lambda: builds.append(time.monotonic()), debounce=0.1)
    rebuilder.start()
    try:
        for _ in range(10):
            rebuilder.poke()
            time.sleep(0.01)
        wait_for("a build", lambda: builds)
        time.sleep(0.3)
        assert len(builds) == 1
    finally:
        rebuilder.stop()
        rebuilder.join()


@pytest.mark.parametrize(
    ("event", "relevant"),
    [
        (FileModifiedEvent("/c/articles/a.md"), True),
        (FileMovedEvent("/c/articles/.a.md.tmp", "/c/articles/a.md"), True),  # atomic save
        (FileDeletedEvent("/c/articles/a.md"), True),
        (FileOpenedEvent("/c/articles/a.md"), False),  # the build reading the content
        (FileModifiedEvent("/c/articles/.a.md.swp"), False),
        (FileModifiedEvent("/c/articles/a.md~"), False),
        (FileModifiedEvent("/c/.cache/x"), False),
        (DirModifiedEvent("/c/articles"), False),
    ],
)
def test_only_real_changes_trigger_builds(event: FileSystemEvent, relevant: bool) -> None:
    assert serve.is_relevant(event, "/c") is relevant


def test_a_hidden_folder_above_the_content_does_not_hide_changes() -> None:
    event = FileModifiedEvent("/home/.me/c/articles/a.md")
    assert serve.is_relevant(event, "/home/.me/c")


@pytest.mark.parametrize(
    ("broken", "message"),
    [("{% if %}", "template error: "), ("{{ no_such_name }}", "'no_such_name' is undefined")],
)
def test_a_broken_template_is_reported_with_file_and_line(
    tmp_path: Path, broken: str, message: str
) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    page = templates / "page.html"
    lines = page.read_text("utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if "{% block main %}" in line) + 1
    lines.insert(at, broken)
    page.write_text("\n".join(lines) + "\n", encoding="utf-8")
    err = io.StringIO()
    errors = serve.build_once(
        FIXTURES / "minimal", tmp_path / "o", "http://127.0.0.1:1/", err, templates=templates
    )
    assert len(errors) == 1 and errors[0] in err.getvalue()
    assert errors[0].startswith(f"{page}:{at + 1}: "), errors[0]
    assert message in errors[0]
    assert not (tmp_path / "o").exists()
