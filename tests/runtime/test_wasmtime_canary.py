"""Canary: the wasmtime bug that keeps the host on wasmtime's own WASI (see SECURITY.md).

A WASI of the host's own could end a guest's sleep at a wall-clock limit, but its `poll` must
take a `list<borrow<pollable>>`, and with wasmtime 50 a host function given two or more borrowed
handles in a list makes the guest trap ("BUG: deferred host scope has no call context").
JavaScript guests always poll two pollables at once. When this test fails, wasmtime has fixed
the bug: the host's own WASI can come back.
"""

import pytest
from wasmtime import Engine, Store, Trap, WasmtimeError, wat2wasm
from wasmtime.component import Component, Linker, ResourceHost, ResourceType

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


def run(handles: int) -> int:
    """Call the guest, which hands the host a list of `handles` borrowed host resources."""
    engine = Engine()
    linker = Linker(engine)
    with linker.root() as root, root.add_instance("test:canary/handles") as handles_api:
        handles_api.add_resource("r", ResourceType.host(1), lambda _store, _rep: None)
        handles_api.add_func("make", lambda _store: ResourceHost.own(7, 1))
        handles_api.add_func(
            "count", lambda store, items: len([item.to_host(store).rep for item in items])
        )
    store = Store(engine)
    instance = linker.instantiate(store, Component(engine, wat2wasm(GUEST)))
    func = instance.get_func(store, "run")
    assert func is not None
    result: int = func(store, handles)
    return result


@pytest.mark.parametrize("handles", [0, 1])
def test_a_list_of_at_most_one_borrowed_handle_works(handles: int) -> None:
    assert run(handles) == handles


def test_a_list_of_two_borrowed_handles_still_traps_in_wasmtime_50() -> None:
    try:
        run(2)
    except (Trap, WasmtimeError) as error:
        assert "deferred host scope has no call context" in str(error)
    else:
        pytest.fail(
            "wasmtime now takes two borrowed handles in a list: a WASI of the host's own can"
            " end sleeping guests at a wall-clock limit (see SECURITY.md, Known gaps)"
        )
