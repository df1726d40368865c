"""The host's memory over many hostile requests: RSS of the server's processes after the first
requests of a fast hostile mix and after all of them, with progress lines on the way."""

from __future__ import annotations

import time

from .attack_clients import Hostile
from .memory import tree_rss_bytes
from .progress import say

MIB = 1024 * 1024
POLL_SECONDS = 0.25
PROGRESS_SECONDS = 15
STALL_SECONDS = 180


class Stalled(RuntimeError):
    """The hostile clients got no answer for a long time: the host is stuck or gone."""


def rss_after(hostile: Hostile, requests: int, pid: int, total: int) -> float:
    """The server tree's RSS in MiB once `requests` hostile requests have been answered."""
    started = last_progress = last_moved = time.monotonic()
    seen = first = hostile.sent
    while (sent := hostile.sent) < requests:
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
    return tree_rss_bytes(pid) / MIB
