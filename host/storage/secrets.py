"""Secrets the host keeps for itself in its database, and the check that every host of one
database holds the same secrets key."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from pathlib import Path

from host.errors import SecretsUnreadable, WasmhostError
from host.secret_box import SecretBox, load_key
from host.storage.deployments import list_deployments
from host.storage.store import Store

log = logging.getLogger("wasmhost.storage")

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


def open_secrets_key(store: Store, path: Path) -> bytes:
    """The database's secrets key, read from `path` (made there only if the database records
    none yet) and checked against the database."""
    if not path.exists() and store.has(KEY_ID):
        raise WasmhostError(
            f"no secrets key at {path}, but {store.describe()} is used with one: {COPY_THE_KEY}"
        )
    key = load_key(path)
    check_secrets_key(store, key, path)
    return key


def check_secrets_key(store: Store, key: bytes, path: Path) -> None:
    """Record which secrets key the database is used with, the first time; later, refuse
    another key (a host given its own would neither open secrets nor trust shared artifacts).
    A database whose secrets, sealed before keys were recorded, do not open with this key is
    left unrecorded, with a warning: those projects answer 503 until the right key is given."""
    mine = hmac.new(key, b"wasmhost secrets key id", hashlib.sha256).digest()[:16]
    recorded = store.get(KEY_ID)
    if recorded is None:
        if not _opens_what_is_sealed(store, key):
            log.warning(
                "secrets in %s do not open with %s: %s", store.describe(), path, COPY_THE_KEY
            )
            return
        with store.atomic() as writes:
            recorded = store.get(KEY_ID)
            if recorded is None:
                writes.put(KEY_ID, mine)
                return
    if not hmac.compare_digest(recorded, mine):
        raise WasmhostError(
            f"the secrets key {path} is not the one {store.describe()} is used with: {COPY_THE_KEY}"
        )


COPY_THE_KEY = (
    "copy the key file of a host that serves this database there (or point secrets_key_file"
    " at it); every host of one database needs the same key"
)


def _opens_what_is_sealed(store: Store, key: bytes) -> bool:
    """Whether one secret sealed in the database (if there is any) opens with `key`."""
    box = SecretBox(key)
    for deployment in list_deployments(store):
        for name, sealed in deployment.secrets.items():
            try:
                box.open(deployment.project_id, name, sealed)
            except SecretsUnreadable:
                return False
            return True
    return True
