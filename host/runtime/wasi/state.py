"""What the host keeps for one instance's WASI: its resources, output and the call's clock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from enum import IntEnum
from functools import wraps
from typing import Any, TypeVar

from wasmtime import WasmtimeError
from wasmtime.component import LinkerInstance, ResourceAny, ResourceHost, ResourceType

from host.errors import WasmhostError
from host.runtime.deadlines import CallClock
from host.runtime.output import GuestOutput

T = TypeVar("T")
# More live WASI handles than any guest needs; a guest that never drops them is stopped here.
MAX_RESOURCES = 10_000


class Kind(IntEnum):
    """The host resource types of our WASI (numbers wasmtime uses to tell them apart)."""

    POLLABLE = 0x5A51_0001
    ERROR = 0x5A51_0002
    INPUT_STREAM = 0x5A51_0003
    OUTPUT_STREAM = 0x5A51_0004
    TERMINAL_INPUT = 0x5A51_0005
    TERMINAL_OUTPUT = 0x5A51_0006
    NETWORK = 0x5A51_0007


class WasiState:
    """One instance's WASI resources (by representation number) and where its output goes."""

    def __init__(self) -> None:
        self.output: GuestOutput | None = None
        self.clock: CallClock | None = None
        self.failure: BaseException | None = None
        self._items: dict[int, object] = {}
        self._next = 1

    def own(self, item: object, kind: int) -> ResourceHost:
        """Hand the guest a new resource of type `kind` that stands for `item`."""
        if len(self._items) >= MAX_RESOURCES:
            raise WasmtimeError(f"the guest holds more than {MAX_RESOURCES} WASI resources")
        rep, self._next = self._next, self._next + 1
        self._items[rep] = item
        return ResourceHost.own(rep, kind)

    def get(self, store: Any, handle: ResourceAny, cls: type[T]) -> T:
        """The item a guest's handle stands for; a trap if it is not a `cls`."""
        item = self._items.get(handle.to_host(store).rep)
        if not isinstance(item, cls):
            raise WasmtimeError(f"not a {cls.__name__} handle")
        return item

    def drop(self, rep: int) -> None:
        """Forget a resource the guest dropped."""
        self._items.pop(rep, None)


_current: ContextVar[WasiState | None] = ContextVar("wasmhost_wasi_state", default=None)


def current_state() -> WasiState | None:
    """The WASI state of the call running on this thread, if any."""
    return _current.get()


@contextmanager
def active(state: WasiState) -> Iterator[None]:
    """WASI functions called inside the block act on `state`."""
    token = _current.set(state)
    try:
        yield
    finally:
        _current.reset(token)


def wasi_function(func: Callable[..., Any]) -> Callable[..., Any]:
    """A WASI host function given the instance's state; a domain failure is kept on the state.

    Every failure traps the guest with a WasmtimeError (wasmtime-py keeps any other Python
    exception in a process-wide global); a domain error (the wall-clock limit) is kept on the
    state, to be raised as what happened once the call has unwound.
    """

    @wraps(func)
    def call(store: Any, *args: Any) -> Any:
        state = _current.get()
        if state is None:
            raise WasmtimeError("WASI was called outside any call into the guest")
        try:
            return func(state, store, *args)
        except WasmtimeError:
            raise
        except WasmhostError as error:
            state.failure = error
            raise WasmtimeError(f"wasi {func.__name__}: {error}") from None
        except (ValueError, TypeError, OverflowError) as error:
            raise WasmtimeError(f"wasi {func.__name__}: {error}") from None

    return call


def _dropped(_store: Any, rep: int) -> None:
    """A resource destructor: the guest dropped its handle."""
    state = _current.get()
    if state is not None:
        state.drop(rep)


def add_resource(instance: LinkerInstance, name: str, kind: int) -> None:
    """Define resource `name` as the host type `kind`, forgotten when the guest drops it."""
    instance.add_resource(name, ResourceType.host(kind), _dropped)
