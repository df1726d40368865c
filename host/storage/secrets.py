"""Secrets the host keeps for itself in its database, and the check that every host of one
database holds the same secrets key."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from pathlib import Path

from host.errors import WasmhostError
from host.storage.store import Store

KEY_ID = "host/secrets-key-id"  # names the secrets key in use, revealing nothing of it


def secret_key(name: str) -> str:
    """Where the secret `name` is stored (outside every project's prefix)."""
    return f"host/secret/{name}"


def host_secret(store: Store, name: str) -> bytes:
    """The 32-byte secret `name`, created once; every process on the database shares it."""
    existing = store.get(secret_key(name))
    if existing is not None:
        return existing
    with store.atomic() as writes:
        existing = store.get(secret_key(name))
        if existing is None:
            existing = secrets.token_bytes(32)
            writes.put(secret_key(name), existing)
    return existing


def artifact_key(secrets_key: bytes) -> bytes:
    """The key that signs compiled artifacts: derived from the secrets key, so only hosts hold
    it (never the database, where shared artifacts are kept)."""
    return hmac.new(secrets_key, b"wasmhost compiled artifacts", hashlib.sha256).digest()


def check_secrets_key(store: Store, key: bytes, path: Path) -> None:
    """Record which secrets key the database is used with, the first time; later, refuse
    another key (a host given its own would neither open secrets nor trust shared artifacts)."""
    mine = hmac.new(key, b"wasmhost secrets key id", hashlib.sha256).digest()[:16]
    recorded = store.get(KEY_ID)
    if recorded is None:
        with store.atomic() as writes:
            recorded = store.get(KEY_ID)
            if recorded is None:
                writes.put(KEY_ID, mine)
                return
    if not hmac.compare_digest(recorded, mine):
        raise WasmhostError(
            f"the secrets key {path} is not the one {store.describe()} is used with: copy the"
            " key file of a host that serves this database here (or point secrets_key_file at"
            " it); every host of one database needs the same key"
        )
