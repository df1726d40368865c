"""Compiled components: compile once per content hash, keep in memory, cache on disk.

wasmtime runs a deserialized artifact as native code, so the disk cache is authenticated:
beside each artifact (`SHA.cwasm`) lies its HMAC (`SHA.mac`, over the content hash and the
artifact's bytes) under a key derived from the secrets key file, which only hosts hold. A
file the host did not write is discarded, never loaded. Loading maps the file instead of
reading it: the HMAC is computed over the mapping, then wasmtime maps the very file that was
checked (through its open descriptor), so a restart loads a large component in a few tens of
milliseconds.
Hosts sharing a PostgreSQL database also share their artifacts (`shared_artifacts`): a
component compiled by one host is loaded by the others instead of compiled again.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import mmap
import os
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from wasmtime import Engine, WasmtimeError
from wasmtime.component import Component, ExportIndex

from host.disk_budget import keep_within, touch
from host.errors import InvalidWorker
from host.metrics import meters
from host.runtime.engine import engine_fingerprint
from host.runtime.shared_artifacts import SharedArtifacts
from host.runtime.world import compile_component, fetch_export
from host.storage.store import Store

log = logging.getLogger("wasmhost.loader")

REFUSED_CAPACITY = 256  # refused components remembered (by hash), least recently refused dropped
MAX_REFUSAL_CHARS = 2000  # of each refusal's message kept


@dataclass(frozen=True)
class CompiledWorker:
    """A compiled component that implements the world, ready to instantiate."""

    sha256: str
    component: Component
    fetch_index: ExportIndex


def sha256_hex(data: bytes) -> str:
    """The content hash that names a component everywhere."""
    return hashlib.sha256(data).hexdigest()


class Loader:
    """`get(sha256, load)`: the compiled worker, compiling it only the first time ever."""

    def __init__(
        self,
        engine: Engine,
        cache_dir: Path,
        secret: bytes,
        capacity: int = 16,
        refused_capacity: int = REFUSED_CAPACITY,
        disk_bytes: int = 2**62,
        shared: Store | None = None,
    ) -> None:
        self._engine = engine
        self._shared = None if shared is None else SharedArtifacts(shared, engine_fingerprint())
        self._disk_bytes = disk_bytes  # the disk cache's size, least recently used dropped
        self._secret = secret
        self._dir = Path(cache_dir) / engine_fingerprint()
        self._capacity = capacity
        self._memory: OrderedDict[str, CompiledWorker] = OrderedDict()
        self._lock = threading.Lock()
        self._key_locks: dict[str, tuple[threading.Lock, list[int]]] = {}  # lock, users
        self._refused = RefusedWorkers(refused_capacity)

    def get(self, sha256: str, load: Callable[[], bytes]) -> CompiledWorker:
        """The worker with this hash: from memory, the disk cache, or `load()` and compile."""
        worker = self._remembered(sha256)
        if worker is not None:
            meters().compiles.labels("memory").inc()
            return worker
        with self._key_lock(sha256):
            self._refused.check(sha256)
            worker = self._remembered(sha256)
            source = "memory"
            if worker is None:
                worker, source = self._from_disk(sha256), "disk"
            if worker is None and self._from_shared(sha256):
                worker, source = self._from_disk(sha256), "shared"
            if worker is None:
                worker, source = self._compile_and_store(sha256, load()), "compiled"
            meters().compiles.labels(source).inc()
            self._remember(worker)
            return worker

    def compile(self, wasm: bytes) -> CompiledWorker:
        """Validate and compile uploaded bytes (at deploy time), caching the result."""
        sha256 = sha256_hex(wasm)
        return self.get(sha256, lambda: wasm)

    def forget(self, sha256: str) -> None:
        """Drop a worker no project keeps any more: from memory and from the disk cache."""
        with self._key_lock(sha256):
            with self._lock:
                self._memory.pop(sha256, None)
            self._discard(sha256)
            if self._shared is not None:
                self._shared.forget(sha256)

    def _remembered(self, sha256: str) -> CompiledWorker | None:
        """The worker if it is in memory, marking it recently used."""
        with self._lock:
            worker = self._memory.get(sha256)
            if worker is not None:
                self._memory.move_to_end(sha256)
            return worker

    def _remember(self, worker: CompiledWorker) -> None:
        """Keep `worker` in memory, dropping the least recently used beyond capacity."""
        with self._lock:
            self._memory[worker.sha256] = worker
            self._memory.move_to_end(worker.sha256)
            while len(self._memory) > self._capacity:
                self._memory.popitem(last=False)

    @contextlib.contextmanager
    def _key_lock(self, sha256: str) -> Iterator[None]:
        """Hold the lock that makes concurrent loads of one hash compile it once.

        A hash's lock lives only while someone loads it, so the locks stay as few as the loads.
        """
        with self._lock:
            lock, users = self._key_locks.setdefault(sha256, (threading.Lock(), [0]))
            users[0] += 1
        try:
            with lock:
                yield
        finally:
            with self._lock:
                users[0] -= 1
                if not users[0]:
                    del self._key_locks[sha256]

    def _path(self, sha256: str, suffix: str = ".cwasm") -> Path:
        """Where the serialized artifact for `sha256` (or its MAC) lives."""
        return self._dir / f"{sha256}{suffix}"

    def _mac(self, sha256: str, artifact: bytes | mmap.mmap) -> bytes:
        """The authentication code of an artifact for the component `sha256`."""
        mac = hmac.new(self._secret, sha256.encode(), hashlib.sha256)
        mac.update(artifact)
        return mac.digest()

    def _from_disk(self, sha256: str) -> CompiledWorker | None:
        """Deserialize an artifact this host wrote earlier; None if absent, forged or unusable."""
        path = self._path(sha256)
        try:
            expected = self._path(sha256, ".mac").read_bytes()
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            if not self._authentic(fd, sha256, expected):
                log.warning("discarding compiled artifact %s: not written by this host", path.name)
                self._discard(sha256)
                return None
            component = Component.deserialize_file(self._engine, _descriptor_path(fd, path))
        except (WasmtimeError, ValueError) as error:
            log.warning("discarding unusable compiled artifact %s: %s", path.name, error)
            self._discard(sha256)
            return None
        finally:
            os.close(fd)
        touch(path)  # recently used: the last to go when the cache is over its size
        return CompiledWorker(sha256, component, fetch_export(self._engine, component))

    def _from_shared(self, sha256: str) -> bool:
        """Copy the artifact another host published into the disk cache; whether there was one
        (it is checked as it is loaded, like any file in the cache)."""
        found = None if self._shared is None else self._shared.fetch(sha256)
        if found is None:
            return False
        mac, artifact = found
        self._keep_on_disk(sha256, artifact, mac)
        return True

    def _authentic(self, fd: int, sha256: str, expected: bytes) -> bool:
        """Whether the open artifact's bytes carry the MAC this host wrote for them."""
        with mmap.mmap(fd, 0, prot=mmap.PROT_READ) as mapped:
            return hmac.compare_digest(expected, self._mac(sha256, mapped))

    def _discard(self, sha256: str) -> None:
        """Remove an artifact and its MAC."""
        self._path(sha256, ".mac").unlink(missing_ok=True)
        self._path(sha256).unlink(missing_ok=True)

    def _compile_and_store(self, sha256: str, wasm: bytes) -> CompiledWorker:
        """Compile, check the world, and write the serialized artifact atomically."""
        if sha256_hex(wasm) != sha256:
            raise ValueError(f"component bytes do not match their hash {sha256}")
        try:
            component = compile_component(self._engine, wasm)
            worker = CompiledWorker(sha256, component, fetch_export(self._engine, component))
        except InvalidWorker as error:
            self._refused.add(sha256, str(error))
            raise
        artifact = bytes(component.serialize())
        mac = self._mac(sha256, artifact)
        self._keep_on_disk(sha256, artifact, mac)
        if self._shared is not None:
            self._shared.publish(sha256, mac, artifact)
        return worker

    def _keep_on_disk(self, sha256: str, artifact: bytes, mac: bytes) -> None:
        """Write an artifact and its MAC to the disk cache, keeping the cache within its size."""
        self._write_file(self._path(sha256), artifact)
        self._write_file(self._path(sha256, ".mac"), mac)
        dropped = keep_within(
            self._dir.glob("*.cwasm"), self._disk_bytes, lambda p: [p.with_suffix(".mac")]
        )
        if dropped:
            log.info("compiled cache over its size: dropped %d least recently used", len(dropped))

    def _write_file(self, target: Path, data: bytes) -> None:
        """Write to a private temporary file, then rename into place."""
        self._dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=self._dir, prefix=".tmp-", suffix=target.suffix)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


class RefusedWorkers:
    """Components that failed to compile, by hash: only their message, at most `capacity`.

    Nothing else of the failure is kept (no exception, traceback or the bytes it was given),
    so a refusal costs a few hundred bytes however large the component was.
    """

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._messages: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, sha256: str, message: str) -> None:
        """Remember why `sha256` was refused, forgetting the oldest refusal beyond capacity."""
        with self._lock:
            self._messages[sha256] = message[:MAX_REFUSAL_CHARS]
            self._messages.move_to_end(sha256)
            while len(self._messages) > self._capacity:
                self._messages.popitem(last=False)

    def check(self, sha256: str) -> None:
        """Raise a fresh InvalidWorker with the remembered message if `sha256` was refused."""
        with self._lock:
            message = self._messages.get(sha256)
        if message is not None:
            raise InvalidWorker(message)

    def __len__(self) -> int:
        """How many refusals are remembered."""
        with self._lock:
            return len(self._messages)


def _descriptor_path(fd: int, path: Path) -> str:
    """A path naming the open file itself (so it cannot be swapped after the check)."""
    own = f"/proc/self/fd/{fd}"
    return own if os.path.exists(own) else str(path)
