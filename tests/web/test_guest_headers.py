"""Guest response headers a client or a proxy in front of the host must never act on.

The app below sends a fixed guest answer through `write_response`, as the guest dispatch
does; the last tests serve it with waitress over real HTTP.
"""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from typing import Any

import falcon
import falcon.testing
import pytest

from host.config import MIB
from host.runtime.bodies import BodyTable
from host.runtime.values import WitResponse
from host.web import errors
from host.web.messages import write_response
from tests.web.waitress_thread import served_in_thread

SITE = "demo.localhost"
BODY = b"guest body\n"
PROXY_DIRECTIVES = [
    ("X-Accel-Redirect", "/internal/secrets"),
    ("x-accel-limit-rate", "1"),
    ("X-Accel-Buffering", "no"),
    ("X-Accel-Expires", "0"),
    ("X-Sendfile", "/etc/passwd"),
    ("X-Sendfile-Type", "X-Accel-Redirect"),
    ("X-Lighttpd-Send-File", "/etc/passwd"),
    ("X-LiteSpeed-Location", "/internal/secrets"),
    ("X-Reproxy-URL", "http://169.254.169.254/"),
]


class Answer:
    """A sink that answers every request with one fixed guest response."""

    def __init__(self, status: int, headers: list[tuple[str, str]]) -> None:
        self.status = status
        self.headers = headers

    def __call__(self, req: falcon.Request, resp: falcon.Response, **_: str) -> None:
        """Write the guest's answer as the host does."""
        answer = WitResponse(self.status, self.headers, BODY)
        write_response(req, resp, answer, BodyTable(MIB), SITE)


def make_app(status: int, headers: list[tuple[str, str]]) -> falcon.App[Any, Any]:
    """A Falcon app answering every path with the guest answer, errors mapped as the host does."""
    app = falcon.App(media_type=falcon.MEDIA_TEXT)
    app.add_sink(Answer(status, headers), prefix="/")
    errors.install(app)
    return app


def simulate(
    headers: list[tuple[str, str]], method: str = "GET", status: int = 200
) -> falcon.testing.Result:
    """One in-process request to an app whose guest sends `headers`."""
    client = falcon.testing.TestClient(make_app(status, headers))
    return client.simulate_request(method, "/", headers={"Host": SITE})


@pytest.mark.parametrize("length", ["²", "1²", "³", "¹", "+11", "-1", "1_1", "11a", "0x0b", ""])
def test_a_head_length_that_is_not_ascii_digits_is_replaced_by_the_real_one(length: str) -> None:
    result = simulate([("content-length", length)], "HEAD")
    assert result.status_code == 200
    assert result.headers["content-length"] == str(len(BODY))


def test_a_head_length_of_ascii_digits_is_kept() -> None:
    result = simulate([("content-length", " 4096 ")], "HEAD")
    assert result.headers["content-length"] == "4096"


@pytest.mark.parametrize("length", ["²", "12²", "-5"])
def test_a_304_drops_a_length_that_is_not_ascii_digits(length: str) -> None:
    result = simulate([("content-length", length), ("etag", '"a"')], status=304)
    assert result.status_code == 304
    assert "content-length" not in result.headers
    assert result.headers["etag"] == '"a"'


@pytest.mark.parametrize(("name", "value"), PROXY_DIRECTIVES)
def test_proxy_directives_are_dropped(name: str, value: str) -> None:
    result = simulate([(name, value), ("x-accelerator", "kept")])
    assert result.status_code == 200
    assert name.lower() not in {key.lower() for key in result.headers}
    assert result.headers["x-accelerator"] == "kept"
    assert result.content == BODY


def test_headers_named_in_connection_are_dropped() -> None:
    sent = [
        ("Connection", "X-Secret, , Set-Cookie"),
        ("connection", "close,x-other-secret"),
        ("x-secret", "1"),
        ("X-Other-Secret", "2"),
        ("set-cookie", "session=stolen"),
        ("x-public", "3"),
    ]
    result = simulate(sent)
    assert result.status_code == 200
    kept = {key.lower() for key in result.headers}
    assert kept.isdisjoint({"connection", "x-secret", "x-other-secret", "set-cookie"})
    assert result.cookies == {}
    assert result.headers["x-public"] == "3"


def test_a_cookie_stays_on_its_projects_site() -> None:
    sent = [
        ("set-cookie", "wide=1; Domain=localhost; Path=/"),
        ("set-cookie", "sibling=2; Domain=.other.localhost"),
        ("set-cookie", f"own=3; Domain={SITE}; HttpOnly"),
        ("set-cookie", f"deeper=4; Domain=api.{SITE}"),
    ]
    cookies = simulate(sent).cookies
    assert set(cookies) == {"wide", "sibling", "own", "deeper"}  # kept, but host-only
    assert cookies["wide"].domain is None and cookies["sibling"].domain is None
    assert cookies["own"].domain == SITE and cookies["own"].http_only
    assert cookies["deeper"].domain == f"api.{SITE}"


def test_connection_naming_content_length_leaves_the_real_head_length() -> None:
    result = simulate([("connection", "content-length"), ("content-length", "999")], "HEAD")
    assert result.headers["content-length"] == str(len(BODY))


def test_a_dropped_header_with_an_unsendable_value_still_refuses_the_answer() -> None:
    result = simulate([("x-accel-redirect", "/a\r\nx-injected: 1")])
    assert result.status_code == 502
    assert "x-injected" not in result.headers


@pytest.fixture
def served() -> Iterator[int]:
    """Guests answering 200 and 304 with Content-Length `²`, behind waitress; yields its port."""
    app = falcon.App(media_type=falcon.MEDIA_TEXT)
    app.add_sink(Answer(200, [("content-length", "²")]), prefix="/ok")
    app.add_sink(Answer(304, [("content-length", "²"), ("etag", '"a"')]), prefix="/same")
    errors.install(app)
    with served_in_thread(app) as port:
        yield port


def send(port: int, method: str, path: str) -> http.client.HTTPResponse:
    """One request over a new loopback connection; the response read whole."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, headers={"Host": SITE})
        response = conn.getresponse()
        response.read()
        return response
    finally:
        conn.close()


def test_waitress_answers_head_and_304_with_a_superscript_length(served: int) -> None:
    for _ in range(2):  # and keeps answering afterwards
        head = send(served, "HEAD", "/ok")
        assert (head.status, head.getheader("content-length")) == (200, str(len(BODY)))
        same = send(served, "GET", "/same")
        assert (same.status, same.getheader("content-length")) == (304, None)
        assert send(served, "GET", "/ok").status == 200
