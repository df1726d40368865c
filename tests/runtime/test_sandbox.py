"""The sandbox runs WAT guests: answers, body handles, and every way a guest can fail."""

import time

import pytest

from host.errors import GuestTimedOut, GuestTrapped
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


@pytest.mark.parametrize("body", [wat_guests.TRAP, wat_guests.MEMORY_BOMB])
def test_trap_and_memory_bomb(
    body: str, loader: Loader, sandbox: Sandbox, scope: Scope, output: GuestOutput
) -> None:
    worker = compiled(loader, wat_guests.guest(body))
    with pytest.raises(GuestTrapped, match="unreachable"):
        sandbox.fetch(worker, scope, output, get())


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
