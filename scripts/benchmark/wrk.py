"""Running wrk and reading its `--latency` report."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass

CONNECTIONS = 16
THREADS = 2
TIME_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
PERCENTILE = re.compile(r"^\s*(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s|m|h)\s*$", re.MULTILINE)
RATE = re.compile(r"^Requests/sec:\s+([\d.]+)\s*$", re.MULTILINE)
TOTAL = re.compile(r"^\s*(\d+) requests in ", re.MULTILINE)
NOT_SUCCESS = re.compile(r"^\s*Non-2xx or 3xx responses:\s+(\d+)\s*$", re.MULTILINE)
SOCKET_ERRORS = re.compile(
    r"^\s*Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)\s*$", re.MULTILINE
)


class WrkOutputError(ValueError):
    """wrk printed something that is not a `--latency` report."""


@dataclass(frozen=True)
class WrkResult:
    """What one wrk run measured."""

    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    failed_responses: int
    socket_errors: int


def parse(report: str) -> WrkResult:
    """Read req/s, p50, p99 and the failures from wrk's `--latency` output."""
    percentiles = {int(p): float(v) * TIME_UNITS_MS[u] for p, v, u in PERCENTILE.findall(report)}
    rate, total = RATE.search(report), TOTAL.search(report)
    if rate is None or total is None or set(percentiles) != {50, 99}:
        raise WrkOutputError(f"not a wrk --latency report:\n{report}")
    failed = NOT_SUCCESS.search(report)
    errors = SOCKET_ERRORS.search(report)
    return WrkResult(
        requests_per_second=float(rate.group(1)),
        p50_ms=percentiles[50],
        p99_ms=percentiles[99],
        requests=int(total.group(1)),
        failed_responses=int(failed.group(1)) if failed else 0,
        socket_errors=sum(int(n) for n in errors.groups()) if errors else 0,
    )


def command(url: str, headers: list[str], seconds: int) -> list[str]:
    """The wrk command line for one run at 16 connections."""
    args = ["wrk", "--latency", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s"]
    for header in headers:
        args += ["-H", header]
    return [*args, url]


def run(url: str, headers: list[str], seconds: int) -> WrkResult:
    """Drive `url` for `seconds` and return what wrk measured."""
    result = subprocess.run(
        command(url, headers, seconds),
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=False,
    )
    if result.returncode != 0:
        raise WrkOutputError(f"wrk failed ({result.returncode}): {result.stderr.strip()}")
    return parse(result.stdout)
