"""docs/nginx.conf, run by Debian's nginx on 127.0.0.1 in front of the search service."""

from __future__ import annotations

import dataclasses
import gzip
import json
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.search.conftest import META, build_output, start_server, stop_server

ROOT = Path(__file__).resolve().parents[2]
NGINX = Path("/usr/sbin/nginx")

pytestmark = pytest.mark.skipif(
    not NGINX.exists(), reason="nginx is not installed (apt-get install nginx)"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def config(prefix: Path, output: Path, nginx_port: int, service_port: int) -> str:
    """A whole nginx.conf around docs/nginx.conf, with this test's paths and ports."""
    site = (ROOT / "docs" / "nginx.conf").read_text("utf-8")
    site = site.replace("/srv/bulletin/output/", f"{output}/")
    site = site.replace("server 127.0.0.1:8080;", f"server 127.0.0.1:{service_port};")
    site = site.replace("listen 80;", f"listen 127.0.0.1:{nginx_port};")
    temp = prefix / "temp"
    return f"""
daemon off;
master_process off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log stderr warn;
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
{site}
}}
"""


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def test_nginx_serves_the_site_and_proxies_search(tmp_path: Path) -> None:
    output = build_output(
        tmp_path / "output", meta=dataclasses.replace(META, base_path="/bulletin/")
    )
    page = output / "zh-hans" / "search" / "index.html"
    (page.parent / "index.html.gz").write_bytes(gzip.compress(page.read_bytes()))
    client, srv, thread = start_server(output)
    prefix = tmp_path / "nginx"
    for sub in ("temp/body", "temp/proxy", "temp/fastcgi", "temp/uwsgi", "temp/scgi"):
        (prefix / sub).mkdir(parents=True)
    port = free_port()
    service_port = int(client.base.rsplit(":", 1)[1])
    conf = prefix / "nginx.conf"
    conf.write_text(config(prefix, output, port, service_port), "utf-8")
    test = subprocess.run(
        [str(NGINX), "-t", "-p", str(prefix), "-c", str(conf), "-e", "stderr"],
        capture_output=True,
        text=True,
    )
    assert test.returncode == 0, test.stderr
    proc = subprocess.Popen(
        [str(NGINX), "-p", str(prefix), "-c", str(conf), "-e", "stderr"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}/bulletin/"
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
                assert time.monotonic() < deadline, "nginx did not start"
                time.sleep(0.05)
        status, headers, body = get(base + "zh-hans/search/")
        assert status == 200 and b"<!--search-results-->" in body
        status, headers, body = get(base + "zh-hans/search/", {"Accept-Encoding": "gzip"})
        assert status == 200 and headers.get("Content-Encoding") == "gzip"
        assert get(base + "_search/meta.json")[0] == 404

        status, headers, body = get(
            base + "api/search?q=%E7%B4%85%E8%89%B2%E8%81%AF%E7%9B%9F&variant=zh-hant"
        )
        assert status == 200 and headers["Content-Type"].startswith("application/json")
        answer = json.loads(body)
        assert answer["total"] == 1
        assert answer["results"][0]["url"] == "/bulletin/zh-hant/articles/linying-hongse-lianmeng/"

        status, _, body = get(base + "search?q=%E7%BA%A2%E8%89%B2&variant=zh-hant")
        assert status == 200
        assert b'<base href="/bulletin/zh-hant/search/">' in body and b"<mark>" in body
        assert get(base + "api/search?q=&variant=zh-hans")[0] == 400
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        stop_server(srv, thread)
