"""Versions: every deploy writes an immutable version, and one key says which is active.

A deploy writes the new version's record, manifest, files and worker, and switches the
project to it, in one transaction; it then forgets versions past the newest `keep` (with the
files and workers only they used). A rollback switches back to a kept version by writing the
one key. `host.storage.keys` describes the layout.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from host.assets.manifest import etag_for
from host.errors import ProjectNotFound, VersionNotFound
from host.storage import keys
from host.storage.pruning import forget_project, forget_versions
from host.storage.store import Store, Writes


@dataclass(frozen=True)
class Deployment:
    """One version of a project: what it serves while it is active."""

    project_id: str
    id: str
    version: int
    worker_sha256: str
    deployed_at: str
    asset_options: Mapping[str, str] = field(default_factory=dict)
    strict_isolation: bool = False  # a fresh instance for every request
    limits: Mapping[str, int] = field(default_factory=dict)  # the project's own, tighter limits
    files: int = 0  # files served
    size: int = 0  # their bytes, uncompressed
    vars: Mapping[str, str] = field(default_factory=dict)  # env.NAME for the guest
    secrets: Mapping[str, str] = field(default_factory=dict)  # name → sealed value
    kv_namespaces: Mapping[str, str] = field(default_factory=dict)  # binding → namespace
    outbound_hosts: Sequence[str] = ()  # hosts the guest may fetch from

    def to_json(self) -> bytes:
        """The record as stored."""
        return json.dumps(asdict(self), sort_keys=True).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> Deployment:
        """Parse a stored record."""
        data: dict[str, Any] = json.loads(raw)
        return cls(**data)


@dataclass(frozen=True)
class NewVersion:
    """What a deploy stores: the worker, the files to serve and their compressed variants."""

    worker: bytes
    worker_sha256: str
    files: Mapping[str, bytes] = field(default_factory=dict)
    manifest: bytes | None = None  # None: no assets
    variants: Mapping[str, Mapping[str, bytes]] = field(default_factory=dict)  # enc → path → bytes
    asset_options: Mapping[str, str] = field(default_factory=dict)
    strict_isolation: bool = False
    limits: Mapping[str, int] = field(default_factory=dict)
    vars: Mapping[str, str] = field(default_factory=dict)
    secrets: Mapping[str, str] = field(default_factory=dict)  # name → sealed value
    kv_namespaces: Mapping[str, str] = field(default_factory=dict)  # binding → namespace
    outbound_hosts: Sequence[str] = ()


def active_deployment(store: Store, project_id: str) -> Deployment | None:
    """The project's active version, or None if it was never deployed."""
    raw = store.get(keys.deployment_key(project_id))
    return None if raw is None else Deployment.from_json(raw)


def write_version(
    store: Store, project_id: str, new: NewVersion, keep: int
) -> tuple[Deployment, set[str]]:
    """Store `new` as the project's next version and switch to it, in one transaction.

    Versions past the newest `keep` are forgotten in the same transaction, but never the one
    that was serving until now (requests may still be reading it). Returns the new version
    and the workers no project keeps any more (their compiled artifacts can go).
    """
    with store.atomic() as writes:
        previous = active_deployment(store, project_id)
        latest = _latest_version(store, project_id)
        deployment = Deployment(
            project_id=project_id,
            id=uuid.uuid4().hex,
            version=latest + 1,
            worker_sha256=new.worker_sha256,
            deployed_at=datetime.now(UTC).isoformat(timespec="seconds"),
            asset_options=dict(new.asset_options),
            strict_isolation=new.strict_isolation,
            limits=dict(new.limits),
            files=len(new.files),
            size=sum(len(data) for data in new.files.values()),
            vars=dict(new.vars),
            secrets=dict(new.secrets),
            kv_namespaces=dict(new.kv_namespaces),
            outbound_hosts=list(new.outbound_hosts),
        )
        _write_parts(writes, project_id, deployment, new)
        _switch(writes, deployment)
        serving = {previous.version} if previous else set()  # requests may still be on it
        released = forget_versions(store, writes, project_id, keep, serving)
    return deployment, released


def derive_version(
    store: Store,
    project_id: str,
    change: Callable[[Deployment], Mapping[str, Any]],
    keep: int,
) -> tuple[Deployment, set[str]]:
    """A new version of the project like its active one but for the fields `change(active)`
    returns (its secrets, say), switched to in one transaction: nothing is uploaded again.
    Returns it and the workers no project keeps any more (as `write_version` does)."""
    with store.atomic() as writes:
        active = active_deployment(store, project_id)
        if active is None:
            raise ProjectNotFound(project_id)
        deployment = dataclasses.replace(
            active,
            **change(active),
            id=uuid.uuid4().hex,
            version=_latest_version(store, project_id) + 1,
            deployed_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        manifest = store.get(keys.manifest_key(project_id, active.version))
        if manifest is not None:
            writes.put(keys.manifest_key(project_id, deployment.version), manifest)
        writes.put(keys.version_key(project_id, deployment.version), deployment.to_json())
        _switch(writes, deployment)
        released = forget_versions(store, writes, project_id, keep, {active.version})
    return deployment, released


def activate_version(store: Store, project_id: str, number: int) -> Deployment:
    """Switch the project to its kept version `number` (a rollback): one key written."""
    with store.atomic() as writes:
        if active_deployment(store, project_id) is None:
            raise ProjectNotFound(project_id)
        raw = store.get(keys.version_key(project_id, number))
        if raw is None:
            kept = ", ".join(str(v.version) for v in list_versions(store, project_id))
            raise VersionNotFound(f"{project_id} has no version {number} (kept: {kept})")
        deployment = Deployment.from_json(raw)
        _switch(writes, deployment)
    return deployment


def delete_project(store: Store, project_id: str) -> set[str]:
    """Delete everything the project stored; the workers no project keeps any more."""
    with store.atomic() as writes:
        if active_deployment(store, project_id) is None:
            raise ProjectNotFound(project_id)
        return forget_project(store, writes, project_id)


def list_versions(store: Store, project_id: str) -> list[Deployment]:
    """The project's kept versions, oldest first."""
    prefix = keys.versions_prefix(project_id)
    return [Deployment.from_json(raw) for _, raw in store.items(prefix)]


def list_deployments(store: Store) -> list[Deployment]:
    """Every project's active version, by project id."""
    projects = (key.removeprefix(keys.PROJECT_INDEX) for key in store.keys(keys.PROJECT_INDEX))
    found = (active_deployment(store, project_id) for project_id in projects)
    return [deployment for deployment in found if deployment is not None]


def project_created(store: Store, project_id: str) -> str | None:
    """When the project was first deployed (None if unknown: stored before this was kept)."""
    raw = store.get(keys.project_index_key(project_id))
    if not raw:
        return None
    created = json.loads(raw).get("created")
    return created if isinstance(created, str) else None


def _latest_version(store: Store, project_id: str) -> int:
    """The highest version number the project ever had (0 if none): numbers are never reused."""
    active = active_deployment(store, project_id)
    kept = store.keys(keys.versions_prefix(project_id))
    newest_kept = int(kept[-1].rsplit("/", 1)[1]) if kept else 0
    return max(newest_kept, active.version if active else 0)


def _write_parts(writes: Writes, project_id: str, deployment: Deployment, new: NewVersion) -> None:
    """The version's record, manifest, worker, and any file bytes not stored yet."""
    for data in new.files.values():
        writes.put_new(keys.file_key(project_id, etag_for(data)), data)
    for by_path in new.variants.values():
        for data in by_path.values():
            writes.put_new(keys.file_key(project_id, etag_for(data)), data)
    if new.manifest is not None:
        writes.put(keys.manifest_key(project_id, deployment.version), new.manifest)
    writes.put_new(keys.worker_key(project_id, new.worker_sha256), new.worker)
    writes.put(keys.worker_user_key(new.worker_sha256, project_id), b"")
    writes.put(keys.version_key(project_id, deployment.version), deployment.to_json())
    created = json.dumps({"created": deployment.deployed_at}).encode()
    writes.put_new(keys.project_index_key(project_id), created)


def _switch(writes: Writes, deployment: Deployment) -> None:
    """Make `deployment` the project's active version."""
    writes.put(keys.deployment_key(deployment.project_id), deployment.to_json())
