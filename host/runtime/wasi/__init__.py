"""The host's own WASI 0.2: a sandbox that grants nothing, and waits that honour deadlines.

wasmtime's WASI blocks a thread in a sleep or timer wait that no epoch deadline can stop, so a
guest could hold a host thread for as long as it liked. This implementation waits in Python, at
most until the call's wall-clock limit (`host.runtime.deadlines`). It grants no files, sockets,
environment or arguments; stdout and stderr go to the request's captured output; stdin is empty.
Whatever a guest imports that is not implemented here traps when called.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from wasmtime.component import LinkerInstance

from host.runtime.wasi import cli, clocks, denied, random, streams

Definer = Callable[[LinkerInstance], None]
INTERFACES: dict[str, Definer] = {
    **clocks.INTERFACES,
    **streams.INTERFACES,
    **cli.INTERFACES,
    **random.INTERFACES,
    **denied.INTERFACES,
}


def define_wasi(root: LinkerInstance, imports: Iterable[str]) -> None:
    """Define, under the exact names (and versions) imported, the WASI interfaces we implement."""
    for name in imports:
        interface, _, _version = name.partition("@")
        define = INTERFACES.get(interface)
        if define is not None:
            with root.add_instance(name) as instance:
                define(instance)
