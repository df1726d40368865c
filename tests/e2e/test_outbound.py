"""fetch() to other origins through the real path: refused (catchably) unless the project's
config allows the host, made by the host when it does, and never to a private address unless
the operator trusts its network. The server fetched from is a real one on loopback, so this
host trusts 127.0.0.0/8; the session's host (which does not) shows the refusal."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.conftest import Guest, Host, Started, start_host, stop_host


class Echo(BaseHTTPRequestHandler):
    """Answers every POST with `echo:` and the body it got."""

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        answer = b"echo: " + body
        self.send_response(200)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture(scope="module")
def origin() -> Iterator[str]:
    """A real HTTP server on loopback: its base URL, by name."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://localhost:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def trusting_host(
    tmp_path_factory: pytest.TempPathFactory, compiled_cache: Path
) -> Iterator[Started]:
    """A host whose guests may reach loopback (the operator trusts 127.0.0.0/8)."""
    env = {"WASMHOST_OUTBOUND_TRUSTED_NETWORKS": "127.0.0.0/8"}
    host = start_host(
        tmp_path_factory.mktemp("outbound"), compiled_cache, "--workers", "1", env=env
    )
    yield host
    stop_host(host)


def outbound(host: Host, project: str, url: str) -> tuple[int, str]:
    """What the guest's /outbound route answers for `url`."""
    reply = host.get(project, f"/outbound?url={quote(url, safe='')}")
    return reply.status, reply.text


def test_an_allowed_host_is_fetched(
    trusting_host: Started, misbehave_guest: Guest, origin: str
) -> None:
    project = f"out-{misbehave_guest.language}"
    trusting_host.deploy(project, misbehave_guest.worker, None, "--allow-host", "localhost")
    assert outbound(trusting_host, project, f"{origin}/x") == (200, "200 echo: from the guest")


def test_by_default_fetch_is_refused_and_the_guest_can_catch_it(
    trusting_host: Started, misbehave_guest: Guest, origin: str
) -> None:
    project = f"closed-{misbehave_guest.language}"
    trusting_host.deploy(project, misbehave_guest.worker, None)
    status, text = outbound(trusting_host, project, f"{origin}/x")
    assert status == 502
    assert "outbound requests to localhost are not enabled for this project" in text
    assert text.startswith(("TypeError: fetch(", "FetchError: fetch("))


def test_private_addresses_are_refused_unless_trusted(
    host: Host, misbehave_guest: Guest, origin: str
) -> None:
    project = f"private-{misbehave_guest.language}"
    host.deploy(project, misbehave_guest.worker, None, "--allow-host", "localhost")
    status, text = outbound(host, project, f"{origin}/x")
    assert status == 502
    assert "resolves to 127.0.0.1, a private or reserved address" in text
