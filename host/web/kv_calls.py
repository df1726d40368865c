"""A guest's KV calls in WIT shapes: one request's view of its project's KV namespaces.

Values travel as the asset binding's do: up to `INLINE_BYTES` inline, larger ones as a body in
the request's body table (counted against its memory budget); a value the guest puts may be a
body handle of its own request (a request body stored without entering the guest). A refusal
(`KvError`) is answered as its message, which the guest SDKs raise as an error.
"""

from __future__ import annotations

from host.guest_kv import MAX_VALUE_BYTES, KvError, ProjectKv
from host.runtime.bodies import BodyTable
from host.runtime.values import Body, WitEntry, WitGot, WitKeyPage, WitListedKey, WitListing

INLINE_BYTES = 64 * 1024


class KvCalls:
    """kv.get/put/delete/list for one request of one deployment."""

    def __init__(self, kv: ProjectKv, bindings: list[str], bodies: BodyTable) -> None:
        self._kv = kv
        self._bindings = bindings
        self._bodies = bodies

    def namespaces(self) -> list[str]:
        """env.kv-namespaces: the binding names."""
        return self._bindings

    def get(self, binding: str, key: str) -> WitGot:
        """kv.get: None if missing, a WitEntry, or why it failed."""
        try:
            entry = self._kv.get(binding, key)
        except KvError as error:
            return str(error)
        if entry is None:
            return None
        value = entry.value
        body: Body = value if len(value) <= INLINE_BYTES else self._bodies.add(value)
        return WitEntry(body or None, entry.metadata, entry.expiration)

    def put(
        self,
        binding: str,
        key: str,
        value: Body,
        expiration: int | None,
        ttl: int | None,
        metadata: str | None,
    ) -> str | None:
        """kv.put: None when stored, else why not."""
        try:
            self._kv.put(binding, key, self._bytes(value), expiration, ttl, metadata)
        except KvError as error:
            return str(error)
        return None

    def delete(self, binding: str, key: str) -> str | None:
        """kv.delete: None when done, else why not."""
        try:
            self._kv.delete(binding, key)
        except KvError as error:
            return str(error)
        return None

    def list(self, binding: str, prefix: str, cursor: str | None, limit: int) -> WitListing:
        """kv.list: a page of keys, or why not."""
        try:
            page = self._kv.list(binding, prefix, cursor, limit)
        except KvError as error:
            return str(error)
        keys = [WitListedKey(k.name, k.expiration, k.metadata) for k in page.keys]
        return WitKeyPage(keys, page.complete, page.cursor)

    def _bytes(self, value: Body) -> bytes:
        """The value's bytes: inline, or a body of this request (refused past 25 MiB before
        it is read)."""
        if value is None or isinstance(value, bytes):
            return value or b""
        size = self._bodies.size(value)
        if size > MAX_VALUE_BYTES:
            raise KvError(f"KV put failed: the value is {size} bytes; at most 25 MiB")
        return self._bodies.take(value)
