"""The control plane: health, and the deploy API behind one token check.

`RequireToken` guards every route but `PUBLIC_PATHS`, so a route added later cannot forget
it. An upload is checked (token, then project id) before any of its body is read, and is
spooled to a temporary file, never held whole in memory.
"""

from __future__ import annotations

import contextlib
import hmac
import re
import tempfile
from collections.abc import Iterator
from dataclasses import asdict
from typing import IO, Any

import falcon

from host.config import MIB, Settings
from host.deploy import bundle_limits, deploy
from host.errors import ApiDisabled, RequestTooLarge, Unauthorized, WasmhostError
from host.project_limits import NAMES as LIMIT_NAMES
from host.services import Services
from host.storage.deployments import Deployment, list_deployments
from host.storage.projects import check_project_id
from host.upload import SPOOL_IN_MEMORY_BYTES, unpack

OPTION_PARAMS = ("html_handling", "not_found_handling")
PUBLIC_PATHS = frozenset({"/healthz"})
DEPLOYMENTS_ROUTE = "/v1/projects/{project_id}/deployments"
DEPLOYMENTS_PATH = re.compile(r"/v1/projects/(?P<project_id>[^/]+)/deployments")
READ_BYTES = 1 * MIB  # how much of an upload is read at a time while spooling it


def check_token(settings: Settings, authorization: str | None) -> None:
    """Raise unless `authorization` (the header's value) carries the configured bearer token."""
    token = settings.token
    if not token:
        raise ApiDisabled("the deploy API is disabled: start the host with a token")
    scheme, _, sent = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(sent.strip().encode(), token.encode()):
        raise Unauthorized("missing or wrong bearer token")


def admits_upload(settings: Settings, method: str, path: str, authorization: str | None) -> bool:
    """Whether a request's head lets its body in: a POST of a deployment, token and id valid."""
    match = DEPLOYMENTS_PATH.fullmatch(path)
    if method != "POST" or match is None:
        return False
    try:
        check_token(settings, authorization)
        check_project_id(match["project_id"])
    except WasmhostError:
        return False
    return True


class RequireToken:
    """Falcon middleware: every control-plane request needs the token, but `PUBLIC_PATHS`."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Refuse the request (401, or 403 with the API disabled) unless it is public."""
        if req.path not in PUBLIC_PATHS:
            check_token(self._settings, req.get_header("Authorization"))


class Health:
    """`GET /healthz`: the process is up and its database answers."""

    def __init__(self, services: Services) -> None:
        self._services = services

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """200 `ok` when storage can be read."""
        self._services.store.get("health-check")
        resp.content_type = falcon.MEDIA_TEXT
        resp.text = "ok\n"


class Projects:
    """`GET /v1/projects`: every project's active deployment."""

    def __init__(self, services: Services) -> None:
        self._services = services

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """List deployments as JSON."""
        resp.media = {"projects": [describe(d) for d in list_deployments(self._services.store)]}


class Deployments:
    """`POST /v1/projects/{project_id}/deployments`: upload a bundle tar and switch to it."""

    def __init__(self, services: Services) -> None:
        self._services = services

    def on_post(self, req: falcon.Request, resp: falcon.Response, project_id: str) -> None:
        """Deploy the uploaded bundle; 201 with the new deployment."""
        check_project_id(project_id)
        settings = self._services.settings
        with spooled_upload(req, settings.max_upload_mb * MIB) as upload:
            bundle = unpack(upload, bundle_limits(settings))
        options = {name: str(req.params[name]) for name in OPTION_PARAMS if name in req.params}
        strict = req.get_param_as_bool("strict_isolation", default=False) or False
        limits = {name: req.params[name] for name in LIMIT_NAMES if name in req.params}
        deployment = deploy(self._services, project_id, bundle, options, strict, limits)
        resp.status = falcon.HTTP_201
        resp.media = describe(deployment) | {"files": len(bundle.files)}


@contextlib.contextmanager
def spooled_upload(req: falcon.Request, limit: int) -> Iterator[IO[bytes]]:
    """The request body in a temporary file (on disk past a little), at most `limit` bytes."""
    too_large = f"upload larger than {limit} bytes (max_upload_mb)"
    if req.content_length is not None and req.content_length > limit:
        raise RequestTooLarge(too_large)
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES) as spool:
        size = 0
        while chunk := req.bounded_stream.read(min(READ_BYTES, limit + 1 - size)):
            size += len(chunk)
            if size > limit:
                raise RequestTooLarge(too_large)
            spool.write(chunk)
        spool.seek(0)
        yield spool


def describe(deployment: Deployment) -> dict[str, object]:
    """A deployment as the API shows it."""
    return asdict(deployment) | {"asset_options": dict(deployment.asset_options)}


def add_routes(app: falcon.App[Any, Any], services: Services) -> None:
    """Mount the control-plane resources, all but `PUBLIC_PATHS` behind `RequireToken`."""
    app.add_middleware(RequireToken(services.settings))
    app.add_route("/healthz", Health(services))
    app.add_route("/v1/projects", Projects(services))
    app.add_route(DEPLOYMENTS_ROUTE, Deployments(services))
