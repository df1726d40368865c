"""scripts/bench's pure parts: reading wrk's report, the targets, the table, fresh workers."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from falcon import testing
from wasmtime import Engine, wat2wasm
from wasmtime.component import Component

from host.config import Settings
from scripts.benchmark.answers import Recording, entry
from scripts.benchmark.attack import DEFAULTS, MIX, SLEEPERS, default_env, serve_argv
from scripts.benchmark.attack_clients import describe
from scripts.benchmark.attack_latency import GoodRun, latency_row
from scripts.benchmark.attack_projects import bomb_wat
from scripts.benchmark.baseline import create_app
from scripts.benchmark.client import Answer
from scripts.benchmark.plan import Plan
from scripts.benchmark.report import markdown, write_json
from scripts.benchmark.rows import Row, failed_row, throughput_row, timed_row
from scripts.benchmark.sites import unseen_worker
from scripts.benchmark.targets import verdicts
from scripts.benchmark.wrk import WrkOutputError, WrkResult, parse

REPORT = """\
Running 2s test @ http://127.0.0.1:18931/api/hello
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    23.41ms    6.34ms  58.99ms   72.30%
    Req/Sec   342.05     48.16   444.00     67.50%
  Latency Distribution
     50%  812.00us
     75%   27.20ms
     90%   31.47ms
     99%    1.02s
  1363 requests in 2.00s, 191.79KB read
Requests/sec:    680.66
Transfer/sec:     95.78KB
"""

FAILING = REPORT.replace(
    "Requests/sec:",
    "  Socket errors: connect 0, read 2, write 0, timeout 3\n"
    "  Non-2xx or 3xx responses: 330\nRequests/sec:",
)

MACHINE = {"cores": "2", "CPU": "Test CPU"}
SETTINGS = {"--workers": 2}


def wrk_result(rate: float, p99_ms: float) -> WrkResult:
    """A clean wrk run."""
    return WrkResult(rate, p99_ms / 2, p99_ms, int(rate * 2), 0, 0)


def test_parse_reads_rate_percentiles_in_any_unit_and_requests() -> None:
    result = parse(REPORT)
    assert result.requests_per_second == 680.66
    assert result.p50_ms == pytest.approx(0.812)
    assert result.p99_ms == pytest.approx(1020.0)
    assert (result.requests, result.failed_responses, result.socket_errors) == (1363, 0, 0)


def test_parse_counts_failed_answers_and_socket_errors() -> None:
    result = parse(FAILING)
    assert (result.failed_responses, result.socket_errors) == (330, 5)


@pytest.mark.parametrize("report", ["", "unable to connect to 127.0.0.1:1 Connection refused"])
def test_parse_refuses_what_is_not_a_latency_report(report: str) -> None:
    with pytest.raises(WrkOutputError):
        parse(report)


def test_a_throughput_row_compares_rate_and_p99_with_the_baseline() -> None:
    row = throughput_row(
        "api-hello", "`/api/hello`", "py", wrk_result(600, 40), wrk_result(3000, 8)
    )
    assert row.ratio == pytest.approx(0.2)
    assert row.p99_ratio == pytest.approx(5.0)
    assert [(v.target, v.met) for v in verdicts(row)] == [
        ("req/s ≥ 0.5x baseline", False),
        ("p99 ≤ 4x baseline", False),
    ]


def test_javascript_targets_are_eighty_percent_of_python_ones() -> None:
    hello = throughput_row("api-hello", "hello", "js", wrk_result(1300, 30), wrk_result(3000, 8))
    deploy = timed_row("first-after-deploy", "deploy", "js", "ms", [110.0, 120.0, 900.0])
    scaling = Row("workers-2-vs-1", "workers", "js", "x", 1.4)
    assert [(v.target, v.met) for v in verdicts(hello)] == [
        ("req/s ≥ 0.4x baseline", True),
        ("p99 ≤ 5x baseline", True),
    ]
    assert [(v.target, v.met) for v in verdicts(deploy)] == [("≤ 125 ms", True)]
    assert [(v.target, v.met) for v in verdicts(scaling)] == [("≥ 1.36x", True)]


def test_a_run_with_failed_answers_meets_no_target() -> None:
    failing = parse(FAILING)
    row = throughput_row("api-hello", "hello", "py", failing, wrk_result(100, 8))
    assert row.problems == ["wasmhost: 330 non-2xx/3xx answers", "wasmhost: 5 socket errors"]
    assert not any(v.met for v in verdicts(row))


def test_a_scenario_that_could_not_be_measured_says_why() -> None:
    row = failed_row("small-asset", "`/`", "js", "req/s", "hello-js /: status 500")
    line = markdown(MACHINE, SETTINGS, [row]).splitlines()[-1]
    assert line.startswith("| `/` | js | — | — | — | — |")
    assert line.endswith("| **invalid**: hello-js /: status 500 |")
    assert not any(v.met for v in verdicts(row))


def test_one_shot_rows_keep_every_sample_and_show_the_median() -> None:
    row = timed_row("first-after-restart", "restart", "py", "ms", [90.0, 20.0, 30.0])
    assert (row.value, row.samples) == (30.0, [90.0, 20.0, 30.0])
    assert "30.0 ms (median of 3)" in markdown(MACHINE, SETTINGS, [row])


def test_the_table_marks_targets_met_and_missed() -> None:
    rows = [
        throughput_row("asset-1mib", "1 MiB asset", "py", wrk_result(450, 20), wrk_result(500, 10)),
        throughput_row("api-hello", "`/api/hello`", "py", wrk_result(215, 90), wrk_result(4045, 9)),
        timed_row("rss-50-projects", "RSS", "py", "MiB", [812.0]),
    ]
    lines = markdown(MACHINE, SETTINGS, rows).splitlines()
    assert lines[0] == "Machine: cores 2, CPU Test CPU."
    assert lines[3].startswith("| scenario | example | wasmhost |")
    assert lines[5].endswith("| 0.90 | req/s ≥ 0.8x baseline; p99 ≤ 4x baseline | met |")
    assert "| 215 req/s |" in lines[6]
    assert lines[6].endswith(
        "**missed**: 0.053x (req/s ≥ 0.5x baseline), 10.00x (p99 ≤ 4x baseline) |"
    )
    assert lines[7] == "| RSS | py | 812 MiB | — | — | — | — | — | — | ≤ 1,536 MiB | met |"
    assert len(lines) == 5 + len(rows)


def test_the_json_holds_rows_samples_and_verdicts(tmp_path: Path) -> None:
    row = timed_row("deploy-1000-files", "1,000 files", "py", "ms", [2500.0])
    write_json(tmp_path / "bench.json", MACHINE, SETTINGS, [row])
    document = json.loads((tmp_path / "bench.json").read_text())
    assert document["machine"] == MACHINE
    [saved] = document["rows"]
    assert saved["samples"] == [2500.0]
    assert saved["targets"] == [
        {"target": "≤ 2,000 ms", "measured": 2500.0, "unit": "ms", "met": False}
    ]


def test_an_unseen_worker_is_new_bytes_that_still_compile(tmp_path: Path) -> None:
    original = tmp_path / "empty.wasm"
    original.write_bytes(wat2wasm("(component)"))
    fresh = unseen_worker(original, "fresh-" + "x" * 200, tmp_path / "fresh.wasm")
    assert fresh.read_bytes().startswith(original.read_bytes())
    assert fresh.read_bytes() != original.read_bytes()
    Component(Engine(), fresh.read_bytes())


def test_the_baseline_repeats_recorded_answers_and_revalidates(tmp_path: Path) -> None:
    recording = Recording()
    page = Answer(200, {"content-type": "text/html", "etag": '"abc"'}, b"<!doctype html>")
    recording.entries.append(entry("hello-py", "/", page))
    recording.write(tmp_path / "answers.json")
    client = testing.TestClient(create_app(tmp_path / "answers.json"))
    host = {"Host": "hello-py.localhost:8080"}

    fresh = client.simulate_get("/", headers=host)
    assert (fresh.status_code, fresh.content) == (200, b"<!doctype html>")
    assert fresh.headers["etag"] == '"abc"'
    assert fresh.headers["content-type"] == "text/html"
    revalidated = client.simulate_get("/", headers={**host, "If-None-Match": 'W/"x", "abc"'})
    assert (revalidated.status_code, revalidated.content) == (304, b"")
    assert client.simulate_get("/", headers={"Host": "other.localhost"}).status_code == 404
    assert client.simulate_get("/?q", headers=host).status_code == 404


def test_an_attack_row_compares_the_good_project_under_attack_with_it_alone() -> None:
    alone = GoodRun(latencies_ms=[2.0, 3.0, 4.0])
    attacked = GoodRun(latencies_ms=[6.0, 9.0, 30.0])
    row = latency_row("attack-mix", "8 hostile clients", alone, attacked, {"loop-py": {503: 4}})
    assert (row.value, row.p50_ms, row.baseline_p50_ms) == (3.0, 9.0, 3.0)
    assert [(v.target, v.met) for v in verdicts(row)] == [("≤ 3x", True)]
    assert "hostile: loop-py: 503 (4)" in row.detail
    slower = latency_row("attack-sleepers", "sleepers", alone, GoodRun([12.1]), {})
    assert [(v.target, v.met) for v in verdicts(slower)] == [("≤ 3x", False)]


def test_a_good_request_that_fails_under_attack_fails_the_row() -> None:
    attacked = GoodRun(latencies_ms=[3.0], failures=Counter({"status 503": 2}))
    row = latency_row("attack-mix", "8 hostile clients", GoodRun([3.0]), attacked, {})
    assert row.problems == ["2 good requests failed under attack: status 503 (2)"]
    assert not any(v.met for v in verdicts(row))
    line = markdown(MACHINE, SETTINGS, [row]).splitlines()[-1]
    assert line.endswith("| **invalid**: 2 good requests failed under attack: status 503 (2) |")


def test_rss_after_many_hostile_requests_may_grow_by_a_fifth() -> None:
    for ratio, met in ((1.19, True), (1.25, False), (0.8, True)):
        row = Row("attack-rss", "RSS", "py", "x", ratio, [ratio])
        assert [(v.target, v.met) for v in verdicts(row)] == [("≤ 1.2x", met)]


def test_hostile_answers_are_tallied_plainly() -> None:
    tallies = {"sleep-js": {0: 2}, "loop-py": {200: 1, 503: 12}, "idle": {}}
    assert describe(tallies) == (
        "idle: none answered; loop-py: 503 (12), 200 (1); sleep-js: no answer (2)"
    )


def test_the_header_bomb_is_a_component_that_compiles() -> None:
    Component(Engine(), wat2wasm(bomb_wat(700_000)))


def test_quick_attack_rows_take_seconds_not_minutes() -> None:
    quick, full = Plan.quick(), Plan.full()
    assert quick.alone_seconds + quick.attack_seconds + quick.sleepers_seconds < 10
    assert quick.rss_requests < 1_000
    assert (full.rss_first_requests, full.rss_requests) == (1_000, 100_000)


def test_attack_rows_serve_with_wasmhosts_default_threads_and_limits() -> None:
    argv = serve_argv(Path("bench.db"), 2)
    assert "--threads" not in argv
    assert argv[argv.index("--workers") + 1] == "2"
    shell = {"WASMHOST_PROJECT_CONCURRENCY": "1000", "WASMHOST_CACHE_DIR": "c", "PATH": "p"}
    assert default_env(shell) == {"WASMHOST_CACHE_DIR": "c", "PATH": "p"}
    assert (
        f"wasmhost's defaults: --threads 32, project_concurrency {Settings().project_concurrency}"
        == DEFAULTS
    )
    assert all(DEFAULTS in title for _, title in (MIX, SLEEPERS))
