"""A client that stops reading a large streamed body keeps its project's slot, not the host:
the project's further requests get 503 at once while other projects are served, and the slot
comes back when the body has been read to the end."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import Started, stop_host
from tests.e2e.attacks import HUGE_ASSET, Timed, ask_good, attacker, send, start_attack_host

SHARE = 1
WAIT_SECONDS = 20  # for the server to fill its send buffer, or to be read out (not a target)


@pytest.fixture(scope="module")
def slow_host(
    tmp_path_factory: pytest.TempPathFactory, compiled_cache: Path, attack_db: Path
) -> Iterator[Started]:
    """One process with 4 threads and a share of one request per project."""
    host = start_attack_host(
        tmp_path_factory.mktemp("slow"), compiled_cache, attack_db, 4, project_concurrency=SHARE
    )
    yield host
    stop_host(host)


def eventually(ask: Callable[[], Timed], wanted: int) -> Timed:
    """Ask until the answer has status `wanted` (the server works at its own pace)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        reply = ask()
        if reply.status == wanted or time.monotonic() > deadline:
            return reply
        time.sleep(0.1)


def stalled_download(host: Started, project: str) -> socket.socket:
    """Ask for the huge asset through the guest and read only the start of the answer."""
    sock = socket.create_connection(("127.0.0.1", host.port), timeout=WAIT_SECONDS)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.sendall(
        f"GET /asset?url={HUGE_ASSET} HTTP/1.1\r\nHost: {project}.localhost:{host.port}\r\n\r\n".encode()
    )
    assert sock.recv(12).startswith(b"HTTP/1.1 200")
    return sock


def read_to_the_end(sock: socket.socket) -> int:
    """Read the rest of the answer; the bytes read."""
    total = 0
    sock.shutdown(socket.SHUT_WR)
    while chunk := sock.recv(1 << 20):
        total += len(chunk)
    sock.close()
    return total


@pytest.mark.parametrize("language", ["py", "js"])
def test_a_stalled_download_counts_against_its_projects_share(
    slow_host: Started, language: str
) -> None:
    project = attacker(language)
    sock = stalled_download(slow_host, project)
    refused = eventually(lambda: send(slow_host, project, "/ok"), 503)
    assert refused.status == 503
    assert refused.reply.headers["Retry-After"] == "1"
    ask_good(slow_host)
    assert read_to_the_end(sock) > 16 * 1024 * 1024
    assert eventually(lambda: send(slow_host, project, "/ok"), 200).status == 200
