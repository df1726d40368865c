"""wasi:clocks and wasi:io/poll: clocks, and waits that end at the call's wall-clock limit."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from wasmtime import _ffi as ffi
from wasmtime.component import LinkerInstance, ResourceAny, ResourceHost

from host.runtime.fairness import waiting
from host.runtime.wasi.state import Kind, WasiState, add_resource, current_state, wasi_function
from host.runtime.wasmtime_fixes import u64_result

NS = 1_000_000_000


@dataclass(frozen=True)
class Pollable:
    """Something a guest can wait for: ready from monotonic time `ready_at` (0: ready now)."""

    ready_at: float = 0.0

    def ready(self) -> bool:
        """Whether waiting for it would return at once."""
        return self.ready_at <= time.monotonic()


@dataclass(frozen=True)
class Datetime:
    """wasi:clocks/wall-clock's `datetime` record."""

    seconds: int
    nanoseconds: int


def ready_pollable(state: WasiState) -> ResourceHost:
    """A pollable that is always ready (streams never make a guest wait)."""
    return state.own(Pollable(), Kind.POLLABLE)


def _wait(state: WasiState, store: Any, pollables: list[Pollable]) -> None:
    """Wait until the first of `pollables` is ready, then give the guest back its CPU time."""
    when = min(p.ready_at for p in pollables)
    if when <= time.monotonic() or state.clock is None:
        return
    state.clock.wait_until(when)
    ffi.wasmtime_context_set_epoch_deadline(store._context(), state.clock.epoch_ticks())


@contextmanager
def host_wait(store: Any) -> Iterator[float]:
    """A host function that waits (on the network): yields the seconds the call has left on
    its wall clock; afterwards the time spent is given back to the guest's CPU deadline, as a
    WASI wait's is."""
    state = current_state()
    clock = state.clock if state is not None else None
    started = time.monotonic()
    with waiting():
        yield max(0.0, clock.wall_deadline - started) if clock is not None else 0.0
    if clock is not None:
        clock.waited += time.monotonic() - started
        ffi.wasmtime_context_set_epoch_deadline(store._context(), clock.epoch_ticks())


@u64_result
def _now() -> int:
    """monotonic-clock.now() -> instant (called often: answered on the fast path)."""
    return time.monotonic_ns()


@u64_result
def _resolution() -> int:
    """monotonic-clock.resolution() -> duration."""
    return 1000


@wasi_function
def _subscribe_instant(state: WasiState, _store: Any, when: int) -> ResourceHost:
    """monotonic-clock.subscribe-instant(when) -> pollable."""
    return state.own(Pollable(when / NS), Kind.POLLABLE)


@wasi_function
def _subscribe_duration(state: WasiState, _store: Any, duration: int) -> ResourceHost:
    """monotonic-clock.subscribe-duration(duration) -> pollable."""
    return state.own(Pollable((time.monotonic_ns() + duration) / NS), Kind.POLLABLE)


@wasi_function
def _wall_now(_state: WasiState, _store: Any) -> Datetime:
    """wall-clock.now() -> datetime."""
    ns = time.time_ns()
    return Datetime(ns // NS, ns % NS)


@wasi_function
def _wall_resolution(_state: WasiState, _store: Any) -> Datetime:
    """wall-clock.resolution() -> datetime."""
    return Datetime(0, 1000)


@wasi_function
def _ready(state: WasiState, store: Any, handle: ResourceAny) -> bool:
    """[method]pollable.ready() -> bool."""
    return state.get(store, handle, Pollable).ready()


@wasi_function
def _block(state: WasiState, store: Any, handle: ResourceAny) -> None:
    """[method]pollable.block(): wait until ready, or until the wall-clock limit."""
    _wait(state, store, [state.get(store, handle, Pollable)])


@wasi_function
def _poll(state: WasiState, store: Any, handles: list[ResourceAny]) -> list[int]:
    """poll(in: list<borrow<pollable>>) -> list<u32>: the indices of those ready."""
    if not handles:
        raise ValueError("poll was given no pollables")
    pollables = [state.get(store, h, Pollable) for h in handles]
    _wait(state, store, pollables)
    return [i for i, p in enumerate(pollables) if p.ready()]


def _define_poll(instance: LinkerInstance) -> None:
    """wasi:io/poll."""
    add_resource(instance, "pollable", Kind.POLLABLE)
    instance.add_func("[method]pollable.ready", _ready)
    instance.add_func("[method]pollable.block", _block)
    instance.add_func("poll", _poll)


def _define_monotonic(instance: LinkerInstance) -> None:
    """wasi:clocks/monotonic-clock."""
    instance.add_func("now", _now)
    instance.add_func("resolution", _resolution)
    instance.add_func("subscribe-instant", _subscribe_instant)
    instance.add_func("subscribe-duration", _subscribe_duration)


def _define_wall(instance: LinkerInstance) -> None:
    """wasi:clocks/wall-clock."""
    instance.add_func("now", _wall_now)
    instance.add_func("resolution", _wall_resolution)


INTERFACES = {
    "wasi:io/poll": _define_poll,
    "wasi:clocks/monotonic-clock": _define_monotonic,
    "wasi:clocks/wall-clock": _define_wall,
}
