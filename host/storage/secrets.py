"""Secrets the host keeps for itself in its database, made on first use."""

from __future__ import annotations

import secrets

from host.storage.kv import SqliteStore


def secret_key(name: str) -> str:
    """Where the secret `name` is stored (outside every project's prefix)."""
    return f"host/secret/{name}"


def host_secret(store: SqliteStore, name: str) -> bytes:
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
