"""One project holds at most `project_concurrency` requests in progress in a host process;
more get 503 with `Retry-After` at once, never a place in a queue. Each test runs against
misbehave-py, then misbehave-js."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Started, stop_host
from tests.e2e.attacks import attacker, good_round, neighbour, send, start_attack_host, under_attack

WALL_MS = 3000
THREADS = 8
SHARE = 3
EXTRA = 3
BUSY = "Project is at its concurrency limit; retry shortly"
WALL_CUT = "Worker exceeded its wall-clock time limit"
HOUR = "/sleep?seconds=3600"


@pytest.fixture(scope="module")
def shared_host(
    tmp_path_factory: pytest.TempPathFactory, compiled_cache: Path, attack_db: Path
) -> Iterator[Started]:
    """A host with 8 threads, 3 requests per project, a 3 s wall-clock limit."""
    host = start_attack_host(
        tmp_path_factory.mktemp("concurrency"),
        compiled_cache,
        attack_db,
        THREADS,
        wall_clock_ms=WALL_MS,
        project_concurrency=SHARE,
    )
    yield host
    stop_host(host)


def test_requests_past_a_projects_share_get_503_at_once(shared_host: Started, hostile: str) -> None:
    replies, goods = under_attack(shared_host, [(attacker(hostile), HOUR)] * (SHARE + EXTRA))
    assert Counter((r.status, r.text) for r in replies) == {
        (504, WALL_CUT): SHARE,
        (503, BUSY): EXTRA,
    }
    refused = [reply for reply in replies if reply.status == 503]
    assert all(reply.reply.header("Retry-After") for reply in refused)
    assert all(reply.seconds < WALL_MS / 1000 / 2 for reply in refused)  # not queued
    assert all(good.status == 200 for good in goods)


def test_another_project_keeps_its_own_share(shared_host: Started, hostile: str) -> None:
    replies, _ = under_attack(
        shared_host,
        [(attacker(hostile), HOUR)] * SHARE + [(neighbour(hostile), "/sleep?seconds=1")],
    )
    assert [r.status for r in replies] == [504] * SHARE + [200]


def test_the_share_is_given_back_when_requests_end(shared_host: Started, hostile: str) -> None:
    for _ in range(2):
        replies, _ = under_attack(shared_host, [(attacker(hostile), "/sleep?seconds=0.5")] * SHARE)
        assert [(r.status, r.text) for r in replies] == [(200, "slept 0.5 s")] * SHARE
    assert send(shared_host, attacker(hostile), "/ok").status == 200
    good_round(shared_host)
