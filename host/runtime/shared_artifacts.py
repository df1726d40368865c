"""Compiled components shared by every host of one PostgreSQL database.

A host that compiles a component publishes the artifact, with the MAC it wrote for its own
disk cache, under `compiled/{sha256}/{engine fingerprint}`; a host that has never seen the
component copies both into its disk cache and loads it from there, so it checks the MAC
exactly as for a file it wrote itself. The MAC's key is derived from the secrets key file,
which only hosts hold: write access to the database alone cannot make a host run native code
of its choosing (it can only make hosts compile again).
"""

from __future__ import annotations

import logging

from host.errors import StorageBusy
from host.storage import keys
from host.storage.store import Store

log = logging.getLogger("wasmhost.loader")

MAC_BYTES = 32


class SharedArtifacts:
    """Artifacts and their MACs, kept in the shared database for other hosts."""

    def __init__(self, store: Store, fingerprint: str) -> None:
        self._store = store
        self._fingerprint = fingerprint

    def fetch(self, sha256: str) -> tuple[bytes, bytes] | None:
        """The MAC and artifact another host published for `sha256`, or None."""
        value = self._store.get(keys.compiled_key(sha256, self._fingerprint))
        if value is None or len(value) <= MAC_BYTES:
            return None
        return value[:MAC_BYTES], value[MAC_BYTES:]

    def publish(self, sha256: str, mac: bytes, artifact: bytes) -> None:
        """Offer an artifact this host compiled to the others (replacing one that failed its
        check: the host got here by compiling). Best effort: a busy or unreachable database
        only means the others compile it too."""
        try:
            with self._store.atomic() as writes:
                writes.put(keys.compiled_key(sha256, self._fingerprint), mac + artifact)
        except StorageBusy as error:
            log.warning("compiled artifact %s not shared: %s", sha256[:12], error)

    def forget(self, sha256: str) -> None:
        """Drop every engine's artifact of a component no project keeps any more (best effort:
        what is left costs room, never correctness; the next deploy that releases it retries)."""
        try:
            with self._store.atomic() as writes:
                writes.delete_prefix(keys.compiled_prefix(sha256))
        except StorageBusy as error:
            log.warning("shared artifact %s not dropped: %s", sha256[:12], error)
