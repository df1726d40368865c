"""Domain errors mapped to HTTP, in one place: short plain-text bodies for tenants' visitors,
`{"error": {"code", "message"}}` for the control plane's API; details in the log."""

from __future__ import annotations

import logging
import re
from typing import Any

import falcon

from host import errors
from host.reuse import ReusedPartGone
from host.web.request_record import record_of

log = logging.getLogger("wasmhost.web")

# status, and the public text (None: the error's own message, written for users)
STATUS: dict[type[Exception], tuple[int, str | None]] = {
    errors.ProjectNotFound: (404, "Project not found"),
    errors.VersionNotFound: (404, None),
    errors.BadRequest: (400, None),
    errors.InvalidProjectId: (404, None),
    errors.GuestTimedOut: (503, "Worker exceeded its CPU time limit"),
    errors.GuestWallClockExceeded: (504, "Worker exceeded its wall-clock time limit"),
    errors.GuestOverBudget: (503, "Worker exceeded its memory limit"),
    errors.ProjectBusy: (503, "Project is at its concurrency limit; retry shortly"),
    errors.ProjectOverMemory: (503, "Project is at its memory limit; retry shortly"),
    errors.GuestBadResponse: (502, "Worker returned an invalid response"),
    errors.GuestTrapped: (500, "Worker threw an exception"),
    errors.WorkerUnavailable: (503, "Worker unavailable"),
    errors.StorageBusy: (503, "Storage is busy with another change; retry shortly"),
    errors.StorageUnavailable: (503, "Storage is unreachable; retry shortly"),
    errors.RequestTooLarge: (413, None),
    errors.Unauthorized: (401, None),
    errors.ApiDisabled: (403, None),
    ReusedPartGone: (409, None),
    errors.DeployError: (400, None),
}


# The failures counted by kind in the metrics (and named in the access log): traps and limits.
GUEST_FAILURES = (errors.GuestError, errors.ProjectBusy)

# The API tells a malformed id from a missing project, and refused content from a bad request.
API_STATUS: dict[type[Exception], int] = {
    errors.InvalidProjectId: 400,
    ReusedPartGone: 409,
    errors.DeployError: 422,
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
    record = record_of(req.env)
    if record is not None and isinstance(error, GUEST_FAILURES):
        record.failure = error_code(type(error))
    if status >= 500 and not _mapped(error):
        log.error("[%s] %s %s failed", project, req.method, req.path, exc_info=error)
    elif status >= 500 or isinstance(error, errors.GuestError):
        log.warning("[%s] %s %s -> %d: %s", project, req.method, req.path, status, error)
    resp.status = status
    resp.content_type = falcon.MEDIA_TEXT
    resp.text = text + "\n"
    if isinstance(error, errors.Unauthorized):
        resp.set_header("WWW-Authenticate", 'Bearer realm="wasmhost"')
    elif isinstance(error, (errors.ProjectBusy, errors.StorageBusy)):
        resp.set_header("Retry-After", "1")


def handle_api_error(
    req: falcon.Request, resp: falcon.Response, error: Exception, params: Any
) -> None:
    """Falcon error handler for the control plane: the same mapping, answered as JSON."""
    handle_error(req, resp, error, params)
    own = next((API_STATUS[c] for c in type(error).__mro__ if c in API_STATUS), None)
    status = own or status_for(error)[0]
    message = api_message(error) if _mapped(error) else "Internal Server Error"
    _json_error(resp, status, error_code(type(error)) if _mapped(error) else "internal", message)


def handle_api_http_error(
    req: falcon.Request, resp: falcon.Response, error: falcon.HTTPError, _: Any
) -> None:
    """Falcon's own errors (no such route, method not allowed) in the API's JSON shape."""
    resp.set_headers(error.headers or {})
    title = re.sub(r"^\d+\s*", "", error.title or "")  # "404 Not Found" → "not_found"
    code = title.lower().replace(" ", "_") or "http_error"
    _json_error(resp, error.status_code, code, error.description or error.title or "")


def api_message(error: Exception) -> str:
    """The table's text and the error's own message, for operators (who see details)."""
    text = next((STATUS[c][1] for c in type(error).__mro__ if c in STATUS), None)
    detail = str(error)
    return detail if text is None else f"{text}: {detail}" if detail else text


def error_code(cls: type[Exception]) -> str:
    """`ProjectNotFound` → `project_not_found`."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", cls.__name__).lower()


def _json_error(resp: falcon.Response, status: int, code: str, message: str) -> None:
    """Write `{"error": {"code", "message"}}` with `status`."""
    resp.status = status
    resp.content_type = falcon.MEDIA_JSON
    resp.text = None
    resp.media = {"error": {"code": code, "message": message}}


def install(app: falcon.App[Any, Any]) -> None:
    """Route every domain error and unexpected exception through `handle_error`."""
    app.add_error_handler(Exception, handle_error)
    app.add_error_handler(errors.WasmhostError, handle_error)


def install_api(app: falcon.App[Any, Any]) -> None:
    """The same for the control plane, answered as JSON."""
    app.add_error_handler(Exception, handle_api_error)
    app.add_error_handler(errors.WasmhostError, handle_api_error)
    app.add_error_handler(falcon.HTTPError, handle_api_http_error)
