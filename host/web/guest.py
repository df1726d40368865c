"""Guest dispatch: run the project's active version for a request."""

from __future__ import annotations

import time
from contextlib import ExitStack

import falcon

from host.assets.binding import AssetBinding
from host.assets.manifests import ManifestCache
from host.config import MIB
from host.errors import InvalidWorker, ProjectNotFound, WorkerUnavailable
from host.guest_kv import ProjectKv
from host.project_limits import sandbox_limits
from host.runtime.bodies import BodyTable
from host.runtime.loader import CompiledWorker
from host.runtime.output import GuestOutput
from host.runtime.sandbox import PoolKey
from host.runtime.values import Body, WitFetched, WitGot, WitListing, WitRequest, WitResponse
from host.services import Services
from host.storage import keys
from host.storage.active import ActiveDeployments
from host.storage.deployments import Deployment
from host.storage.projects import check_project_id
from host.web.admission import ProjectSlots
from host.web.kv_calls import KvCalls
from host.web.messages import to_wit_request, write_response
from host.web.outbound_calls import fetch_for_guest, policy_of
from host.web.request_record import record_of


class ProjectRequest:
    """What host functions act on: the request's body table, (made on first use) assets, and
    the deployment's env."""

    def __init__(
        self,
        deployment: Deployment,
        bodies: BodyTable,
        services: Services,
        manifests: ManifestCache,
    ) -> None:
        self.bodies = bodies
        self.failure: BaseException | None = None
        self._deployment = deployment
        self._services = services
        self._manifests = manifests
        self._assets: AssetBinding | None = None
        self._kv: KvCalls | None = None

    def env_vars(self) -> list[tuple[str, str]]:
        """The guest's `env.vars()`: the deployment's variables and its secrets, opened."""
        deployment = self._deployment
        found = dict(deployment.vars)
        if deployment.secrets:
            box = self._services.secret_box
            for name, sealed in deployment.secrets.items():
                found[name] = box.open(deployment.project_id, name, sealed)
        return sorted(found.items())

    def fetch_asset(self, request: WitRequest) -> WitResponse:
        """The guest's `assets.fetch`, for this request's project only."""
        if self._assets is None:
            self._assets = self._binding()
        return self._assets.fetch(request)

    def outbound_fetch(self, request: WitRequest, seconds_left: float) -> WitFetched:
        """outbound.fetch for this request's deployment (where its config lets it go)."""
        policy = policy_of(self._deployment, self._services.settings)
        return fetch_for_guest(policy, self.bodies, request, seconds_left)

    def kv_namespaces(self) -> list[str]:
        """env.kv-namespaces: the deployment's KV binding names."""
        return sorted(self._deployment.kv_namespaces)

    def kv_get(self, binding: str, key: str) -> WitGot:
        """kv.get for this request's project."""
        return self._kv_calls().get(binding, key)

    def kv_put(
        self,
        binding: str,
        key: str,
        value: Body,
        expiration: int | None,
        ttl: int | None,
        metadata: str | None,
    ) -> str | None:
        """kv.put for this request's project."""
        return self._kv_calls().put(binding, key, value, expiration, ttl, metadata)

    def kv_delete(self, binding: str, key: str) -> str | None:
        """kv.delete for this request's project."""
        return self._kv_calls().delete(binding, key)

    def kv_list(self, binding: str, prefix: str, cursor: str | None, limit: int) -> WitListing:
        """kv.list for this request's project."""
        return self._kv_calls().list(binding, prefix, cursor, limit)

    def _binding(self) -> AssetBinding:
        """The asset binding of this request's deployment."""
        assets = self._manifests.get(self._deployment)
        project_id = self._deployment.project_id
        store, files = self._services.store, self._services.asset_files
        return AssetBinding(project_id, assets.manifest, assets.options, store, self.bodies, files)

    def _kv_calls(self) -> KvCalls:
        """This request's KV calls (made on first use)."""
        if self._kv is None:
            deployment, settings = self._deployment, self._services.settings
            bindings = dict(deployment.kv_namespaces)
            quota = settings.kv_quota_mb * MIB
            kv = ProjectKv(self._services.kv_store, deployment.project_id, bindings, quota)
            self._kv = KvCalls(kv, sorted(bindings), self.bodies)
        return self._kv


class GuestDispatch:
    """Falcon sink that answers every request to `{project}.{base-domain}` with its worker."""

    def __init__(self, services: Services) -> None:
        self._services = services
        self._deployments = ActiveDeployments(services.store)
        self._manifests = ManifestCache(services.store)
        self._slots = ProjectSlots(services.settings.project_concurrency)

    def __call__(self, req: falcon.Request, resp: falcon.Response, **_: str) -> None:
        """Look up the active version, run its worker in a lent instance, send its answer.

        The active version is read once; everything else the request reads belongs to that
        version and never changes, so no storage transaction stays open while the guest runs.
        A large stored body sent as a stream takes the project's slot over and gives it back
        when the stream is closed (a slow reader keeps counting against the project's share).
        """
        services, settings = self._services, self._services.settings
        project_id = check_project_id(req.env["wasmhost.project"])
        deployment = self._deployments.get(project_id)
        if deployment is None:
            raise ProjectNotFound(project_id)
        record = record_of(req.env)
        if record is not None:
            record.project, record.version = project_id, deployment.version
        with services.sandbox.fairness.request(), ExitStack() as held:
            held.enter_context(self._slots.hold(project_id))
            worker = self._worker(deployment)
            key = PoolKey(project_id, deployment.id)
            limits = sandbox_limits(services.sandbox.limits, deployment.limits)
            keep = not deployment.strict_isolation
            with services.sandbox.lease(worker, key, limits, keep) as guest:
                bodies = BodyTable(
                    settings.max_response_mb * MIB,
                    guest.first_handle,
                    max_held_bytes=settings.request_memory_mb * MIB,
                )
                host = req.env["wasmhost.host"]
                wit_request = to_wit_request(req, host, bodies, settings.max_request_mb * MIB)
                request_id = record.request_id if record is not None else "-"
                output = GuestOutput(project_id, settings.max_output_kb * 1024, request_id)
                scope = ProjectRequest(deployment, bodies, services, self._manifests)
                started = time.perf_counter()
                try:
                    answer = guest.fetch(scope, output, wit_request)
                finally:
                    output.flush()
                    if record is not None:
                        record.guest_seconds = time.perf_counter() - started
                        record.instance = "fresh" if guest.fresh else "reused"
            write_response(req, resp, answer, bodies, host.partition(":")[0], held)

    def _worker(self, deployment: Deployment) -> CompiledWorker:
        """The compiled worker; one that no longer loads is a host failure, not a client's."""
        project_id, sha256 = deployment.project_id, deployment.worker_sha256
        try:
            return self._services.loader.get(sha256, lambda: self._worker_bytes(deployment))
        except InvalidWorker as error:
            message = f"{project_id}: the deployed worker does not load: {error}"
            raise WorkerUnavailable(message) from None

    def _worker_bytes(self, deployment: Deployment) -> bytes:
        """The version's component bytes (read only when it is not compiled yet)."""
        project_id = deployment.project_id
        data = self._services.store.get(keys.worker_key(project_id, deployment.worker_sha256))
        if data is None:
            raise ProjectNotFound(project_id)
        return data
