"""What the host does with a guest's answer: HEAD lengths, unsafe headers, cookies, odd Hosts."""

import gzip
import http.client
import sqlite3
from pathlib import Path

import brotli
import pytest

from host.assets.manifest import etag_for
from host.storage import keys
from tests.conftest import Host

PAGE = "<!doctype html><p>compress me</p>\n" * 200


@pytest.fixture(scope="module")
def project(host: Host, misbehave_py: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """misbehave-py deployed as `misbehave-headers`, with a compressible page."""
    public = tmp_path_factory.mktemp("responses")
    (public / "page.txt").write_text(PAGE)
    (public / "head-only.txt").write_text("these bytes are deleted by a test")
    host.deploy("misbehave-headers", misbehave_py, public)
    return "misbehave-headers"


@pytest.mark.parametrize("accept", ["br", "gzip", ""])
def test_a_guest_reading_an_asset_gets_plain_text_whatever_the_client_accepts(
    host: Host, project: str, accept: str
) -> None:
    reply = host.get(project, "/inject?url=/page.txt", accept_encoding=accept)
    assert reply.status == 200
    assert reply.header("content-encoding") is None
    assert reply.text == PAGE.upper()
    assert reply.header("x-length") == str(len(PAGE))


@pytest.mark.parametrize(
    ("accept", "decode"), [("br", brotli.decompress), ("gzip", gzip.decompress)]
)
def test_an_untouched_pass_through_still_goes_out_compressed(
    host: Host, project: str, accept: str, decode: object
) -> None:
    reply = host.get(project, "/asset?url=/page.txt", accept_encoding=accept)
    assert reply.header("content-encoding") == accept
    assert decode(reply.body).decode() == PAGE  # type: ignore[operator]
    head = host.request(project, "/asset?url=/page.txt", "HEAD", {"Accept-Encoding": accept})
    assert head.header("content-length") == str(len(reply.body))
    assert head.header("content-encoding") == accept


def test_head_to_a_guest_reports_the_get_length(host: Host, project: str) -> None:
    get = host.get(project, "/ok")
    head = host.request(project, "/ok", "HEAD")
    assert head.status == 200
    assert head.body == b""
    assert head.header("content-length") == str(len(get.body)) != "0"


def test_unsafe_headers_are_dropped_or_confined(host: Host, project: str) -> None:
    reply = host.get(project, "/headers")
    assert reply.status == 200
    assert reply.header("keep-alive") is None
    assert reply.headers.get_all("content-type") == ["text/html"]
    cookies = reply.headers.get_all("set-cookie") or []
    assert "wide=1; Path=/" in cookies
    assert "own=2; Domain=misbehave-headers.localhost; Path=/" in cookies


@pytest.mark.parametrize(
    "host_header", ["misbehave-headers.localhost:abc", "misbehave-headers.localhost:99999999"]
)
def test_malformed_host_headers_do_not_reach_a_guest(
    host: Host, project: str, host_header: str
) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", host.port, timeout=30)
    try:
        conn.putrequest("GET", "/ok", skip_host=True)
        conn.putheader("Host", host_header)
        conn.endheaders()
        response = conn.getresponse()
        # not a project's host: the control plane answers (401: every path but /healthz
        # needs the token there)
        assert response.status in (400, 401, 404)
        assert b"misbehave is fine" not in response.read()
    finally:
        conn.close()


def test_head_never_reads_the_stored_bytes(host: Host, project: str) -> None:
    with sqlite3.connect(host.db) as db:
        stored = keys.file_key(project, etag_for(b"these bytes are deleted by a test"))
        assert db.execute("DELETE FROM kv WHERE key = ?", (stored,)).rowcount == 1
    head = host.request(project, "/asset?url=/head-only.txt", "HEAD")
    assert head.status == 200
    assert head.header("content-length") == str(len("these bytes are deleted by a test"))
    assert host.get(project, "/asset?url=/head-only.txt").status == 500
