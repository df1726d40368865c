"""What lets operators watch a host: liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import json
import os
import sqlite3

import falcon

from host import metrics
from host.errors import StorageUnavailable
from host.services import Services


class Alive:
    """`GET /healthz`: the process answers (nothing else is checked)."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """200 `ok`."""
        resp.content_type = falcon.MEDIA_TEXT
        resp.text = "ok\n"


class Ready:
    """`GET /readyz`: this worker can serve: its database answers, its engine's deadlines tick,
    its app is built (the recent projects' workers loaded)."""

    def __init__(self, services: Services) -> None:
        self._services = services

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """200 with each check's result, or 503 naming what failed."""
        checks = {"database": self._database(), "engine": self._engine(), "worker": "ok"}
        ready = all(result == "ok" for result in checks.values())
        resp.status = falcon.HTTP_200 if ready else falcon.HTTP_503
        resp.content_type = falcon.MEDIA_JSON
        resp.text = json.dumps({"ready": ready, "pid": os.getpid(), "checks": checks})

    def _database(self) -> str:
        """`ok`, or why the database cannot be read."""
        try:
            self._services.store.get("health-check")
        except (sqlite3.Error, StorageUnavailable) as error:
            return f"unreachable: {error}"
        return "ok"

    def _engine(self) -> str:
        """`ok`, or that the epoch ticker (which enforces deadlines) stopped."""
        return "ok" if self._services.ticker.running else "the deadline ticker is not running"


class Metrics:
    """`GET /metrics`: every worker's metrics in Prometheus text format."""

    def __init__(self, services: Services) -> None:
        self._store = services.store

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """The exposition, summed over worker processes."""
        resp.content_type = metrics.CONTENT_TYPE
        resp.data = metrics.exposition(self._store)
