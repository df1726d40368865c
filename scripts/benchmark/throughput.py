"""The wrk scenarios: each example's paths on wasmhost, then on the baseline, back to back."""

from __future__ import annotations

import sys

from . import client, wrk
from .answers import Recording
from .examples import Example
from .plan import Plan
from .rows import Row, throughput_row
from .scenarios import SCENARIOS, Scenario


def measure_all(
    host_port: int, baseline_port: int, examples: list[Example], recording: Recording, plan: Plan
) -> list[Row]:
    """Every scenario of every example, on both servers."""
    rows = []
    for example in examples:
        for scenario in SCENARIOS:
            host = drive(host_port, example.project, scenario, recording, plan, warm_up=True)
            base = drive(baseline_port, example.project, scenario, recording, plan)
            rows.append(throughput_row(scenario.key, scenario.title, example.language, host, base))
            summary = _summary(host, base)
            print(
                f"bench: {example.project} {scenario.key}: {summary}", file=sys.stderr, flush=True
            )
    return rows


def drive(
    port: int,
    project: str,
    scenario: Scenario,
    recording: Recording,
    plan: Plan,
    warm_up: bool = False,
) -> wrk.WrkResult:
    """Run wrk on one scenario of one project on one server, after a warm-up run if asked
    (wasmhost fills its instance pools; the baseline has nothing to warm)."""
    url = f"http://127.0.0.1:{port}{scenario.target}"
    headers = [f"Host: {client.host_header(project, port)}"]
    headers += [f"{k}: {v}" for k, v in recording.request_headers(project, scenario).items()]
    if warm_up:
        wrk.run(url, headers, plan.warmup_seconds)
    return wrk.run(url, headers, plan.wrk_seconds)


def _summary(host: wrk.WrkResult, base: wrk.WrkResult) -> str:
    """A progress line: both rates and their ratio."""
    ratio = host.requests_per_second / base.requests_per_second if base.requests_per_second else 0
    return (
        f"{host.requests_per_second:,.0f} vs {base.requests_per_second:,.0f} req/s"
        f" (ratio {ratio:.3f})"
    )
