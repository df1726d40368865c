"""The host functions a guest imports, bound to whichever request is running on this thread."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import Any, Protocol

from wasmtime import Engine, WasmtimeError
from wasmtime.component import Component, Linker

from host.errors import GuestTrapped
from host.runtime.bodies import BodyTable
from host.runtime.values import (
    Body,
    WitFetched,
    WitGot,
    WitListing,
    WitRequest,
    WitResponse,
    body_from_wit,
    request_from_wit,
)
from host.runtime.wasi import define_wasi
from host.runtime.wasi.clocks import host_wait
from host.runtime.world import ASSETS, BODIES, ENV, KV, OUTBOUND, TYPES


class RequestScope(Protocol):
    """What host functions need from the request being served."""

    failure: BaseException | None

    @property
    def bodies(self) -> BodyTable:
        """The request's body table."""
        ...

    def fetch_asset(self, request: WitRequest) -> WitResponse:
        """Answer the guest's `assets.fetch` for this request's project."""
        ...

    def env_vars(self) -> list[tuple[str, str]]:
        """The variables and secrets of the deployment being served."""
        ...

    def kv_namespaces(self) -> list[str]:
        """The binding names of the deployment's KV namespaces."""
        ...

    def outbound_fetch(self, request: WitRequest, seconds_left: float) -> WitFetched:
        """outbound.fetch for this request's deployment, within `seconds_left`."""
        ...

    def kv_get(self, binding: str, key: str) -> WitGot:
        """kv.get for this request's project."""
        ...

    def kv_put(
        self,
        binding: str,
        key: str,
        value: Body,
        expiration: int | None,
        ttl: int | None,
        metadata: str | None,
    ) -> str | None:
        """kv.put for this request's project: None when stored, else why not."""
        ...

    def kv_delete(self, binding: str, key: str) -> str | None:
        """kv.delete for this request's project: None when done, else why not."""
        ...

    def kv_list(self, binding: str, prefix: str, cursor: str | None, limit: int) -> WitListing:
        """kv.list for this request's project."""
        ...


class NoRequest:
    """The scope while a worker starts at deploy time: no request, so no host calls."""

    failure: BaseException | None = None

    @property
    def bodies(self) -> BodyTable:
        """There is no body table outside a request."""
        raise _outside("called the host")

    def fetch_asset(self, request: WitRequest) -> WitResponse:
        """There is no asset binding outside a request."""
        raise _outside("called assets.fetch")

    def env_vars(self) -> list[tuple[str, str]]:
        """There is no deployment's env outside a request."""
        raise _outside("asked for env vars")

    def kv_namespaces(self) -> list[str]:
        """There is no deployment's env outside a request."""
        raise _outside("asked for its KV namespaces")

    def kv_get(self, *_: object) -> WitGot:
        """There are no KV namespaces outside a request."""
        raise _outside("used a KV namespace")

    def kv_put(self, *_: object) -> str | None:
        """There are no KV namespaces outside a request."""
        raise _outside("used a KV namespace")

    def kv_delete(self, *_: object) -> str | None:
        """There are no KV namespaces outside a request."""
        raise _outside("used a KV namespace")

    def kv_list(self, *_: object) -> WitListing:
        """There are no KV namespaces outside a request."""
        raise _outside("used a KV namespace")

    def outbound_fetch(self, *_: object) -> WitFetched:
        """There is no outbound request outside a request."""
        raise _outside("called fetch()")


def _outside(what: str) -> GuestTrapped:
    """The trap for a host call made while the worker starts, outside any request."""
    return GuestTrapped(f"the worker {what} while starting, outside any request")


_current: ContextVar[RequestScope | None] = ContextVar("wasmhost_request_scope", default=None)


def _guarded(method: Callable[..., Any]) -> Callable[..., Any]:
    """Run a host function for the current scope; a failure is kept on the scope.

    wasmtime-py keeps a Python exception raised by a host function in a process-wide
    global that another thread's trap may pick up; raising WasmtimeError avoids it.
    """

    @wraps(method)
    def call(_store: Any, *args: Any) -> Any:
        scope = _current.get() or NoRequest()
        try:
            return method(scope, *args)
        except BaseException as error:
            scope.failure = error
            raise WasmtimeError(f"host function {method.__name__} failed") from None

    return call


@contextmanager
def bound_to(scope: RequestScope) -> Iterator[None]:
    """Host functions called inside the block act for `scope`."""
    token = _current.set(scope)
    try:
        yield
    finally:
        _current.reset(token)


def create_linker(engine: Engine, component: Component) -> Linker:
    """A linker for `component`: the world's imports, our WASI, and traps for anything else.

    WASI is defined under the exact names (and versions) the component imports; whatever it
    imports that the host does not implement traps if called.
    """
    linker = Linker(engine)
    root = linker.root()
    define_wasi(root, component.type.imports(engine))
    with root.add_instance(ASSETS) as assets:
        assets.add_func("fetch", _assets_fetch)
    with root.add_instance(BODIES) as bodies:
        bodies.add_func("size", _bodies_size)
        bodies.add_func("read", _bodies_read)
        bodies.add_func("create", _bodies_create)
        bodies.add_func("append", _bodies_append)
    with root.add_instance(ENV) as env:
        env.add_func("vars", _env_vars)
        env.add_func("kv-namespaces", _env_kv_namespaces)
    with root.add_instance(KV) as kv:
        kv.add_func("get", _kv_get)
        kv.add_func("put", _kv_put)
        kv.add_func("delete", _kv_delete)
        kv.add_func("list", _kv_list)
    with root.add_instance(OUTBOUND) as outbound:
        outbound.add_func("fetch", _outbound_fetch)
    root.add_instance(TYPES).close()
    root.close()
    linker.define_unknown_imports_as_traps(component)
    return linker


@_guarded
def _assets_fetch(scope: RequestScope, request: Any) -> WitResponse:
    """assets.fetch(request) -> response."""
    return scope.fetch_asset(request_from_wit(request))


@_guarded
def _bodies_size(scope: RequestScope, handle: int) -> int | None:
    """bodies.size(handle) -> option<u64>."""
    return scope.bodies.size(handle)


@_guarded
def _bodies_read(scope: RequestScope, handle: int, offset: int, limit: int) -> bytes:
    """bodies.read(handle, offset, max) -> list<u8>."""
    return scope.bodies.read(handle, offset, limit)


@_guarded
def _bodies_create(scope: RequestScope) -> int:
    """bodies.create() -> u32."""
    return scope.bodies.create()


@_guarded
def _bodies_append(scope: RequestScope, handle: int, chunk: bytes) -> None:
    """bodies.append(handle, chunk)."""
    scope.bodies.append(handle, chunk)


@_guarded
def _env_vars(scope: RequestScope) -> list[tuple[str, str]]:
    """env.vars() -> list<tuple<string, string>>."""
    return scope.env_vars()


@_guarded
def _env_kv_namespaces(scope: RequestScope) -> list[str]:
    """env.kv-namespaces() -> list<string>."""
    return scope.kv_namespaces()


@_guarded
def _kv_get(scope: RequestScope, binding: str, key: str) -> WitGot:
    """kv.get(binding, key) -> got."""
    return scope.kv_get(binding, key)


@_guarded
def _kv_put(
    scope: RequestScope,
    binding: str,
    key: str,
    value: Any,
    expiration: int | None,
    ttl: int | None,
    metadata: str | None,
) -> str | None:
    """kv.put(binding, key, value, expiration, ttl, metadata) -> option<string>."""
    return scope.kv_put(binding, key, body_from_wit(value), expiration, ttl, metadata)


@_guarded
def _kv_delete(scope: RequestScope, binding: str, key: str) -> str | None:
    """kv.delete(binding, key) -> option<string>."""
    return scope.kv_delete(binding, key)


@_guarded
def _kv_list(
    scope: RequestScope, binding: str, prefix: str, cursor: str | None, limit: int
) -> WitListing:
    """kv.list(binding, prefix, cursor, limit) -> listing."""
    return scope.kv_list(binding, prefix, cursor, limit)


def _outbound_fetch(store: Any, request: Any) -> WitFetched:
    """outbound.fetch(req) -> fetched: a network wait, given back to the CPU deadline."""
    with host_wait(store) as seconds_left:
        result: WitFetched = _outbound_call(store, request, seconds_left)
        return result


@_guarded
def _outbound_call(scope: RequestScope, request: Any, seconds_left: float) -> WitFetched:
    """The request made for the current scope."""
    return scope.outbound_fetch(request_from_wit(request), seconds_left)
