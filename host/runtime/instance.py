"""One instance of a worker in its own Store, serving one request at a time.

An instance may serve many requests of its project in turn (a warm instance). What belongs to a
request is handed to each call and taken back after it: the deadline is reset, the guest's
stdout/stderr go to that request's capture, host functions act for that request's scope, and
the request's body table numbers its handles after the previous request's. What stays is the
guest's own memory: module-level state carries over, as it does on Workers.
"""

from __future__ import annotations

import ctypes
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

from wasmtime import Engine, Store, WasmtimeError
from wasmtime import _ffi as ffi
from wasmtime.component import Func, Linker

from host.errors import GuestTimedOut, GuestTrapped, GuestWallClockExceeded
from host.runtime import thread_stack
from host.runtime.deadlines import SLICE_TICKS, CallClock
from host.runtime.engine import TICK_SECONDS
from host.runtime.fairness import LONG_AFTER_SECONDS, current_standing
from host.runtime.limits import Limits
from host.runtime.linker import RequestScope, bound_to
from host.runtime.loader import CompiledWorker
from host.runtime.output import GuestOutput
from host.runtime.project_memory import Reservation
from host.runtime.wasi.state import WasiState, active

# Body handles are u32 in the world; retire an instance well before its numbers run out.
LAST_HANDLE = 2**31
# wasmtime_store_epoch_deadline_callback's callback: context, data, delta out, kind out.
DEADLINE_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_size_t,
    ctypes.POINTER(ffi.wasmtime_context_t),
    ctypes.c_void_p,
    ctypes.POINTER(ctypes.c_uint64),
    ctypes.POINTER(ffi.wasmtime_update_deadline_kind_t),
)
NO_FINALIZER = ctypes.CFUNCTYPE(None, ctypes.c_void_p)(lambda data: None)
UPDATE_DEADLINE_CONTINUE = 0  # WASMTIME_UPDATE_DEADLINE_CONTINUE


class Instance:
    """A worker instantiated (on its first call) in a Store with the sandbox's limits."""

    def __init__(self, engine: Engine, linker: Linker, limits: Limits, worker: CompiledWorker):
        self.worker = worker
        self.limits = limits
        self.served = 0
        self.next_handle = 1
        self.broken = False
        self.retired = False
        self._linker = linker
        self._wasi = WasiState()
        self._store = _sandboxed_store(engine, limits)
        self._on_deadline = DEADLINE_CALLBACK(partial(_deadline_reached, self._wasi))
        ffi.wasmtime_store_epoch_deadline_callback(
            self._store.ptr(), self._on_deadline, None, NO_FINALIZER
        )
        self._fetch: Func | None = None
        self.reservation: Reservation | None = None  # its share of the project's memory budget

    def retire(self) -> None:
        """Done with: free its Store now and give its memory back to the project's budget.

        The Store (linear memory, tables, the guest's instances) is freed here, not when this
        object goes: a traceback or a reference cycle may keep the object until the garbage
        collector runs, but never the memory.
        """
        self.broken = self.retired = True
        self._fetch = None
        self._store.close()
        if self.reservation is not None:
            self.reservation.release()

    @property
    def reusable(self) -> bool:
        """Whether another request may use this instance (it never trapped, nor ran out)."""
        return (
            not self.broken
            and self.served < self.limits.max_requests
            and self.next_handle < LAST_HANDLE
        )

    def call(self, scope: RequestScope, output: GuestOutput, request: Any) -> Any:
        """Run the guest's `fetch(request)` for one request; a failure marks the instance broken."""
        self.served += 1
        with self._entered(scope, output):
            fetch = self._fetch or self._instantiate()
            result = fetch(self._store, request)
            fetch.post_return(self._store)
        return result

    def start(self, scope: RequestScope, output: GuestOutput) -> None:
        """Instantiate now (within the deadline), without calling the guest."""
        with self._entered(scope, output):
            self._instantiate()

    @contextmanager
    def _entered(self, scope: RequestScope, output: GuestOutput) -> Iterator[None]:
        """Inside: fresh deadlines, output to `output`, host functions acting for `scope`.

        Whatever escapes the block breaks the instance: a trap, a limit, or a value the host
        refused to lift (the guest then still waits for its post-return). A limit a WASI wait
        ran into is raised as what it is.
        """
        if self.retired:
            raise GuestTrapped("the instance was retired")
        clock = CallClock(self.limits.cpu_deadline_ms, self.limits.wall_clock_ms)
        self._store.set_epoch_deadline(clock.epoch_ticks())
        self._wasi.output, self._wasi.clock, self._wasi.failure = output, clock, None
        try:
            with bound_to(scope), active(self._wasi):
                yield
        except BaseException as error:
            self.broken = True
            thread_stack.give_back_unused()  # what a guest that overflowed its stack touched
            if isinstance(error, WasmtimeError):
                # wasmtime-py keeps the error in a local of the frame that raised it: with the
                # traceback, a cycle that would keep this instance (and its memory) alive until
                # the garbage collector ran. The guest's own backtrace is in the message.
                error.__traceback__ = None
            raise _what_failed(self._wasi, error, clock) from None
        finally:
            self._wasi.output = self._wasi.clock = None

    def _instantiate(self) -> Func:
        """Instantiate the component and find its `fetch` (once per instance)."""
        instance = self._linker.instantiate(self._store, self.worker.component)
        fetch = instance.get_func(self._store, self.worker.fetch_index)
        assert fetch is not None
        self._fetch = fetch
        return fetch


def _deadline_reached(wasi: WasiState, context: Any, data: Any, delta: Any, kind: Any) -> int:
    """The epoch deadline came: end the call at its limit, or let a long runner give way
    to short requests (`host.runtime.fairness`), then set the next deadline.

    It refers to the instance's WASI state only, never to the instance: a cycle through the
    Store's callback would keep a dropped instance's memory until the garbage collector ran.
    """
    try:
        clock = wasi.clock
        failure = clock.overdue() if clock is not None else GuestTimedOut("no call")
        if clock is None or failure is not None:
            wasi.failure = wasi.failure or failure
            return _trap(str(failure))
        paused = 0.0
        standing = current_standing()
        if standing is not None:
            if clock.ran() >= LONG_AFTER_SECONDS:
                standing.grow_up()
            paused = standing.give_way(clock.wall_deadline)
            clock.waited += paused
        # after a pause, run about as long before the next check (never past a limit)
        delta[0] = clock.epoch_ticks(max(SLICE_TICKS, round(paused / TICK_SECONDS)))
        kind[0] = UPDATE_DEADLINE_CONTINUE
        return 0
    except BaseException as error:  # nothing may escape into wasmtime's C frames
        wasi.failure = wasi.failure or error
        return _trap(f"host error at the epoch deadline: {error!r}")


def _what_failed(wasi: WasiState, error: BaseException, clock: CallClock) -> BaseException:
    """What a failed call raises: the failure a host function or the deadline callback noted
    (taken out of the WASI state), the limit an epoch interrupt stands for, or the error.

    Returned, not kept in a local of the raising frame: the raised error's traceback holds that
    frame, and a local would close a cycle that keeps the instance alive until a GC run.
    """
    failure, wasi.failure = wasi.failure, None
    return failure or _deadline_error(error, clock) or error


def _deadline_error(error: BaseException, clock: CallClock) -> Exception | None:
    """The limit an epoch interrupt stands for (wall clock or CPU time), if it is one."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    if not lines or lines[-1] != "wasm trap: interrupt":
        return None
    if clock.wall_first:
        return GuestWallClockExceeded("the guest ran into its wall-clock limit")
    return GuestTimedOut("the guest ran past its CPU deadline")


def _trap(message: str) -> int:
    """A new wasmtime error (as the callback returns it): the call traps with `message`."""
    error = ffi.wasmtime_error_new(message.encode())
    return ctypes.cast(error, ctypes.c_void_p).value or 0


def _sandboxed_store(engine: Engine, limits: Limits) -> Store:
    """A Store with the limits set before anything runs (WASI is the host's own, per instance)."""
    store = Store(engine)
    store.set_limits(
        memory_size=limits.memory_bytes,
        memories=limits.memories,
        tables=limits.tables,
        table_elements=limits.table_elements,
        instances=limits.instances,
    )
    return store
