"""The control plane's JSON API over projects: list, show, versions, rollback, delete, deploy,
secrets.

Each resource is a thin shell over the functions the CLI calls too (`host.projects`,
`host.deploy`); errors are answered as `{"error": {"code", "message"}}` by
`host.web.errors.install_api`.
"""

from __future__ import annotations

import json
from typing import Any

import falcon

from host.config import MIB
from host.deploy import bundle_limits, delete, deploy, rollback
from host.errors import BadRequest, RequestTooLarge
from host.project_limits import NAMES as LIMIT_NAMES
from host.project_secrets import delete_secret, put_secret, secret_names
from host.projects import describe, list_project_versions, list_projects, show_project
from host.reuse import missing_parts
from host.services import Services
from host.storage.projects import check_project_id
from host.upload import spooled_upload, unpack

OPTION_PARAMS = ("html_handling", "not_found_handling")
JSON_BODY_BYTES = 2 * 1024 * 1024  # a JSON request body larger than this is refused


class Projects:
    """`GET /v1/projects`: every project's active version."""

    def __init__(self, services: Services) -> None:
        self._services = services

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """List the projects as JSON."""
        resp.media = {"projects": list_projects(self._services)}


class Project:
    """`GET /v1/projects/{project_id}`: one project; `DELETE`: the project and all it stored."""

    def __init__(self, services: Services) -> None:
        self._services = services

    def on_get(self, req: falcon.Request, resp: falcon.Response, project_id: str) -> None:
        """The active version, its files, how many versions are kept, when it was created."""
        resp.media = show_project(self._services, check_project_id(project_id))

    def on_delete(self, req: falcon.Request, resp: falcon.Response, project_id: str) -> None:
        """Delete the project; 204."""
        delete(self._services, project_id)
        resp.status = falcon.HTTP_204


class Versions:
    """`GET /v1/projects/{project_id}/versions`: the kept versions, oldest first."""

    def __init__(self, services: Services) -> None:
        self._services = services

    def on_get(self, req: falcon.Request, resp: falcon.Response, project_id: str) -> None:
        """List the versions, each marked active or not."""
        resp.media = {"versions": list_project_versions(self._services, project_id)}


class Rollback:
    """`POST /v1/projects/{project_id}/rollback` with `{"version": N}`: switch back to it."""

    def __init__(self, services: Services) -> None:
        self._services = services

    def on_post(self, req: falcon.Request, resp: falcon.Response, project_id: str) -> None:
        """Activate the kept version; 200 with it."""
        version = _json_body(req, JSON_BODY_BYTES).get("version")
        if type(version) is not int or version < 1:
            raise BadRequest('send {"version": N} with N a kept version number')
        resp.media = describe(rollback(self._services, project_id, version))


class Missing:
    """`POST /v1/projects/{project_id}/missing` with `{"worker": SHA, "files": [SHA, …]}`:
    which of them the project does not store, so an upload can skip the rest."""

    def __init__(self, services: Services) -> None:
        self._services = services

    def on_post(self, req: falcon.Request, resp: falcon.Response, project_id: str) -> None:
        """`{"worker": true if it must be sent, "files": [the hashes to send]}`."""
        check_project_id(project_id)
        body = _json_body(req, JSON_BODY_BYTES)
        files, worker = body.get("files"), body.get("worker")
        if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
            raise BadRequest('send {"worker": SHA-256 or null, "files": [SHA-256, …]}')
        if worker is not None and not isinstance(worker, str):
            raise BadRequest("worker must be a SHA-256 in hex, or null")
        lacking, worker_lacking = missing_parts(self._services.store, project_id, files, worker)
        resp.media = {"worker": worker_lacking, "files": lacking}


class Secrets:
    """`GET /v1/projects/{project_id}/secrets`: the names of the active version's secrets."""

    def __init__(self, services: Services) -> None:
        self._services = services

    def on_get(self, req: falcon.Request, resp: falcon.Response, project_id: str) -> None:
        """`{"secrets": [names]}`; values are never shown."""
        resp.media = {"secrets": secret_names(self._services, project_id)}


class Secret:
    """`PUT /v1/projects/{project_id}/secrets/{name}` with `{"value": "…"}`: set a secret;
    `DELETE`: remove it. Each makes a new version (no upload, no compile)."""

    def __init__(self, services: Services) -> None:
        self._services = services

    def on_put(
        self, req: falcon.Request, resp: falcon.Response, project_id: str, name: str
    ) -> None:
        """Set the secret; 200 with the new version."""
        value = _json_body(req, JSON_BODY_BYTES).get("value")
        if not isinstance(value, str):
            raise BadRequest('send {"value": "the secret, as text"}')
        resp.media = describe(put_secret(self._services, project_id, name, value))

    def on_delete(
        self, req: falcon.Request, resp: falcon.Response, project_id: str, name: str
    ) -> None:
        """Remove the secret; 200 with the new version."""
        resp.media = describe(delete_secret(self._services, project_id, name))


class Deployments:
    """`POST /v1/projects/{project_id}/deployments`: upload a bundle tar and switch to it."""

    def __init__(self, services: Services) -> None:
        self._services = services

    def on_post(self, req: falcon.Request, resp: falcon.Response, project_id: str) -> None:
        """Deploy the uploaded bundle; 201 with the new version."""
        check_project_id(project_id)
        settings = self._services.settings
        limit = settings.max_upload_mb * MIB
        with spooled_upload(req.bounded_stream, req.content_length, limit) as upload:
            bundle = unpack(upload, bundle_limits(settings))
        options = {name: str(req.params[name]) for name in OPTION_PARAMS if name in req.params}
        strict = req.get_param_as_bool("strict_isolation")  # absent: keep the active one's
        limits = {name: req.params[name] for name in LIMIT_NAMES if name in req.params}
        deployment = deploy(self._services, project_id, bundle, options, strict, limits)
        resp.status = falcon.HTTP_201
        resp.media = describe(deployment)


def _json_body(req: falcon.Request, limit: int) -> dict[str, Any]:
    """The request's JSON object (at most `limit` bytes); BadRequest otherwise."""
    if req.content_length is not None and req.content_length > limit:
        raise RequestTooLarge(f"a JSON body of at most {limit} bytes")
    raw = req.bounded_stream.read(limit + 1)
    try:
        body = json.loads(raw)
    except ValueError:
        raise BadRequest("the body is not JSON") from None
    if not isinstance(body, dict):
        raise BadRequest("the body is not a JSON object")
    return body
