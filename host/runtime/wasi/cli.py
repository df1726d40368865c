"""wasi:cli environment, exit and terminals: an empty environment, no arguments, no terminal."""

from __future__ import annotations

from typing import Any

from wasmtime import WasmtimeError
from wasmtime.component import LinkerInstance

from host.runtime.wasi.state import Kind, WasiState, add_resource, wasi_function


@wasi_function
def _environment(_state: WasiState, _store: Any) -> list[tuple[str, str]]:
    """environment.get-environment(): nothing."""
    return []


@wasi_function
def _arguments(_state: WasiState, _store: Any) -> list[str]:
    """environment.get-arguments(): nothing."""
    return []


@wasi_function
def _initial_cwd(_state: WasiState, _store: Any) -> None:
    """environment.initial-cwd(): none."""
    return None


@wasi_function
def _exit(_state: WasiState, _store: Any, _status: Any) -> None:
    """exit.exit(status): ends the call (a worker has no process to end)."""
    raise WasmtimeError("the worker called exit")


@wasi_function
def _no_terminal(_state: WasiState, _store: Any) -> None:
    """terminal-std*.get-terminal-std*(): not a terminal."""
    return None


def _define_environment(instance: LinkerInstance) -> None:
    """wasi:cli/environment."""
    instance.add_func("get-environment", _environment)
    instance.add_func("get-arguments", _arguments)
    instance.add_func("initial-cwd", _initial_cwd)


def _define_exit(instance: LinkerInstance) -> None:
    """wasi:cli/exit."""
    instance.add_func("exit", _exit)


def _define_resource(name: str, kind: Kind) -> Any:
    """A definer of an interface that only declares a resource."""

    def define(instance: LinkerInstance) -> None:
        add_resource(instance, name, kind)

    return define


def _define_terminal(name: str) -> Any:
    """A definer of a terminal-std* interface."""

    def define(instance: LinkerInstance) -> None:
        instance.add_func(f"get-terminal-{name}", _no_terminal)

    return define


INTERFACES = {
    "wasi:cli/environment": _define_environment,
    "wasi:cli/exit": _define_exit,
    "wasi:cli/terminal-input": _define_resource("terminal-input", Kind.TERMINAL_INPUT),
    "wasi:cli/terminal-output": _define_resource("terminal-output", Kind.TERMINAL_OUTPUT),
    "wasi:cli/terminal-stdin": _define_terminal("stdin"),
    "wasi:cli/terminal-stdout": _define_terminal("stdout"),
    "wasi:cli/terminal-stderr": _define_terminal("stderr"),
}
