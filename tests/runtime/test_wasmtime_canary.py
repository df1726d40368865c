"""Borrowed handles in a list, which the host's own WASI `poll` takes from every JS guest.

With wasmtime 50 and concurrency support on (wasmtime's default), a host function given two or
more borrowed handles in a list makes the guest trap ("BUG: deferred host scope has no call
context"). The host's engine turns concurrency support off, and then they pass. The canary
fails once wasmtime fixes the bug, to say the setting is no longer needed for this.
"""

import pytest
from wasmtime import Config, Engine, Store, Trap, WasmtimeError, wat2wasm
from wasmtime import _ffi as ffi
from wasmtime.component import Component, Linker, ResourceHost, ResourceType

from host.runtime.engine import create_engine

GUEST = r"""
(component
  (import "test:canary/handles" (instance $h
    (export "r" (type $r (sub resource)))
    (export "make" (func (result (own $r))))
    (export "count" (func (param "in" (list (borrow $r))) (result u32)))))
  (alias export $h "r" (type $r))
  (alias export $h "make" (func $make))
  (alias export $h "count" (func $count))
  (core module $mem (memory (export "mem") 1))
  (core instance $mem (instantiate $mem))
  (core func $make_c (canon lower (func $make)))
  (core func $count_c (canon lower (func $count) (memory (core memory $mem "mem"))))
  (core func $drop_c (canon resource.drop $r))
  (core module $m
    (import "mem" "mem" (memory 1))
    (import "h" "make" (func $make (result i32)))
    (import "h" "count" (func $count (param i32 i32) (result i32)))
    (import "h" "drop" (func $drop (param i32)))
    (func (export "run") (param $n i32) (result i32)
      (local $i i32) (local $result i32)
      (loop $fill
        (if (i32.lt_u (local.get $i) (local.get $n)) (then
          (i32.store (i32.add (i32.const 100) (i32.mul (local.get $i) (i32.const 4)))
                     (call $make))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $fill))))
      (local.set $result (call $count (i32.const 100) (local.get $n)))
      (local.set $i (i32.const 0))
      (loop $empty
        (if (i32.lt_u (local.get $i) (local.get $n)) (then
          (call $drop (i32.load (i32.add (i32.const 100) (i32.mul (local.get $i) (i32.const 4)))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $empty))))
      (local.get $result)))
  (core instance $i (instantiate $m (with "mem" (instance $mem))
    (with "h" (instance (export "make" (func $make_c)) (export "count" (func $count_c))
                        (export "drop" (func $drop_c))))))
  (func (export "run") (param "n" u32) (result u32) (canon lift (core func $i "run"))))
"""


def wasmtime_default_engine() -> Engine:
    """An engine as wasmtime configures it by default (concurrency support on)."""
    config = Config()
    ffi.wasmtime_config_concurrency_support_set(config.ptr(), True)
    return Engine(config)


def run(engine: Engine, handles: int) -> int:
    """Call the guest, which hands the host a list of `handles` borrowed host resources."""
    linker = Linker(engine)
    with linker.root() as root, root.add_instance("test:canary/handles") as handles_api:
        handles_api.add_resource("r", ResourceType.host(1), lambda _store, _rep: None)
        handles_api.add_func("make", lambda _store: ResourceHost.own(7, 1))
        handles_api.add_func(
            "count", lambda store, items: len([item.to_host(store).rep for item in items])
        )
    store = Store(engine)
    store.set_epoch_deadline(1_000_000)  # the host's engine interrupts by epoch; no ticker here
    instance = linker.instantiate(store, Component(engine, wat2wasm(GUEST)))
    func = instance.get_func(store, "run")
    assert func is not None
    result: int = func(store, handles)
    return result


@pytest.mark.parametrize("handles", [0, 1, 2, 50])
def test_the_hosts_engine_takes_lists_of_borrowed_handles(handles: int) -> None:
    assert run(create_engine(), handles) == handles


def test_with_concurrency_support_on_two_borrowed_handles_still_trap_in_wasmtime_50() -> None:
    try:
        run(wasmtime_default_engine(), 2)
    except (Trap, WasmtimeError) as error:
        assert "deferred host scope has no call context" in str(error)
    else:
        pytest.fail(
            "wasmtime now takes two borrowed handles in a list with concurrency support on:"
            " host/runtime/engine.py need not turn it off for the host's WASI any more"
        )
