"""Guest stdout/stderr: captured per request, capped, and written to the host's log."""

from __future__ import annotations

import logging

from host.logs import escape_controls

log = logging.getLogger("wasmhost.guest")
MAX_LINES = 200


class GuestOutput:
    """Collects what one request's guest prints, up to `limit` bytes per stream."""

    def __init__(self, project_id: str, limit: int, request_id: str = "-") -> None:
        self.project_id = project_id
        self.request_id = request_id
        self._limit = limit
        self._streams: dict[str, bytearray] = {"stdout": bytearray(), "stderr": bytearray()}
        self._dropped: dict[str, int] = {"stdout": 0, "stderr": 0}

    def write(self, stream: str, data: bytes) -> int:
        """Keep what fits of one write to `stream`; returns the length as if all was written."""
        kept = self._streams[stream]
        room = max(0, self._limit - len(kept))
        kept += data[:room]
        self._dropped[stream] += len(data) - min(room, len(data))
        return len(data)

    def text(self, stream: str) -> str:
        """What the guest wrote to `stream` (within the cap), decoded leniently."""
        return self._streams[stream].decode("utf-8", "replace")

    def flush(self) -> None:
        """Write the captured output to the log, one record per line, tagged with the project
        and the request id.

        Control characters are escaped here, so that no embedder's log gets the guest's raw
        terminal escapes even without `host.logs.EscapeControls` on its handlers.
        """
        tag = f"{self.request_id} [{self.project_id}]"
        fields = {"project": self.project_id, "request_id": self.request_id}
        for stream, level in (("stdout", logging.INFO), ("stderr", logging.WARNING)):
            lines = self.text(stream).splitlines()
            extra = {"fields": {**fields, "stream": stream}}
            for line in lines[:MAX_LINES]:
                log.log(level, "%s %s: %s", tag, stream, escape_controls(line), extra=extra)
            dropped = self._dropped[stream] + sum(len(line) + 1 for line in lines[MAX_LINES:])
            if dropped:
                log.warning(
                    "%s %s: %d more bytes dropped (max_output_kb, %d lines at most)",
                    *(tag, stream, dropped, MAX_LINES),
                    extra=extra,
                )
