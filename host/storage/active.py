"""Each project's active deployment, answered from memory while the database is unchanged.

Every lookup first asks the store whether anything was committed since this thread last asked
(`change_token`, no disk read); if so, every remembered row is forgotten. A row read before a
commit can never be remembered after it: entries carry the generation they were read in, and
forgetting starts a new one. Call `get` inside the request's `snapshot()`, so the answer belongs
to the state the rest of the request reads.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from host.storage.deployments import Deployment, active_deployment
from host.storage.kv import SqliteStore


class ActiveDeployments:
    """`get(project_id)`: the active deployment (None if never deployed), read once per change."""

    def __init__(self, store: SqliteStore, capacity: int = 10_000) -> None:
        self._store = store
        self._capacity = capacity
        self._rows: OrderedDict[str, Deployment | None] = OrderedDict()
        self._generation = 0
        self._lock = threading.Lock()
        self._seen = threading.local()

    def get(self, project_id: str) -> Deployment | None:
        """The project's active deployment as of the current snapshot."""
        self._forget_if_changed()
        with self._lock:
            generation = self._generation
            if project_id in self._rows:
                self._rows.move_to_end(project_id)
                return self._rows[project_id]
        found = active_deployment(self._store, project_id)
        with self._lock:
            if generation == self._generation:
                self._rows[project_id] = found
                while len(self._rows) > self._capacity:
                    self._rows.popitem(last=False)
        return found

    def _forget_if_changed(self) -> None:
        """Forget every row if the database changed since this thread last looked."""
        token = self._store.change_token()
        if getattr(self._seen, "token", None) == token:
            return
        self._seen.token = token
        with self._lock:
            self._rows.clear()
            self._generation += 1
