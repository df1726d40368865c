"""A deployment's asset setup (manifest and options), parsed once and kept by deployment id.

Keyed by the deployment's unique id, so a redeploy can never be answered from a stale entry.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from host.assets.manifest import Manifest
from host.assets.options import AssetOptions
from host.storage import keys
from host.storage.deployments import Deployment
from host.storage.kv import SqliteStore


@dataclass(frozen=True)
class ProjectAssets:
    """What the asset binding needs for one deployment."""

    manifest: Manifest | None
    options: AssetOptions


class ManifestCache:
    """`get(deployment)`: its manifest (None: no assets) and options, parsed once."""

    def __init__(self, store: SqliteStore, capacity: int = 256) -> None:
        self._store = store
        self._capacity = capacity
        self._entries: OrderedDict[str, ProjectAssets] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, deployment: Deployment) -> ProjectAssets:
        """The asset setup of exactly this deployment (read in the caller's snapshot)."""
        with self._lock:
            if deployment.id in self._entries:
                self._entries.move_to_end(deployment.id)
                return self._entries[deployment.id]
        raw = self._store.get(keys.manifest_key(deployment.project_id))
        assets = ProjectAssets(
            manifest=None if raw is None else Manifest.from_json(raw),
            options=AssetOptions.from_mapping(deployment.asset_options),
        )
        with self._lock:
            self._entries[deployment.id] = assets
            while len(self._entries) > self._capacity:
                self._entries.popitem(last=False)
        return assets
