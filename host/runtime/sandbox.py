"""The sandbox: runs a worker's `fetch` for a request in an instance with limits.

A request leases an instance: a warm one of its project's deployment when the pool has one,
else a fresh one (instantiated within the request's deadline), which reserves its memory cap
from the project's budget. After the request, the instance goes back to the pool unless it
trapped, hit a limit, served its share of requests, or the project asked for a fresh instance
per request.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from wasmtime import Engine, Trap, WasmtimeError
from wasmtime.component import Linker

from host.errors import GuestBadResponse, GuestError, GuestTrapped, InvalidWorker
from host.runtime.fairness import Fairness
from host.runtime.instance import Instance
from host.runtime.limits import Limits
from host.runtime.linker import NoRequest, RequestScope, create_linker
from host.runtime.loader import CompiledWorker
from host.runtime.output import GuestOutput
from host.runtime.pool import InstancePool, PoolLimits
from host.runtime.project_memory import ProjectMemory
from host.runtime.values import WitRequest, WitResponse, response_from_wit
from host.runtime.wasmtime_fixes import ListTooLong
from host.runtime.world import error_summary

__all__ = ["Lease", "Limits", "PoolKey", "Sandbox"]
# Linkers kept for the most recently used components (one per component: its WASI imports).
LINKERS_KEPT = 64


@dataclass(frozen=True)
class PoolKey:
    """Which warm instances a request may use: those of this deployment of this project."""

    project_id: str
    deployment_id: str


class Lease:
    """An instance lent to one request."""

    def __init__(self, instance: Instance, fresh: bool) -> None:
        self._instance = instance
        self._scope: RequestScope | None = None
        self.fresh = fresh  # made for this request, not taken warm from the pool

    @property
    def first_handle(self) -> int:
        """Where this request's body handles start (after every earlier request's)."""
        return self._instance.next_handle

    def fetch(self, scope: RequestScope, output: GuestOutput, req: WitRequest) -> WitResponse:
        """Call the guest's `fetch(req)`; raise a GuestError if it traps or runs too long."""
        self._scope = scope
        try:
            result = self._instance.call(scope, output, req)
        except ListTooLong as error:
            raise GuestBadResponse(f"the guest returned {error}") from None
        except (Trap, WasmtimeError) as error:
            error.__traceback__ = None  # its frames would hold this instance (see Instance)
            raise _what_trapped(scope, error) from None
        return _response(result)

    def release(self) -> None:
        """Record where the next request's handles start."""
        if self._scope is not None:
            self._instance.next_handle = self._scope.bodies.next_handle


class Sandbox:
    """Makes, lends and keeps instances of compiled workers."""

    def __init__(
        self,
        engine: Engine,
        limits: Limits,
        pool: PoolLimits | None = None,
        project_memory_bytes: int = 2**63,
    ) -> None:
        self._engine = engine
        self.limits = limits
        self._linkers: OrderedDict[str, Linker] = OrderedDict()
        self._linkers_lock = threading.Lock()
        self.pool = InstancePool(pool or PoolLimits())
        self.project_memory = ProjectMemory(project_memory_bytes)
        self.fairness = Fairness()  # long-running guests give way to young requests

    @contextmanager
    def lease(
        self,
        worker: CompiledWorker,
        key: PoolKey | None,
        limits: Limits | None = None,
        keep: bool = True,
    ) -> Iterator[Lease]:
        """An instance for one request: a warm one kept for `key` if any, else a fresh one.

        `limits` (the sandbox's own by default) are those of the deployment `key` names.
        A fresh instance reserves its memory limit from `key`'s project while it lives:
        ProjectOverMemory if that would pass the project's budget. With `keep` false (strict
        isolation) no warm instance is used or kept.
        """
        limits = limits or self.limits
        instance = self.pool.take(key.project_id, key.deployment_id) if key and keep else None
        fresh = instance is None or instance.worker.sha256 != worker.sha256
        if instance is None or fresh:
            if instance is not None:
                instance.retire()
            instance = self._new_instance(worker, limits)
            if key is not None:
                instance.reservation = self.project_memory.reserve(
                    key.project_id, limits.memory_bytes
                )
        lease = Lease(instance, fresh)
        try:
            yield lease
        finally:
            lease.release()
            if key is not None and keep and instance.reusable:
                self.pool.give(key.project_id, key.deployment_id, instance)
            else:
                instance.retire()

    def fetch(
        self, worker: CompiledWorker, scope: RequestScope, output: GuestOutput, req: WitRequest
    ) -> WitResponse:
        """Serve one request in a fresh instance, dropped afterwards."""
        with self.lease(worker, None) as lease:
            return lease.fetch(scope, output, req)

    def check_starts(self, worker: CompiledWorker, limits: Limits | None = None) -> None:
        """Instantiate once under the limits (at deploy time); raise InvalidWorker if it fails."""
        output = GuestOutput("deploy-check", 16 * 1024)
        instance = self._new_instance(worker, limits or self.limits)
        try:
            instance.start(NoRequest(), output)
        except (Trap, WasmtimeError, GuestError) as error:
            detail = error_summary(error)
            raise InvalidWorker(f"the worker does not start in the sandbox: {detail}") from None
        finally:
            instance.retire()

    def _new_instance(self, worker: CompiledWorker, limits: Limits) -> Instance:
        """A fresh, not yet instantiated instance with `limits`."""
        return Instance(self._engine, self._linker(worker), limits, worker)

    def _linker(self, worker: CompiledWorker) -> Linker:
        """The linker for `worker`'s component, made on first use and kept for the recent ones."""
        with self._linkers_lock:
            linker = self._linkers.get(worker.sha256)
            if linker is None:
                linker = self._linkers[worker.sha256] = create_linker(
                    self._engine, worker.component
                )
                if len(self._linkers) > LINKERS_KEPT:
                    self._linkers.popitem(last=False)
            self._linkers.move_to_end(worker.sha256)
            return linker


def _response(result: Any) -> WitResponse:
    """The guest's lifted response record, or GuestBadResponse if it is not one."""
    try:
        return response_from_wit(result)
    except (AttributeError, TypeError) as error:
        raise GuestBadResponse(f"unexpected response value: {error}") from None


def _what_trapped(scope: RequestScope, error: Exception) -> BaseException:
    """What a trapped call raises: the failure a host function noted, taken out of the scope
    (kept there, it would close a cycle through the raised error's traceback that keeps the
    instance until a GC run), or GuestTrapped with the trap's message."""
    failure, scope.failure = scope.failure, None
    return failure or GuestTrapped(error_summary(error, limit=2000))
