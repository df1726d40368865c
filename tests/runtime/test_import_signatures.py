"""A guest may declare a host import with any signature (only names are checked at deploy):
the host refuses a call whose signature is not the one it implements, with a trap, and what
one component declared never changes how the host reads another component's calls."""

import pytest
from wasmtime import Engine

from host.errors import GuestTrapped
from host.runtime.loader import CompiledWorker, Loader
from host.runtime.output import GuestOutput
from host.runtime.sandbox import Limits, Sandbox
from tests.runtime import wat_guests
from tests.runtime.conftest import Scope, compiled, get

CLOCK = "wasi:clocks/monotonic-clock@0.2.0"


def clock_guest(loader: Loader, signature: str, core_type: str, call: str) -> CompiledWorker:
    """A WAT guest importing monotonic-clock's `now` as `signature` and calling it per `call`."""
    imports = (
        f"""
  (import "{CLOCK}" (instance $clock (export "now" (func {signature}))))
  (alias export $clock "now" (func $now))
  (core func $now_c (canon lower (func $now)))
  (core instance $wasi (export "now" (func $now_c)))""",
        f"""
    (import "wasi" "now" (func $now {core_type}))""",
        """(with "wasi" (instance $wasi))""",
    )
    return compiled(loader, wat_guests.guest(f"{call} i32.const 64", imports=imports))


@pytest.fixture
def sandbox(engine: Engine) -> Sandbox:
    """A sandbox with a short CPU deadline."""
    return Sandbox(engine, Limits(cpu_deadline_ms=500))


def honest(loader: Loader) -> CompiledWorker:
    """`now: func() -> u64`, as WASI declares it."""
    return clock_guest(loader, "(result u64)", "(result i64)", "(drop (call $now))")


@pytest.mark.parametrize(
    ("signature", "core_type", "call"),
    [
        ("", "", "(call $now)"),  # no result: the fast path must not write one
        (
            '(param "x" u32) (result u32)',
            "(param i32) (result i32)",
            "(drop (call $now (i32.const 7)))",
        ),
    ],
)
def test_an_import_declared_with_another_signature_traps(
    loader: Loader,
    sandbox: Sandbox,
    scope: Scope,
    output: GuestOutput,
    signature: str,
    core_type: str,
    call: str,
) -> None:
    liar = clock_guest(loader, signature, core_type, call)
    with pytest.raises(GuestTrapped):
        sandbox.fetch(liar, scope, output, get())
    assert sandbox.fetch(honest(loader), Scope(), output, get()).status == 200


def test_the_first_caller_does_not_decide_how_others_are_read(
    loader: Loader, sandbox: Sandbox, scope: Scope, output: GuestOutput
) -> None:
    liar = clock_guest(
        loader, '(param "x" u32) (result u32)', "(param i32) (result i32)",
        "(drop (call $now (i32.const 7)))",
    )  # fmt: skip
    for _ in range(2):
        with pytest.raises(GuestTrapped):
            sandbox.fetch(liar, Scope(), output, get())
        assert sandbox.fetch(honest(loader), Scope(), output, get()).status == 200
