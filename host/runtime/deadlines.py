"""The time limits of one call into a guest: CPU time (waits not counted) and wall-clock time.

The epoch deadline stops running wasm; it is set from whichever limit comes first. While the
guest waits in WASI (a sleep, a timer), the host's own clock implementation waits at most until
the wall-clock limit and then moves the epoch deadline on by the time spent waiting, so waiting
costs no CPU time but always counts against the wall clock.
"""

from __future__ import annotations

import time

from host.errors import GuestTimedOut, GuestWallClockExceeded
from host.runtime.engine import TICK_SECONDS
from host.runtime.fairness import waiting

SLICE_TICKS = 1  # a running guest's epoch deadline comes at least this often


class CallClock:
    """Deadlines of one call, started when the call starts."""

    def __init__(self, cpu_ms: int, wall_ms: int) -> None:
        self.started = time.monotonic()
        self.waited = 0.0
        self._cpu = cpu_ms / 1000
        self._wall = wall_ms / 1000
        self.wall_first = False  # whether the epoch deadline last set is the wall-clock limit

    @property
    def wall_deadline(self) -> float:
        """The monotonic time at which the call must have ended."""
        return self.started + self._wall

    def ran(self) -> float:
        """Seconds the call has run so far, waits excluded."""
        return time.monotonic() - self.started - self.waited

    def epoch_ticks(self, at_most: int = SLICE_TICKS) -> int:
        """Epoch ticks from now until the first limit (CPU time left or wall-clock time left),
        at most `at_most`: the guest checks in that often (`host.runtime.fairness`)."""
        now = time.monotonic()
        cpu_left = self._cpu - (now - self.started - self.waited)
        wall_left = self.wall_deadline - now
        self.wall_first = wall_left <= cpu_left
        return max(1, min(at_most, round(min(cpu_left, wall_left) / TICK_SECONDS)))

    def overdue(self) -> Exception | None:
        """The limit the call has reached (to within half a tick), if any."""
        now = time.monotonic()
        if self.wall_deadline - now <= TICK_SECONDS / 2:
            return GuestWallClockExceeded("the guest ran into its wall-clock limit")
        if self._cpu - (now - self.started - self.waited) <= TICK_SECONDS / 2:
            return GuestTimedOut("the guest ran past its CPU deadline")
        return None

    def wait_until(self, when: float) -> None:
        """Sleep until monotonic time `when`, or raise once the wall-clock limit comes first."""
        now = time.monotonic()
        until = min(when, self.wall_deadline)
        if until > now:
            with waiting():
                time.sleep(until - now)
            self.waited += time.monotonic() - now
        if when > self.wall_deadline:
            limit = round(self._wall * 1000)
            raise GuestWallClockExceeded(f"the guest was still waiting at its {limit} ms limit")
