"""Forgetting versions: what a project no longer keeps, inside the caller's transaction.

A file or worker stays while any kept version (or the active one) uses it. A worker no
project keeps any more is returned to the caller, which deletes its compiled artifacts once
the transaction has committed (a crash in between leaves only a cache file behind).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from typing import Any

from host.storage import keys
from host.storage.store import Store, Writes


def forget_versions(
    store: Store,
    writes: Writes,
    project_id: str,
    keep: int,
    also: Collection[int] = (),
) -> set[str]:
    """Delete all but the newest `keep` versions, the active one and those in `also`, with
    what only they used. Returns the workers no project keeps any more.
    """
    active = store.get(keys.deployment_key(project_id))
    active_number = None if active is None else int(json.loads(active)["version"])
    records = store.items(keys.versions_prefix(project_id))
    newest = {_number(key) for key, _ in records[-keep:]} if keep > 0 else set()
    kept, workers = [], set()
    for key, raw in records:
        number = _number(key)
        if number in newest or number == active_number or number in also:
            kept.append(number)
            workers.add(str(json.loads(raw)["worker_sha256"]))
        else:
            writes.delete(key)
            writes.delete(keys.manifest_key(project_id, number))
    _forget_files(store, writes, project_id, _etags_used(store, project_id, kept))
    return _forget_workers(store, writes, project_id, workers)


def forget_project(store: Store, writes: Writes, project_id: str) -> set[str]:
    """Delete every key of the project; returns the workers no project keeps any more."""
    released = _forget_workers(store, writes, project_id, keep=set())
    writes.delete_prefix(keys.project_prefix(project_id))
    writes.delete(keys.project_index_key(project_id))
    return released


def _number(key: str) -> int:
    """The version number at the end of a version record's key."""
    return int(key.rsplit("/", 1)[1])


def _etags_used(store: Store, project_id: str, numbers: Iterable[int]) -> set[str]:
    """The ETags (unquoted) of every file and variant the versions' manifests name."""
    used: set[str] = set()
    for number in numbers:
        raw = store.get(keys.manifest_key(project_id, number))
        if raw is not None:
            used.update(_manifest_etags(json.loads(raw)))
    return used


def _manifest_etags(document: dict[str, Any]) -> Iterable[str]:
    """Every ETag a manifest document names, unquoted."""
    for entry in document.get("files", {}).values():
        yield str(entry["etag"]).strip('"')
        for variant in entry.get("variants", {}).values():
            yield str(variant["etag"]).strip('"')


def _forget_files(store: Store, writes: Writes, project_id: str, used: set[str]) -> None:
    """Delete the project's stored bytes that no kept manifest names."""
    prefix = keys.files_prefix(project_id)
    for key in store.keys(prefix):
        if key.removeprefix(prefix) not in used:
            writes.delete(key)


def _forget_workers(store: Store, writes: Writes, project_id: str, keep: set[str]) -> set[str]:
    """Delete the project's workers not in `keep`; those no other project keeps either."""
    released = set()
    prefix = keys.workers_prefix(project_id)
    for key in store.keys(prefix):
        sha256 = key.removeprefix(prefix)
        if sha256 in keep:
            continue
        writes.delete(key)
        writes.delete(keys.worker_user_key(sha256, project_id))
        if not store.keys(keys.worker_users_prefix(sha256)):
            released.add(sha256)
    return released
