"""One HTTP request to a project on a loopback server, answered whole."""

from __future__ import annotations

import http.client
import time
from dataclasses import dataclass, field

TIMEOUT_SECONDS = 60
KEPT_HEADERS = ("content-type", "etag", "cache-control")


@dataclass(frozen=True)
class Answer:
    """A response: status, the headers the baseline repeats, body, and how long it took."""

    status: int
    headers: dict[str, str]
    body: bytes
    elapsed_ms: float = field(default=0.0, compare=False)


def get(port: int, project: str, target: str, headers: dict[str, str] | None = None) -> Answer:
    """GET `target` from `project` at 127.0.0.1:`port` on a new connection (no compression)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_SECONDS)
    try:
        started = time.perf_counter()
        connection.putrequest("GET", target, skip_host=True, skip_accept_encoding=True)
        connection.putheader("Host", host_header(project, port))
        for name, value in (headers or {}).items():
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        body = response.read()
        elapsed_ms = (time.perf_counter() - started) * 1000
    finally:
        connection.close()
    kept = {name: response.headers[name] for name in KEPT_HEADERS if name in response.headers}
    return Answer(response.status, kept, body, elapsed_ms)


def host_header(project: str, port: int) -> str:
    """The Host header that routes to `project` on a host serving *.localhost."""
    return f"{project}.localhost:{port}"
