"""The host's memory over many hostile requests: the server's RSS at rest (the clients held
back, nothing in flight, the allocator's freed memory given back) a few times over a window of
requests right after the first ones of a fast hostile mix, and over the window that ends with
the last, compared by their medians; with the RSS while the requests run besides (it swings
with what the requests in flight hold), and progress lines on the way."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

from host.allocator import TRIM_SECONDS

from .attack_clients import Hostile
from .memory import tree_rss_bytes
from .progress import say

MIB = 1024 * 1024
POLL_SECONDS = 0.25
PROGRESS_SECONDS = 15
STALL_SECONDS = 180
REST_SECONDS = TRIM_SECONDS + 1  # held back this long before each reading at rest
DRAIN_SECONDS = 120  # for the requests in flight to end before a reading at rest


class Stalled(RuntimeError):
    """The hostile clients got no answer for a long time: the host is stuck or gone."""


@dataclass(frozen=True)
class Window:
    """RSS samples (MiB) of the server over hostile requests `start` to `end`: at rest, and
    while the requests ran."""

    start: int
    end: int
    at_rest: list[float]
    running: list[float]

    @property
    def median(self) -> float:
        """The window's median RSS at rest in MiB."""
        return statistics.median(self.at_rest)

    def describe(self) -> str:
        """`310 MiB at rest (302-331, 5 readings) after requests 1,000-2,000; 640 MiB (...)
        while they ran`."""
        return (
            f"{_spread(self.at_rest)} at rest after requests {self.start:,}-{self.end:,};"
            f" {_spread(self.running)} while they ran"
        )


def rss_window(
    hostile: Hostile, start: int, end: int, pid: int, total: int, readings: int
) -> Window:
    """Wait for `start` hostile requests, then sample the server tree's RSS until `end`, and
    `readings` times (evenly spread) hold the clients back to read it at rest."""
    at_rest: list[float] = []
    running: list[float] = []
    reading_at = [start + (end - start) * number // readings for number in range(readings)]
    started = last_progress = last_moved = time.monotonic()
    seen = first = hostile.sent
    while True:
        sent = hostile.sent
        if reading_at and sent >= reading_at[0]:
            reading_at.pop(0)
            at_rest.append(_at_rest(hostile, pid))
            last_moved = time.monotonic()
        elif sent >= start:
            running.append(tree_rss_bytes(pid) / MIB)
        if sent >= end and not reading_at:
            return Window(start, end, at_rest, running)
        now = time.monotonic()
        if sent != seen:
            seen, last_moved = sent, now
        elif now - last_moved > STALL_SECONDS:
            raise Stalled(f"no hostile request answered for {STALL_SECONDS} s (at {sent:,})")
        if now - last_progress >= PROGRESS_SECONDS:
            last_progress = now
            rate = (sent - first) / (now - started)
            rss = tree_rss_bytes(pid) / MIB
            say(f"hostile requests: {sent:,} of {total:,} ({rate:,.0f}/s), RSS {rss:,.0f} MiB")
        time.sleep(POLL_SECONDS)


def _at_rest(hostile: Hostile, pid: int) -> float:
    """The server tree's RSS (MiB) once the requests in flight ended and it rested a while."""
    try:
        with hostile.paused(DRAIN_SECONDS):
            time.sleep(REST_SECONDS)
            return tree_rss_bytes(pid) / MIB
    except TimeoutError as error:
        raise Stalled(str(error)) from None


def _spread(samples: list[float]) -> str:
    """`812 MiB (790-840, 96 samples)`: the median, the range and the count."""
    if not samples:
        return "no samples"
    low, high = min(samples), max(samples)
    median = statistics.median(samples)
    return f"{median:,.0f} MiB ({low:,.0f}-{high:,.0f}, {len(samples)} samples)"
