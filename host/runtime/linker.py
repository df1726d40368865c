"""The host functions a guest imports, bound to whichever request is running on this thread."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Protocol

from wasmtime import Engine
from wasmtime.component import Linker

from host.runtime.bodies import BodyTable
from host.runtime.values import WitRequest, WitResponse, request_from_wit
from host.runtime.world import ASSETS, BODIES, TYPES


class RequestScope(Protocol):
    """What host functions need from the request being served."""

    bodies: BodyTable

    def fetch_asset(self, request: WitRequest) -> WitResponse:
        """Answer the guest's `assets.fetch` for this request's project."""
        ...


_current: ContextVar[RequestScope] = ContextVar("wasmhost_request_scope")


@contextmanager
def bound_to(scope: RequestScope) -> Iterator[None]:
    """Host functions called inside the block act for `scope`."""
    token = _current.set(scope)
    try:
        yield
    finally:
        _current.reset(token)


def create_linker(engine: Engine) -> Linker:
    """A linker with WASI (granting nothing by default) and the world's imports."""
    linker = Linker(engine)
    linker.add_wasip2()
    root = linker.root()
    with root.add_instance(ASSETS) as assets:
        assets.add_func("fetch", _assets_fetch)
    with root.add_instance(BODIES) as bodies:
        bodies.add_func("size", _bodies_size)
        bodies.add_func("read", _bodies_read)
        bodies.add_func("create", _bodies_create)
        bodies.add_func("append", _bodies_append)
    root.add_instance(TYPES).close()
    root.close()
    return linker


def _assets_fetch(_store: Any, request: Any) -> WitResponse:
    """assets.fetch(request) -> response."""
    return _current.get().fetch_asset(request_from_wit(request))


def _bodies_size(_store: Any, handle: int) -> int | None:
    """bodies.size(handle) -> option<u64>."""
    return _current.get().bodies.size(handle)


def _bodies_read(_store: Any, handle: int, offset: int, limit: int) -> bytes:
    """bodies.read(handle, offset, max) -> list<u8>."""
    return _current.get().bodies.read(handle, offset, limit)


def _bodies_create(_store: Any) -> int:
    """bodies.create() -> u32."""
    return _current.get().bodies.create()


def _bodies_append(_store: Any, handle: int, chunk: bytes) -> None:
    """bodies.append(handle, chunk)."""
    _current.get().bodies.append(handle, chunk)
