"""The WIT world a guest must implement, and the check that a component does."""

from __future__ import annotations

import re

from wasmtime import Engine, WasmtimeError
from wasmtime.component import (
    Component,
    ComponentInstanceType,
    ExportIndex,
    FuncType,
    ListType,
    OptionType,
    RecordType,
    TupleType,
    ValType,
    VariantType,
)

from host.errors import InvalidWorker

PACKAGE = "wasmhost:worker"
VERSION = "0.1.0"
HANDLER = f"{PACKAGE}/handler@{VERSION}"
ASSETS = f"{PACKAGE}/assets@{VERSION}"
BODIES = f"{PACKAGE}/bodies@{VERSION}"
TYPES = f"{PACKAGE}/types@{VERSION}"
ENV = f"{PACKAGE}/env@{VERSION}"
KV = f"{PACKAGE}/kv@{VERSION}"
OUTBOUND = f"{PACKAGE}/outbound@{VERSION}"
PROVIDED = {ASSETS, BODIES, ENV, KV, OUTBOUND, TYPES}
HEADERS = "list<tuple<string, string>>"
BODY = "variant{empty, bytes(list<u8>), host(u32)}"
REQUEST = f"record{{method: string, url: string, headers: {HEADERS}, body: {BODY}}}"
RESPONSE = f"record{{status: u16, headers: {HEADERS}, body: {BODY}}}"
COMPONENT_MAGIC = b"\0asm\x0d\x00\x01\x00"
BACKTRACE_FRAME = re.compile(r"\d+: +0x[0-9a-f]+ - ")  # `12: 0x164c847 - <module>!func`
MODULE_MAGIC = b"\0asm\x01\x00\x00\x00"


def check_binary(wasm: bytes) -> None:
    """Refuse anything that is not a WebAssembly component binary, before compiling it."""
    if wasm.startswith(MODULE_MAGIC):
        raise InvalidWorker(
            "the worker is a core WebAssembly module, not a component: build it with"
            " scripts/build-guest (componentize-py or componentize-js)"
        )
    if not wasm.startswith(COMPONENT_MAGIC):
        raise InvalidWorker("the worker is not a WebAssembly component (bad magic bytes)")


def compile_component(engine: Engine, wasm: bytes) -> Component:
    """Compile a component binary, turning wasmtime's refusal into InvalidWorker."""
    check_binary(wasm)
    try:
        return Component(engine, wasm)
    except WasmtimeError as error:
        raise InvalidWorker(f"the worker does not compile: {error_summary(error)}") from None


def fetch_export(engine: Engine, component: Component) -> ExportIndex:
    """Check the component implements the world; return the index of its `fetch` export."""
    ctype = component.type
    _check_imports(set(ctype.imports(engine)))
    handler = ctype.exports(engine).get(HANDLER)
    if handler is None or not isinstance(handler.ty, ComponentInstanceType):
        raise InvalidWorker(
            f"the worker does not export {HANDLER}: it was built for another world"
            f" (build it against guests/wit, world 'worker')"
        )
    fetch = handler.ty.exports(engine).get("fetch")
    if fetch is None or not isinstance(fetch.ty, FuncType):
        raise InvalidWorker(f"the worker's {HANDLER} has no fetch function")
    _check_fetch_type(fetch.ty)
    handler_index = component.get_export_index(HANDLER)
    index = component.get_export_index("fetch", handler_index)
    assert index is not None
    return index


def _check_fetch_type(func: FuncType) -> None:
    """Refuse a `fetch` whose parameter or result is not the world's request and response."""
    params = [wit_type(ty) for _, ty in func.params]
    result = wit_type(func.result) if func.result is not None else "nothing"
    if params != [REQUEST] or result != RESPONSE:
        raise InvalidWorker(
            f"the worker's fetch takes ({', '.join(params)}) and returns {result};"
            f" the world expects fetch(req: {REQUEST}) -> {RESPONSE}"
        )


def wit_type(ty: ValType) -> str:
    """A value type written the way WIT would (structure only; type names are not kept)."""
    if isinstance(ty, ListType):
        return f"list<{wit_type(ty.element)}>"
    if isinstance(ty, TupleType):
        return f"tuple<{', '.join(wit_type(e) for e in ty.elements)}>"
    if isinstance(ty, OptionType):
        return f"option<{wit_type(ty.payload)}>"
    if isinstance(ty, RecordType):
        return f"record{{{', '.join(f'{n}: {wit_type(t)}' for n, t in ty.fields)}}}"
    if isinstance(ty, VariantType):
        cases = (n if t is None else f"{n}({wit_type(t)})" for n, t in ty.cases)
        return f"variant{{{', '.join(cases)}}}"
    return type(ty).__name__.lower()


def _check_imports(names: set[str]) -> None:
    """Refuse imports the host does not provide."""
    unknown = sorted(n for n in names if n not in PROVIDED and not n.startswith("wasi:"))
    if unknown:
        raise InvalidWorker(
            f"the worker imports {', '.join(unknown)}, which this host does not provide"
        )


def error_summary(error: Exception, limit: int = 400) -> str:
    """An error's text on one line: wasmtime's 'Caused by' chain joined with colons, without
    its wasm backtrace (frames of the runtime, not of the guest's author: SDKs log those)."""
    lines = [line.strip() for line in str(error).splitlines()]
    kept = [
        line
        for line in lines
        if line
        and line != "Caused by:"
        and line != "error while executing at wasm backtrace:"
        and BACKTRACE_FRAME.match(line) is None
    ]
    text = ": ".join(kept) or type(error).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"
