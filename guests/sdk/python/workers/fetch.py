"""`fetch()` to other origins, as on Workers, made by the host for the request being served.

    from workers import fetch
    response = await fetch("https://api.example.com/data", method="POST", body=b"...")

Only the hosts the project's config allows (`outbound_hosts`) can be reached; a refused or
failed request raises FetchError with the reason. The request being served is found through a
context variable the SDK sets for it, so a response's body belongs to that request.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from .body import BodyInit
from .headers import HeadersInit
from .request import Request
from .response import Response
from .scope import RequestScope

OUTSIDE = "fetch() can be called only while a request is being served (inside fetch(request, env))"

_serving: ContextVar[RequestScope | None] = ContextVar("workers_serving", default=None)


class FetchError(Exception):
    """The host refused or could not make an outbound request; the message says why."""


@contextmanager
def serving(scope: RequestScope) -> Iterator[None]:
    """fetch() inside the block acts for `scope`'s request."""
    token = _serving.set(scope)
    try:
        yield
    finally:
        _serving.reset(token)


async def fetch(
    resource: str | Request,
    method: str | None = None,
    headers: HeadersInit = None,
    body: BodyInit = None,
) -> Response:
    """The response to `resource` (a URL or a Request, with these changes), made by the host."""
    scope = _serving.get()
    if scope is None:
        raise RuntimeError(OUTSIDE)
    request = Request(resource, method=method, headers=headers, body=body)
    return scope.host("fetch()", OUTSIDE).outbound_fetch(request, scope)
