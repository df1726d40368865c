"""`env`: the bindings a worker receives; today the asset binding, `env.ASSETS`."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from . import host
from .request import Request
from .response import Response


class Assets:
    """The asset binding: `await env.ASSETS.fetch(request_or_url)` serves the project's files."""

    __slots__ = ("_base_url",)

    def __init__(self, base_url: str) -> None:
        self._base_url = base_url

    async def fetch(self, request: Request | str) -> Response:
        """Serve `request` (a Request, or a URL; a relative one is taken from the current URL)."""
        return host.current().assets_fetch(self._absolute(request))

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
