"""Parsed manifests kept in memory, keyed by deployment so a redeploy never sees stale ones."""

from __future__ import annotations

import threading
from collections import OrderedDict

from host.assets.manifest import Manifest
from host.storage import keys
from host.storage.deployments import Deployment
from host.storage.kv import SqliteStore


class ManifestCache:
    """`get(deployment)`: the deployment's manifest (None: no assets), parsed once."""

    def __init__(self, store: SqliteStore, capacity: int = 256) -> None:
        self._store = store
        self._capacity = capacity
        self._entries: OrderedDict[str, Manifest | None] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, deployment: Deployment) -> Manifest | None:
        """The manifest of exactly this deployment version."""
        key = deployment.id
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        raw = self._store.get(keys.manifest_key(deployment.project_id))
        manifest = None if raw is None else Manifest.from_json(raw)
        with self._lock:
            self._entries[key] = manifest
            while len(self._entries) > self._capacity:
                self._entries.popitem(last=False)
        return manifest
