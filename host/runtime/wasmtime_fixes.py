"""Six fixes to wasmtime-py's component value conversion and host calls (wasmtime==50.0.1,
pinned).

1. Speed: wasmtime-py converts a `list<u8>` element by element in Python (~1.4 s per MB).
   The C API holds it as an array of 32-byte `wasmtime_component_val_t` cells (kind at
   offset 0, payload at offset 8), so a strided memoryview copies every byte in one C-level
   slice assignment instead. Lists of other element types keep the stock conversion.
2. Threads: lowering an untagged variant (our `body`) tests the value against a set of
   classes kept in one module-level set, which concurrent requests clear and fill under each
   other, so a body could be lowered as the wrong case. Each thread gets its own set.
3. Speed: every call of a component function asks the C API for the function's type again,
   and every conversion walks the nested types through the C API again (record fields,
   variant cases, list elements: about 30 type objects per request, a third of a warm
   call). A function's type never changes, so it is kept with the function, and each type
   object keeps what it learned about its parts. Host functions (imports) are called with
   their type as a borrowed pointer each time: their parameter and result types are kept per
   registration instead (`_Registered`: one linker, one component). Strings are copied by one
   C call each way (stock: a new ctypes array type per length, then a memmove).
4. Speed: a JavaScript guest asks for the time about fifty times a request. A host function
   marked with `u64_result` (no parameters, a `u64` result, cannot fail) is answered straight
   from the trampoline, without wasmtime-py's store wrapper and conversions, once its first
   call has shown that the component declared it as `func() -> u64`.
5. Bounds: a guest can return a list of millions of small items (say, empty headers), which
   the stock conversion lifts one by one in Python for seconds before anyone can look at its
   length. A list of anything but bytes longer than `MAX_LIFTED_ITEMS` is refused before any
   item is converted (`ListTooLong`); no value the world takes needs more.
6. Memory: the stock trampoline turns a host function's error into a trap but keeps the error
   in a local of its frame, which the error's traceback holds: a reference cycle that keeps
   every frame below it, and so the request's instance and bodies, until a garbage-collector
   run. The error is handed to wasmtime with no traceback or context, and nothing keeps it;
   an error other than WasmtimeError becomes one (the stock one keeps it in a process-wide
   global, which another thread's call could raise).
"""

from __future__ import annotations

import ctypes
import inspect
import threading
from collections.abc import Callable, Iterator
from typing import Any

from wasmtime import StoreContext, WasmtimeError
from wasmtime import _ffi as ffi
from wasmtime.component import _func, _linker, _types

_CELL = ctypes.sizeof(ffi.wasmtime_component_val_t)
_PAYLOAD = ffi.wasmtime_component_val_t.of.offset
_U8 = ffi.WASMTIME_COMPONENT_U8.value
_stock_to_c = _types.ListType.convert_to_c
_stock_from_c = _types.ListType.convert_from_c
MAX_LIFTED_ITEMS = 1000


class ListTooLong(ValueError):
    """A guest handed the host a list with more items than any value of the world needs."""


def _cells(data: Any, count: int) -> memoryview:
    """The raw bytes of `count` value cells starting at pointer `data`."""
    address = ctypes.cast(data, ctypes.c_void_p).value
    return memoryview((ctypes.c_ubyte * (_CELL * count)).from_address(address or 0)).cast("B")


def _to_c(self: _types.ListType, store: Any, val: Any, ptr: Any) -> None:
    """Lower `bytes` into a list of u8 cells with two strided copies."""
    if not (isinstance(val, bytes) and self._is_bytes()):
        return _stock_to_c(self, store, val, ptr)
    raw = ffi.wasmtime_component_vallist_t()
    ffi.wasmtime_component_vallist_new_uninit(raw, len(val))
    if val:
        cells = _cells(raw.data, len(val))
        cells[0::_CELL] = bytes([_U8]) * len(val)
        cells[_PAYLOAD::_CELL] = val
    ptr.contents.kind = ffi.WASMTIME_COMPONENT_LIST
    ptr.contents.of.list = raw
    return None


def _from_c(self: _types.ListType, c: Any) -> Any:
    """Lift a list of u8 cells into `bytes` with one strided copy."""
    raw = c.of.list
    if not self._is_bytes():
        if (size := raw.size) > MAX_LIFTED_ITEMS:
            ffi.wasmtime_component_vallist_delete(ctypes.byref(raw))
            raise ListTooLong(f"a list of {size} items (at most {MAX_LIFTED_ITEMS} are taken)")
        return _stock_from_c(self, c)
    try:
        return bytes(_cells(raw.data, raw.size)[_PAYLOAD::_CELL]) if raw.size else b""
    finally:
        ffi.wasmtime_component_vallist_delete(ctypes.byref(raw))


class _ThreadLocalSet:
    """The part of a set that variant lowering uses, separate for each thread."""

    def __init__(self) -> None:
        self._local = threading.local()

    @property
    def _items(self) -> set[type]:
        """This thread's set."""
        items: set[type] | None = getattr(self._local, "items", None)
        if items is None:
            items = self._local.items = set()
        return items

    def add(self, item: type) -> None:
        """Add to this thread's set."""
        self._items.add(item)

    def clear(self) -> None:
        """Empty this thread's set."""
        self._items.clear()

    def __iter__(self) -> Iterator[type]:
        """Iterate this thread's set."""
        return iter(self._items)


_TYPE_PARTS = {
    _types.FuncType: ("params", "result"),
    _types.ListType: ("element",),
    _types.RecordType: ("fields",),
    _types.TupleType: ("elements",),
    _types.VariantType: ("cases",),
    _types.EnumType: ("names",),
    _types.OptionType: ("payload",),
    _types.ResultType: ("ok", "err"),
    _types.FlagsType: ("names",),
}


def _remembered(name: str, compute: Any) -> property:
    """A property that asks the C API once per object, then answers from the object."""

    def get(self: Any) -> Any:
        cache = self.__dict__.setdefault("_wasmhost_parts", {})
        if name not in cache:
            cache[name] = compute(self)
        return cache[name]

    get.__wasmhost_remembered__ = True  # type: ignore[attr-defined]
    return property(get)


def _remember_type_parts() -> None:
    """Make the nested-type properties and `Func.type` remember their answers (idempotent)."""
    for cls, names in _TYPE_PARTS.items():
        for name in names:
            current = cls.__dict__[name]
            if not getattr(current.fget, "__wasmhost_remembered__", False):
                setattr(cls, name, _remembered(name, current.fget))
    stock_type = _func.Func.type
    if not getattr(stock_type, "__wasmhost_remembered__", False):

        def func_type(self: Any, store: Any) -> Any:
            known = self.__dict__.get("_wasmhost_type")
            if known is None:
                known = self.__dict__["_wasmhost_type"] = stock_type(self, store)
            return known

        func_type.__wasmhost_remembered__ = True  # type: ignore[attr-defined]
        _func.Func.type = func_type  # type: ignore[method-assign]


_byte_vec_from = ffi.dll["wasm_byte_vec_new"]  # a prototype of our own, taking bytes
_byte_vec_from.argtypes = [ctypes.POINTER(ffi.wasm_byte_vec_t), ctypes.c_size_t, ctypes.c_char_p]
_byte_vec_from.restype = None


def _string_to_c(self: _types.String, store: Any, val: Any, ptr: Any) -> None:
    """Lower a `str` with one copy into a new byte vector."""
    if not isinstance(val, str):
        raise TypeError("expected string type")
    data = val.encode("utf-8")
    cell = ptr.contents
    cell.kind = ffi.WASMTIME_COMPONENT_STRING
    _byte_vec_from(ctypes.byref(cell.of.string), len(data), data)


def _string_from_c(self: _types.String, c: Any) -> str:
    """Lift a string with one copy out of its byte vector."""
    vec = c.of.string
    try:
        return ctypes.string_at(vec.data, vec.size).decode("utf-8") if vec.size else ""
    finally:
        ffi.wasm_byte_vec_delete(ctypes.byref(vec))


_HostTypes = tuple[list[Any], Any]
_U64 = ffi.WASMTIME_COMPONENT_U64.value
_stock_add_func = _linker.LinkerInstance.add_func


class _Registered:
    """One registration of a host function in one linker, with the types its component gave it.

    A component may declare an import with any signature (only names are checked at deploy),
    so types are learned per registration: each linker is made for one component, and one
    component's declarations never change. Learning them per Python function instead would
    let one tenant's component decide how another's arguments are read.
    """

    __slots__ = ("arity", "fast", "func", "types")

    def __init__(self, func: Any) -> None:
        self.func = func
        self.types: _HostTypes | None = None
        self.fast = False  # a `u64_result` function whose component declared `func() -> u64`
        self.arity = _arity(func)  # positional parameters (the store first, but for u64_result)

    def __call__(self, *args: Any) -> Any:
        """Call the function (as wasmtime-py's own trampoline would)."""
        return self.func(*args)

    def learn(self, ty_raw: Any, store: Any) -> _HostTypes:
        """The parameter and result types, read from the C API on the first call."""
        if self.types is None:
            with _types.FuncType._from_ptr(ty_raw, owner=store) as fty:
                params, result = [ty for _, ty in fty.params], fty.result
            self.types = (params, result)
            marked = getattr(self.func, "__wasmhost_u64__", False)
            self.fast = marked and not params and isinstance(result, _types.U64)
        return self.types


def _arity(func: Any) -> int | None:
    """How many positional arguments `func` takes (None: any number, or unknown)."""
    try:
        parameters = inspect.signature(func, follow_wrapped=False).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind is p.VAR_POSITIONAL for p in parameters):
        return None
    return sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in parameters)


def _add_func(self: Any, name: str, func: Any) -> None:
    """`LinkerInstance.add_func`, registering `func` as a `_Registered` of its own."""
    _stock_add_func(self, name, _Registered(func))


def u64_result(func: Any) -> Any:
    """Mark `func()` (no arguments, returns an int for a `u64`, never fails) for the fast path."""
    func.__wasmhost_u64__ = True
    return func


@ffi.wasmtime_component_func_callback_t  # type: ignore[untyped-decorator]
def _host_call(
    idx: Any, context: Any, ty_raw: Any, args: Any, nargs: int, results: Any, nresults: int
) -> Any:
    """wasmtime-py's host-function trampoline, with the function's types remembered."""
    found = _linker.FUNCTIONS.get(idx or 0)
    registered = found if isinstance(found, _Registered) else _Registered(found)
    if registered.fast and nargs == 0 and nresults == 1:
        cell = results[0]
        cell.kind = _U64
        cell.of.u64 = registered.func()
        return 0

    def run(store: Any) -> None:
        params, result = registered.learn(ty_raw, store)
        if registered.fast and nargs == 0 and nresults == 1:  # its first call
            result.convert_to_c(store, registered.func(), results)
            return
        declared = len(params) == nargs and nresults == (0 if result is None else 1)
        expected = registered.arity in (None, len(params) + 1)
        if not declared or not expected or getattr(registered.func, "__wasmhost_u64__", False):
            raise WasmtimeError("the guest declared a host function with another signature")
        try:
            values = [ty.convert_from_c(args[i]) for i, ty in enumerate(params)]
        except ListTooLong as error:  # a WasmtimeError keeps it out of wasmtime-py's global
            raise WasmtimeError(f"the guest called the host with {error}") from None
        value = registered.func(store, *values)
        if result is not None:
            try:
                result.convert_to_c(store, value, results)
            except (TypeError, ValueError, AssertionError):
                message = "the guest declared a host function's result as another type"
                raise WasmtimeError(message) from None

    return _trap_on_error(context, run)


def _trap_on_error(context: Any, run: Callable[[StoreContext], None]) -> int:
    """Run a host function's body: 0, or the trap (a wasmtime error pointer) it failed with."""
    store = StoreContext(context)
    try:
        run(store)
    except BaseException as error:  # nothing may escape into wasmtime's C frames
        return _handed_over(error)
    finally:
        store._invalidate()
    return 0


def _handed_over(error: BaseException) -> int:
    """`error` as a wasmtime error pointer that wasmtime now owns, with no frame kept."""
    trap = error if isinstance(error, WasmtimeError) else WasmtimeError(f"host error: {error!r}")
    trap.__traceback__ = trap.__context__ = trap.__cause__ = None
    return ctypes.cast(trap._consume(), ctypes.c_void_p).value or 0


def install() -> None:
    """Patch wasmtime-py's value conversion (idempotent)."""
    _types.ListType.convert_to_c = _to_c  # type: ignore[method-assign]
    _types.ListType.convert_from_c = _from_c  # type: ignore[method-assign]
    _types.String.convert_to_c = _string_to_c  # type: ignore[method-assign]
    _types.String.convert_from_c = _string_from_c  # type: ignore[method-assign]
    if not isinstance(_types.case_test_cache, _ThreadLocalSet):
        _types.case_test_cache = _ThreadLocalSet()  # type: ignore[assignment]
    _remember_type_parts()
    _linker.func_impl = _host_call  # what Linker.add_func registers from now on
    _linker.LinkerInstance.add_func = _add_func  # type: ignore[method-assign]
