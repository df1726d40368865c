"""`--workers 2` against `--workers 1` on `/api/hello`, for wasmhost and for the baseline.

All four servers run at once and each pair is measured back to back, so that the load other
work puts on the machine drifts as little as possible between the two runs compared.
"""

from __future__ import annotations

from .answers import Recording
from .examples import Example
from .processes import Server
from .rows import TIMES, Row, failures, rate_ratio
from .scenarios import SCENARIOS
from .servers import start_baseline, start_wasmhost
from .session import Session
from .throughput import drive
from .wrk import WrkResult

HELLO = SCENARIOS[0]
FEWER, MORE = 1, 2


def measure_scaling(session: Session, examples: list[Example], recording: Recording) -> list[Row]:
    """One row per example: req/s with 2 workers over req/s with 1, baseline's alongside."""
    hosts = [start_wasmhost(session, workers) for workers in (FEWER, MORE)]
    baselines = [start_baseline(session, workers) for workers in (FEWER, MORE)]
    rows = []
    for example in examples:
        host_runs = _pair(session, hosts, example, recording, warm_up=True)
        baseline_runs = _pair(session, baselines, example, recording, warm_up=False)
        rows.append(_row(example.language, host_runs, baseline_runs))
    for server in hosts + baselines:
        session.processes.stop(server)
    return rows


def _pair(
    session: Session, servers: list[Server], example: Example, recording: Recording, warm_up: bool
) -> tuple[WrkResult, WrkResult]:
    """`/api/hello` of one example on the 1-worker server, then on the 2-worker one."""
    fewer, more = (
        drive(server.port, example.project, HELLO, recording, session.plan, warm_up)
        for server in servers
    )
    return fewer, more


def _row(
    language: str, host: tuple[WrkResult, WrkResult], baseline: tuple[WrkResult, WrkResult]
) -> Row:
    """The scaling row of one example."""
    (host_1, host_2), (base_1, base_2) = host, baseline
    detail = (
        f"{host_2.requests_per_second:,.0f} vs {host_1.requests_per_second:,.0f} req/s"
        f" (baseline {base_2.requests_per_second:,.0f} vs {base_1.requests_per_second:,.0f})"
    )
    named = (("wasmhost", host_1), ("wasmhost", host_2), ("baseline", base_1), ("baseline", base_2))
    scaling = rate_ratio(host_2, host_1)
    return Row(
        "workers-2-vs-1",
        "`--workers 2` / `--workers 1`, `/api/hello`",
        language,
        TIMES,
        scaling,
        [scaling],
        baseline=rate_ratio(base_2, base_1),
        detail=detail,
        problems=[problem for name, run in named for problem in failures(name, run)],
    )
