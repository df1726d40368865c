"""Project secrets sealed with a key kept outside the database.

Each secret value is encrypted with AES-256-GCM under the host's secrets key, with the project
and the secret's name as associated data, so a sealed value opens only where it was sealed.
The key lives in a file of its own (`secrets_key_file`, by default beside the database, made
on first use, readable by its owner only), so the database alone (a copy, a backup, a
replica) does not reveal secrets. Every host serving one database needs the same key file.
"""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from host.errors import SecretsUnreadable, WasmhostError

KEY_BYTES = 32
NONCE_BYTES = 12


class SecretBox:
    """Seals and opens project secrets with one key."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def seal(self, project_id: str, name: str, value: str) -> str:
        """The value encrypted for this project and name, as text to store."""
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, value.encode(), _context(project_id, name))
        return base64.b64encode(nonce + sealed).decode("ascii")

    def open(self, project_id: str, name: str, sealed: str) -> str:
        """The value sealed for this project and name; SecretsUnreadable if it does not open."""
        raw = base64.b64decode(sealed)
        try:
            plain = self._aead.decrypt(
                raw[:NONCE_BYTES], raw[NONCE_BYTES:], _context(project_id, name)
            )
        except InvalidTag:
            raise SecretsUnreadable(
                f"{project_id}: secret {name} does not open with this host's secrets key"
                " (is secrets_key_file the one the secret was set with?)"
            ) from None
        return plain.decode()


def load_key(path: Path) -> bytes:
    """The key in `path`, made (owner-only) on first use; WasmhostError if it is not one.

    A new key is written whole to a temporary file and linked into place, so processes
    starting together all end up with the one that got there first.
    """
    if not path.exists():
        _create_key(path)
    key = path.read_bytes()
    if len(key) != KEY_BYTES:
        raise WasmhostError(f"{path} is not a secrets key ({len(key)} bytes, not {KEY_BYTES})")
    return key


def _create_key(path: Path) -> None:
    """Write a fresh key to `path` unless another process has just done so."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(secrets.token_bytes(KEY_BYTES))
            out.flush()
            os.fsync(out.fileno())
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        temporary.unlink()


def _context(project_id: str, name: str) -> bytes:
    """The associated data binding a sealed value to its project and name."""
    return f"wasmhost secret\0{project_id}\0{name}".encode()
