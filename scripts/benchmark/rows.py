"""One line of the results: a scenario's figure for one example, beside the baseline's."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from .wrk import WrkResult

RATE = "req/s"
TIMES = "x"


@dataclass
class Row:
    """A scenario's result; `value` is in `unit` (the median of several samples), None when
    it could not be measured (then `problems` says why)."""

    key: str
    title: str
    example: str
    unit: str
    value: float | None
    samples: list[float] = field(default_factory=list)
    p50_ms: float | None = None
    p99_ms: float | None = None
    baseline: float | None = None
    baseline_p50_ms: float | None = None
    baseline_p99_ms: float | None = None
    ratio: float | None = None
    detail: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def p99_ratio(self) -> float | None:
        """wasmhost's p99 over the baseline's, when both were measured."""
        if self.p99_ms is None or not self.baseline_p99_ms:
            return None
        return self.p99_ms / self.baseline_p99_ms


def throughput_row(key: str, title: str, example: str, host: WrkResult, base: WrkResult) -> Row:
    """A wrk scenario measured on wasmhost and on the baseline."""
    return Row(
        key,
        title,
        example,
        RATE,
        host.requests_per_second,
        [host.requests_per_second],
        host.p50_ms,
        host.p99_ms,
        base.requests_per_second,
        base.p50_ms,
        base.p99_ms,
        host.requests_per_second / base.requests_per_second if base.requests_per_second else None,
        problems=failures("wasmhost", host) + failures("baseline", base),
    )


def timed_row(key: str, title: str, example: str, unit: str, samples: list[float]) -> Row:
    """A one-shot scenario repeated `len(samples)` times; its value is the median."""
    return Row(key, title, example, unit, statistics.median(samples), list(samples))


def failed_row(key: str, title: str, example: str, unit: str, problem: str) -> Row:
    """A scenario that could not be measured, and why."""
    return Row(key, title, example, unit, None, problems=[problem])


def failures(server: str, result: WrkResult) -> list[str]:
    """What makes a wrk run untrustworthy, said plainly."""
    problems = []
    if result.requests == 0:
        problems.append(f"{server} answered no request")
    if result.failed_responses:
        problems.append(f"{server}: {result.failed_responses} non-2xx/3xx answers")
    if result.socket_errors:
        problems.append(f"{server}: {result.socket_errors} socket errors")
    return problems


def rate_ratio(first: WrkResult, second: WrkResult) -> float:
    """The first run's rate over the second's (0 when the second answered nothing)."""
    if not second.requests_per_second:
        return 0.0
    return first.requests_per_second / second.requests_per_second
