"""Uploads that skip what a project stores already (wrangler's flow): which parts a project
lacks, and a bundle completed from storage with the parts it reused; and compressed variants
an earlier version made, taken instead of compressing unchanged files again.

A client asks which of its files (and worker), by SHA-256, the project lacks, then uploads
only those, naming the rest in `reuse.json` (`host.bundle.Reuse`). Only the project's own
stored parts can be reused, and each one's bytes are checked against the SHA-256 claimed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from functools import partial
from typing import Any

from host.assets.compress import Known
from host.assets.manifest import etag_for
from host.bundle import Bundle, BundleLimits
from host.errors import DeployError
from host.storage import keys
from host.storage.deployments import Deployment
from host.storage.store import Store

ETAG_HEX_LENGTH = 32  # files are stored under their ETag: the first 32 hex digits of SHA-256


class ReusedPartGone(DeployError):
    """A part the upload reuses is not stored (any more, or with that hash): send it whole."""


def missing_parts(
    store: Store, project_id: str, file_sha256s: Iterable[str], worker_sha256: str | None
) -> tuple[list[str], bool]:
    """The file hashes the project does not store, and whether it lacks the worker."""
    files = sorted(
        sha256 for sha256 in set(file_sha256s) if not store.has(_file_key(project_id, sha256))
    )
    worker = worker_sha256 is not None and not store.has(keys.worker_key(project_id, worker_sha256))
    return files, worker


def complete_from_storage(
    store: Store, project_id: str, bundle: Bundle, limits: BundleLimits
) -> Bundle:
    """The bundle with every reused part read from the project's storage and checked."""
    reuse = bundle.reuse
    if reuse is None:
        return bundle
    if reuse.worker_sha256 is not None:
        key = keys.worker_key(project_id, reuse.worker_sha256)
        bundle.worker = _checked(store.get(key), reuse.worker_sha256, "the worker")
    for pathname, sha256 in sorted(reuse.files.items()):
        key = _file_key(project_id, sha256)
        size = store.size(key)
        if size is None:
            raise ReusedPartGone(f"{pathname} is not stored with SHA-256 {sha256}: upload it whole")
        read = partial(_read_checked, store, key, sha256, pathname)
        bundle.add_file(pathname.removeprefix("/"), size, read, limits)  # limits before reading
    bundle.reuse = None
    return bundle


def _file_key(project_id: str, sha256: str) -> str:
    """Where the project keeps the file with this SHA-256."""
    return keys.file_key(project_id, sha256[:ETAG_HEX_LENGTH])


def _read_checked(store: Store, key: str, sha256: str, what: str) -> bytes:
    """The stored bytes under `key`, checked against `sha256`."""
    return _checked(store.get(key), sha256, what)


def _checked(data: bytes | None, sha256: str, what: str) -> bytes:
    """Stored bytes whose SHA-256 is `sha256`; ReusedPartGone otherwise."""
    if data is None or hashlib.sha256(data).hexdigest() != sha256:
        raise ReusedPartGone(f"{what} is not stored with SHA-256 {sha256}: upload it whole")
    return data


def stored_variants(store: Store, previous: Deployment) -> Known:
    """`known(data)` for `compress_files`: the variants `previous` stored for those bytes."""
    raw = store.get(keys.manifest_key(previous.project_id, previous.version))
    made = {} if raw is None else _variant_etags(json.loads(raw))

    def known(data: bytes) -> dict[str, bytes] | None:
        """The stored variants of `data`, if every one of them is still there."""
        etags = made.get(etag_for(data))
        if not etags:
            return None
        found = {enc: store.get(keys.file_key(previous.project_id, e)) for enc, e in etags.items()}
        return None if None in found.values() else {e: d for e, d in found.items() if d}

    return known


def _variant_etags(document: dict[str, Any]) -> dict[str, dict[str, str]]:
    """A manifest document's identity ETag to its variants' ETags, by encoding."""
    return {
        entry["etag"]: {enc: variant["etag"] for enc, variant in entry["variants"].items()}
        for entry in document.get("files", {}).values()
        if entry.get("variants")
    }
