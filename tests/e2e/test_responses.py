"""What the host does with a guest's answer: HEAD lengths, unsafe headers, cookies, odd Hosts."""

import http.client
from pathlib import Path

import pytest

from tests.conftest import Host


@pytest.fixture(scope="module")
def project(host: Host, misbehave_py: Path) -> str:
    """misbehave-py deployed as `misbehave-headers`."""
    host.deploy("misbehave-headers", misbehave_py)
    return "misbehave-headers"


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
        assert response.status in (400, 404)
        assert b"misbehave is fine" not in response.read()
    finally:
        conn.close()
