"""The wrk scenarios: each example's paths on wasmhost, then on the baseline, back to back."""

from __future__ import annotations

from . import client, wrk
from .answers import Recording
from .examples import Example
from .plan import Plan
from .progress import say
from .rows import RATE, Row, failed_row, throughput_row
from .scenarios import SCENARIOS, Scenario


def measure_all(
    host_port: int, baseline_port: int, examples: list[Example], recording: Recording, plan: Plan
) -> list[Row]:
    """Every scenario of every example, on both servers (not those the host got wrong)."""
    return [
        _measure(host_port, baseline_port, example, scenario, recording, plan)
        for example in examples
        for scenario in SCENARIOS
    ]


def _measure(
    host_port: int,
    baseline_port: int,
    example: Example,
    scenario: Scenario,
    recording: Recording,
    plan: Plan,
) -> Row:
    """One scenario of one example on wasmhost, then on the baseline."""
    project, language = example.project, example.language
    problem = recording.problems.get((project, scenario.key))
    if problem is not None:
        say(f"{project} {scenario.key}: not timed: {problem}")
        return failed_row(scenario.key, scenario.title, language, RATE, problem)
    host = drive(host_port, project, scenario, recording, plan, warm_up=True)
    base = drive(baseline_port, project, scenario, recording, plan)
    say(f"{project} {scenario.key}: {_summary(host, base)}")
    return throughput_row(scenario.key, scenario.title, language, host, base)


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
