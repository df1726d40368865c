"""A deployment's asset setup (manifest and options), parsed once per deployment.

One entry per project, tagged with the deployment's unique id: a redeploy replaces the entry
(never answered from a stale one), and nothing outlives the deployment it came from.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from host.assets.manifest import Manifest
from host.assets.options import AssetOptions
from host.storage import keys
from host.storage.deployments import Deployment
from host.storage.store import Store


@dataclass(frozen=True)
class ProjectAssets:
    """What the asset binding needs for one deployment."""

    manifest: Manifest | None
    options: AssetOptions


class ManifestCache:
    """`get(deployment)`: its manifest (None: no assets) and options, parsed once."""

    def __init__(self, store: Store, capacity: int = 256) -> None:
        self._store = store
        self._capacity = capacity
        self._entries: OrderedDict[str, tuple[str, ProjectAssets]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, deployment: Deployment) -> ProjectAssets:
        """The asset setup of exactly this deployment (its manifest never changes)."""
        project_id = deployment.project_id
        with self._lock:
            cached = self._entries.get(project_id)
            if cached is not None and cached[0] == deployment.id:
                self._entries.move_to_end(project_id)
                return cached[1]
        raw = self._store.get(keys.manifest_key(project_id, deployment.version))
        assets = ProjectAssets(
            manifest=None if raw is None else Manifest.from_json(raw),
            options=AssetOptions.from_mapping(deployment.asset_options),
        )
        with self._lock:
            self._entries[project_id] = (deployment.id, assets)
            self._entries.move_to_end(project_id)
            while len(self._entries) > self._capacity:
                self._entries.popitem(last=False)
        return assets

    def __len__(self) -> int:
        """How many projects have an entry."""
        return len(self._entries)
