"""KV namespaces: `env.NAME` with Workers KV's operations, as coroutines.

    await env.NOTES.put("greeting", "hello", expiration_ttl=3600, metadata={"by": "me"})
    await env.NOTES.get("greeting")                  # "hello" (None if there is none)
    await env.NOTES.get("data", type="json")         # also "bytes" and "text" (the default)
    await env.NOTES.get_with_metadata("greeting")    # WithMetadata(value=..., metadata=...)
    await env.NOTES.list(prefix="g", limit=10)       # {"keys": [...], "list_complete": ..., ...}
    await env.NOTES.delete("greeting")

Each request gets its own, bound to that request; a refusal from the host (a key too long, the
quota reached, …) raises KVError with the reason.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from .body import HostBody
from .scope import RequestScope

USE_THIS_ENV = "use the `env` passed to this request's fetch(request, env)."
TYPES = ("text", "json", "bytes")


class KVError(Exception):
    """The host refused a KV operation; the message says why."""


class WithMetadata(NamedTuple):
    """A value and its metadata (both None when there is no such key)."""

    value: Any
    metadata: Any


class KVNamespace:
    """One KV namespace of the deployment, by its binding name."""

    __slots__ = ("_binding", "_scope")

    def __init__(self, binding: str, scope: RequestScope) -> None:
        self._binding = binding
        self._scope = scope

    async def get(self, key: str, type: str = "text") -> Any:
        """The value under `key` as `type` ("text", "json" or "bytes"), or None."""
        return (await self.get_with_metadata(key, type)).value

    async def get_with_metadata(self, key: str, type: str = "text") -> WithMetadata:
        """The value under `key` as `type`, with its metadata."""
        if type not in TYPES:
            raise ValueError(f"type must be one of {', '.join(TYPES)}, not {type!r}")
        found = self._host().kv_get(self._binding, str(key), self._scope)
        if found is None:
            return WithMetadata(None, None)
        value, metadata = found
        data = value.read() if isinstance(value, HostBody) else value
        return WithMetadata(
            _as_type(data, type), None if metadata is None else json.loads(metadata)
        )

    async def put(
        self,
        key: str,
        value: str | bytes | HostBody,
        *,
        expiration: int | None = None,
        expiration_ttl: int | None = None,
        metadata: Any = None,
    ) -> None:
        """Store `value` (text, bytes, or a body still in the host, such as `request.body`)."""
        if isinstance(value, str):
            value = value.encode("utf-8")
        elif isinstance(value, bytearray | memoryview):
            value = bytes(value)
        elif not isinstance(value, bytes | HostBody):
            raise TypeError(
                f"a KV value must be str, bytes or a HostBody, not {type(value).__name__}"
            )
        meta = None if metadata is None else json.dumps(metadata, separators=(",", ":"))
        for name, seconds in (("expiration", expiration), ("expiration_ttl", expiration_ttl)):
            if seconds is not None and (not isinstance(seconds, int) or seconds < 0):
                raise ValueError(f"{name} must be a whole number of seconds, not {seconds!r}")
        host = self._host()
        host.kv_put(self._binding, str(key), value, expiration, expiration_ttl, meta)

    async def delete(self, key: str) -> None:
        """Remove `key` (nothing happens if it is not there)."""
        self._host().kv_delete(self._binding, str(key))

    async def list(
        self, prefix: str = "", cursor: str | None = None, limit: int = 1000
    ) -> dict[str, Any]:
        """`{"keys": [{"name", "expiration"?, "metadata"?}], "list_complete", "cursor"?}`."""
        keys, complete, next_cursor = self._host().kv_list(self._binding, prefix, cursor, limit)
        listed = []
        for name, expiration, metadata in keys:
            item: dict[str, Any] = {"name": name}
            if expiration is not None:
                item["expiration"] = expiration
            if metadata is not None:
                item["metadata"] = json.loads(metadata)
            listed.append(item)
        page: dict[str, Any] = {"keys": listed, "list_complete": complete}
        if next_cursor is not None:
            page["cursor"] = next_cursor
        return page

    def _host(self) -> Any:
        """The host, while this namespace's request runs."""
        return self._scope.host(f"env.{self._binding}", USE_THIS_ENV)

    def __repr__(self) -> str:
        return f"<KVNamespace {self._binding}>"


def _as_type(data: bytes, type: str) -> Any:
    """Stored bytes as the type asked for."""
    if type == "bytes":
        return data
    if type == "json":
        return json.loads(data)
    return data.decode("utf-8", errors="replace")
