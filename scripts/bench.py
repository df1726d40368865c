"""Benchmark wasmhost against a plain Falcon app on waitress serving the same bytes, same run.

Usage: scripts/bench [--quick] [--attack-only] [--json FILE] [--workers N] [--threads T]

Builds the example guests (hello-py, hello-js), serves them with `wasmhost serve` on loopback,
checks every answer, records it for the baseline (a Falcon app with the same processes and
threads), and drives both with wrk at 16 connections. Then attacks it (issue 8), on fresh
servers with wasmhost's default threads and limits (not --threads): a good project's latency
alone and under hostile clients, among sleeping guests, and the server's RSS over many hostile
requests (scripts/benchmark/attack.py). Prints one Markdown table with each
target marked met or missed; --json FILE writes the same as JSON. Everything runs in a
temporary folder that is removed at the end, and every process started is stopped, also on
Ctrl-C. --quick runs 1 s per wrk run, one sample per one-shot scenario and a few seconds per
attack row; --attack-only runs only the attack rows.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
from pathlib import Path
from types import FrameType
from typing import Any

from benchmark import answers, attack, machine, oneshots, report, throughput
from benchmark import postgres_rows as postgres
from benchmark.examples import LANGUAGES, Example, prepare
from benchmark.install import InstallError, ensure_wrk
from benchmark.plan import Plan
from benchmark.processes import Processes, Server, ServerError
from benchmark.progress import say
from benchmark.rows import Row
from benchmark.scaling import measure_scaling
from benchmark.scenarios import SCENARIOS
from benchmark.servers import start_baseline, start_wasmhost
from benchmark.session import Session
from benchmark.wasmhost import CommandFailed, Workspace
from benchmark.wrk import WrkOutputError

ORDER = (
    *(scenario.key for scenario in SCENARIOS),
    oneshots.DEPLOY[0],
    oneshots.RESTART[0],
    oneshots.FILES[0],
    "workers-2-vs-1",
    *postgres.KEYS,
    oneshots.RSS[0],
    *attack.KEYS,
)


def main() -> int:
    """Run the bench, print the table, write the JSON; 1 when it could not measure."""
    args = _arguments()
    signal.signal(signal.SIGTERM, _interrupt)
    plan = Plan.quick() if args.quick else Plan.full()
    try:
        ensure_wrk()
        about = machine.describe()
        settings: dict[str, Any] = {"--workers": args.workers}
        if not args.attack_only:
            settings["--threads"] = args.threads
            settings["wrk"] = (
                f"-t2 -c16, {plan.wrk_seconds} s per run"
                f" (wasmhost warmed up for {plan.warmup_seconds} s first)"
            )
            settings["one-shot samples"] = plan.repeats
        settings["attack rows"] = (
            f"{attack.DEFAULTS}; {plan.alone_seconds:g} s alone, {plan.attack_seconds:g} s under"
            f" attack, {plan.sleepers_seconds:g} s among sleepers, RSS at rest"
            f" ({plan.rss_readings} readings, median) over the {plan.rss_first_requests:,}"
            f" hostile requests after the first {plan.rss_first_requests:,} and the last of"
            f" {plan.rss_requests:,}"
        )
        rows = run(plan, args.workers, args.threads, args.attack_only)
    except (InstallError, ServerError, CommandFailed, WrkOutputError, answers.WrongAnswer) as error:
        print(f"bench: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench: interrupted; every process it started is stopped", file=sys.stderr)
        return 130
    rows.sort(key=lambda row: (ORDER.index(row.key), LANGUAGES.index(row.example)))
    print(report.markdown(about, settings, rows))
    if args.json is not None:
        report.write_json(args.json, about, settings, rows)
        say(f"wrote {args.json}")
    return 0


def run(plan: Plan, workers: int, threads: int, attack_only: bool = False) -> list[Row]:
    """Every scenario, in a temporary workspace, with every process stopped at the end."""
    with tempfile.TemporaryDirectory(prefix="wasmhost-bench-") as folder, Processes() as processes:
        session = Session(processes, Workspace(Path(folder)), plan, workers, threads)
        say("building the example guests (cached by scripts/build-guest)")
        if attack_only:
            return attack.attack_rows(session, prepare(session.space, "py"))
        examples = [prepare(session.space, language) for language in LANGUAGES]
        host = start_wasmhost(session)
        rows = oneshots.deploy_rows(session, host, examples)
        recording, measured = _against_baseline(session, host, examples)
        rows += measured
        for example in examples:
            more, host = oneshots.later_rows(session, host, example)
            rows += more
        processes.stop(host)
        say("--workers 2 against --workers 1")
        rows += measure_scaling(session, examples, recording)
        say("PostgreSQL against SQLite")
        rows += postgres.postgres_rows(session, examples, recording)
        rows += [oneshots.rss_row(session, example) for example in examples]
        return rows + attack.attack_rows(session, examples[0])


def _against_baseline(
    session: Session, host: Server, examples: list[Example]
) -> tuple[answers.Recording, list[Row]]:
    """Check and record the host's answers, start the baseline on them, run every scenario."""
    recording = answers.record(host.port, examples)
    recording.write(session.space.answers)
    baseline = start_baseline(session)
    answers.check_same(baseline.port, examples, recording)
    rows = throughput.measure_all(host.port, baseline.port, examples, recording, session.plan)
    session.processes.stop(baseline)
    return recording, rows


def _arguments() -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 s wrk runs, one sample each")
    parser.add_argument("--attack-only", action="store_true", help="only the attack rows")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    cores = len(os.sched_getaffinity(0))
    parser.add_argument("--workers", type=int, default=cores, help="processes per server [cores]")
    parser.add_argument(
        "--threads",
        type=int,
        default=8,
        help="threads per worker [8] (not for the attack rows: they use wasmhost's default)",
    )
    return parser.parse_args()


def _interrupt(signum: int, frame: FrameType | None) -> Any:
    """SIGTERM stops the bench like Ctrl-C: every process it started is stopped."""
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
