"""Domain errors mapped to HTTP, in one place: short plain-text bodies, details in the log."""

from __future__ import annotations

import logging
from typing import Any

import falcon

from host import errors

log = logging.getLogger("wasmhost.web")

# status, and the public text (None: the error's own message, written for users)
STATUS: dict[type[Exception], tuple[int, str | None]] = {
    errors.ProjectNotFound: (404, "Project not found"),
    errors.InvalidProjectId: (404, None),
    errors.GuestTimedOut: (503, "Worker exceeded its CPU time limit"),
    errors.GuestWallClockExceeded: (504, "Worker exceeded its wall-clock time limit"),
    errors.GuestOverBudget: (503, "Worker exceeded its memory limit"),
    errors.ProjectBusy: (503, "Project is at its concurrency limit; retry shortly"),
    errors.GuestBadResponse: (502, "Worker returned an invalid response"),
    errors.GuestTrapped: (500, "Worker threw an exception"),
    errors.WorkerUnavailable: (503, "Worker unavailable"),
    errors.RequestTooLarge: (413, None),
    errors.Unauthorized: (401, None),
    errors.ApiDisabled: (403, None),
    errors.DeployError: (400, None),
}


def status_for(error: Exception) -> tuple[int, str]:
    """The HTTP status and body text for a domain error."""
    for cls in type(error).__mro__:
        if cls in STATUS:
            status, text = STATUS[cls]
            return status, text if text is not None else str(error)
    return 500, "Internal Server Error"


def _mapped(error: Exception) -> bool:
    """Whether the error is one the table maps on purpose (not a bug)."""
    return any(cls in STATUS for cls in type(error).__mro__)


def handle_error(req: falcon.Request, resp: falcon.Response, error: Exception, _: Any) -> None:
    """Falcon error handler: a domain error (or a bug) becomes a short plain-text answer."""
    status, text = status_for(error)
    project = req.env.get("wasmhost.project", "-")
    if status >= 500 and not _mapped(error):
        log.error("[%s] %s %s failed", project, req.method, req.path, exc_info=error)
    elif status >= 500 or isinstance(error, errors.GuestError):
        log.warning("[%s] %s %s -> %d: %s", project, req.method, req.path, status, error)
    resp.status = status
    resp.content_type = falcon.MEDIA_TEXT
    resp.text = text + "\n"
    if isinstance(error, errors.Unauthorized):
        resp.set_header("WWW-Authenticate", 'Bearer realm="wasmhost"')
    elif isinstance(error, errors.ProjectBusy):
        resp.set_header("Retry-After", "1")


def install(app: falcon.App[Any, Any]) -> None:
    """Route every domain error and unexpected exception through `handle_error`."""
    app.add_error_handler(Exception, handle_error)
    app.add_error_handler(errors.WasmhostError, handle_error)
