"""A call's clock: CPU time that waits do not use, and a wall-clock limit waits cannot pass."""

import time

import pytest

from host.errors import GuestWallClockExceeded
from host.runtime.deadlines import CallClock
from host.runtime.engine import TICK_SECONDS


def test_the_epoch_deadline_is_the_nearer_of_cpu_and_wall_clock() -> None:
    assert CallClock(cpu_ms=1000, wall_ms=30_000).epoch_ticks() == round(1 / TICK_SECONDS)
    assert CallClock(cpu_ms=1000, wall_ms=200).epoch_ticks() == round(0.2 / TICK_SECONDS)


def test_time_spent_waiting_is_given_back_to_the_cpu_deadline() -> None:
    clock = CallClock(cpu_ms=100, wall_ms=10_000)
    clock.wait_until(time.monotonic() + 0.3)
    assert clock.waited >= 0.3
    assert clock.epoch_ticks() >= round(0.09 / TICK_SECONDS)


def test_a_wait_past_the_wall_clock_limit_ends_at_the_limit() -> None:
    clock = CallClock(cpu_ms=1000, wall_ms=200)
    with pytest.raises(GuestWallClockExceeded, match="200 ms"):
        clock.wait_until(time.monotonic() + 3600)
    assert 0.19 <= time.monotonic() - clock.started < 3
    assert clock.past_wall()


def test_a_wait_already_due_returns_at_once() -> None:
    clock = CallClock(cpu_ms=1000, wall_ms=1000)
    clock.wait_until(time.monotonic() - 1)
    assert clock.waited == 0
    assert not clock.past_wall()
