"""`wasmhost dev`: build, deploy to a local database, serve, and redeploy on every change.

A `DevSession` deploys the project folder as `wasmhost deploy DIR` would, into a database of
its own, and a watcher thread polls the folder's files; a change rebuilds and redeploys it, so
the next request sees it. A build or deploy that fails is printed in the terminal, and until
the next one succeeds every request gets a 500 page saying why: a stale version is never
served silently. `DevApp` wraps the host's WSGI app for that and logs one line per request.
"""

from __future__ import annotations

import html
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from host.deploy import deploy
from host.deploy_target import Asked, deploy_target
from host.services import Services

log = logging.getLogger("wasmhost.dev")
POLL_SECONDS = 0.3
SKIPPED = frozenset({".wasmhost", ".git", "node_modules", "__pycache__", ".cache"})
StartResponse = Callable[..., Any]


@dataclass(frozen=True)
class Outcome:
    """The last build and deploy: the version serving, or why there is none."""

    project: str | None
    version: int | None
    error: str | None
    seconds: float

    def describe(self) -> str:
        """One line (or the error's lines) for the terminal."""
        if self.error is not None:
            return f"build or deploy failed after {self.seconds:.1f} s:\n{self.error}"
        return f"deployed {self.project} version {self.version} in {self.seconds:.1f} s"


class DevSession:
    """One project folder kept deployed in a local database while it changes."""

    def __init__(self, services: Services, asked: Asked) -> None:
        self._services = services
        self._asked = asked
        self._lock = threading.Lock()
        self.outcome = Outcome(asked.project, None, "not built yet", 0.0)

    def redeploy(self) -> Outcome:
        """Build (when needed) and deploy the folder as it is now."""
        started = time.monotonic()
        with self._lock:
            try:
                with deploy_target(self._asked) as target:
                    bundle = _bundle(self._services, target.worker, target.assets)
                    target.fill(bundle)
                    version = deploy(
                        self._services, target.project, bundle, target.options, None, target.limits
                    ).version
                outcome = Outcome(target.project, version, None, time.monotonic() - started)
            except Exception as error:  # any failure shows as the error page
                project = self.outcome.project
                outcome = Outcome(project, None, str(error), time.monotonic() - started)
            self.outcome = outcome
        return outcome


def _bundle(services: Services, worker: Path, assets: Path | None) -> Any:
    """The folder's bundle under the host's limits."""
    from host.bundle import read_folder
    from host.deploy import bundle_limits

    return read_folder(worker, assets, bundle_limits(services.settings))


def snapshot(folder: Path) -> dict[Path, tuple[int, int]]:
    """Every file under `folder` (but tool folders, never entered) with mtime and size."""
    found: dict[Path, tuple[int, int]] = {}
    for root, dirs, names in os.walk(folder):
        dirs[:] = [name for name in dirs if name not in SKIPPED]
        for name in names:
            path = Path(root) / name
            try:
                stat = path.stat()
            except OSError:
                continue
            found[path] = (stat.st_mtime_ns, stat.st_size)
    return found


class Watcher(threading.Thread):
    """Polls the folder; on a change, waits for it to settle, then calls `on_change()`."""

    def __init__(self, folder: Path, on_change: Callable[[], object]) -> None:
        super().__init__(name="wasmhost-dev-watch", daemon=True)
        self._folder = folder
        self._on_change = on_change
        self._stop = threading.Event()

    def run(self) -> None:
        """Poll until stopped."""
        seen = snapshot(self._folder)
        while not self._stop.wait(POLL_SECONDS):
            now = snapshot(self._folder)
            if now != seen:
                seen = self._settled(now)
                self._on_change()

    def _settled(self, now: dict[Path, tuple[int, int]]) -> dict[Path, tuple[int, int]]:
        """The folder once it stops changing (an editor may write in several steps)."""
        while not self._stop.wait(POLL_SECONDS):
            later = snapshot(self._folder)
            if later == now:
                break
            now = later
        return now

    def stop(self) -> None:
        """Stop polling."""
        self._stop.set()


class DevApp:
    """The host's WSGI app, answering 500 with the build error while there is one (the host
    logs one access line per request it serves)."""

    def __init__(self, app: Any, session: DevSession) -> None:
        self._app = app
        self._session = session

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """Serve the request, or the error page."""
        error = self._session.outcome.error
        if error is not None:
            return _error_page(error, start_response)
        return self._app(environ, start_response)  # type: ignore[no-any-return]

    def close(self) -> None:
        """Close the wrapped app."""
        close = getattr(self._app, "close", None)
        if callable(close):
            close()


def _error_page(error: str, start_response: StartResponse) -> list[bytes]:
    """A readable 500 page for the build or deploy that failed."""
    page = (
        "<!doctype html><meta charset=utf-8><title>wasmhost dev: build failed</title>"
        "<style>body{font:15px system-ui;margin:2em}pre{background:#fee;padding:1em;"
        "white-space:pre-wrap}</style><h1>The last change did not build or deploy</h1>"
        f"<pre>{html.escape(error)}</pre><p>Fix it and save: this page reloads with the next"
        " request.</p>"
    ).encode()
    headers = [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(page)))]
    start_response("500 Internal Server Error", headers)
    return [page]
