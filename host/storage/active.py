"""Each project's active deployment, answered from memory while the database is unchanged.

Every lookup first asks the store whether anything was committed since this thread last asked
(`change_token`: no disk read); if so, the thread forgets the rows it remembered. Each thread
remembers only rows it read itself, so it never answers with a row older than what its own
connection has seen. What a row names (a version's record, manifest, files and worker) never
changes, so the rest of a request needs no transaction to match it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

from host.storage.deployments import Deployment, active_deployment
from host.storage.store import Store


class _Remembered(threading.local):
    """One thread's rows and the change token they were read under."""

    def __init__(self) -> None:
        self.token: Hashable | None = None
        self.rows: OrderedDict[str, Deployment | None] = OrderedDict()


class ActiveDeployments:
    """`get(project_id)`: the active deployment (None if never deployed), read once per change."""

    def __init__(self, store: Store, capacity: int = 4096) -> None:
        self._store = store
        self._capacity = capacity
        self._remembered = _Remembered()

    def get(self, project_id: str) -> Deployment | None:
        """The project's active deployment as of the latest commit this thread has seen."""
        remembered = self._remembered
        token = self._store.change_token()
        if remembered.token != token:
            remembered.token = token
            remembered.rows.clear()
        rows = remembered.rows
        if project_id in rows:
            rows.move_to_end(project_id)
            return rows[project_id]
        found = rows[project_id] = active_deployment(self._store, project_id)
        if len(rows) > self._capacity:
            rows.popitem(last=False)
        return found
