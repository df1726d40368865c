"""The host's memory over many hostile requests: the server's RSS sampled over a window of
requests right after the first ones of a fast hostile mix, and over the window that ends with
the last, compared by their medians (one sample swings with what the warm pools hold), with
progress lines on the way."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

from .attack_clients import Hostile
from .memory import tree_rss_bytes
from .progress import say

MIB = 1024 * 1024
POLL_SECONDS = 0.25
PROGRESS_SECONDS = 15
STALL_SECONDS = 180


class Stalled(RuntimeError):
    """The hostile clients got no answer for a long time: the host is stuck or gone."""


@dataclass(frozen=True)
class Window:
    """RSS samples (MiB) of the server taken while hostile requests `start` to `end` ran."""

    start: int
    end: int
    samples: list[float]

    @property
    def median(self) -> float:
        """The window's median RSS in MiB."""
        return statistics.median(self.samples)

    def describe(self) -> str:
        """`812 MiB (790-840, 96 samples) over requests 1,000-2,000`."""
        low, high = min(self.samples), max(self.samples)
        return (
            f"{self.median:,.0f} MiB ({low:,.0f}-{high:,.0f}, {len(self.samples)} samples)"
            f" over requests {self.start:,}-{self.end:,}"
        )


def rss_window(hostile: Hostile, start: int, end: int, pid: int, total: int) -> Window:
    """Wait for `start` hostile requests, then sample the server tree's RSS until `end`."""
    samples: list[float] = []
    started = last_progress = last_moved = time.monotonic()
    seen = first = hostile.sent
    while True:
        sent = hostile.sent
        if sent >= start:
            samples.append(tree_rss_bytes(pid) / MIB)
        if sent >= end:
            return Window(start, end, samples)
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
