"""A thread's stack pages that a failed guest call touched are given back: a guest that
overflows its stack does not leave half a megabyte resident in every request thread."""

import json
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from wasmtime import Engine

from host.errors import GuestTrapped
from host.runtime import thread_stack
from host.runtime.loader import Loader
from host.runtime.output import GuestOutput
from host.runtime.sandbox import Limits, Sandbox
from tests.runtime import wat_guests
from tests.runtime.conftest import Scope, compiled, get

KIB = 1024
NESTED = "[" * 20_000 + "]" * 20_000  # json parses nested lists by recursing in C


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


def in_new_thread(work: Callable[[], object]) -> object:
    """What `work` returns when run in a thread of its own (whose stack nothing else used)."""
    results: list[object] = []
    thread = threading.Thread(target=lambda: results.append(work()))
    thread.start()
    thread.join()
    return results[0]


def parse_deeply() -> None:
    """Recurse in C through a deep part of the stack (RecursionError ends it)."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(100_000)
    try:
        json.loads(NESTED)
    except RecursionError:
        pass
    finally:
        sys.setrecursionlimit(limit)


pytestmark = pytest.mark.skipif(thread_stack._libc is None, reason="needs glibc's calls")


def test_pages_below_the_current_frame_are_given_back() -> None:
    def work() -> tuple[int, int, int]:
        parse_deeply()
        deep = stack_resident()
        given = thread_stack.give_back_unused()
        parse_deeply()  # the thread goes on using its stack as before
        return deep, given, stack_resident() - deep

    deep, given, regrown = in_new_thread(work)  # type: ignore[misc]
    assert deep > 1024 * KIB and given > 1024 * KIB
    assert abs(regrown) < 64 * KIB  # the pages given back came back zeroed, on demand


def test_nothing_above_the_current_frame_is_touched() -> None:
    def work() -> int:
        parse_deeply()
        thread_stack.give_back_unused()
        return stack_resident()

    resident = in_new_thread(work)
    assert isinstance(resident, int)
    assert resident < thread_stack.MARGIN + 64 * KIB  # the frames in use, and the margin


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

    message, grown = in_new_thread(work)  # type: ignore[misc]
    assert "call stack exhausted" in message  # it went 512 KiB deep (max_wasm_stack)
    assert grown < 128 * KIB
