"""Moving projects stored in the first layout to versions (`host.storage.keys`), once each.

The first layout kept one deployment per project: `project/{id}/worker`, `/manifest`,
`/assets{path}` and `/encoded/{encoding}{path}`. Its active deployment becomes the project's
first kept version, with the same number, in one transaction per project.
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace

from host.storage import keys
from host.storage.deployments import Deployment
from host.storage.store import Store, Writes

log = logging.getLogger("wasmhost.storage")


def upgrade_layout(store: Store) -> int:
    """Move every project still in the first layout; how many were moved."""
    moved = 0
    for index_key in store.keys(keys.PROJECT_INDEX):
        project_id = index_key.removeprefix(keys.PROJECT_INDEX)
        if store.get(_old(project_id, "worker")) is not None:
            with store.atomic() as writes:
                moved += _move(store, writes, project_id)
    if moved:
        log.info("moved %d projects to the versioned storage layout", moved)
    return moved


def _old(project_id: str, name: str) -> str:
    """A key of the first layout."""
    return f"project/{project_id}/{name}"


def _move(store: Store, writes: Writes, project_id: str) -> int:
    """Move one project (checked again inside the transaction); 1 if moved."""
    worker = store.get(_old(project_id, "worker"))
    raw = store.get(keys.deployment_key(project_id))
    if worker is None or raw is None:
        return 0
    deployment = Deployment.from_json(raw)
    manifest = store.get(_old(project_id, "manifest"))
    files, size = 0, 0
    if manifest is not None:
        for path, entry in json.loads(manifest).get("files", {}).items():
            files, size = files + 1, size + int(entry["size"])
            _copy(store, writes, project_id, _old(project_id, f"assets{path}"), entry["etag"])
            for encoding, variant in entry.get("variants", {}).items():
                old_key = _old(project_id, f"encoded/{encoding}{path}")
                _copy(store, writes, project_id, old_key, variant["etag"])
        writes.put(keys.manifest_key(project_id, deployment.version), manifest)
    moved = replace(deployment, files=files, size=size)
    writes.put_new(keys.worker_key(project_id, deployment.worker_sha256), worker)
    writes.put(keys.worker_user_key(deployment.worker_sha256, project_id), b"")
    writes.put(keys.version_key(project_id, deployment.version), moved.to_json())
    writes.put(keys.deployment_key(project_id), moved.to_json())
    for name in ("assets/", "encoded/"):
        writes.delete_prefix(_old(project_id, name))
    writes.delete(_old(project_id, "manifest"))
    writes.delete(_old(project_id, "worker"))
    return 1


def _copy(store: Store, writes: Writes, project_id: str, old_key: str, etag: str) -> None:
    """Store the bytes under `old_key` under their ETag."""
    data = store.get(old_key)
    if data is not None:
        writes.put_new(keys.file_key(project_id, etag), data)
