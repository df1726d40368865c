"""The control page: log in with the token, see projects, roll back, delete.

Every page but the login form needs a session (`host.web.sessions`) and every form post its
CSRF token: `host.web.control.RequireToken` checks both before a resource runs, so these
resources only act. Domain errors are shown on the page they came from.
"""

from __future__ import annotations

import hmac
from html import escape
from pathlib import Path
from urllib.parse import parse_qs

import falcon

from host.deploy import delete, rollback
from host.errors import RequestTooLarge, WasmhostError
from host.projects import list_project_versions, list_projects, show_project
from host.services import Services
from host.storage.projects import check_project_id
from host.web import page_html
from host.web.sessions import COOKIE, LIFETIME_SECONDS, SessionKeys

STATIC = Path(__file__).with_name("static")
STATIC_FILES = {"/control.css": "text/css; charset=utf-8", "/control.js": "text/javascript"}
FORM_BODY_BYTES = 8 * 1024  # the largest form a page sends


def _html(resp: falcon.Response, page: str, status: str = falcon.HTTP_200) -> None:
    """Answer with a page that no one caches or frames."""
    resp.status = status
    resp.content_type = falcon.MEDIA_HTML
    resp.text = page
    resp.set_header("Cache-Control", "no-store")
    resp.set_header("X-Frame-Options", "DENY")
    resp.set_header("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'")


def read_form(req: falcon.Request) -> dict[str, str]:
    """The posted form's fields (first value of each), read once and at most `FORM_BODY_BYTES`
    (413 beyond, whatever the server); empty if the body is not a form."""
    if not hasattr(req.context, "form"):
        req.context.form = {}
        if (req.content_type or "").startswith(falcon.MEDIA_URLENCODED):
            body = req.bounded_stream.read(FORM_BODY_BYTES + 1)
            if len(body) > FORM_BODY_BYTES:
                raise RequestTooLarge(f"a control-page form is at most {FORM_BODY_BYTES} bytes")
            fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
            req.context.form = {name: values[0] for name, values in fields.items()}
    form: dict[str, str] = req.context.form
    return form


class Login:
    """`GET /login`: the form; `POST /login`: a session for the right token."""

    def __init__(self, services: Services, keys: SessionKeys | None) -> None:
        self._token = services.settings.token
        self._keys = keys

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """The login form (or the notice that the page is disabled)."""
        if self._keys is None:
            _html(resp, page_html.disabled_page(), falcon.HTTP_403)
        else:
            _html(resp, page_html.login_page())

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Set the session cookie and go to the projects, or say the token is wrong."""
        if self._keys is None or not self._token:
            _html(resp, page_html.disabled_page(), falcon.HTTP_403)
            return
        sent = read_form(req).get("token", "")
        if not hmac.compare_digest(sent.encode(), self._token.encode()):
            _html(resp, page_html.login_page("Wrong token."), falcon.HTTP_401)
            return
        resp.set_cookie(
            COOKIE,
            self._keys.new_cookie(),
            max_age=LIFETIME_SECONDS,
            secure=req.forwarded_scheme == "https",
            http_only=True,
            same_site="Strict",
            path="/",
        )
        raise falcon.HTTPSeeOther("/")


class Logout:
    """`POST /logout`: end the session in this browser."""

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Clear the cookie; back to the login form."""
        resp.unset_cookie(COOKIE, same_site="Strict", path="/")
        raise falcon.HTTPSeeOther("/login")


class ProjectsPage:
    """`GET /`: every project."""

    def __init__(self, services: Services) -> None:
        self._services = services

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """The projects table."""
        projects = list_projects(self._services)
        _html(resp, page_html.projects_page(projects, req.context.csrf))


class ProjectPage:
    """`GET /projects/{project_id}`: one project, its versions, recent requests and errors."""

    def __init__(self, services: Services) -> None:
        self._services = services

    def on_get(self, req: falcon.Request, resp: falcon.Response, project_id: str) -> None:
        """The project's page, with a note after an action."""
        message = ""
        rolled = req.get_param_as_int("rolled_back_to")
        if rolled is not None:
            message = f"Rolled back to v{rolled}."
        show(self._services, req, resp, project_id, message)


def show(
    services: Services,
    req: falcon.Request,
    resp: falcon.Response,
    project_id: str,
    message: str = "",
    status: str = falcon.HTTP_200,
) -> None:
    """Render a project's page (404 page if there is no such project)."""
    try:
        project = show_project(services, check_project_id(project_id))
        versions = list_project_versions(services, project_id)
    except WasmhostError as error:
        body = f"<h1>Not found</h1><p>{escape(str(error))}</p>"
        _html(resp, page_html.layout("Not found", body, csrf=req.context.csrf), falcon.HTTP_404)
        return
    recent = services.recent.of(project_id)
    page = page_html.project_page(project, versions, recent, req.context.csrf, message)
    _html(resp, page, status)


class RollbackAction:
    """`POST /projects/{project_id}/rollback`: make a kept version active."""

    def __init__(self, services: Services) -> None:
        self._services = services

    def on_post(self, req: falcon.Request, resp: falcon.Response, project_id: str) -> None:
        """Roll back, then show the project (or why not)."""
        raw = read_form(req).get("version", "")
        if not raw.isascii() or not raw.isdigit():
            show(self._services, req, resp, project_id, "Choose a version.", falcon.HTTP_400)
            return
        try:
            deployment = rollback(self._services, project_id, int(raw))
        except WasmhostError as error:
            show(self._services, req, resp, project_id, str(error), falcon.HTTP_400)
            return
        raise falcon.HTTPSeeOther(f"/projects/{project_id}?rolled_back_to={deployment.version}")


class DeleteAction:
    """`POST /projects/{project_id}/delete`: delete the project, its id typed to confirm."""

    def __init__(self, services: Services) -> None:
        self._services = services

    def on_post(self, req: falcon.Request, resp: falcon.Response, project_id: str) -> None:
        """Delete and go back to the projects, or say why not."""
        if read_form(req).get("confirm") != project_id:
            message = f"Type {project_id} to confirm."
            show(self._services, req, resp, project_id, message, falcon.HTTP_400)
            return
        try:
            delete(self._services, project_id)
        except WasmhostError as error:
            show(self._services, req, resp, project_id, str(error), falcon.HTTP_400)
            return
        raise falcon.HTTPSeeOther("/")


class StaticFile:
    """`GET /control.css`, `/control.js`: the page's style and script."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """The file, cached for an hour."""
        resp.content_type = STATIC_FILES[req.path]
        resp.data = (STATIC / req.path.lstrip("/")).read_bytes()
        resp.set_header("Cache-Control", "public, max-age=3600")
