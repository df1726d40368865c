"""One project holds at most `project_concurrency` requests in progress in a host process;
more get 503 with `Retry-After` at once, never a place in a queue, and each project has a
share of its own. Slow requests here are sleeps within the CPU deadline (they answer 200):
a share counts requests in progress, whatever they do. Each test runs against misbehave-py,
then misbehave-js."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import Started, stop_host
from tests.e2e.attacks import (
    all_at_once,
    attacker,
    good_round,
    hold_shares,
    neighbour,
    send,
    start_attack_host,
)

CPU_MS = 10_000  # out of the way: every sleep here answers 200
THREADS = 8
SHARE = 3
EXTRA = 3
SLOW = "/sleep?seconds=3"
SLEPT = (200, "slept 3 s")
BUSY = (503, "Project is at its concurrency limit; retry shortly")


@pytest.fixture(scope="module")
def shared_host(
    tmp_path_factory: pytest.TempPathFactory, compiled_cache: Path, attack_db: Path
) -> Iterator[Started]:
    """A host with 8 threads, 3 requests per project, a 10 s CPU deadline."""
    host = start_attack_host(
        tmp_path_factory.mktemp("concurrency"),
        compiled_cache,
        attack_db,
        THREADS,
        cpu_deadline_ms=CPU_MS,
        project_concurrency=SHARE,
    )
    yield host
    stop_host(host)


def test_requests_past_a_projects_share_get_503_at_once(shared_host: Started, hostile: str) -> None:
    with ThreadPoolExecutor(SHARE + EXTRA) as pool:
        refused, held = hold_shares(pool, shared_host, [attacker(hostile)], SHARE, SLOW, EXTRA)
        assert len(held) == SHARE  # every refusal came before any admitted request ended
        goods = good_round(shared_host)
        assert not any(request.done() for request in held)  # others answered meanwhile
        admitted = [request.result() for request in held]
    assert [(r.status, r.text) for r in refused] == [BUSY] * EXTRA
    assert [r.reply.header("Retry-After") for r in refused] == ["1"] * EXTRA
    assert [(r.status, r.text) for r in admitted] == [SLEPT] * SHARE
    assert [g.status for g in goods] == [200, 200]


def test_another_project_keeps_its_own_share(shared_host: Started, hostile: str) -> None:
    with ThreadPoolExecutor(SHARE + 1) as pool:
        _, held = hold_shares(pool, shared_host, [attacker(hostile)], SHARE, SLOW)
        beside = all_at_once(shared_host, [(neighbour(hostile), "/sleep?seconds=0.5")] * SHARE)
        assert not any(request.done() for request in held)  # the neighbour's came first
        admitted = [request.result() for request in held]
    assert [(r.status, r.text) for r in beside] == [(200, "slept 0.5 s")] * SHARE
    assert [(r.status, r.text) for r in admitted] == [SLEPT] * SHARE


def test_the_share_is_given_back_when_requests_end(shared_host: Started, hostile: str) -> None:
    for _ in range(2):
        replies = all_at_once(shared_host, [(attacker(hostile), "/sleep?seconds=0.5")] * SHARE)
        assert [(r.status, r.text) for r in replies] == [(200, "slept 0.5 s")] * SHARE
    assert send(shared_host, attacker(hostile), "/ok").status == 200
    good_round(shared_host)
