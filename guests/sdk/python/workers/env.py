"""`env`: the bindings a worker receives; today the asset binding, `env.ASSETS`."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from .request import Request
from .response import Response
from .scope import RequestScope

USE_THIS_ENV = "use the `env` passed to this request's fetch(request, env)."


class Assets:
    """The asset binding: `await env.ASSETS.fetch(request_or_url)` serves the project's files.

    Each request gets its own, bound to that request (its URL resolves relative ones).
    """

    __slots__ = ("_base_url", "_scope")

    def __init__(self, base_url: str, scope: RequestScope) -> None:
        self._base_url = base_url
        self._scope = scope

    async def fetch(self, request: Request | str) -> Response:
        """Serve `request` (a Request, or a URL; a relative one is taken from the current URL)."""
        host = self._scope.host("env.ASSETS", USE_THIS_ENV)
        return host.assets_fetch(self._absolute(request), self._scope)

    def _absolute(self, request: Request | str) -> Request:
        """A Request with an absolute URL, resolved against the incoming request's URL."""
        if isinstance(request, str):
            return Request(urljoin(self._base_url, request))
        if not isinstance(request, Request):
            raise TypeError(
                f"env.ASSETS.fetch() takes a Request or a URL, not {type(request).__name__}"
            )
        if urlsplit(request.url).scheme:
            return request
        url = urljoin(self._base_url, request.url)
        return Request._trusted(request.method, url, request.headers, request.body)

    def __repr__(self) -> str:
        return "<Assets binding>"


class Env:
    """The `env` argument of `fetch(request, env)`: `env.ASSETS` is the asset binding."""

    __slots__ = ("ASSETS",)

    def __init__(self, assets: Assets) -> None:
        self.ASSETS = assets

    def __repr__(self) -> str:
        return "<Env ASSETS>"
