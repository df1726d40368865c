"""The WSGI app: tenant requests go to their project's worker, the rest to the control plane."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import falcon

from host.config import Settings
from host.services import Services
from host.web import control, errors
from host.web.access_log import AccessLog
from host.web.guest import GuestDispatch
from host.web.tenant import normalized_host, project_label
from host.web.warmup import load_recent_workers

StartResponse = Callable[..., Any]


class WasmHost:
    """A WSGI callable that picks the tenant app or the control-plane app by Host header."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self._base_domain = services.settings.base_domain
        self.tenants = falcon.App(media_type=falcon.MEDIA_TEXT)
        self.tenants.resp_options.default_media_type = None  # type: ignore[assignment]
        self.tenants.add_sink(GuestDispatch(services), prefix="/")
        self.control = falcon.App()
        control.add_routes(self.control, services)
        errors.install(self.tenants)
        errors.install_api(self.control)
        self._logged = AccessLog(self._route, services.settings, services.recent)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """Serve one request, with its id, access-log line and metrics."""
        return self._logged(environ, start_response)

    def _route(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """Route by the Host header (or SERVER_NAME when there is none)."""
        host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
        label = project_label(host, self._base_domain)
        if label is None:
            return self.control(environ, start_response)
        environ["wasmhost.project"] = label
        environ["wasmhost.host"] = normalized_host(host)
        return self.tenants(environ, start_response)

    def close(self) -> None:
        """Release background resources (the epoch ticker)."""
        self.services.close()


def create_app(settings: Settings | None = None, services: Services | None = None) -> WasmHost:
    """Build the host from its parts (`services`), or from settings (defaults, the config
    file and `WASMHOST_*` variables if none given).

    The components of the most recently deployed projects are loaded before it returns.
    """
    if services is None:
        services = Services.create(settings or Settings.load())
    load_recent_workers(services)
    return WasmHost(services)
