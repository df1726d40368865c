"""The asset features over real HTTP, through a deployed guest, checked with real clients."""

import gzip
import shutil
import subprocess
from pathlib import Path

import brotli
import pytest

from tests.conftest import Host, run_cli

APP_JS = ("function greet(name) { return 'hello ' + name; }\n" * 400).encode()
HEADERS_FILE = """\
/*
  X-Frame-Options: DENY
/app.js
  X-Served-By: wasmhost
"""
REDIRECTS_FILE = """\
/old-page /about 301
/docs/* https://docs.example.com/:splat 302
/spa/* / 200
"""


@pytest.fixture(scope="module")
def site(host: Host, hello_py: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A site with a compressible script, an about page, rule files and a binary file."""
    public = tmp_path_factory.mktemp("site")
    (public / "index.html").write_text("<!doctype html><title>home</title>" + "<p>x</p>" * 300)
    (public / "about.html").write_text("<!doctype html><title>about</title>")
    (public / "app.js").write_bytes(APP_JS)
    (public / "app.3f9a2b1c.js").write_bytes(APP_JS)
    (public / "photo.png").write_bytes(bytes(range(256)) * 64)
    (public / "_headers").write_text(HEADERS_FILE)
    (public / "_redirects").write_text(REDIRECTS_FILE)
    host.deploy("site", hello_py, public)
    return "site"


@pytest.mark.parametrize(
    ("accept", "encoding", "decode"),
    [
        ("br", "br", brotli.decompress),
        ("gzip", "gzip", gzip.decompress),
        ("gzip;q=0.5, br;q=0.9", "br", brotli.decompress),
        ("br;q=0, gzip", "gzip", gzip.decompress),
        ("identity", None, bytes),
        ("", None, bytes),
    ],
)
def test_compressed_variants_decode_to_the_file(
    host: Host, site: str, accept: str, encoding: str | None, decode: object
) -> None:
    reply = host.get(site, "/app.js", accept_encoding=accept)
    assert reply.status == 200
    assert reply.header("content-encoding") == encoding
    assert reply.header("vary") == "Accept-Encoding"
    assert decode(reply.body) == APP_JS  # type: ignore[operator]
    revalidated = host.get(
        site, "/app.js", accept_encoding=accept, if_none_match=reply.header("etag") or ""
    )
    assert revalidated.status == 304
    assert revalidated.body == b""


def test_every_variant_etag_revalidates(host: Host, site: str) -> None:
    etags = {
        host.get(site, "/app.js", accept_encoding=e).header("etag") for e in ("br", "gzip", "")
    }
    assert len(etags) == 3
    for etag in etags:
        assert host.get(site, "/app.js", if_none_match=etag or "").status == 304


def test_head_matches_get(host: Host, site: str) -> None:
    get = host.get(site, "/app.js", accept_encoding="br")
    head = host.request(site, "/app.js", "HEAD", headers={"Accept-Encoding": "br"})
    assert head.body == b""
    for name in ("content-length", "etag", "content-type", "content-encoding", "cache-control"):
        assert head.header(name) == get.header(name), name


@pytest.mark.parametrize(
    ("spec", "start", "end"),
    [("bytes=0-99", 0, 100), ("bytes=100-", 100, None), ("bytes=-50", -50, None)],
)
def test_ranges(host: Host, site: str, spec: str, start: int, end: int | None) -> None:
    reply = host.get(site, "/app.js", range=spec, accept_encoding="br, gzip")
    assert reply.status == 206
    assert reply.header("content-encoding") is None
    expected = APP_JS[start:end]
    assert reply.body == expected
    first = start % len(APP_JS)
    assert (
        reply.header("content-range") == f"bytes {first}-{first + len(expected) - 1}/{len(APP_JS)}"
    )


def test_bad_and_stale_ranges(host: Host, site: str) -> None:
    unsatisfiable = host.get(site, "/app.js", range=f"bytes={len(APP_JS) + 10}-")
    assert unsatisfiable.status == 416
    assert unsatisfiable.header("content-range") == f"bytes */{len(APP_JS)}"
    assert host.get(site, "/app.js", range="bytes=0-1,5-6").status == 200
    assert host.get(site, "/app.js", range="bytes=0-9", if_range='"stale"').status == 200
    etag = host.get(site, "/app.js").header("etag") or ""
    assert host.get(site, "/app.js", range="bytes=0-9", if_range=etag).status == 206


def test_immutable_caching_for_hashed_names(host: Host, site: str) -> None:
    assert host.get(site, "/app.3f9a2b1c.js").header("cache-control") == (
        "public, max-age=31536000, immutable"
    )


def test_headers_file(host: Host, site: str) -> None:
    script = host.get(site, "/app.js")
    assert script.header("x-frame-options") == "DENY"
    assert script.header("x-served-by") == "wasmhost"
    redirect = host.get(site, "/about.html")
    assert redirect.status == 307
    assert redirect.header("x-frame-options") == "DENY"
    moved = host.get(site, "/old-page")
    assert (moved.status, moved.header("x-frame-options")) == (301, "DENY")
    for answer in (redirect, moved):
        for name in ("content-type", "cache-control", "etag"):
            assert answer.header(name) is None, name
    missing = host.get(site, "/missing.txt")
    assert (missing.status, missing.header("x-frame-options")) == (404, "DENY")
    assert missing.header("content-type") == "text/plain; charset=utf-8"
    assert host.get(site, "/_headers").status == 404
    assert host.get(site, "/_redirects").status == 404


@pytest.mark.parametrize(
    ("raw", "location"),
    [
        ("/%61pp.js", "/app.js"),
        ("/%61pp.js?v=1", "/app.js?v=1"),
        ("//app.js", "/app.js"),
        ("/ab%6Fut", "/about"),
    ],
)
def test_canonical_redirect_over_http(host: Host, site: str, raw: str, location: str) -> None:
    reply = host.get(site, raw)
    assert (reply.status, reply.header("location"), reply.body) == (307, location, b"")
    assert reply.header("etag") is None and reply.header("cache-control") is None
    assert host.get(site, location).status == 200


def test_authorized_requests_get_private_caching(host: Host, site: str) -> None:
    reply = host.get(site, "/app.js", authorization="Bearer x")
    assert reply.header("cache-control") == "private, max-age=0, must-revalidate"
    hashed = host.get(site, "/app.3f9a2b1c.js", authorization="Bearer x")
    assert hashed.header("cache-control") == "private, max-age=31536000, immutable"


def test_redirects_file(host: Host, site: str) -> None:
    moved = host.get(site, "/old-page")
    assert (moved.status, moved.header("location")) == (301, "/about")
    away = host.get(site, "/docs/intro/start?x=1")
    assert away.status == 302
    assert away.header("location") == "https://docs.example.com/intro/start?x=1"
    rewrite = host.get(site, "/spa/deep/link")
    assert rewrite.status == 200
    assert rewrite.body.startswith(b"<!doctype html><title>home</title>")


def test_bad_rule_file_is_refused_and_nothing_changes(
    host: Host, site: str, hello_py: Path, tmp_path: Path
) -> None:
    (tmp_path / "index.html").write_text("replacement")
    (tmp_path / "_redirects").write_text("/a /b 301\nnot a rule at all\n/c /d 999\n")
    result = run_cli(
        "deploy", "--project", site, "--worker", str(hello_py), "--assets", str(tmp_path),
        "--db", str(host.db), cache_dir=host.cache_dir, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert "line 2" in result.stderr and "line 3" in result.stderr
    assert host.get(site, "/app.js", accept_encoding="br").header("content-encoding") == "br"
    assert b"replacement" not in host.get(site, "/").body


def test_curl_compressed_round_trip(host: Host, site: str, tmp_path: Path) -> None:
    curl = shutil.which("curl")
    assert curl is not None, "curl is needed for this test: install it (apt-get install curl)"
    url = f"http://127.0.0.1:{host.port}/app.js"
    common = [curl, "-sS", "--compressed", "-H", f"Host: site.localhost:{host.port}"]
    fetched = subprocess.run(
        [*common, "-D", str(tmp_path / "h"), "-o", str(tmp_path / "b"), url], check=True
    )
    assert fetched.returncode == 0
    headers = (tmp_path / "h").read_text().lower()
    assert "content-encoding: br" in headers or "content-encoding: gzip" in headers
    assert (tmp_path / "b").read_bytes() == APP_JS
    etag = next(
        line.split(":", 1)[1].strip() for line in headers.splitlines() if line.startswith("etag:")
    )
    status = subprocess.run(
        [*common, "-o", "/dev/null", "-w", "%{http_code}", "-H", f"If-None-Match: {etag}", url],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert status.stdout == "304"
