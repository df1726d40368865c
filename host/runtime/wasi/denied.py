"""wasi:filesystem and wasi:sockets: no directories, and every socket refused.

A guest asking for files sees no preopened directory; one making a socket or resolving a name
gets `access-denied`, so its language's own error handling runs instead of a trap. Everything
else in these interfaces is reachable only through a descriptor or socket it cannot get.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wasmtime.component import LinkerInstance, ResourceAny, ResourceHost

from host.runtime.wasi.state import Kind, WasiState, add_resource, wasi_function

# `result<own<socket>, error-code>` is untagged in wasmtime-py: the error is the enum's name.
DENIED = "access-denied"


@dataclass(frozen=True)
class Network:
    """The network handle every guest may hold, and can do nothing with."""


@wasi_function
def _directories(_state: WasiState, _store: Any) -> list[Any]:
    """preopens.get-directories(): none."""
    return []


@wasi_function
def _instance_network(state: WasiState, _store: Any) -> ResourceHost:
    """instance-network.instance-network() -> network."""
    return state.own(Network(), Kind.NETWORK)


@wasi_function
def _create_socket(_state: WasiState, _store: Any, _family: str) -> str:
    """tcp/udp-create-socket.create-*-socket(family): access denied."""
    return DENIED


@wasi_function
def _resolve(state: WasiState, store: Any, network: ResourceAny, _name: str) -> str:
    """ip-name-lookup.resolve-addresses(network, name): access denied."""
    state.get(store, network, Network)
    return DENIED


def _define_preopens(instance: LinkerInstance) -> None:
    """wasi:filesystem/preopens."""
    instance.add_func("get-directories", _directories)


def _define_network(instance: LinkerInstance) -> None:
    """wasi:sockets/network."""
    add_resource(instance, "network", Kind.NETWORK)


def _define_instance_network(instance: LinkerInstance) -> None:
    """wasi:sockets/instance-network."""
    instance.add_func("instance-network", _instance_network)


def _define_create(name: str) -> Any:
    """A definer of tcp-create-socket or udp-create-socket."""

    def define(instance: LinkerInstance) -> None:
        instance.add_func(f"create-{name}-socket", _create_socket)

    return define


def _define_lookup(instance: LinkerInstance) -> None:
    """wasi:sockets/ip-name-lookup."""
    instance.add_func("resolve-addresses", _resolve)


INTERFACES = {
    "wasi:filesystem/preopens": _define_preopens,
    "wasi:sockets/network": _define_network,
    "wasi:sockets/instance-network": _define_instance_network,
    "wasi:sockets/tcp-create-socket": _define_create("tcp"),
    "wasi:sockets/udp-create-socket": _define_create("udp"),
    "wasi:sockets/ip-name-lookup": _define_lookup,
}
