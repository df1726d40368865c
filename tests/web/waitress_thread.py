"""A WSGI app served by waitress on a loopback port from a thread, for web-layer tests."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from waitress import wasyncore
from waitress.server import create_server


@contextmanager
def served_in_thread(app: Any) -> Iterator[int]:
    """Serve `app` with one waitress thread on a free loopback port; yields the port.

    The loop runs until told to stop and closes its sockets in its own thread: a socket
    closed under another thread's select() is an error in that thread.
    """
    server = create_server(app, host="127.0.0.1", port=0, threads=1)
    stop = threading.Event()

    def run() -> None:
        """Waitress's loop, then its sockets closed."""
        while not stop.is_set():
            wasyncore.loop(timeout=0.05, map=server._map, count=1)
        server.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield int(server.effective_port)
    finally:
        stop.set()
        thread.join(timeout=10)
