"""WSGI middleware around the host: a request id for each request, then, once its answer has
been handed to the server, one access-log line and the request's metrics.

The id is sent back as `X-Request-Id` (replacing any a guest set) and tags the guest's output
lines; it is taken from a trusted proxy's header when `request_id_header` names one. The
line has the time, request id, project, version, method, path, status, bytes, total and guest
milliseconds, and whether the instance was fresh or reused: readable text by default, or JSON
fields with `log_format = "json"`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from host import metrics
from host.config import Settings
from host.recent import RecentRequests
from host.web.request_record import ENVIRON_KEY, RequestRecord, new_request_id

log = logging.getLogger("wasmhost.access")
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class AccessLog:
    """Wraps a WSGI app: ids requests, logs each answered one, counts it in the metrics."""

    def __init__(self, app: WsgiApp, settings: Settings, recent: RecentRequests) -> None:
        self._app = app
        self._trusted_header = settings.request_id_header
        self._log_lines = settings.access_log
        self._recent = recent

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        """Run the app with a record in the environ; finish the record when the body closes."""
        started = time.perf_counter()
        record = RequestRecord(new_request_id(environ, self._trusted_header))
        environ[ENVIRON_KEY] = record
        status: list[str] = ["500"]

        def start(head: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            """Note the status and send the request id."""
            status[0] = head
            headers = [(n, v) for n, v in headers if n.lower() != "x-request-id"]
            headers.append(("X-Request-Id", record.request_id))
            return start_response(head, headers, exc_info)

        def finish(sent: int) -> None:
            """Log and count the request, once its answer has been handed over."""
            self._finish(environ, record, status[0], sent, time.perf_counter() - started)

        try:
            body = self._app(environ, start)
        except BaseException:
            finish(0)
            raise
        return CountedBody(body, finish)

    def _finish(
        self, environ: dict[str, Any], record: RequestRecord, head: str, sent: int, seconds: float
    ) -> None:
        """The access-log line and the metrics of one request."""
        code, meters = head[:3], metrics.meters()
        tenant = "wasmhost.project" in environ
        project = record.project or (metrics.UNKNOWN_PROJECT if tenant else metrics.CONTROL_PLANE)
        meters.requests.labels(project, code).inc()
        meters.request_seconds.labels(project).observe(seconds)
        if record.guest_seconds is not None:
            meters.guest_seconds.labels(project).observe(record.guest_seconds)
        if record.instance is not None:
            meters.instances.labels(record.instance).inc()
        if record.failure is not None and record.project is not None:
            meters.failures.labels(record.project, record.failure).inc()
        fields = access_fields(environ, record, int(code), sent, seconds)
        if record.project is not None:
            self._recent.add(record.project, {**fields, "time": time.time()})
        if self._log_lines and log.isEnabledFor(logging.INFO):
            log.info(access_line(fields), extra={"fields": fields})


def access_fields(
    environ: dict[str, Any], record: RequestRecord, status: int, sent: int, seconds: float
) -> dict[str, Any]:
    """The access-log fields of one request (JSON lines carry them as they are)."""
    query = environ.get("QUERY_STRING")
    guest = record.guest_seconds
    return {
        "request_id": record.request_id,
        "client": environ.get("REMOTE_ADDR", ""),
        "project": record.project,
        "version": record.version,
        "method": environ.get("REQUEST_METHOD", ""),
        "path": environ.get("PATH_INFO", "") + (f"?{query}" if query else ""),
        "status": status,
        "bytes": sent,
        "ms": round(seconds * 1000, 2),
        "guest_ms": None if guest is None else round(guest * 1000, 2),
        "instance": record.instance,
        "failure": record.failure,
    }


def access_line(fields: dict[str, Any]) -> str:
    """The readable line: `id client project@vN "GET /path" 200 123B 4.2ms guest=1.1ms reused`."""
    project = fields["project"] or "-"
    if fields["version"] is not None:
        project += f"@v{fields['version']}"
    parts = [
        fields["request_id"],
        fields["client"] or "-",
        project,
        f'"{fields["method"]} {fields["path"]}"',
        str(fields["status"]),
        f"{fields['bytes']}B",
        f"{fields['ms']:.1f}ms",
    ]
    if fields["guest_ms"] is not None:
        parts.append(f"guest={fields['guest_ms']:.1f}ms")
    if fields["instance"] is not None:
        parts.append(fields["instance"])
    if fields["failure"] is not None:
        parts.append(f"failure={fields['failure']}")
    return " ".join(parts)


class CountedBody:
    """A WSGI body that counts the bytes it yields and reports them once, when closed."""

    def __init__(self, body: Iterable[bytes], on_close: Callable[[int], None]) -> None:
        self._body = body
        self._on_close: Callable[[int], None] | None = on_close
        self.sent = 0

    def __iter__(self) -> Iterator[bytes]:
        """The body's chunks, counted."""
        for chunk in self._body:
            self.sent += len(chunk)
            yield chunk

    def close(self) -> None:
        """Close the wrapped body, then report (once)."""
        try:
            close = getattr(self._body, "close", None)
            if callable(close):
                close()
        finally:
            report, self._on_close = self._on_close, None
            if report is not None:
                report(self.sent)
