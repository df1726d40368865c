"""A project's instances reserve their memory cap from its budget while they exist, serving or
kept warm; past the budget a request that needs a fresh instance is refused, and every instance
dropped (trapped, retired, replaced by a redeploy, dropped from the pool) gives its share back."""

from contextlib import ExitStack

import pytest

from host.errors import ProjectOverMemory
from host.runtime.loader import CompiledWorker, Loader
from host.runtime.pool import PoolLimits
from host.runtime.sandbox import Lease, Limits, PoolKey, Sandbox
from tests.runtime import wat_guests
from tests.runtime.conftest import compiled
from tests.runtime.test_warm_instances import serve

MIB = 1024 * 1024
CAP = 16 * MIB  # one instance's memory limit
P, Q = PoolKey("p", "deployment-1"), PoolKey("q", "deployment-1")


@pytest.fixture
def two_per_project(engine: object) -> Sandbox:
    """A sandbox whose projects may each reserve two instances' memory."""
    return Sandbox(engine, Limits(memory_bytes=CAP), PoolLimits(), 2 * CAP)  # type: ignore[arg-type]


@pytest.fixture
def counter(loader: Loader) -> CompiledWorker:
    """The guest that counts the requests its instance served (and traps on POST)."""
    return compiled(loader, wat_guests.guest(wat_guests.COUNT))


def held(stack: ExitStack, sandbox: Sandbox, worker: CompiledWorker, key: PoolKey) -> Lease:
    """A lease kept open until the stack closes (a request still in progress)."""
    return stack.enter_context(sandbox.lease(worker, key))


def test_a_project_past_its_budget_is_refused_and_others_are_not(
    two_per_project: Sandbox, counter: CompiledWorker
) -> None:
    with ExitStack() as requests:
        held(requests, two_per_project, counter, P)
        held(requests, two_per_project, counter, P)
        with pytest.raises(ProjectOverMemory, match="32 MiB"):
            held(requests, two_per_project, counter, P)
        held(requests, two_per_project, counter, Q)
        assert two_per_project.project_memory.reserved("p") == 2 * CAP


def test_warm_instances_keep_their_share_and_are_lent_first(
    two_per_project: Sandbox, counter: CompiledWorker
) -> None:
    for _ in range(2):
        with ExitStack() as requests:
            held(requests, two_per_project, counter, P)
            held(requests, two_per_project, counter, P)
    assert two_per_project.pool.count("p") == 2
    assert two_per_project.project_memory.reserved("p") == 2 * CAP
    assert serve(two_per_project, counter, P).status == 201  # lent a warm one: no refusal
    assert two_per_project.pool.count("p") == 2
    assert two_per_project.project_memory.reserved("p") == 2 * CAP


def test_every_dropped_instance_gives_its_share_back(
    two_per_project: Sandbox, counter: CompiledWorker
) -> None:
    budget = two_per_project.project_memory
    with pytest.raises(Exception, match="unreachable"):
        serve(two_per_project, counter, P, method="POST")  # traps: dropped
    assert budget.reserved("p") == 0
    serve(two_per_project, counter, P)
    serve(two_per_project, counter, PoolKey("p", "deployment-2"))  # the old one is replaced
    assert budget.reserved("p") == CAP
    assert two_per_project.pool.drop_project("p") == 1
    assert budget.reserved("p") == 0


def test_retired_instances_give_their_share_back(engine: object, counter: CompiledWorker) -> None:
    limits = Limits(memory_bytes=CAP, max_requests=1)
    sandbox = Sandbox(engine, limits, PoolLimits(), CAP)  # type: ignore[arg-type]
    assert [serve(sandbox, counter, P).status for _ in range(3)] == [201, 201, 201]
    assert sandbox.project_memory.reserved("p") == 0


def test_the_pool_giving_up_instances_gives_their_share_back(
    engine: object, counter: CompiledWorker
) -> None:
    pool = PoolLimits(per_project=1, total=1)
    sandbox = Sandbox(engine, Limits(memory_bytes=CAP), pool, CAP)  # type: ignore[arg-type]
    serve(sandbox, counter, P)
    serve(sandbox, counter, Q)  # the pool keeps one instance in all: p's is dropped
    assert (sandbox.project_memory.reserved("p"), sandbox.project_memory.reserved("q")) == (0, CAP)
    serve(sandbox, counter, P)


def test_a_deployment_with_a_smaller_memory_limit_fits_more_instances(
    two_per_project: Sandbox, counter: CompiledWorker
) -> None:
    small = Limits(memory_bytes=CAP // 2)
    with ExitStack() as requests:
        for _ in range(4):
            requests.enter_context(two_per_project.lease(counter, P, small))
        with pytest.raises(ProjectOverMemory):
            requests.enter_context(two_per_project.lease(counter, P, small))


def test_leases_under_many_threads_leave_nothing_reserved(
    two_per_project: Sandbox, counter: CompiledWorker
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def request(n: int) -> str:
        try:
            return str(serve(two_per_project, counter, P, method="POST" if n % 3 else "GET").status)
        except ProjectOverMemory:
            return "refused"
        except Exception:
            return "trapped"

    with ThreadPoolExecutor(4) as threads:
        outcomes = set(threads.map(request, range(300)))
    assert "trapped" in outcomes
    two_per_project.pool.drop_project("p")
    assert two_per_project.project_memory.reserved("p") == 0


def test_strict_isolation_instances_count_too_and_are_never_kept(
    two_per_project: Sandbox, counter: CompiledWorker
) -> None:
    with ExitStack() as requests:
        for _ in range(2):
            requests.enter_context(two_per_project.lease(counter, P, keep=False))
        with pytest.raises(ProjectOverMemory):
            requests.enter_context(two_per_project.lease(counter, P, keep=False))
    assert two_per_project.project_memory.reserved("p") == 0
    assert two_per_project.pool.count("p") == 0
