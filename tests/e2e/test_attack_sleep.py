"""A guest that sleeps (Python `time.sleep`, JavaScript `setTimeout` awaited) spends no CPU
time, but cannot keep its thread past the wall-clock limit: 504 at about that time, and the
thread serves again. Each test runs against misbehave-py, then misbehave-js."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Started, stop_host
from tests.e2e.attacks import (
    all_at_once,
    attacker,
    good_round,
    neighbour,
    send,
    slowest,
    start_attack_host,
    under_attack,
)

CPU_MS = 1000
WALL_MS = 3000
THREADS = 8
SHARE = 4  # project_concurrency: two projects' shares fill every thread
WALL_CUT = "Worker exceeded its wall-clock time limit"
HOUR = "/sleep?seconds=3600"


@pytest.fixture(scope="module")
def sleepy_host(
    tmp_path_factory: pytest.TempPathFactory, compiled_cache: Path, attack_db: Path
) -> Iterator[Started]:
    """A host with a 1 s CPU deadline, a 3 s wall-clock limit, 8 threads, 4 per project."""
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


def test_sleeping_is_not_cpu_time(sleepy_host: Started, hostile: str) -> None:
    reply = send(sleepy_host, attacker(hostile), "/sleep?seconds=1.5")
    assert (reply.status, reply.text) == (200, "slept 1.5 s")
    good_round(sleepy_host)


def test_a_sleep_ends_at_the_wall_clock_limit(sleepy_host: Started, hostile: str) -> None:
    reply = send(sleepy_host, attacker(hostile), HOUR, timeout=4 * WALL_MS / 1000)
    assert (reply.status, reply.text) == (504, WALL_CUT)
    assert reply.seconds < 2 * WALL_MS / 1000
    good_round(sleepy_host)


def test_a_good_project_answers_while_a_project_sleeps_on_its_share(
    sleepy_host: Started, hostile: str
) -> None:
    sleepers, goods = under_attack(sleepy_host, [(attacker(hostile), HOUR)] * SHARE)
    assert [(s.status, s.text) for s in sleepers] == [(504, WALL_CUT)] * SHARE
    assert slowest(sleepers) < 2 * WALL_MS / 1000
    assert all(good.status == 200 for good in goods)


def test_sleepers_on_every_thread_are_cut_and_their_threads_serve_again(
    sleepy_host: Started, hostile: str
) -> None:
    projects = [attacker(hostile), neighbour(hostile)]
    hour_long = [(project, HOUR) for project in projects for _ in range(SHARE)]
    assert len(hour_long) == THREADS
    cut = all_at_once(sleepy_host, hour_long)
    assert [(s.status, s.text) for s in cut] == [(504, WALL_CUT)] * THREADS
    assert slowest(cut) < 2 * WALL_MS / 1000
    # every thread again: eight short sleeps at once, none queued behind a sleeper still there
    short = all_at_once(sleepy_host, [(project, "/sleep?seconds=1") for project, _ in hour_long])
    assert [(s.status, s.text) for s in short] == [(200, "slept 1 s")] * THREADS
    assert slowest(short) < 2 * WALL_MS / 1000
    good_round(sleepy_host)
