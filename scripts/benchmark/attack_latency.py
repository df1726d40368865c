"""The good project's latency alone and under attack: one client asking `/api/hello` again and
again, each answer checked; the row compares the medians."""

from __future__ import annotations

import http.client
import json
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field

from . import client
from .attack_clients import Attack, Hostile, Tallies, describe
from .progress import say
from .rows import TIMES, Row

GOOD_PATH = "/api/hello"


@dataclass
class GoodRun:
    """The good client's requests: how long each right answer took, and the failures."""

    latencies_ms: list[float] = field(default_factory=list)
    failures: Counter[str] = field(default_factory=Counter)

    @property
    def median_ms(self) -> float | None:
        """The median latency of the right answers."""
        return statistics.median(self.latencies_ms) if self.latencies_ms else None

    @property
    def count(self) -> int:
        """Every request sent."""
        return len(self.latencies_ms) + sum(self.failures.values())


def good_run(port: int, project: str, seconds: float) -> GoodRun:
    """Ask the good project for `/api/hello` one request after another for `seconds`."""
    run = GoodRun()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            answer = client.get(port, project, GOOD_PATH)
        except (OSError, http.client.HTTPException) as error:
            run.failures[type(error).__name__] += 1
            continue
        if answer.status == 200 and _is_hello(answer.body):
            run.latencies_ms.append(answer.elapsed_ms)
        else:
            run.failures[f"status {answer.status}"] += 1
    return run


def alone_and_attacked(
    port: int, project: str, cycles: list[list[Attack]], alone_seconds: float, seconds: float
) -> tuple[GoodRun, GoodRun, Tallies]:
    """The good run alone, then while hostile clients attack (after a second to get going)."""
    say(f"{project} alone for {alone_seconds:g} s")
    alone = good_run(port, project, alone_seconds)
    say(f"{project} with {len(cycles)} hostile clients for {seconds:g} s")
    with Hostile(port, cycles) as hostile:
        time.sleep(1)
        attacked = good_run(port, project, seconds)
    return alone, attacked, hostile.tallies


def latency_row(key: str, title: str, alone: GoodRun, attacked: GoodRun, tallies: Tallies) -> Row:
    """The row: median under attack over median alone, and every failed good request."""
    before, during = alone.median_ms, attacked.median_ms
    ratio = during / before if before and during else None
    row = Row(key, title, "py", TIMES, ratio, [] if ratio is None else [ratio])
    row.p50_ms, row.baseline_p50_ms = during, before
    row.detail = (
        f"{_ms(during)} vs {_ms(before)} ms alone; good requests {attacked.count:,} under attack,"
        f" {alone.count:,} alone; hostile: {describe(tallies)}"
    )
    for name, run in (("alone", alone), ("under attack", attacked)):
        if run.failures:
            failed = ", ".join(f"{what} ({count})" for what, count in run.failures.items())
            row.problems.append(
                f"{sum(run.failures.values())} good requests failed {name}: {failed}"
            )
        if not run.latencies_ms:
            row.problems.append(f"no good request answered {name}")
    return row


def _is_hello(body: bytes) -> bool:
    """The example's JSON greeting."""
    try:
        return bool(json.loads(body) == {"hello": "world"})
    except ValueError:
        return False


def _ms(value: float | None) -> str:
    """Milliseconds to about three digits (0.84, 23.1, 1,020), or a dash."""
    if value is None:
        return "—"
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.1f}" if value >= 10 else f"{value:.2f}"
