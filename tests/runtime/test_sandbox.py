"""The sandbox runs WAT guests: answers, body handles, and every way a guest can fail."""

import time

import pytest

from host.errors import GuestBadResponse, GuestTimedOut, GuestTrapped
from host.runtime.loader import Loader
from host.runtime.output import GuestOutput
from host.runtime.sandbox import Limits, Sandbox
from tests.runtime import wat_guests
from tests.runtime.conftest import Scope, compiled, get


def test_answers(loader: Loader, sandbox: Sandbox, scope: Scope, output: GuestOutput) -> None:
    worker = compiled(loader, wat_guests.guest(wat_guests.HELLO))
    response = sandbox.fetch(worker, scope, output, get())
    assert response.status == 200
    assert response.headers == [("content-type", "text/plain")]
    assert response.body == b"hello"


def test_body_handle_passes_through_untouched(
    loader: Loader, sandbox: Sandbox, scope: Scope, output: GuestOutput
) -> None:
    worker = compiled(loader, wat_guests.guest(wat_guests.ECHO_BODY))
    handle = scope.bodies.add(b"x" * 5_000_000)
    response = sandbox.fetch(worker, scope, output, get(body=handle))
    assert response.body == handle
    assert scope.bodies.take(handle) == b"x" * 5_000_000


def test_endless_loop_hits_the_deadline(
    loader: Loader, sandbox: Sandbox, scope: Scope, output: GuestOutput
) -> None:
    worker = compiled(loader, wat_guests.guest(wat_guests.LOOP))
    started = time.monotonic()
    with pytest.raises(GuestTimedOut):
        sandbox.fetch(worker, scope, output, get())
    assert time.monotonic() - started < 5


def test_a_flood_of_headers_is_refused_before_it_is_lifted(
    loader: Loader, sandbox: Sandbox, scope: Scope, output: GuestOutput
) -> None:
    worker = compiled(loader, wat_guests.guest(wat_guests.HEADER_BOMB))
    with pytest.raises(GuestBadResponse, match="100000 items"):
        sandbox.fetch(worker, scope, output, get())


def test_trap(loader: Loader, sandbox: Sandbox, scope: Scope, output: GuestOutput) -> None:
    worker = compiled(loader, wat_guests.guest(wat_guests.TRAP))
    with pytest.raises(GuestTrapped, match="unreachable"):
        sandbox.fetch(worker, scope, output, get())


def test_memory_stops_growing_at_the_cap(
    loader: Loader, sandbox: Sandbox, scope: Scope, output: GuestOutput
) -> None:
    worker = compiled(loader, wat_guests.guest(wat_guests.MEMORY_BOMB))
    pages = sandbox.fetch(worker, scope, output, get()).status
    assert 16 * 1024 * 1024 - 16 * 65536 < pages * 65536 <= 16 * 1024 * 1024


def test_tables_stop_growing_at_the_limit(
    loader: Loader, sandbox: Sandbox, scope: Scope, output: GuestOutput
) -> None:
    worker = compiled(loader, wat_guests.guest(wat_guests.TABLE_BOMB))
    thousands = sandbox.fetch(worker, scope, output, get()).status
    assert 90 <= thousands <= Limits().table_elements // 1000


def test_a_second_memory_is_refused(
    loader: Loader, engine: object, sandbox: Sandbox, scope: Scope, output: GuestOutput
) -> None:
    from wasmtime import wat2wasm
    from wasmtime.component import Component

    component = Component(engine, bytes(wat2wasm(wat_guests.TWO_MEMORIES)))  # type: ignore[arg-type]
    worker = compiled(loader, wat_guests.guest(wat_guests.HELLO))
    bigger = type(worker)(worker.sha256, component, worker.fetch_index)
    with pytest.raises(GuestTrapped, match="memory count too high"):
        sandbox.fetch(bigger, scope, output, get())


def test_host_functions_see_only_their_own_request(
    loader: Loader, sandbox: Sandbox, scope: Scope, output: GuestOutput
) -> None:
    worker = compiled(loader, wat_guests.BODY_SIZE)
    handle = scope.bodies.add(b"x" * 299)
    assert sandbox.fetch(worker, scope, output, get(body=handle)).status == 299
    other = Scope()
    with pytest.raises(GuestTrapped, match=f"unknown body handle {handle}"):
        sandbox.fetch(worker, other, output, get(body=handle))


def test_host_failures_never_leak_into_other_requests(
    loader: Loader, engine: object, output: GuestOutput
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    # Four threads on a busy machine: the short fixture deadline could end a call before it
    # traps, and the deadline is not what this test is about.
    sandbox = Sandbox(engine, Limits(memory_bytes=16 * 1024 * 1024))  # type: ignore[arg-type]
    asking = compiled(loader, wat_guests.BODY_SIZE)
    trapping = compiled(loader, wat_guests.guest(wat_guests.TRAP))

    def bad_handle(_: int) -> str:
        with pytest.raises(GuestTrapped) as caught:
            sandbox.fetch(asking, Scope(), output, get(body=7))
        return str(caught.value)

    def plain_trap(_: int) -> str:
        with pytest.raises(GuestTrapped) as caught:
            sandbox.fetch(trapping, Scope(), output, get())
        return str(caught.value)

    with ThreadPoolExecutor(4) as pool:
        handles = [pool.submit(bad_handle, i) for i in range(200)]
        traps = [pool.submit(plain_trap, i) for i in range(200)]
        assert all(f.result() == "unknown body handle 7" for f in handles)
        assert all("unreachable" in f.result() for f in traps)


def test_sandbox_keeps_serving_after_failures(
    loader: Loader, sandbox: Sandbox, scope: Scope, output: GuestOutput
) -> None:
    bad = compiled(loader, wat_guests.guest(wat_guests.TRAP))
    good = compiled(loader, wat_guests.guest(wat_guests.HELLO))
    for _ in range(3):
        with pytest.raises(GuestTrapped):
            sandbox.fetch(bad, scope, output, get())
        assert sandbox.fetch(good, scope, output, get()).status == 200


@pytest.mark.parametrize("size", [0, 1, 255, 70_000, 2_000_000])
def test_inline_bytes_cross_both_ways_intact(
    size: int, loader: Loader, engine: object, scope: Scope, output: GuestOutput
) -> None:
    sandbox = Sandbox(engine, Limits(memory_bytes=64 * 1024 * 1024))  # type: ignore[arg-type]
    worker = compiled(loader, wat_guests.guest(wat_guests.ECHO_BODY))
    body = bytes(i % 251 for i in range(size))
    response = sandbox.fetch(worker, scope, output, get(body=body))
    assert response.body == (body or b"")
