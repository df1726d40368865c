"""The sandbox: a fresh Store per request with a CPU deadline, a memory cap and no WASI grants."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from wasmtime import Engine, Store, Trap, WasiConfig, WasmtimeError
from wasmtime.component import Instance, Linker

from host.errors import GuestBadResponse, GuestTimedOut, GuestTrapped, InvalidWorker
from host.runtime.engine import deadline_ticks
from host.runtime.linker import RequestScope, bound_to, create_linker
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
                raise _classify(error) from None
        try:
            return response_from_wit(result)
        except (AttributeError, TypeError) as error:
            raise GuestBadResponse(f"unexpected response value: {error}") from None

    def check_starts(self, worker: CompiledWorker) -> None:
        """Instantiate once under the limits (at deploy time); raise InvalidWorker if it fails."""
        output = GuestOutput("deploy-check", 16 * 1024)
        try:
            self._instantiate(self._new_store(output), worker)
        except (Trap, WasmtimeError) as error:
            detail = error_summary(error)
            raise InvalidWorker(f"the worker does not start in the sandbox: {detail}") from None

    def _new_store(self, output: GuestOutput) -> Store:
        """A Store with the limits set before anything runs, and WASI granting nothing."""
        store = Store(self._engine)
        store.set_limits(memory_size=self._limits.memory_bytes)
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
    """Turn a wasmtime failure into the domain error that says what happened."""
    text = error_summary(error, limit=2000)
    if "wasm trap: interrupt" in text:
        return GuestTimedOut(text)
    return GuestTrapped(text)
