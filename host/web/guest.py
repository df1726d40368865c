"""Guest dispatch: run the project's worker for a request, inside one storage snapshot."""

from __future__ import annotations

from dataclasses import dataclass

import falcon

from host.assets.binding import AssetBinding
from host.assets.manifests import ManifestCache
from host.config import MIB
from host.errors import InvalidWorker, ProjectNotFound, WorkerUnavailable
from host.runtime.bodies import BodyTable
from host.runtime.loader import CompiledWorker
from host.runtime.output import GuestOutput
from host.runtime.values import WitRequest, WitResponse
from host.services import Services
from host.storage import keys
from host.storage.deployments import active_deployment
from host.storage.projects import check_project_id
from host.web.messages import to_wit_request, write_response


@dataclass
class ProjectRequest:
    """One request's body table and asset binding: what the host functions act on."""

    bodies: BodyTable
    assets: AssetBinding
    failure: BaseException | None = None

    def fetch_asset(self, request: WitRequest) -> WitResponse:
        """The guest's `assets.fetch`, for this request's project only."""
        return self.assets.fetch(request)


class GuestDispatch:
    """Falcon sink that answers every request to `{project}.{base-domain}` with its worker."""

    def __init__(self, services: Services) -> None:
        self._services = services
        self._manifests = ManifestCache(services.store)

    def __call__(self, req: falcon.Request, resp: falcon.Response, **_: str) -> None:
        """Look up the active deployment, run the worker, send its answer."""
        services, settings = self._services, self._services.settings
        project_id = check_project_id(req.env["wasmhost.project"])
        with services.store.snapshot():
            deployment = active_deployment(services.store, project_id)
            if deployment is None:
                raise ProjectNotFound(project_id)
            worker = self._worker(deployment.worker_sha256, project_id)
            bodies = BodyTable(settings.max_response_mb * MIB)
            assets = self._manifests.get(deployment)
            binding = AssetBinding(
                project_id, assets.manifest, assets.options, services.store, bodies
            )
            host = req.env["wasmhost.host"]
            wit_request = to_wit_request(req, host, bodies, settings.max_request_mb * MIB)
            output = GuestOutput(project_id, settings.max_output_kb * 1024)
            try:
                answer = services.sandbox.fetch(
                    worker, ProjectRequest(bodies, binding), output, wit_request
                )
            finally:
                output.flush()
            write_response(req, resp, answer, bodies, site=host.partition(":")[0])

    def _worker(self, sha256: str, project_id: str) -> CompiledWorker:
        """The compiled worker; one that no longer loads is a host failure, not a client's."""
        try:
            return self._services.loader.get(sha256, lambda: self._worker_bytes(project_id))
        except InvalidWorker as error:
            message = f"{project_id}: the deployed worker does not load: {error}"
            raise WorkerUnavailable(message) from None

    def _worker_bytes(self, project_id: str) -> bytes:
        """The deployed component's bytes (read only when it is not compiled yet)."""
        data = self._services.store.get(keys.worker_key(project_id))
        if data is None:
            raise ProjectNotFound(project_id)
        return data
