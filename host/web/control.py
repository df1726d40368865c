"""The control plane: health, metrics, the API's description, and the API, behind one token
check.

`RequireToken` guards every route but `PUBLIC_PATHS`, so a route added later cannot forget
it. An upload is checked (token, then project id) before any of its body is read
(`admits_upload`, asked by waitress's body policy).
"""

from __future__ import annotations

import hmac
import re
from pathlib import Path
from typing import Any

import falcon

from host.config import Settings
from host.errors import ApiDisabled, Unauthorized, WasmhostError
from host.services import Services
from host.storage.projects import check_project_id
from host.web import api, observe

PUBLIC_PATHS = frozenset({"/healthz", "/readyz", "/v1/openapi.json"})
OPENAPI_PATH = Path(__file__).with_name("openapi.json")
DEPLOYMENTS_ROUTE = "/v1/projects/{project_id}/deployments"
DEPLOYMENTS_PATH = re.compile(r"/v1/projects/(?P<project_id>[^/]+)/deployments")
# The routes that take a JSON body, by method.
JSON_PATHS = {
    "POST": re.compile(r"/v1/projects/[^/]+/(rollback|missing)"),
    "PUT": re.compile(r"/v1/projects/[^/]+/secrets/[^/]+"),
}


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


def admits_json(settings: Settings, method: str, path: str, authorization: str | None) -> bool:
    """Whether a request's head lets a small JSON body in: a JSON route, the token."""
    route = JSON_PATHS.get(method)
    if route is None or route.fullmatch(path) is None:
        return False
    try:
        check_token(settings, authorization)
    except WasmhostError:
        return False
    return True


class RequireToken:
    """Falcon middleware: every control-plane request needs the token, but `PUBLIC_PATHS`."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._public = PUBLIC_PATHS | ({"/metrics"} if settings.public_metrics else set())

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Refuse the request (401, or 403 with the API disabled) unless it is public."""
        if req.path not in self._public:
            check_token(self._settings, req.get_header("Authorization"))


class OpenApi:
    """`GET /v1/openapi.json`: the API's description (public: it holds no data)."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """The OpenAPI document kept beside this module."""
        resp.content_type = falcon.MEDIA_JSON
        resp.data = OPENAPI_PATH.read_bytes()


def add_routes(app: falcon.App[Any, Any], services: Services) -> None:
    """Mount the control-plane resources, all but `PUBLIC_PATHS` behind `RequireToken`."""
    app.add_middleware(RequireToken(services.settings))
    app.add_route("/healthz", observe.Alive())
    app.add_route("/readyz", observe.Ready(services))
    app.add_route("/metrics", observe.Metrics(services))
    app.add_route("/v1/openapi.json", OpenApi())
    app.add_route("/v1/projects", api.Projects(services))
    app.add_route("/v1/projects/{project_id}", api.Project(services))
    app.add_route("/v1/projects/{project_id}/versions", api.Versions(services))
    app.add_route("/v1/projects/{project_id}/rollback", api.Rollback(services))
    app.add_route("/v1/projects/{project_id}/missing", api.Missing(services))
    app.add_route(DEPLOYMENTS_ROUTE, api.Deployments(services))
    app.add_route("/v1/projects/{project_id}/secrets", api.Secrets(services))
    app.add_route("/v1/projects/{project_id}/secrets/{name}", api.Secret(services))
