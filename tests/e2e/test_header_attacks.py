"""Headers a guest sends that a client or a proxy in front of the host must never act on.

misbehave-py's `/headers?add=name:value&status=N` sends the header fields the test names,
through a real `wasmhost serve` (waitress) over HTTP.
"""

from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.conftest import Host

PROJECT = "header-attacks"
SUPERSCRIPT_TWO = "content-length:\u00b2"  # "²".isdigit() is True; int("²") fails


@pytest.fixture(scope="module")
def project(host: Host, misbehave_py: Path) -> str:
    """misbehave-py deployed as `header-attacks`."""
    host.deploy(PROJECT, misbehave_py)
    return PROJECT


def headers_path(*fields: str, status: int = 200) -> str:
    """The `/headers` URL that makes the guest add `fields` and answer `status`."""
    return "/headers?" + urlencode([("status", status), *(("add", f) for f in fields)])


def test_proxy_directives_and_connection_options_are_dropped(host: Host, project: str) -> None:
    fields = [
        "x-accel-redirect:/internal/other-project/secret",
        "x-accel-limit-rate:1",
        "x-sendfile:/etc/passwd",
        "x-sendfile-type:X-Accel-Redirect",
        "x-lighttpd-send-file:/etc/passwd",
        "x-litespeed-location:/internal",
        "connection:x-secret, x-other",
        "x-secret:1",
        "x-other:2",
        "x-kept:3",
    ]
    reply = host.get(project, headers_path(*fields))
    assert reply.status == 200
    assert reply.text == "headers"
    sent = {name.lower() for name in reply.headers}
    for field in fields[:-1]:
        assert field.partition(":")[0] not in sent
    assert reply.header("x-kept") == "3"


def test_head_with_a_superscript_length_gets_the_real_one(host: Host, project: str) -> None:
    for _ in range(2):  # the same connection pool keeps answering afterwards
        head = host.request(project, headers_path(SUPERSCRIPT_TWO), "HEAD")
        assert (head.status, head.body) == (200, b"")
        assert head.header("content-length") == str(len("headers"))
    assert host.get(project, "/ok").text == "misbehave is fine"


def test_304_with_a_superscript_length_goes_out_without_one(host: Host, project: str) -> None:
    for _ in range(2):
        reply = host.get(project, headers_path(SUPERSCRIPT_TWO, status=304))
        assert (reply.status, reply.body) == (304, b"")
        assert reply.header("content-length") is None
    assert host.get(project, "/ok").text == "misbehave is fine"
