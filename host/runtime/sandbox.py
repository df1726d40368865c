"""The sandbox: a fresh Store per request with a CPU deadline, a memory cap and no WASI grants."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from wasmtime import Engine, Store, Trap, WasiConfig, WasmtimeError
from wasmtime.component import Instance, Linker

from host.errors import GuestBadResponse, GuestTimedOut, GuestTrapped, InvalidWorker
from host.runtime.engine import deadline_ticks
from host.runtime.linker import NoRequest, RequestScope, bound_to, create_linker
from host.runtime.loader import CompiledWorker
from host.runtime.output import GuestOutput
from host.runtime.values import WitRequest, WitResponse, response_from_wit
from host.runtime.world import error_summary

log = logging.getLogger("wasmhost.sandbox")


@dataclass(frozen=True)
class Limits:
    """What one request's guest may use."""

    cpu_deadline_ms: int = 1000
    memory_bytes: int = 128 * 1024 * 1024
    # Counts that keep the memory cap a real total: one linear memory, a few small tables.
    memories: int = 1
    tables: int = 4
    table_elements: int = 100_000
    instances: int = 32


class Sandbox:
    """Runs a compiled worker's `fetch` for one request, within limits."""

    def __init__(self, engine: Engine, limits: Limits) -> None:
        self._engine = engine
        self._limits = limits
        self._linker: Linker = create_linker(engine)

    def fetch(
        self, worker: CompiledWorker, scope: RequestScope, output: GuestOutput, req: WitRequest
    ) -> WitResponse:
        """Call the guest's `fetch(req)`; raise a GuestError if it traps or runs too long."""
        store = self._new_store(output)
        with bound_to(scope):
            try:
                instance = self._instantiate(store, worker)
                func = instance.get_func(store, worker.fetch_index)
                assert func is not None
                result = func(store, req)
                func.post_return(store)
            except (Trap, WasmtimeError) as error:
                if scope.failure is not None:
                    raise scope.failure from None
                raise _classify(error) from None
        try:
            return response_from_wit(result)
        except (AttributeError, TypeError) as error:
            raise GuestBadResponse(f"unexpected response value: {error}") from None

    def check_starts(self, worker: CompiledWorker) -> None:
        """Instantiate once under the limits (at deploy time); raise InvalidWorker if it fails."""
        output = GuestOutput("deploy-check", 16 * 1024)
        try:
            with bound_to(NoRequest()):
                self._instantiate(self._new_store(output), worker)
        except (Trap, WasmtimeError) as error:
            detail = error_summary(error)
            raise InvalidWorker(f"the worker does not start in the sandbox: {detail}") from None

    def _new_store(self, output: GuestOutput) -> Store:
        """A Store with the limits set before anything runs, and WASI granting nothing."""
        store = Store(self._engine)
        limits = self._limits
        store.set_limits(
            memory_size=limits.memory_bytes,
            memories=limits.memories,
            tables=limits.tables,
            table_elements=limits.table_elements,
            instances=limits.instances,
        )
        store.set_epoch_deadline(deadline_ticks(self._limits.cpu_deadline_ms))
        wasi = WasiConfig()
        wasi.stdout_custom = output.writer("stdout")
        wasi.stderr_custom = output.writer("stderr")
        store.set_wasi(wasi)
        return store

    def _instantiate(self, store: Store, worker: CompiledWorker) -> Instance:
        """The one place instances are made (a warm pool can slot in here)."""
        return self._linker.instantiate(store, worker.component)


def _classify(error: Exception) -> Exception:
    """Turn a wasmtime failure into the domain error that says what happened.

    Only the last line (the root cause) is trusted: earlier lines hold the backtrace, whose
    function names the guest chooses.
    """
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    text = error_summary(error, limit=2000)
    if lines and lines[-1] == "wasm trap: interrupt":
        return GuestTimedOut(text)
    return GuestTrapped(text)
