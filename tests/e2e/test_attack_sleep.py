"""A guest that sleeps (Python `time.sleep`, JavaScript `setTimeout` awaited) holds its thread
until it wakes, and its CPU deadline keeps counting meanwhile: a short sleep answers 200, a
sleep past the deadline 503 once it wakes. Sleepers hold at most their project's share
(`project_concurrency`), below the host's threads: the project's further requests get 503
with `Retry-After` at once, other projects keep being served, and the project is served again
once its sleepers wake. Each test runs against misbehave-py, then misbehave-js."""

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
THREADS = 8
SHARE = 3  # project_concurrency: two projects' shares leave two threads for everyone else
SHORT_SECONDS = 0.5  # well within the CPU deadline
LONG_SECONDS = 4  # past it: the guest wakes into its 503
CPU_CUT = (503, "Worker exceeded its CPU time limit")
BUSY = (503, "Project is at its concurrency limit; retry shortly")


@pytest.fixture(scope="module")
def sleepy_host(
    tmp_path_factory: pytest.TempPathFactory, compiled_cache: Path, attack_db: Path
) -> Iterator[Started]:
    """A host with a 1 s CPU deadline, 8 threads, 3 requests per project."""
    host = start_attack_host(
        tmp_path_factory.mktemp("sleep"),
        compiled_cache,
        attack_db,
        THREADS,
        cpu_deadline_ms=CPU_MS,
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


def assert_woke_past_the_deadline(replies: list[Timed]) -> None:
    """Every reply is the CPU-deadline 503, sent only once its guest woke."""
    assert [(r.status, r.text) for r in replies] == [CPU_CUT] * len(replies)
    assert all(r.seconds >= LONG_SECONDS for r in replies)  # the thread was held until then


def test_a_sleep_within_the_cpu_deadline_answers_200(sleepy_host: Started, hostile: str) -> None:
    reply = send(sleepy_host, attacker(hostile), sleep_path(SHORT_SECONDS))
    assert (reply.status, reply.text) == (200, f"slept {SHORT_SECONDS:g} s")
    good_round(sleepy_host)


def test_a_sleep_past_the_cpu_deadline_answers_503_once_it_wakes(
    sleepy_host: Started, hostile: str
) -> None:
    assert LONG_SECONDS * 1000 > 2 * CPU_MS
    assert_woke_past_the_deadline([send(sleepy_host, attacker(hostile), sleep_path(LONG_SECONDS))])
    ok = send(sleepy_host, attacker(hostile), "/ok")
    assert (ok.status, ok.text) == (200, "misbehave is fine")
    good_round(sleepy_host)


def test_a_project_asleep_on_its_share_is_refused_at_once_and_others_are_served(
    sleepy_host: Started, hostile: str
) -> None:
    project = attacker(hostile)
    with ThreadPoolExecutor(SHARE + 1) as pool:
        refused, asleep = hold_shares(pool, sleepy_host, [project], SHARE, sleep_path(LONG_SECONDS))
        assert len(asleep) == SHARE  # the refusal came before any sleeper woke
        assert_refused([*refused, send(sleepy_host, project, "/ok")])
        goods = good_round(sleepy_host)
        goods.append(send(sleepy_host, neighbour(hostile), sleep_path(SHORT_SECONDS)))
        assert not any(sleeper.done() for sleeper in asleep)  # all answered while they slept
        woke = [sleeper.result() for sleeper in asleep]
    assert [g.status for g in goods] == [200] * len(goods)
    assert_woke_past_the_deadline(woke)
    ok = send(sleepy_host, project, "/ok")
    assert (ok.status, ok.text) == (200, "misbehave is fine")


def test_two_projects_asleep_on_their_shares_leave_threads_for_others(
    sleepy_host: Started, hostile: str
) -> None:
    projects = [attacker(hostile), neighbour(hostile)]
    assert len(projects) * SHARE < THREADS
    with ThreadPoolExecutor(len(projects) * (SHARE + 1)) as pool:
        refused, asleep = hold_shares(pool, sleepy_host, projects, SHARE, sleep_path(LONG_SECONDS))
        assert len(asleep) == len(projects) * SHARE
        assert_refused(refused)
        ask_good(sleepy_host)
        ask_good(sleepy_host)
        assert not any(sleeper.done() for sleeper in asleep)  # both answered while they slept
        woke = [sleeper.result() for sleeper in asleep]
    assert_woke_past_the_deadline(woke)
    for project in projects:
        short = send(sleepy_host, project, sleep_path(SHORT_SECONDS))
        assert (short.status, short.text) == (200, f"slept {SHORT_SECONDS:g} s")
