"""A project's instances may reserve at most `project_memory_mb` in a process, serving or warm:
here two instances' worth (2 x 128 MiB), below its concurrency share of three. A third request
in progress at once would need a third instance and gets 503 with `Retry-After` at once, while
other projects are served and the project's own two requests finish. Each test runs against
misbehave-py, then misbehave-js."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import Started, stop_host
from tests.e2e.attacks import attacker, good_round, hold_shares, send, start_attack_host

THREADS = 8
SHARE = 3  # project_concurrency: more than the memory budget allows
INSTANCES = 2  # project_memory_mb / memory_limit_mb
SLOW = "/sleep?seconds=3"
SLEPT = (200, "slept 3 s")
OVER_MEMORY = (503, "Project is at its memory limit; retry shortly")


@pytest.fixture(scope="module")
def budget_host(
    tmp_path_factory: pytest.TempPathFactory, compiled_cache: Path, attack_db: Path
) -> Iterator[Started]:
    """A host whose projects may each reserve two 128 MiB instances, three requests at once."""
    host = start_attack_host(
        tmp_path_factory.mktemp("project-memory"),
        compiled_cache,
        attack_db,
        THREADS,
        cpu_deadline_ms=10_000,
        memory_limit_mb=128,
        project_memory_mb=INSTANCES * 128,
        project_concurrency=SHARE,
    )
    yield host
    stop_host(host)


def test_a_request_past_the_projects_memory_gets_503(budget_host: Started, hostile: str) -> None:
    with ThreadPoolExecutor(SHARE) as pool:
        refused, held = hold_shares(pool, budget_host, [attacker(hostile)], INSTANCES, SLOW)
        goods = good_round(budget_host)
        assert not any(request.done() for request in held)
        admitted = [request.result() for request in held]
    assert [(r.status, r.text) for r in refused] == [OVER_MEMORY]
    assert refused[0].reply.header("Retry-After") == "1"
    assert [(r.status, r.text) for r in admitted] == [SLEPT] * INSTANCES
    assert all(good.status == 200 for good in goods)
    again = send(budget_host, attacker(hostile), "/ok")
    assert (again.status, again.text) == (200, "misbehave is fine")
