"""KV namespaces for guests: Workers KV's operations, stored by the host, per project.

Entries live in a table of their own (`guest_kv`, beside the host's `kv` table in the same
database), under keys the host builds from the project and the namespace, so a guest can name
only its own project's namespaces, and only those its deployment declares:

    {project}/{namespace}/m/{key}    the entry's metadata: size, expiration, the user's metadata
    {project}/{namespace}/v/{key}    the entry's value
    #usage/{project}                 bytes the project stores in all (keys, values, metadata;
                                     `#` is in no project id, so no project's prefix holds it)

Workers' limits apply (a key of at most 512 bytes, not `.` or `..`; a value of at most 25 MiB;
metadata of at most 1024 bytes of JSON; an expiration at least 60 s ahead), and a quota per
project. Each refusal is a `KvError` whose message the guest sees. An expired entry reads as
absent and is deleted when the project next needs the room.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass
from pathlib import Path

from host.errors import WasmhostError
from host.storage.store import Store, Writes, open_store

TABLE = "guest_kv"
MAX_KEY_BYTES = 512
MAX_VALUE_BYTES = 25 * 1024 * 1024
MAX_METADATA_BYTES = 1024
MIN_TTL_SECONDS = 60
MAX_LIST = 1000
USAGE = "#usage/"  # where a project's byte count is kept


class KvError(WasmhostError):
    """A KV operation the guest asked for was refused; the message says why."""


@dataclass(frozen=True)
class Entry:
    """A stored value with its metadata (JSON text) and expiration (seconds since the epoch)."""

    value: bytes
    metadata: str | None
    expiration: int | None


@dataclass(frozen=True)
class Listed:
    """One key of a listing, with its expiration and metadata."""

    name: str
    expiration: int | None
    metadata: str | None


@dataclass(frozen=True)
class Page:
    """One page of a listing; `cursor` continues it when it is not complete."""

    keys: list[Listed]
    complete: bool
    cursor: str | None


def open_kv_store(db: str | Path) -> Store:
    """The store of every project's KV entries, in the host's database."""
    return open_store(db, TABLE)


class ProjectKv:
    """The KV namespaces one deployment declares (binding name → namespace), for its project."""

    def __init__(self, store: Store, project_id: str, bindings: dict[str, str], quota: int) -> None:
        self._store = store
        self._project = project_id
        self._bindings = bindings
        self._quota = quota

    def get(self, binding: str, key: str) -> Entry | None:
        """The entry under `key`, or None if there is none (or it expired)."""
        prefix = self._prefix(binding)
        _check_key(key)
        with self._store.snapshot():
            raw_meta = self._store.get(f"{prefix}m/{key}")
            value = self._store.get(f"{prefix}v/{key}")
        if raw_meta is None or value is None:
            return None
        meta = json.loads(raw_meta)
        if _expired(meta.get("expiration")):
            return None
        return Entry(value, meta.get("metadata"), meta.get("expiration"))

    def put(
        self,
        binding: str,
        key: str,
        value: bytes,
        expiration: int | None = None,
        ttl: int | None = None,
        metadata: str | None = None,
    ) -> None:
        """Store `value` under `key`, replacing what was there."""
        prefix = self._prefix(binding)
        _check_key(key)
        if len(value) > MAX_VALUE_BYTES:
            raise KvError(f"KV put failed: the value is {len(value)} bytes; at most 25 MiB")
        metadata = _checked_metadata(metadata)
        expires = _expiration(expiration, ttl)
        meta = json.dumps({"size": len(value), "expiration": expires, "metadata": metadata})
        cost = _cost(key, len(value), metadata)
        with self._store.atomic() as writes:
            used = self._usage()
            if used - self._old_cost(prefix, key) + cost > self._quota:
                used -= self._sweep_expired(writes)
            used -= self._old_cost(prefix, key)  # after the sweep, which may have taken it
            if used + cost > self._quota:
                raise KvError(
                    f"KV put failed: the project would store {used + cost} bytes of KV data;"
                    f" its quota is {self._quota} (delete entries, or ask the operator)"
                )
            writes.put(f"{prefix}m/{key}", meta.encode())
            writes.put(f"{prefix}v/{key}", value)
            writes.put(self._usage_key(), str(used + cost).encode())

    def delete(self, binding: str, key: str) -> None:
        """Remove `key` (nothing happens if it is not there)."""
        prefix = self._prefix(binding)
        _check_key(key)
        with self._store.atomic() as writes:
            freed = self._old_cost(prefix, key)
            if freed:
                writes.delete(f"{prefix}m/{key}")
                writes.delete(f"{prefix}v/{key}")
                writes.put(self._usage_key(), str(self._usage() - freed).encode())

    def list(
        self, binding: str, prefix: str = "", cursor: str | None = None, limit: int = MAX_LIST
    ) -> Page:
        """Keys starting with `prefix`, in order, `limit` at most (1 to 1000), after `cursor`."""
        where = self._prefix(binding) + "m/"
        if not 1 <= limit <= MAX_LIST:
            raise KvError(f"KV list failed: limit must be 1 to {MAX_LIST}, not {limit}")
        after = where + _from_cursor(cursor) if cursor else ""
        found: list[Listed] = []
        while len(found) <= limit:  # one more than asked for tells whether the listing is done
            rows = self._store.page(where + prefix, after, limit + 1 - len(found))
            if not rows:
                break
            for stored_key, raw_meta in rows:
                meta = json.loads(raw_meta)
                if not _expired(meta.get("expiration")):
                    found.append(
                        Listed(stored_key[len(where) :], meta["expiration"], meta["metadata"])
                    )
            after = rows[-1][0]
        complete = len(found) <= limit
        keys = found[:limit]
        next_cursor = None if complete else _to_cursor(keys[-1].name)
        return Page(keys, complete, next_cursor)

    def _prefix(self, binding: str) -> str:
        """Where the namespace bound to `binding` keeps its entries; KvError if there is none."""
        namespace = self._bindings.get(binding)
        if namespace is None:
            declared = ", ".join(sorted(self._bindings)) or "none"
            raise KvError(f"no KV namespace is bound to {binding!r} (declared: {declared})")
        return f"{self._project}/{namespace}/"

    def _old_cost(self, prefix: str, key: str) -> int:
        """What the entry now under `key` counts against the quota (0 if none)."""
        raw_meta = self._store.get(f"{prefix}m/{key}")
        if raw_meta is None:
            return 0
        meta = json.loads(raw_meta)
        return _cost(key, int(meta["size"]), meta.get("metadata"))

    def _usage_key(self) -> str:
        """The key holding the project's bytes in all."""
        return f"{USAGE}{self._project}"

    def _usage(self) -> int:
        """The bytes the project stores in all."""
        raw = self._store.get(self._usage_key())
        return 0 if raw is None else int(raw)

    def _sweep_expired(self, writes: Writes) -> int:
        """Delete the expired entries of the namespaces bound here (in the caller's
        transaction); the bytes freed."""
        freed = 0
        for namespace in set(self._bindings.values()):
            metas = f"{self._project}/{namespace}/m/"
            for stored_key, raw_meta in self._store.items(metas):
                meta = json.loads(raw_meta)
                if _expired(meta.get("expiration")):
                    key = stored_key[len(metas) :]
                    writes.delete(stored_key)
                    writes.delete(f"{self._project}/{namespace}/v/{key}")
                    freed += _cost(key, int(meta["size"]), meta.get("metadata"))
        return freed


def delete_project_kv(store: Store, project_id: str) -> None:
    """Forget every KV entry of a project (when it is deleted)."""
    with store.atomic() as writes:
        writes.delete_prefix(f"{project_id}/")
        writes.delete(f"{USAGE}{project_id}")


def _check_key(key: str) -> None:
    """Refuse a key Workers KV would refuse."""
    size = len(key.encode("utf-8", "surrogatepass"))
    if size == 0 or key in (".", ".."):
        raise KvError("KV key must not be empty, `.` or `..`")
    if size > MAX_KEY_BYTES:
        raise KvError(f"KV key is {size} bytes; at most {MAX_KEY_BYTES}")


def _checked_metadata(metadata: str | None) -> str | None:
    """The metadata's JSON text, if it is JSON of at most 1024 bytes."""
    if metadata is None:
        return None
    if len(metadata.encode()) > MAX_METADATA_BYTES:
        raise KvError(f"KV metadata is longer than {MAX_METADATA_BYTES} bytes of JSON")
    try:
        json.loads(metadata)
    except ValueError:
        raise KvError("KV metadata must be JSON") from None
    return metadata


def _expiration(expiration: int | None, ttl: int | None) -> int | None:
    """When the entry expires (seconds since the epoch), from an absolute time or a TTL."""
    now = int(time.time())
    if ttl is not None:
        if ttl < MIN_TTL_SECONDS:
            raise KvError(f"KV expirationTtl must be at least {MIN_TTL_SECONDS} seconds, not {ttl}")
        return now + ttl
    if expiration is not None and expiration < now + MIN_TTL_SECONDS:
        raise KvError(
            f"KV expiration must be at least {MIN_TTL_SECONDS} seconds in the future"
            f" (seconds since the epoch; now is {now})"
        )
    return expiration


def _expired(expiration: int | None) -> bool:
    """Whether an entry with this expiration is gone by now."""
    return expiration is not None and expiration <= time.time()


def _cost(key: str, size: int, metadata: str | None) -> int:
    """What an entry counts against its project's quota."""
    return len(key.encode("utf-8", "surrogatepass")) + size + len((metadata or "").encode())


def _to_cursor(key: str) -> str:
    """An opaque cursor continuing a listing after `key`."""
    return base64.urlsafe_b64encode(key.encode("utf-8", "surrogatepass")).decode()


def _from_cursor(cursor: str) -> str:
    """The key a cursor continues after; KvError if it is not one of ours."""
    try:
        raw = base64.b64decode(cursor.encode(), altchars=b"-_", validate=True)
        return raw.decode("utf-8", "surrogatepass")
    except (ValueError, UnicodeError):
        raise KvError("KV list failed: the cursor is not one a listing returned") from None
