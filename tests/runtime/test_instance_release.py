"""A retired instance gives its memory back at once: nothing waits for the garbage collector,
and nothing that still refers to the instance (a traceback, a cycle) keeps its memory."""

import gc
import os
import weakref

import pytest
from wasmtime import Engine

from host.errors import GuestError, GuestTrapped
from host.runtime.loader import Loader
from host.runtime.output import GuestOutput
from host.runtime.sandbox import Limits, Sandbox
from tests.runtime import wat_guests
from tests.runtime.conftest import Scope, compiled, get

MIB = 1024 * 1024
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def rss() -> int:
    """This process's resident set size in bytes."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE_SIZE


def test_a_dropped_instance_is_freed_at_once(engine: Engine, loader: Loader) -> None:
    sandbox = Sandbox(engine, Limits())
    instance = sandbox._new_instance(compiled(loader, wat_guests.guest(wat_guests.HELLO)), Limits())
    gone = weakref.ref(instance)
    gc.disable()  # no cycle collector: reference counting alone must free it (and its memory)
    try:
        del instance
        assert gone() is None
    finally:
        gc.enable()


@pytest.mark.parametrize(
    "worker",
    [
        wat_guests.guest(wat_guests.LOOP),
        wat_guests.guest(wat_guests.TRAP),
        wat_guests.BODY_SIZE,  # asks for the size of a body it has not got: a host call fails
    ],
    ids=["loop", "trap", "host-call-failed"],
)
def test_an_instance_that_failed_is_freed_at_once_too(
    engine: Engine, loader: Loader, scope: Scope, output: GuestOutput, worker: str
) -> None:
    sandbox = Sandbox(engine, Limits(cpu_deadline_ms=50))
    compiled_worker = compiled(loader, worker)
    gc.collect()
    gc.disable()  # no cycle collector: a failure kept with its traceback must not hold it
    try:
        failed = False
        try:
            with sandbox.lease(compiled_worker, None) as lease:
                gone = weakref.ref(lease._instance)
                lease.fetch(scope, output, get())
        except GuestError:
            failed = True  # (not kept: a traceback would hold the frames)
        del lease
        assert failed and gone() is None
    finally:
        gc.enable()


def test_a_retired_instance_gives_its_memory_back_while_still_referred_to(
    engine: Engine, loader: Loader, scope: Scope, output: GuestOutput
) -> None:
    sandbox = Sandbox(engine, Limits())
    worker = compiled(loader, wat_guests.guest(wat_guests.FILL_64_MIB))
    before = rss()
    with sandbox.lease(worker, None) as lease:
        assert lease.fetch(scope, output, get()).status == 200
        filled = rss()
    kept = lease._instance  # as a traceback or a reference cycle would keep it
    after = rss()
    assert filled - before >= 60 * MIB
    assert filled - after >= 60 * MIB, "the retired instance's 64 MiB are still resident"
    with pytest.raises(GuestTrapped, match="retired"):
        kept.call(scope, output, get())
