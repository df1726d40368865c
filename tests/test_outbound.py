"""Outbound requests made for guests, against a real HTTP server on loopback: allowed hosts
only, never private addresses unless the operator trusts them, redirects not followed, the
time and the response size bounded."""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from host.errors import DeployError
from host.outbound import OutboundPolicy, OutboundRefused, allowed, check_hosts, fetch

LOOPBACK = [ipaddress.ip_network("127.0.0.0/8")]


class Handler(BaseHTTPRequestHandler):
    """Answers by path: /echo (method, Host and body back), /big, /slow, /redirect."""

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length)
        if self.path == "/big":
            self._send(200, b"x" * 3_000_000)
        elif self.path == "/slow":
            time.sleep(2)
            self._send(200, b"late")
        elif self.path == "/trickle":  # a byte now and then: no socket timeout ever fires
            self.send_response(200)
            self.send_header("Content-Length", "20")
            self.end_headers()
            for _ in range(20):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.2)
        elif self.path == "/short":  # announces more than it sends
            self.send_response(200)
            self.send_header("Content-Length", "100")
            self.end_headers()
            self.wfile.write(b"only eight")
            self.close_connection = True
        elif self.path == "/redirect":
            self._send(302, b"", [("Location", "http://elsewhere.example/")])
        else:
            echoed = f"{self.command} {self.path} host={self.headers['host']} body=".encode()
            self._send(200, echoed + body, [("X-Test", "yes")])

    def _send(self, status: int, body: bytes, headers: list[tuple[str, str]] = ()) -> None:  # type: ignore[assignment]
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


class QuietServer(ThreadingHTTPServer):
    """A server that does not print the clients the tests hang up on."""

    def handle_error(self, request: object, client_address: object) -> None:
        """Quiet."""


@pytest.fixture(scope="module")
def server() -> Iterator[int]:
    """A threaded HTTP server on a free loopback port; its port."""
    httpd = QuietServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1]
    httpd.shutdown()


def policy(**changes: object) -> OutboundPolicy:
    """localhost allowed, loopback trusted, 1 s, 1 MB."""
    base: dict[str, object] = {
        "allowed_hosts": ["localhost"],
        "trusted_networks": LOOPBACK,
        "timeout": 1.0,
        "max_bytes": 1_000_000,
    }
    return OutboundPolicy(**{**base, **changes})  # type: ignore[arg-type]


def test_an_allowed_host_is_fetched(server: int) -> None:
    url = f"http://localhost:{server}/echo?x=1"
    got = fetch(
        policy(), "POST", url, [("content-type", "text/plain"), ("host", "evil")], b"hi", 30
    )
    assert got.status == 200
    assert got.body == f"POST /echo?x=1 host=localhost:{server} body=hi".encode()
    assert ("x-test", "yes") in got.headers


def test_a_host_not_allowed_is_refused_with_what_to_do(server: int) -> None:
    with pytest.raises(OutboundRefused, match=r"not enabled for this project.*outbound_hosts"):
        fetch(
            policy(allowed_hosts=["api.example.com"]),
            "GET",
            f"http://localhost:{server}/",
            [],
            b"",
            30,
        )


def test_private_addresses_are_refused_unless_trusted(server: int) -> None:
    url = f"http://localhost:{server}/echo"
    with pytest.raises(OutboundRefused, match=r"resolves to 127\.0\.0\.1, a private or reserved"):
        fetch(policy(trusted_networks=[]), "GET", url, [], b"", 30)
    with pytest.raises(OutboundRefused, match="a private or reserved"):
        fetch(
            policy(allowed_hosts=["127.0.0.1"], trusted_networks=[]),
            "GET",
            url.replace("localhost", "127.0.0.1"),
            [],
            b"",
            30,
        )


def test_redirects_are_not_followed(server: int) -> None:
    got = fetch(policy(), "GET", f"http://localhost:{server}/redirect", [], b"", 30)
    assert (got.status, dict(got.headers)["location"]) == (302, "http://elsewhere.example/")


def test_the_response_size_and_the_time_are_bounded(server: int) -> None:
    with pytest.raises(OutboundRefused, match="larger than 1000000 bytes"):
        fetch(policy(), "GET", f"http://localhost:{server}/big", [], b"", 30)
    started = time.monotonic()
    with pytest.raises(OutboundRefused, match=r"did not answer within 0\.3 s"):
        fetch(policy(), "GET", f"http://localhost:{server}/slow", [], b"", 0.3)  # the call's time
    assert time.monotonic() - started < 1.5
    with pytest.raises(OutboundRefused, match="no time is left"):
        fetch(policy(), "GET", f"http://localhost:{server}/echo", [], b"", 0)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://localhost/", "gopher://x/"])
def test_only_http_and_https(url: str) -> None:
    with pytest.raises(OutboundRefused, match="only http and https"):
        fetch(policy(), "GET", url, [], b"", 30)


def test_host_patterns() -> None:
    assert allowed("API.example.com", ["api.example.com"])
    assert allowed("a.b.example.com", ["*.example.com"])
    assert not allowed("example.com", ["*.example.com"])
    assert not allowed("evilexample.com", ["*.example.com"])
    assert not allowed("api.example.com.evil", ["api.example.com"])
    assert check_hosts(["API.Example.com", "*.example.org"]) == ["api.example.com", "*.example.org"]
    for bad in (["http://x.com"], ["a b"], ["*"], "x.com", ["x.com/path"]):
        with pytest.raises(DeployError):
            check_hosts(bad)


def test_the_whole_call_ends_at_its_deadline_however_slowly_bytes_come(server: int) -> None:
    started = time.monotonic()
    with pytest.raises(OutboundRefused, match=r"did not answer within 1\.0 s"):
        fetch(policy(), "GET", f"http://localhost:{server}/trickle", [], b"", 30)
    assert time.monotonic() - started < 1.8


def test_a_response_cut_short_is_refused(server: int) -> None:
    with pytest.raises(OutboundRefused, match="ended 90 bytes early"):
        fetch(policy(), "GET", f"http://localhost:{server}/short", [], b"", 30)


@pytest.mark.parametrize(
    ("url", "headers"),
    [
        ("http://localhost:99999/", []),
        ("http://localhost:abc/", []),
        ("http://[::1/", []),
        ("http://localhost:{port}/echo", [("x-a", "1\r\nInjected: yes")]),
        ("http://localhost:{port}/echo", [("x-a", "é€")]),
        ("http://localhost:{port}/é", []),
        ("http://ü..localhost/", []),
    ],
)
def test_what_no_request_can_carry_is_refused_not_raised(
    server: int, url: str, headers: list[tuple[str, str]]
) -> None:
    allowing = policy(allowed_hosts=["localhost", "*.localhost", "::1"])
    with pytest.raises(OutboundRefused):
        fetch(allowing, "GET", url.format(port=server), headers, b"", 30)


@pytest.mark.parametrize(
    "address",
    ["64:ff9b::a9fe:a9fe", "64:ff9b:1::a00:1", "2002:a00:1::1", "::ffff:0:7f00:1",
     "::127.0.0.1", "fec0::1", "2001:0:a00:1::1", "::ffff:127.0.0.1", "169.254.169.254",
     "10.0.0.1", "fd00::1", "fe80::1"],
)  # fmt: skip
def test_addresses_that_lead_inward_are_not_reachable(address: str) -> None:
    from host.outbound import reachable

    assert not reachable(ipaddress.ip_address(address), [])
    assert reachable(ipaddress.ip_address("93.184.216.34"), [])
    assert reachable(ipaddress.ip_address("2606:2800:220:1:248:1893:25c8:1946"), [])
