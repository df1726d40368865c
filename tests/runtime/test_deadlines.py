"""A call's clock: CPU time that waits do not use, and a wall-clock limit waits cannot pass;
then the same through the sandbox, with WAT guests waiting in the host's own WASI."""

import time

import pytest
from wasmtime import Engine

from host.errors import GuestTimedOut, GuestWallClockExceeded
from host.runtime.deadlines import SLICE_TICKS, CallClock
from host.runtime.engine import TICK_SECONDS
from host.runtime.loader import CompiledWorker, Loader
from host.runtime.output import GuestOutput
from host.runtime.sandbox import Limits, Sandbox
from tests.runtime import wat_guests
from tests.runtime.conftest import Scope, compiled, get


def test_a_guest_checks_in_every_slice_knowing_which_limit_is_nearer() -> None:
    cpu_first, wall_first = CallClock(cpu_ms=1000, wall_ms=30_000), CallClock(1000, wall_ms=200)
    assert cpu_first.epoch_ticks() == wall_first.epoch_ticks() == SLICE_TICKS
    assert (cpu_first.wall_first, wall_first.wall_first) == (False, True)
    assert cpu_first.overdue() is None and wall_first.overdue() is None


def test_a_call_past_either_limit_is_overdue() -> None:
    cpu, wall = CallClock(cpu_ms=20, wall_ms=10_000), CallClock(cpu_ms=1000, wall_ms=20)
    time.sleep(0.03 + TICK_SECONDS)
    assert isinstance(cpu.overdue(), GuestTimedOut)
    assert isinstance(wall.overdue(), GuestWallClockExceeded)


def test_time_spent_waiting_is_given_back_to_the_cpu_deadline() -> None:
    clock = CallClock(cpu_ms=100, wall_ms=10_000)
    clock.wait_until(time.monotonic() + 0.3)
    assert clock.waited >= 0.3 and clock.ran() < 0.1
    assert clock.overdue() is None


def test_a_wait_past_the_wall_clock_limit_ends_at_the_limit() -> None:
    clock = CallClock(cpu_ms=1000, wall_ms=200)
    with pytest.raises(GuestWallClockExceeded, match="200 ms"):
        clock.wait_until(time.monotonic() + 3600)
    assert 0.19 <= time.monotonic() - clock.started < 3


def test_a_wait_already_due_returns_at_once() -> None:
    clock = CallClock(cpu_ms=1000, wall_ms=1000)
    clock.wait_until(time.monotonic() - 1)
    assert clock.waited == 0


def sleeper(loader: Loader, seconds: float) -> CompiledWorker:
    """A WAT guest that waits `seconds` in WASI, then answers 200."""
    return compiled(
        loader, wat_guests.guest(wat_guests.sleep(seconds), imports=wat_guests.SLEEP_IMPORTS)
    )


def test_a_guest_may_wait_longer_than_its_cpu_deadline(
    engine: Engine, loader: Loader, scope: Scope, output: GuestOutput
) -> None:
    sandbox = Sandbox(engine, Limits(cpu_deadline_ms=100, wall_clock_ms=5000))
    started = time.monotonic()
    assert sandbox.fetch(sleeper(loader, 0.4), scope, output, get()).status == 200
    assert time.monotonic() - started >= 0.4


def test_a_guest_waiting_past_its_wall_clock_limit_is_stopped_there(
    engine: Engine, loader: Loader, scope: Scope, output: GuestOutput
) -> None:
    sandbox = Sandbox(engine, Limits(cpu_deadline_ms=100, wall_clock_ms=300))
    started = time.monotonic()
    with pytest.raises(GuestWallClockExceeded, match="300 ms"):
        sandbox.fetch(sleeper(loader, 3600), scope, output, get())
    assert 0.3 <= time.monotonic() - started < 3


def test_running_wasm_is_stopped_at_the_wall_clock_limit_if_it_comes_first(
    engine: Engine, loader: Loader, scope: Scope, output: GuestOutput
) -> None:
    sandbox = Sandbox(engine, Limits(cpu_deadline_ms=5000, wall_clock_ms=300))
    with pytest.raises(GuestWallClockExceeded):
        sandbox.fetch(compiled(loader, wat_guests.guest(wat_guests.LOOP)), scope, output, get())


def test_a_loop_within_the_wall_clock_limit_is_stopped_at_its_cpu_deadline(
    engine: Engine, loader: Loader, scope: Scope, output: GuestOutput
) -> None:
    sandbox = Sandbox(engine, Limits(cpu_deadline_ms=200, wall_clock_ms=5000))
    with pytest.raises(GuestTimedOut):
        sandbox.fetch(compiled(loader, wat_guests.guest(wat_guests.LOOP)), scope, output, get())


def test_a_longer_slice_still_ends_at_the_first_limit() -> None:
    clock = CallClock(cpu_ms=30, wall_ms=10_000)
    assert clock.epoch_ticks(at_most=10) == round(0.03 / TICK_SECONDS)
    assert CallClock(cpu_ms=1000, wall_ms=10_000).epoch_ticks(at_most=4) == 4
