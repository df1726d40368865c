"""Long-running guests give way to short requests, so a short request is not stuck behind them.

On a few cores, a handful of guests that run for their whole CPU deadline (loops, heavy work)
would otherwise share the CPU evenly with every short request and make each of them several
times slower. Every request in progress counts as young until its guest has run for
`LONG_AFTER_SECONDS`; from then on it is a long runner. A long runner checks in every epoch
tick (from the epoch deadline callback), and while its process is busy with other requests
(young ones in progress, or one started within the last `BUSY_SECONDS`) it pauses for
`PAUSE_SECONDS` at each check: it then runs half the time or less, and a short request
arriving meanwhile finds the CPU free. Alone, a long runner runs straight to its deadline.
Pauses are waiting, not running: they count against the wall clock, not the CPU deadline. A
request waiting in WASI or on the network is not young meanwhile (it needs no CPU).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

LONG_AFTER_SECONDS = 0.05  # a guest that has run this long (waits excluded) is a long runner
BUSY_SECONDS = 0.05  # a request started this recently makes the process busy
PAUSE_SECONDS = 0.04  # a long runner's pause at each check while its process is busy

_current = threading.local()


def current_standing() -> YoungRequest | None:
    """The standing of the request this thread serves, if any."""
    return getattr(_current, "standing", None)


@contextmanager
def waiting() -> Iterator[None]:
    """While this thread's request waits (a sleep, the network), it does not count as young:
    it needs no CPU, and long runners need not give way to it."""
    standing = current_standing()
    if standing is None or not standing.young:
        yield
        return
    standing.fairness.count_young(-1)
    try:
        yield
    finally:
        standing.fairness.count_young(+1)


class Fairness:
    """The requests in progress in this process, young or long-running."""

    def __init__(self) -> None:
        self._young = 0
        self._last_start = 0.0  # monotonic time the latest request started
        self._lock = threading.Lock()
        self.paused_seconds = 0.0  # long runners' pauses in all

    @property
    def young(self) -> int:
        """Requests in progress whose guests have not run long (and are not waiting)."""
        return self._young

    @contextmanager
    def request(self) -> Iterator[YoungRequest]:
        """One request in progress (in this thread), young until its guest has run long."""
        self._last_start = time.monotonic()
        self.count_young(+1)
        young = YoungRequest(self)
        _current.standing = young
        try:
            yield young
        finally:
            _current.standing = None
            young.grow_up()

    def count_young(self, change: int) -> None:
        """A request became young (+1) or stopped being young (-1)."""
        with self._lock:
            self._young += change

    def busy(self) -> bool:
        """Whether young requests are in progress or one started a moment ago."""
        return self._young > 0 or time.monotonic() - self._last_start < BUSY_SECONDS


class YoungRequest:
    """A request's standing: young until `grow_up()` (once), then a long runner."""

    def __init__(self, fairness: Fairness) -> None:
        self.fairness = fairness
        self.young = True

    def grow_up(self) -> None:
        """Stop counting as young (idempotent)."""
        if self.young:
            self.young = False
            self.fairness.count_young(-1)

    def give_way(self, until: float) -> float:
        """As a long runner: pause for `PAUSE_SECONDS` (not past `until`, monotonic) if the
        process is busy; return the seconds paused."""
        if self.young or not self.fairness.busy():
            return 0.0
        pause = min(PAUSE_SECONDS, until - time.monotonic())
        if pause <= 0:
            return 0.0
        started = time.monotonic()
        time.sleep(pause)
        paused = time.monotonic() - started
        self.fairness.paused_seconds += paused
        return paused
