"""A guest that sleeps (Python `time.sleep`, JavaScript `setTimeout` awaited) waits in the
host's own WASI: the wait costs no CPU time, and it ends at the request's wall-clock limit with
a 504, so no guest holds a thread longer than that. Sleepers hold at most their project's share
(`project_concurrency`), below the host's threads: the project's further requests get 503 with
`Retry-After` at once, other projects keep being served, and the project is served again once
its sleepers are cut. Each test runs against misbehave-py, then misbehave-js."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import Started, stop_host
from tests.e2e.attacks import (
    Timed,
    ask_good,
    attacker,
    good_round,
    hold_shares,
    neighbour,
    send,
    start_attack_host,
)

CPU_MS = 1000
WALL_MS = 3000
THREADS = 8
SHARE = 3  # project_concurrency: two projects' shares leave two threads for everyone else
SHORT_SECONDS = 0.5
PAST_CPU_SECONDS = 1.5  # longer than the CPU deadline, but a sleep is not CPU time
HOUR = "/sleep?seconds=3600"
WALL_CUT = (504, "Worker exceeded its wall-clock time limit")
BUSY = (503, "Project is at its concurrency limit; retry shortly")


@pytest.fixture(scope="module")
def sleepy_host(
    tmp_path_factory: pytest.TempPathFactory, compiled_cache: Path, attack_db: Path
) -> Iterator[Started]:
    """A host with a 1 s CPU deadline, a 3 s wall-clock limit, 8 threads, 3 per project."""
    host = start_attack_host(
        tmp_path_factory.mktemp("sleep"),
        compiled_cache,
        attack_db,
        THREADS,
        cpu_deadline_ms=CPU_MS,
        wall_clock_ms=WALL_MS,
        project_concurrency=SHARE,
    )
    yield host
    stop_host(host)


def sleep_path(seconds: float) -> str:
    """The misbehave route that sleeps `seconds`."""
    return f"/sleep?seconds={seconds:g}"


def assert_refused(replies: list[Timed]) -> None:
    """Every reply is the concurrency refusal, with `Retry-After: 1`."""
    assert [(r.status, r.text) for r in replies] == [BUSY] * len(replies)
    assert [r.reply.header("Retry-After") for r in replies] == ["1"] * len(replies)


def assert_cut_at_the_wall_clock_limit(replies: list[Timed]) -> None:
    """Every reply is the wall-clock 504, sent at the limit (not when the guest would wake)."""
    assert [(r.status, r.text) for r in replies] == [WALL_CUT] * len(replies)
    assert all(WALL_MS / 1000 <= r.seconds < 2 * WALL_MS / 1000 for r in replies)


def test_a_sleep_within_the_cpu_deadline_answers_200(sleepy_host: Started, hostile: str) -> None:
    reply = send(sleepy_host, attacker(hostile), sleep_path(SHORT_SECONDS))
    assert (reply.status, reply.text) == (200, f"slept {SHORT_SECONDS:g} s")
    good_round(sleepy_host)


def test_sleeping_is_not_cpu_time(sleepy_host: Started, hostile: str) -> None:
    assert PAST_CPU_SECONDS * 1000 > CPU_MS
    reply = send(sleepy_host, attacker(hostile), sleep_path(PAST_CPU_SECONDS))
    assert (reply.status, reply.text) == (200, f"slept {PAST_CPU_SECONDS:g} s")


def test_an_hour_long_sleep_ends_at_the_wall_clock_limit(
    sleepy_host: Started, hostile: str
) -> None:
    assert_cut_at_the_wall_clock_limit([send(sleepy_host, attacker(hostile), HOUR)])
    ok = send(sleepy_host, attacker(hostile), "/ok")
    assert (ok.status, ok.text) == (200, "misbehave is fine")
    good_round(sleepy_host)


def test_a_project_asleep_on_its_share_is_refused_at_once_and_others_are_served(
    sleepy_host: Started, hostile: str
) -> None:
    project = attacker(hostile)
    with ThreadPoolExecutor(SHARE + 1) as pool:
        refused, asleep = hold_shares(pool, sleepy_host, [project], SHARE, HOUR)
        assert len(asleep) == SHARE  # the refusal came before any sleeper was cut
        assert_refused([*refused, send(sleepy_host, project, "/ok")])
        goods = good_round(sleepy_host)
        goods.append(send(sleepy_host, neighbour(hostile), sleep_path(SHORT_SECONDS)))
        assert not any(sleeper.done() for sleeper in asleep)  # all answered while they slept
        cut = [sleeper.result() for sleeper in asleep]
    assert [g.status for g in goods] == [200] * len(goods)
    assert_cut_at_the_wall_clock_limit(cut)
    ok = send(sleepy_host, project, "/ok")
    assert (ok.status, ok.text) == (200, "misbehave is fine")


def test_two_projects_asleep_on_their_shares_leave_threads_for_others(
    sleepy_host: Started, hostile: str
) -> None:
    projects = [attacker(hostile), neighbour(hostile)]
    assert len(projects) * SHARE < THREADS
    with ThreadPoolExecutor(len(projects) * (SHARE + 1)) as pool:
        refused, asleep = hold_shares(pool, sleepy_host, projects, SHARE, HOUR)
        assert len(asleep) == len(projects) * SHARE
        assert_refused(refused)
        ask_good(sleepy_host)
        ask_good(sleepy_host)
        assert not any(sleeper.done() for sleeper in asleep)  # both answered while they slept
        cut = [sleeper.result() for sleeper in asleep]
    assert_cut_at_the_wall_clock_limit(cut)
    for project in projects:
        short = send(sleepy_host, project, sleep_path(SHORT_SECONDS))
        assert (short.status, short.text) == (200, f"slept {SHORT_SECONDS:g} s")
