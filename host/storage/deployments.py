"""Deployments: the single row naming what a project serves, switched in one transaction."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from host.storage import keys
from host.storage.kv import SqliteStore


@dataclass(frozen=True)
class Deployment:
    """What one project serves right now."""

    project_id: str
    id: str
    version: int
    worker_sha256: str
    deployed_at: str
    asset_options: Mapping[str, str] = field(default_factory=dict)
    strict_isolation: bool = False  # a fresh instance for every request
    limits: Mapping[str, int] = field(default_factory=dict)  # the project's own, tighter limits

    def to_json(self) -> bytes:
        """The row as stored."""
        return json.dumps(asdict(self), sort_keys=True).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> Deployment:
        """Parse a stored row."""
        data: dict[str, Any] = json.loads(raw)
        return cls(**data)


def active_deployment(store: SqliteStore, project_id: str) -> Deployment | None:
    """The project's active deployment, or None if it was never deployed."""
    raw = store.get(keys.deployment_key(project_id))
    return None if raw is None else Deployment.from_json(raw)


def write_deployment(
    store: SqliteStore,
    project_id: str,
    worker: bytes,
    worker_sha256: str,
    files: Mapping[str, bytes],
    manifest: bytes | None,
    asset_options: Mapping[str, str],
    variants: Mapping[str, Mapping[str, bytes]] | None = None,
    strict_isolation: bool = False,
    limits: Mapping[str, int] | None = None,
) -> Deployment:
    """Replace the project's worker, files and manifest (None: no assets) in one transaction.

    `variants` maps an encoding (`br`, `gzip`) to pathname to the compressed bytes.
    """
    with store.atomic() as writes:
        previous = active_deployment(store, project_id)
        deployment = Deployment(
            project_id=project_id,
            id=uuid.uuid4().hex,
            version=(previous.version + 1) if previous else 1,
            worker_sha256=worker_sha256,
            deployed_at=datetime.now(UTC).isoformat(timespec="seconds"),
            asset_options=dict(asset_options),
            strict_isolation=strict_isolation,
            limits=dict(limits or {}),
        )
        writes.delete_prefix(keys.assets_prefix(project_id))
        for pathname, data in files.items():
            writes.put(keys.asset_key(project_id, pathname), data)
        writes.delete_prefix(keys.encoded_prefix(project_id))
        for encoding, encoded in (variants or {}).items():
            for pathname, data in encoded.items():
                writes.put(keys.encoded_key(project_id, encoding, pathname), data)
        if manifest is None:
            writes.delete(keys.manifest_key(project_id))
        else:
            writes.put(keys.manifest_key(project_id), manifest)
        writes.put(keys.worker_key(project_id), worker)
        writes.put(keys.deployment_key(project_id), deployment.to_json())
        writes.put(keys.project_index_key(project_id), b"")
    return deployment


def list_deployments(store: SqliteStore) -> list[Deployment]:
    """Every project's active deployment, by project id."""
    projects = (key.removeprefix(keys.PROJECT_INDEX) for key in store.keys(keys.PROJECT_INDEX))
    found = (active_deployment(store, project_id) for project_id in projects)
    return [deployment for deployment in found if deployment is not None]
