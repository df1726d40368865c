"""The bench's hostile clients, against a slow server of their own on loopback: held back by
`paused`, they have nothing in flight and send nothing until it ends."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from scripts.benchmark.attack_clients import Attack, Hostile

ANSWER_SECONDS = 0.3


class SlowServer(ThreadingHTTPServer):
    """Answers every GET after `ANSWER_SECONDS`, counting requests arrived and in progress."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), SlowHandler)
        self.lock = threading.Lock()
        self.arrived = 0
        self.in_progress = 0


class SlowHandler(BaseHTTPRequestHandler):
    """One slow answer."""

    server: SlowServer

    def do_GET(self) -> None:
        """Count the request, wait, answer 200."""
        with self.server.lock:
            self.server.arrived += 1
            self.server.in_progress += 1
        try:
            time.sleep(ANSWER_SECONDS)
            self.send_response(200)
            self.send_header("content-length", "0")
            self.end_headers()
        finally:
            with self.server.lock:
                self.server.in_progress -= 1

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def server() -> Iterator[SlowServer]:
    """The slow server, serving in a thread until the test ends."""
    slow = SlowServer()
    thread = threading.Thread(target=slow.serve_forever, daemon=True)
    thread.start()
    yield slow
    slow.shutdown()
    slow.server_close()


def test_paused_clients_have_nothing_in_flight_and_send_nothing(server: SlowServer) -> None:
    port = server.server_address[1]
    with Hostile(port, [[Attack("slow", "p", "/")]] * 4) as hostile:
        deadline = time.monotonic() + 30
        while server.in_progress < 4 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert server.in_progress == 4  # all four clients are waiting for an answer
        with hostile.paused(timeout=10):
            assert server.in_progress == 0
            arrived = server.arrived
            time.sleep(3 * ANSWER_SECONDS)
            assert server.arrived == arrived and server.in_progress == 0
        deadline = time.monotonic() + 10
        while server.arrived == arrived and time.monotonic() < deadline:
            time.sleep(0.01)
        assert server.arrived > arrived  # sending again
    assert hostile.tallies["slow"][200] == hostile.sent


def test_a_request_that_does_not_end_in_time_is_a_timeout(server: SlowServer) -> None:
    port = server.server_address[1]
    with Hostile(port, [[Attack("slow", "p", "/")]]) as hostile:
        deadline = time.monotonic() + 30
        while server.in_progress < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        with pytest.raises(TimeoutError), hostile.paused(timeout=ANSWER_SECONDS / 10):
            pass
