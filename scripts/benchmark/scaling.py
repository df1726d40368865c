"""`--workers 2` against `--workers 1` on `/api/hello`, for wasmhost and for the baseline."""

from __future__ import annotations

from .answers import Recording
from .examples import Example
from .processes import Server
from .rows import TIMES, Row, failures
from .scenarios import SCENARIOS
from .servers import start_baseline, start_wasmhost
from .session import Session
from .throughput import drive
from .wrk import WrkResult

HELLO = SCENARIOS[0]
WORKER_COUNTS = (1, 2)
Runs = dict[tuple[str, str, int], WrkResult]


def measure_scaling(session: Session, examples: list[Example], recording: Recording) -> list[Row]:
    """One row per example: req/s with 2 workers over req/s with 1, baseline's alongside."""
    runs: Runs = {}
    for workers in WORKER_COUNTS:
        host = start_wasmhost(session, workers)
        _drive_examples(session, host, "wasmhost", workers, examples, recording, runs)
        baseline = start_baseline(session, workers)
        _drive_examples(session, baseline, "baseline", workers, examples, recording, runs)
    return [_row(example.language, runs) for example in examples]


def _drive_examples(
    session: Session,
    server: Server,
    name: str,
    workers: int,
    examples: list[Example],
    recording: Recording,
    runs: Runs,
) -> None:
    """Measure `/api/hello` of every example on one server, then stop it."""
    for example in examples:
        warm_up = name == "wasmhost"
        result = drive(server.port, example.project, HELLO, recording, session.plan, warm_up)
        runs[(name, example.language, workers)] = result
    session.processes.stop(server)


def _row(language: str, runs: Runs) -> Row:
    """The scaling row of one example."""
    host_1, host_2 = (runs[("wasmhost", language, w)] for w in WORKER_COUNTS)
    base_1, base_2 = (runs[("baseline", language, w)] for w in WORKER_COUNTS)
    scaling = _rate_ratio(host_2, host_1)
    detail = (
        f"{host_2.requests_per_second:,.0f} vs {host_1.requests_per_second:,.0f} req/s"
        f" (baseline {base_2.requests_per_second:,.0f} vs {base_1.requests_per_second:,.0f})"
    )
    named = (("wasmhost", host_1), ("wasmhost", host_2), ("baseline", base_1), ("baseline", base_2))
    return Row(
        "workers-2-vs-1",
        "`--workers 2` / `--workers 1`, `/api/hello`",
        language,
        TIMES,
        scaling,
        [scaling],
        baseline=_rate_ratio(base_2, base_1),
        detail=detail,
        problems=[problem for name, run in named for problem in failures(name, run)],
    )


def _rate_ratio(more: WrkResult, fewer: WrkResult) -> float:
    """How many times the first run's rate is the second's (0 when the second is 0)."""
    if not fewer.requests_per_second:
        return 0.0
    return more.requests_per_second / fewer.requests_per_second
