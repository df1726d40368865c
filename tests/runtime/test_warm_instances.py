"""Warm instances: reused for their project's deployment, never carrying a request's state over."""

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from host.errors import GuestBadResponse, GuestTimedOut, GuestTrapped
from host.runtime.bodies import BodyTable
from host.runtime.loader import CompiledWorker, Loader
from host.runtime.output import GuestOutput
from host.runtime.pool import PoolLimits
from host.runtime.sandbox import Limits, PoolKey, Sandbox
from host.runtime.values import WitRequest, WitResponse
from tests.runtime import wat_guests
from tests.runtime.conftest import Scope, compiled

KEY = PoolKey("p", "deployment-1")


def serve(
    sandbox: Sandbox,
    worker: CompiledWorker,
    key: PoolKey | None = KEY,
    method: str = "GET",
    body: bytes | None = None,
) -> WitResponse:
    """One request through a lease, as the web layer makes it; the answer's body is taken."""
    with sandbox.lease(worker, key) as lease:
        scope = Scope(bodies=BodyTable(1 << 20, lease.first_handle))
        handle = scope.bodies.add(body) if body is not None else None
        request = WitRequest(method, "http://p.localhost/", [], handle)
        answer = lease.fetch(scope, GuestOutput("p", 1024), request)
        if isinstance(answer.body, int):
            answer.body = scope.bodies.take(answer.body)
        return answer


@pytest.fixture
def counter(loader: Loader) -> CompiledWorker:
    """The guest that counts the requests its instance served (and traps on POST)."""
    return compiled(loader, wat_guests.guest(wat_guests.COUNT))


def test_an_instance_serves_its_project_again(sandbox: Sandbox, counter: CompiledWorker) -> None:
    statuses = [serve(sandbox, counter).status for _ in range(3)]
    assert statuses == [201, 202, 203]
    assert sandbox.pool.count("p") == 1


def test_strict_isolation_makes_a_fresh_instance_each_time(
    sandbox: Sandbox, counter: CompiledWorker
) -> None:
    statuses = [serve(sandbox, counter, key=None).status for _ in range(3)]
    assert statuses == [201, 201, 201]
    assert len(sandbox.pool) == 0


def test_a_trapped_instance_is_never_reused(sandbox: Sandbox, counter: CompiledWorker) -> None:
    assert serve(sandbox, counter).status == 201
    with pytest.raises(GuestTrapped):
        serve(sandbox, counter, method="POST")
    assert sandbox.pool.count("p") == 0
    assert serve(sandbox, counter).status == 201


def test_an_instance_that_timed_out_is_never_reused(
    sandbox: Sandbox, loader: Loader, counter: CompiledWorker
) -> None:
    looping = compiled(loader, wat_guests.guest(wat_guests.LOOP))
    with pytest.raises(GuestTimedOut):
        serve(sandbox, looping)
    assert sandbox.pool.count("p") == 0


def test_each_request_gets_its_own_deadline(sandbox: Sandbox, counter: CompiledWorker) -> None:
    assert serve(sandbox, counter).status == 201
    time.sleep(0.4)  # twice the deadline: the epoch moves on while the instance waits
    assert serve(sandbox, counter).status == 202


def test_a_kept_handle_never_names_a_later_requests_body(sandbox: Sandbox, loader: Loader) -> None:
    keeper = compiled(loader, wat_guests.guest(wat_guests.KEEP_FIRST_BODY))
    assert serve(sandbox, keeper, body=b"first request's secret").body == b"first request's secret"
    with pytest.raises(GuestBadResponse, match="unknown body handle 1"):
        serve(sandbox, keeper, body=b"second request's body")


def test_retired_after_its_share_of_requests(engine: object, loader: Loader) -> None:
    sandbox = Sandbox(engine, Limits(max_requests=2))  # type: ignore[arg-type]
    counter = compiled(loader, wat_guests.guest(wat_guests.COUNT))
    statuses = [serve(sandbox, counter).status for _ in range(5)]
    assert statuses == [201, 202, 201, 202, 201]


def test_a_new_deployment_drops_the_old_ones_instances(
    sandbox: Sandbox, counter: CompiledWorker
) -> None:
    serve(sandbox, counter)
    assert serve(sandbox, counter, key=PoolKey("p", "deployment-2")).status == 201
    assert serve(sandbox, counter).status == 201


def test_projects_never_share_instances(sandbox: Sandbox, counter: CompiledWorker) -> None:
    assert serve(sandbox, counter, key=PoolKey("a", "1")).status == 201
    assert serve(sandbox, counter, key=PoolKey("b", "1")).status == 201
    assert serve(sandbox, counter, key=PoolKey("a", "1")).status == 202


def test_pool_keeps_the_most_recently_used_within_its_bounds(
    engine: object, loader: Loader
) -> None:
    limits = PoolLimits(per_project=2, total=3)
    sandbox = Sandbox(engine, Limits(), limits)  # type: ignore[arg-type]
    counter = compiled(loader, wat_guests.guest(wat_guests.COUNT))
    for project in ("a", "b", "c"):
        serve(sandbox, counter, key=PoolKey(project, "1"))
    assert len(sandbox.pool) == 3
    serve(sandbox, counter, key=PoolKey("d", "1"))
    assert len(sandbox.pool) == 3
    assert sandbox.pool.count("a") == 0  # least recently used project went first
    d = PoolKey("d", "1")
    with sandbox.lease(counter, d), sandbox.lease(counter, d), sandbox.lease(counter, d):
        pass  # three at once; only two stay
    assert sandbox.pool.count("d") == 2


def test_instances_idle_too_long_are_dropped(engine: object, loader: Loader) -> None:
    sandbox = Sandbox(engine, Limits(), PoolLimits(idle_seconds=0.2))  # type: ignore[arg-type]
    counter = compiled(loader, wat_guests.guest(wat_guests.COUNT))
    a = PoolKey("a", "1")
    with sandbox.lease(counter, a), sandbox.lease(counter, a):
        pass  # two at once: both kept
    assert sandbox.pool.count("a") == 2
    time.sleep(0.3)
    serve(sandbox, counter, key=PoolKey("b", "1"))  # any instance given back sweeps them all
    assert (sandbox.pool.count("a"), sandbox.pool.count("b")) == (0, 1)


def test_memory_budget_drops_idle_instances(engine: object, loader: Loader) -> None:
    sandbox = Sandbox(engine, Limits(), PoolLimits(max_rss_bytes=1))  # type: ignore[arg-type]
    counter = compiled(loader, wat_guests.guest(wat_guests.COUNT))
    assert [serve(sandbox, counter).status for _ in range(2)] == [201, 201]
    assert len(sandbox.pool) == 0


def test_threads_share_a_small_pool_safely(engine: object, loader: Loader) -> None:
    sandbox = Sandbox(engine, Limits(), PoolLimits(per_project=1, total=2))  # type: ignore[arg-type]
    counter = compiled(loader, wat_guests.guest(wat_guests.COUNT))
    keys = [PoolKey(project, "1") for project in ("a", "b", "c")]

    def requests(worker_index: int) -> list[int]:
        return [serve(sandbox, counter, key=keys[(worker_index + n) % 3]).status for n in range(60)]

    with ThreadPoolExecutor(4) as threads:
        statuses = [s for result in threads.map(requests, range(4)) for s in result]
    assert len(statuses) == 240
    served = Counter(status - 200 for status in statuses)  # n: how many instances served n
    assert all(served[n] >= served[n + 1] for n in range(1, max(served)))  # each counted 1..k
    assert len(sandbox.pool) <= 2
    assert all(sandbox.pool.count(key.project_id) <= 1 for key in keys)
