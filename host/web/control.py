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
from host.storage.secrets import host_secret
from host.web import api, observe, pages
from host.web.sessions import COOKIE, Session, SessionKeys

PUBLIC_PATHS = frozenset({"/healthz", "/readyz", "/v1/openapi.json", "/login", *pages.STATIC_FILES})
# The control page's own paths (a session cookie, not the bearer token).
PAGE_PATHS = re.compile(r"/|/logout|/projects/[^/]+(/rollback|/delete)?")
# Page forms (a small body, read before the session is checked: the login form has none yet).
FORM_PATHS = re.compile(r"/login|/logout|/projects/[^/]+/(rollback|delete)")
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
    """Falcon middleware: every control-plane request needs the token as a bearer token, but
    `PUBLIC_PATHS`; the control page's paths need a session instead, and each form post its
    CSRF token and (if the browser sends one) an Origin of this host."""

    def __init__(self, settings: Settings, keys: SessionKeys | None) -> None:
        self._settings = settings
        self._keys = keys
        self._public = PUBLIC_PATHS | ({"/metrics"} if settings.public_metrics else set())

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Refuse the request unless it is public or carries what its path needs."""
        req.context.csrf = ""
        if req.path in self._public:
            return
        if PAGE_PATHS.fullmatch(req.path) is None:
            check_token(self._settings, req.get_header("Authorization"))
            return
        session = self._session(req)
        if session is None:
            if req.method in ("GET", "HEAD"):
                raise falcon.HTTPSeeOther("/login")
            raise falcon.HTTPForbidden(title="Log in first", description="no valid session")
        assert self._keys is not None
        req.context.csrf = self._keys.csrf_token(session)
        if req.method == "POST":
            self._check_form(req, session)

    def _session(self, req: falcon.Request) -> Session | None:
        """The request's valid session, if one of its cookies of that name is (a page of
        another subdomain could have set a decoy beside it)."""
        if self._keys is None:
            return None
        found = (self._keys.session(value) for value in req.get_cookie_values(COOKIE) or ())
        return next((session for session in found if session is not None), None)

    def _check_form(self, req: falcon.Request, session: Session) -> None:
        """Refuse a form post from another origin or without this session's CSRF token."""
        assert self._keys is not None
        origin = req.get_header("Origin")
        if origin is not None and origin != f"{req.forwarded_scheme}://{req.forwarded_host}":
            raise falcon.HTTPForbidden(title="Forbidden", description="cross-origin form")
        if not self._keys.check_csrf(session, pages.read_form(req).get("csrf")):
            raise falcon.HTTPForbidden(title="Forbidden", description="missing or stale form")


class OpenApi:
    """`GET /v1/openapi.json`: the API's description (public: it holds no data)."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """The OpenAPI document kept beside this module."""
        resp.content_type = falcon.MEDIA_JSON
        resp.data = OPENAPI_PATH.read_bytes()


def admits_form(method: str, path: str) -> bool:
    """Whether a request's head lets a small form body in: a POST of a control-page form."""
    return method == "POST" and FORM_PATHS.fullmatch(path) is not None


def add_routes(app: falcon.App[Any, Any], services: Services) -> None:
    """Mount the control-plane resources, all but `PUBLIC_PATHS` behind `RequireToken`."""
    token = services.settings.token
    keys = SessionKeys(host_secret(services.store, "control-sessions"), token) if token else None
    app.add_middleware(RequireToken(services.settings, keys))
    app.add_route("/", pages.ProjectsPage(services))
    app.add_route("/login", pages.Login(services, keys))
    app.add_route("/logout", pages.Logout())
    app.add_route("/projects/{project_id}", pages.ProjectPage(services))
    app.add_route("/projects/{project_id}/rollback", pages.RollbackAction(services))
    app.add_route("/projects/{project_id}/delete", pages.DeleteAction(services))
    for path in pages.STATIC_FILES:
        app.add_route(path, pages.StaticFile())
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
