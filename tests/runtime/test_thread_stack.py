"""A thread's stack pages that a failed guest call touched are given back: a guest that
overflows its stack does not leave half a megabyte resident in every request thread."""

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest
from wasmtime import Engine, Func, FuncType, Instance, Module, Store, Trap

from host.errors import GuestTrapped
from host.runtime import thread_stack
from host.runtime.loader import Loader
from host.runtime.output import GuestOutput
from host.runtime.sandbox import Limits, Sandbox
from tests.runtime import wat_guests
from tests.runtime.conftest import Scope, compiled, get

KIB = 1024
DEPTH = 5000
# `down(n)` adds n + (n-1) + ... + 0 on its way back up, after calling the host's `here` from
# the bottom; `forever` recurses until wasmtime's stack limit (512 KiB) traps it.
DEEP_WAT = """
(module
  (import "host" "here" (func $here))
  (func $down (export "down") (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (call $here) (i32.const 0))
      (else (i32.add (local.get $n) (call $down (i32.sub (local.get $n) (i32.const 1)))))))
  (func $forever (export "forever") (result i32)
    (i32.add (i32.const 1) (call $forever))))
"""
T = TypeVar("T")

pytestmark = pytest.mark.skipif(
    thread_stack._libc is None or thread_stack.stack_pointer() is None,
    reason="needs pthread_getattr_np and /proc/thread-self/syscall (Linux with glibc)",
)


class Deep:
    """DEEP_WAT instantiated in a Store of its own, `here` calling `at_bottom`."""

    def __init__(self, engine: Engine, at_bottom: Callable[[], None]) -> None:
        self.store = Store(engine)
        self.store.set_epoch_deadline(1_000_000)
        here = Func(self.store, FuncType([], []), at_bottom)
        exports = Instance(self.store, Module(engine, DEEP_WAT), [here]).exports(self.store)
        self.down, self.forever = exports["down"], exports["forever"]

    def overflow(self) -> None:
        """Recurse until the stack runs out."""
        with pytest.raises(Trap, match="call stack exhausted"):
            self.forever(self.store)  # type: ignore[operator]


def stack_resident() -> int:
    """Bytes of the calling thread's stack that are resident, from /proc/self/smaps."""
    bounds = thread_stack._stack_bounds(thread_stack._libc)  # type: ignore[arg-type]
    assert bounds is not None
    lowest, highest = bounds
    lines = Path("/proc/self/smaps").read_text().splitlines()
    for number, line in enumerate(lines):
        first = line.split()[0]
        if "-" in first and not first.endswith(":"):
            start, end = (int(address, 16) for address in first.split("-"))
            if start <= lowest < end or start < highest <= end:
                rss = next(row for row in lines[number + 1 :] if row.startswith("Rss:"))
                return int(rss.split()[1]) * KIB
    raise AssertionError("the thread's stack is not mapped")


def in_new_thread(work: Callable[[], T]) -> T:
    """What `work` returns when run in a thread of its own (whose stack nothing else used)."""
    results: list[T] = []
    thread = threading.Thread(target=lambda: results.append(work()))
    thread.start()
    thread.join()
    return results[0]


def test_the_pages_a_guest_touched_are_given_back(engine: Engine) -> None:
    deep = Deep(engine, lambda: None)

    def work() -> tuple[int, int, int]:
        before = stack_resident()
        deep.overflow()
        touched = stack_resident() - before
        thread_stack.give_back_unused()
        kept = stack_resident() - before
        deep.overflow()  # the thread goes on using its stack as before
        return touched, kept, stack_resident() - before

    touched, kept, again = in_new_thread(work)
    assert touched >= 500 * KIB and kept < 64 * KIB
    assert again >= 500 * KIB  # (given back pages come back, zeroed, on demand)


def test_the_frames_in_use_are_kept(engine: Engine) -> None:
    given: list[int] = []

    def at_bottom() -> None:
        given.append(thread_stack.give_back_unused())

    deep = Deep(engine, at_bottom)
    total = in_new_thread(lambda: deep.down(deep.store, DEPTH))  # type: ignore[operator]
    assert given[0] > 0  # below the host function's frame, 5,000 wasm frames down
    assert total == DEPTH * (DEPTH + 1) // 2  # and every frame above it came back intact


def test_nothing_is_given_back_on_the_main_thread() -> None:
    assert threading.current_thread() is threading.main_thread()
    assert thread_stack.give_back_unused() == 0


def test_a_guest_that_overflowed_its_stack_leaves_no_pages_behind(
    engine: Engine, loader: Loader, scope: Scope, output: GuestOutput
) -> None:
    sandbox = Sandbox(engine, Limits())
    worker = compiled(loader, wat_guests.guest(wat_guests.RECURSE))

    def work() -> tuple[str, int]:
        before = stack_resident()
        with pytest.raises(GuestTrapped) as trapped, sandbox.lease(worker, None) as lease:
            lease.fetch(scope, output, get())
        return str(trapped.value), stack_resident() - before

    message, grown = in_new_thread(work)
    assert "call stack exhausted" in message  # it went 512 KiB deep (max_wasm_stack)
    assert grown < 64 * KIB
