"""Long-running guests give way to young requests, without losing CPU time to the pauses."""

import threading
import time

import pytest
from wasmtime import Engine

from host.errors import GuestTimedOut
from host.runtime.fairness import BUSY_SECONDS, PAUSE_SECONDS, Fairness, waiting
from host.runtime.loader import Loader
from host.runtime.output import GuestOutput
from host.runtime.sandbox import Limits, Sandbox
from tests.runtime import wat_guests
from tests.runtime.conftest import Scope, compiled, get

CPU_MS = 300


def run_loop(sandbox: Sandbox, loader: Loader, scope: Scope, output: GuestOutput) -> float:
    """Run a guest that loops until its CPU deadline, as a request; the seconds it took."""
    worker = compiled(loader, wat_guests.guest(wat_guests.LOOP))
    started = time.monotonic()
    with sandbox.fairness.request(), pytest.raises(GuestTimedOut):
        sandbox.fetch(worker, scope, output, get())
    return time.monotonic() - started


def test_alone_a_long_runner_runs_straight_to_its_deadline(
    engine: Engine, loader: Loader, scope: Scope, output: GuestOutput
) -> None:
    sandbox = Sandbox(engine, Limits(cpu_deadline_ms=CPU_MS, wall_clock_ms=10_000))
    took = run_loop(sandbox, loader, scope, output)
    assert took >= CPU_MS / 1000 * 0.9
    assert sandbox.fairness.paused_seconds == 0 and sandbox.fairness.young == 0


def test_beside_a_young_request_it_pauses_but_keeps_its_cpu_time(
    engine: Engine, loader: Loader, scope: Scope, output: GuestOutput
) -> None:
    sandbox = Sandbox(engine, Limits(cpu_deadline_ms=CPU_MS, wall_clock_ms=10_000))
    young_done = threading.Event()

    def young_request() -> None:
        """A request in progress (say, a short one in the host) until told to end."""
        with sandbox.fairness.request():
            young_done.wait(10)

    other = threading.Thread(target=young_request)
    other.start()
    try:
        took = run_loop(sandbox, loader, scope, output)
    finally:
        young_done.set()
        other.join()
    # It ran its 300 ms (to within a tick) and paused besides (about as long again, or more).
    paused = sandbox.fairness.paused_seconds
    assert paused >= CPU_MS / 1000 * 0.5 and took >= CPU_MS / 1000 * 0.9 + paused


def test_a_waiting_request_is_not_young_and_only_long_runners_pause() -> None:
    fairness = Fairness()
    with fairness.request() as standing:
        assert fairness.young == 1
        with waiting():
            assert fairness.young == 0
        assert fairness.young == 1
        assert standing.give_way(time.monotonic() + 5) == 0  # young: never pauses
        standing.grow_up()
        standing.grow_up()  # once only
        assert fairness.young == 0
        assert PAUSE_SECONDS <= standing.give_way(time.monotonic() + 5) < PAUSE_SECONDS + 0.05
        time.sleep(BUSY_SECONDS)  # no request started since: the process is not busy
        assert standing.give_way(time.monotonic() + 5) == 0
