"""The control plane: health, and the token-protected deploy API."""

from __future__ import annotations

import hmac
from dataclasses import asdict
from typing import Any

import falcon

from host.config import MIB
from host.deploy import bundle_limits, deploy
from host.errors import ApiDisabled, RequestTooLarge, Unauthorized
from host.services import Services
from host.storage.deployments import Deployment, list_deployments
from host.upload import unpack

OPTION_PARAMS = ("html_handling", "not_found_handling")


class Health:
    """`GET /healthz`: the process is up and its database answers."""

    def __init__(self, services: Services) -> None:
        self._services = services

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """200 `ok` when storage can be read."""
        self._services.store.get("health-check")
        resp.content_type = falcon.MEDIA_TEXT
        resp.text = "ok\n"


class Authorized:
    """Base for API resources: every responder needs the bearer token."""

    def __init__(self, services: Services) -> None:
        self._services = services

    def authorize(self, req: falcon.Request) -> None:
        """Raise unless the request carries the configured token."""
        token = self._services.settings.token
        if not token:
            raise ApiDisabled("the deploy API is disabled: start the host with a token")
        scheme, _, sent = (req.get_header("Authorization") or "").strip().partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            sent.strip().encode(), token.encode()
        ):
            raise Unauthorized("missing or wrong bearer token")


class Projects(Authorized):
    """`GET /v1/projects`: every project's active deployment."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """List deployments as JSON."""
        self.authorize(req)
        resp.media = {"projects": [describe(d) for d in list_deployments(self._services.store)]}


class Deployments(Authorized):
    """`POST /v1/projects/{project_id}/deployments`: upload a bundle tar and switch to it."""

    def on_post(self, req: falcon.Request, resp: falcon.Response, project_id: str) -> None:
        """Deploy the uploaded bundle; 201 with the new deployment."""
        self.authorize(req)
        settings = self._services.settings
        limit = settings.max_upload_mb * MIB
        if req.content_length is not None and req.content_length > limit:
            raise RequestTooLarge(f"upload larger than {limit} bytes (max_upload_mb)")
        data = req.bounded_stream.read(limit + 1)
        if len(data) > limit:
            raise RequestTooLarge(f"upload larger than {limit} bytes (max_upload_mb)")
        bundle = unpack(data, bundle_limits(settings))
        options = {name: str(req.params[name]) for name in OPTION_PARAMS if name in req.params}
        strict = req.get_param_as_bool("strict_isolation", default=False) or False
        deployment = deploy(self._services, project_id, bundle, options, strict)
        resp.status = falcon.HTTP_201
        resp.media = describe(deployment) | {"files": len(bundle.files)}


def describe(deployment: Deployment) -> dict[str, object]:
    """A deployment as the API shows it."""
    return asdict(deployment) | {"asset_options": dict(deployment.asset_options)}


def add_routes(app: falcon.App[Any, Any], services: Services) -> None:
    """Mount the control-plane resources."""
    app.add_route("/healthz", Health(services))
    app.add_route("/v1/projects", Projects(services))
    app.add_route("/v1/projects/{project_id}/deployments", Deployments(services))
