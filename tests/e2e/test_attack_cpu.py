"""Guests that spin, recurse without end, allocate without end or trap, many at once: each gets
its 5xx by its CPU deadline, and a good project keeps answering meanwhile. Each test runs
against misbehave-py, then misbehave-js."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Started, stop_host
from tests.e2e.attacks import (
    LONG_RUNNER_STRETCH,
    attacker,
    good_round,
    neighbour,
    slowest,
    start_attack_host,
    under_attack,
)

CPU_MS = 1000
THREADS = 8
CPU_CUT = (503, "Worker exceeded its CPU time limit")
THREW = (500, "Worker threw an exception")


@pytest.fixture(scope="module")
def busy_host(
    tmp_path_factory: pytest.TempPathFactory, compiled_cache: Path, attack_db: Path
) -> Iterator[Started]:
    """A host with a 1 s CPU deadline and 8 threads."""
    work = tmp_path_factory.mktemp("cpu")
    host = start_attack_host(work, compiled_cache, attack_db, THREADS, cpu_deadline_ms=CPU_MS)
    yield host
    stop_host(host)


def test_endless_loops_on_most_threads_end_at_their_deadline(
    busy_host: Started, hostile: str
) -> None:
    loops = [(project, "/loop") for project in (attacker(hostile), neighbour(hostile))] * 3
    replies, goods = under_attack(busy_host, loops)
    assert [(r.status, r.text) for r in replies] == [CPU_CUT] * len(loops)
    assert slowest(replies) < LONG_RUNNER_STRETCH * CPU_MS / 1000
    assert all(good.status == 200 for good in goods)


@pytest.mark.parametrize(
    ("path", "answers"),
    [
        (
            "/recurse",
            {THREW, CPU_CUT},
        ),  # a stack overflow, or frames on the heap until the deadline
        ("/alloc", {THREW, CPU_CUT}),  # the memory cap, or the deadline while allocating
        ("/trap", {THREW}),
    ],
)
def test_recursion_allocation_and_traps_answer_5xx(
    busy_host: Started, hostile: str, path: str, answers: set[tuple[int, str]]
) -> None:
    replies, goods = under_attack(busy_host, [(attacker(hostile), path)] * 4)
    assert {(r.status, r.text) for r in replies} <= answers
    assert slowest(replies) < 2 * CPU_MS / 1000
    assert all(good.status == 200 for good in goods)
    good_round(busy_host)
