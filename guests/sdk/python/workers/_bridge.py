"""Converts between the generated WIT bindings and the SDK, and serves one request.

The bindings (`types`, `bodies`, `assets`, `env`, `kv`, `outbound` from `wit_world.imports`)
are passed in by the guest glue, so this module imports nothing generated and can be tested
with fakes.

Every request gets a RequestScope, ended when its answer is converted: the host bodies that
came with it (the request's, the assets') belong to it, so a warm instance's module state
cannot carry one into a later request's answer.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable
from functools import cache
from typing import Any

from .body import Body, HostBody
from .env import Assets, Env
from .event_loop import new_context, run_request
from .fetch import FetchError, serving
from .headers import Headers
from .kv import KVError, KVNamespace
from .request import Request
from .response import Response
from .scope import RequestScope

INLINE_LIMIT = 1024 * 1024
WRITE_CHUNK = 256 * 1024


class Bridge:
    """The SDK's Host, backed by the generated bindings, plus the request entry point."""

    def __init__(
        self, types: Any, bodies: Any, assets: Any, env: Any, kv: Any, outbound: Any
    ) -> None:
        self._types = types
        self._bodies = bodies
        self._assets = assets
        self._env = env
        self._kv = kv
        self._outbound = outbound
        self._vars: dict[str, str] | None = None
        self._kv_bindings: list[str] | None = None

    def env_vars(self) -> dict[str, str]:
        """The deployment's variables and secrets (an instance serves one deployment: asked
        once)."""
        if self._vars is None:
            self._vars = dict(self._env.vars())
        return self._vars

    def body_size(self, handle: int) -> int | None:
        """Total size of a host body, if known."""
        size: int | None = self._bodies.size(handle)
        return size

    def body_read(self, handle: int, offset: int, max_bytes: int) -> bytes:
        """Up to `max_bytes` of a host body from `offset`."""
        return bytes(self._bodies.read(handle, offset, max_bytes))

    def body_create(self) -> int:
        """A new empty host body."""
        handle: int = self._bodies.create()
        return handle

    def body_append(self, handle: int, chunk: bytes) -> None:
        """Append bytes to a host body."""
        self._bodies.append(handle, chunk)

    def kv_namespaces(self) -> list[str]:
        """The deployment's KV binding names (asked once, as the variables are)."""
        if self._kv_bindings is None:
            self._kv_bindings = list(self._env.kv_namespaces())
        return self._kv_bindings

    def kv_get(self, binding: str, key: str, scope: RequestScope) -> tuple[Body, str | None] | None:
        """kv.get: the value (a body of `scope`'s request) and its metadata, or None."""
        got = self._kv.get(binding, key)
        if isinstance(got, self._kv.Got_Failed):
            raise KVError(got.value)
        if not isinstance(got, self._kv.Got_Found):
            return None
        return self.body_from_wit(got.value.value, scope) or b"", got.value.metadata

    def kv_put(
        self,
        binding: str,
        key: str,
        value: Body,
        expiration: int | None,
        ttl: int | None,
        metadata: str | None,
    ) -> None:
        """kv.put; KVError with the host's reason if refused."""
        failed = self._kv.put(binding, key, self.body_to_wit(value), expiration, ttl, metadata)
        if failed is not None:
            raise KVError(failed)

    def kv_delete(self, binding: str, key: str) -> None:
        """kv.delete; KVError with the host's reason if refused."""
        failed = self._kv.delete(binding, key)
        if failed is not None:
            raise KVError(failed)

    def kv_list(
        self, binding: str, prefix: str, cursor: str | None, limit: int
    ) -> tuple[list[tuple[str, int | None, str | None]], bool, str | None]:
        """kv.list: (keys as (name, expiration, metadata)), whether complete, the cursor."""
        listing = self._kv.list(binding, prefix, cursor, limit)
        if isinstance(listing, self._kv.Listing_Failed):
            raise KVError(listing.value)
        page = listing.value
        keys = [(k.name, k.expiration, k.metadata) for k in page.keys]
        return keys, page.complete, page.cursor

    def outbound_fetch(self, request: Request, scope: RequestScope) -> Response:
        """outbound.fetch: the response (its body of `scope`'s request); FetchError if refused."""
        fetched = self._outbound.fetch(self.request_to_wit(request))
        if isinstance(fetched, self._outbound.Fetched_Failed):
            raise FetchError(f"fetch({request.url}) failed: {fetched.value}")
        return self.response_from_wit(fetched.value, scope)

    def assets_fetch(self, request: Request, scope: RequestScope) -> Response:
        """Call the asset binding; the response's body belongs to `scope`'s request."""
        return self.response_from_wit(self._assets.fetch(self.request_to_wit(request)), scope)

    def serve(self, fetch: Callable[..., Any], wit_request: Any) -> Any:
        """Run the worker's `fetch` on a WIT request and return the WIT response."""
        scope = RequestScope(self)
        try:
            with serving(scope):
                return self._answer(fetch, wit_request, scope)
        finally:
            scope.end()

    def _answer(self, fetch: Callable[..., Any], wit_request: Any, scope: RequestScope) -> Any:
        """The WIT response of the worker's `fetch` for the request of `scope`."""
        request = self.request_from_wit(wit_request, scope)
        namespaces = {name: KVNamespace(name, scope) for name in self.kv_namespaces()}
        env = Env(Assets(request.url, scope), {**self.env_vars(), **namespaces})
        ctx = new_context()
        started = time.monotonic()
        arguments = (request, env, ctx) if _takes_ctx(fetch) else (request, env)
        result = run_request(fetch(*arguments), ctx, started)
        if not isinstance(result, Response):
            raise TypeError(
                f"fetch() must return a workers.Response, not {type(result).__name__}; "
                "build one with Response(...), Response.json(...) or env.ASSETS.fetch(request)"
            )
        return self.response_to_wit(result)

    def body_from_wit(self, body: Any, scope: RequestScope) -> Body:
        """WIT body -> None, bytes or a HostBody of `scope`'s request."""
        if isinstance(body, self._types.Body_Host):
            return HostBody(body.value, scope)
        if isinstance(body, self._types.Body_Bytes):
            return bytes(body.value)
        return None

    def body_to_wit(self, body: Body) -> Any:
        """None, bytes or HostBody -> WIT body; large bytes go to a new host body in chunks.

        A HostBody of a request that has ended raises RequestEndedError.
        """
        t = self._types
        if isinstance(body, HostBody):
            return t.Body_Host(body.live_handle())
        if not body:
            return t.Body_Empty()
        if len(body) > INLINE_LIMIT:
            return t.Body_Host(self._upload(body))
        return t.Body_Bytes(body)

    def _upload(self, data: bytes) -> int:
        """Copy bytes into a new host body, chunk by chunk; return its handle."""
        handle = self.body_create()
        view = memoryview(data)
        for start in range(0, len(data), WRITE_CHUNK):
            self.body_append(handle, bytes(view[start : start + WRITE_CHUNK]))
        return handle

    def request_from_wit(self, req: Any, scope: RequestScope) -> Request:
        """WIT request -> Request of `scope`'s request (trusted: the host checked it)."""
        headers = Headers._trusted(req.headers)
        body = self.body_from_wit(req.body, scope)
        return Request._trusted(req.method, req.url, headers, body)

    def request_to_wit(self, request: Request) -> Any:
        """Request -> WIT request."""
        return self._types.Request(
            method=request.method,
            url=request.url,
            headers=request.headers.items(),
            body=self.body_to_wit(request.body),
        )

    def response_from_wit(self, resp: Any, scope: RequestScope) -> Response:
        """WIT response -> Response whose body belongs to `scope`'s request."""
        headers = Headers._trusted(resp.headers)
        return Response._trusted(resp.status, headers, self.body_from_wit(resp.body, scope))

    def response_to_wit(self, response: Response) -> Any:
        """Response -> WIT response."""
        return self._types.Response(
            status=response.status,
            headers=response.headers.items(),
            body=self.body_to_wit(response.body),
        )


@cache
def _takes_ctx(fetch: Callable[..., Any]) -> bool:
    """Whether the worker's fetch takes `ctx` too: `fetch(request, env, ctx)`."""
    try:
        parameters = inspect.signature(fetch).parameters.values()
    except (TypeError, ValueError):
        return False
    kinds = [p.kind for p in parameters]
    return (
        inspect.Parameter.VAR_POSITIONAL in kinds
        or sum(
            kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
            for kind in kinds
        )
        >= 3
    )
