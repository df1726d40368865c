"""What handling one request learned, for its access-log line and its metrics.

The WSGI wrapper (`host.web.access_log`) puts a `RequestRecord` in the environ; the guest
dispatch and the error handler fill in what they know (project, version, guest time, whether
the instance was fresh, which limit was hit).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any

ENVIRON_KEY = "wasmhost.record"
# A request id taken from a trusted proxy: printable ASCII without spaces, not too long.
PROXY_REQUEST_ID = re.compile(r"[\x21-\x7e]{1,128}")


@dataclass
class RequestRecord:
    """One request's facts beyond its method, path and status."""

    request_id: str
    project: str | None = None  # set once the project is known to exist
    version: int | None = None
    guest_seconds: float | None = None  # time inside the guest's fetch
    instance: str | None = None  # "fresh" or "reused"
    failure: str | None = None  # the error code of a domain error (`guest_timed_out`, ...)


def new_request_id(environ: dict[str, Any], trusted_header: str | None) -> str:
    """The proxy's id from `trusted_header` when it sent a usable one, else a new random id."""
    if trusted_header:
        sent = environ.get("HTTP_" + trusted_header.upper().replace("-", "_"), "")
        if PROXY_REQUEST_ID.fullmatch(sent):
            return str(sent)
    return secrets.token_hex(8)


def record_of(environ: dict[str, Any]) -> RequestRecord | None:
    """The request's record, if the app runs inside the access-log wrapper."""
    return environ.get(ENVIRON_KEY)
