"""`env`: what a worker receives besides the request: the asset binding (`env.ASSETS`) and the
deployment's variables and secrets (`env.API_URL`), as on Workers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
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
    """The `env` argument of `fetch(request, env)`: `env.ASSETS` is the asset binding, and each
    variable or secret of the deployment is an attribute (`env.API_URL`, a str), as is each KV
    namespace (`env.NOTES`, a KVNamespace)."""

    __slots__ = ("ASSETS", "_vars")

    def __init__(self, assets: Assets, bindings: Mapping[str, Any] | None = None) -> None:
        self.ASSETS = assets
        self._vars = dict(bindings or {})

    def __getattr__(self, name: str) -> Any:
        """A variable, secret or KV namespace, by name."""
        try:
            return self._vars[name]
        except KeyError:
            known = ", ".join(sorted(self._vars)) or "none"
            raise AttributeError(
                f"env has no {name!r} (this deployment's bindings: {known}); set one with"
                " `vars` or `kv_namespaces` in wasmhost.toml, `--var NAME=VALUE`, `--kv NAME` or"
                " `wasmhost secret put`"
            ) from None

    def __contains__(self, name: object) -> bool:
        """Whether the deployment has this variable or secret (`"API_URL" in env`)."""
        return name == "ASSETS" or name in self._vars

    def get(self, name: str, default: Any = None) -> Any:
        """A variable, secret or KV namespace, or `default` if there is none by that name."""
        return self._vars.get(name, default)

    def __dir__(self) -> list[str]:
        return ["ASSETS", *sorted(self._vars)]

    def __repr__(self) -> str:
        return f"<Env {' '.join(self.__dir__())}>"  # names only: values may be secrets
