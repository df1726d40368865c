"""wasi:io/streams, wasi:io/error and wasi:cli stdin/stdout/stderr.

stdout and stderr go to the output captured for the request being served (nothing is written
outside a request); stdin is always at its end.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wasmtime.component import LinkerInstance, ResourceAny, ResourceHost, Variant

from host.runtime.wasi.clocks import ready_pollable
from host.runtime.wasi.state import Kind, WasiState, add_resource, wasi_function

# How much a guest may write in one go (what check-write permits).
WRITE_PERMIT = 1024 * 1024
# wasmtime-py tags a variant's cases only where their Python types could be confused:
# `result<_, stream-error>` is tagged (Variant), `result<T, stream-error>` is not (T or the
# error), and `stream-error`'s `closed` is None.
OK = Variant("ok", None)
CLOSED = Variant("err", None)
CLOSED_UNTAGGED = None


@dataclass(frozen=True)
class OutputStream:
    """stdout or stderr."""

    name: str


@dataclass(frozen=True)
class InputStream:
    """stdin: always at its end."""


def _write(state: WasiState, stream: OutputStream, data: bytes) -> Variant:
    """Send `data` to the request's captured output; too much at once closes the stream."""
    if len(data) > WRITE_PERMIT:
        return CLOSED
    if state.output is not None:
        state.output.write(stream.name, data)
    return OK


@wasi_function
def _check_write(state: WasiState, store: Any, handle: ResourceAny) -> int:
    """[method]output-stream.check-write() -> result<u64, stream-error>."""
    state.get(store, handle, OutputStream)
    return WRITE_PERMIT


@wasi_function
def _write_bytes(state: WasiState, store: Any, handle: ResourceAny, data: bytes) -> Variant:
    """[method]output-stream.write(contents) (and blocking-write-and-flush)."""
    return _write(state, state.get(store, handle, OutputStream), data)


@wasi_function
def _write_zeroes(state: WasiState, store: Any, handle: ResourceAny, length: int) -> Variant:
    """[method]output-stream.write-zeroes(len) (and blocking-write-zeroes-and-flush)."""
    stream = state.get(store, handle, OutputStream)
    return CLOSED if length > WRITE_PERMIT else _write(state, stream, bytes(length))


@wasi_function
def _flush(state: WasiState, store: Any, handle: ResourceAny) -> Variant:
    """[method]output-stream.flush() (and blocking-flush): nothing is buffered."""
    state.get(store, handle, OutputStream)
    return OK


@wasi_function
def _splice(state: WasiState, store: Any, handle: ResourceAny, *_: Any) -> None:
    """[method]output-stream.splice(src, len) (and blocking-splice): the only input is empty."""
    state.get(store, handle, OutputStream)
    return CLOSED_UNTAGGED


@wasi_function
def _subscribe(state: WasiState, _store: Any, _handle: ResourceAny) -> ResourceHost:
    """[method]*-stream.subscribe() -> pollable: streams are always ready."""
    return ready_pollable(state)


@wasi_function
def _read(state: WasiState, store: Any, handle: ResourceAny, _length: int) -> None:
    """[method]input-stream.read(len) (and blocking-read): at its end."""
    state.get(store, handle, InputStream)
    return CLOSED_UNTAGGED


@wasi_function
def _skip(state: WasiState, store: Any, handle: ResourceAny, _length: int) -> None:
    """[method]input-stream.skip(len) (and blocking-skip): at its end."""
    state.get(store, handle, InputStream)
    return CLOSED_UNTAGGED


@wasi_function
def _debug_string(_state: WasiState, _store: Any, _handle: ResourceAny) -> str:
    """[method]error.to-debug-string() -> string."""
    return "error"


def _getter(item: object, kind: Kind) -> Any:
    """A cli function returning a new handle to `item`."""

    @wasi_function
    def get(state: WasiState, _store: Any) -> ResourceHost:
        return state.own(item, kind)

    return get


def _define_error(instance: LinkerInstance) -> None:
    """wasi:io/error."""
    add_resource(instance, "error", Kind.ERROR)
    instance.add_func("[method]error.to-debug-string", _debug_string)


def _define_streams(instance: LinkerInstance) -> None:
    """wasi:io/streams."""
    add_resource(instance, "input-stream", Kind.INPUT_STREAM)
    add_resource(instance, "output-stream", Kind.OUTPUT_STREAM)
    for method, func in (("read", _read), ("blocking-read", _read), ("skip", _skip)):
        instance.add_func(f"[method]input-stream.{method}", func)
    instance.add_func("[method]input-stream.blocking-skip", _skip)
    instance.add_func("[method]input-stream.subscribe", _subscribe)
    output = {
        "check-write": _check_write,
        "write": _write_bytes,
        "blocking-write-and-flush": _write_bytes,
        "write-zeroes": _write_zeroes,
        "blocking-write-zeroes-and-flush": _write_zeroes,
        "flush": _flush,
        "blocking-flush": _flush,
        "splice": _splice,
        "blocking-splice": _splice,
        "subscribe": _subscribe,
    }
    for method, func in output.items():
        instance.add_func(f"[method]output-stream.{method}", func)


def _defining(name: str, func: Any) -> Any:
    """A definer of an interface with one getter function."""

    def define(instance: LinkerInstance) -> None:
        instance.add_func(name, func)

    return define


INTERFACES = {
    "wasi:io/error": _define_error,
    "wasi:io/streams": _define_streams,
    "wasi:cli/stdin": _defining("get-stdin", _getter(InputStream(), Kind.INPUT_STREAM)),
    "wasi:cli/stdout": _defining("get-stdout", _getter(OutputStream("stdout"), Kind.OUTPUT_STREAM)),
    "wasi:cli/stderr": _defining("get-stderr", _getter(OutputStream("stderr"), Kind.OUTPUT_STREAM)),
}
