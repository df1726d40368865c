"""Compiled components: compile once per content hash, keep in memory, cache on disk."""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from wasmtime import Engine, WasmtimeError
from wasmtime.component import Component, ExportIndex

from host.runtime.engine import engine_fingerprint
from host.runtime.world import compile_component, fetch_export

log = logging.getLogger("wasmhost.loader")


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

    def __init__(self, engine: Engine, cache_dir: Path, capacity: int = 16) -> None:
        self._engine = engine
        self._dir = Path(cache_dir) / engine_fingerprint()
        self._capacity = capacity
        self._memory: OrderedDict[str, CompiledWorker] = OrderedDict()
        self._lock = threading.Lock()
        self._key_locks: dict[str, threading.Lock] = {}

    def get(self, sha256: str, load: Callable[[], bytes]) -> CompiledWorker:
        """The worker with this hash: from memory, the disk cache, or `load()` and compile."""
        worker = self._remembered(sha256)
        if worker is not None:
            return worker
        with self._key_lock(sha256):
            worker = self._remembered(sha256) or self._from_disk(sha256)
            if worker is None:
                worker = self._compile_and_store(sha256, load())
            self._remember(worker)
            return worker

    def compile(self, wasm: bytes) -> CompiledWorker:
        """Validate and compile uploaded bytes (at deploy time), caching the result."""
        sha256 = sha256_hex(wasm)
        return self.get(sha256, lambda: wasm)

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

    def _key_lock(self, sha256: str) -> threading.Lock:
        """The lock that makes concurrent loads of one hash compile it once."""
        with self._lock:
            return self._key_locks.setdefault(sha256, threading.Lock())

    def _path(self, sha256: str) -> Path:
        """Where the serialized artifact for `sha256` lives."""
        return self._dir / f"{sha256}.cwasm"

    def _from_disk(self, sha256: str) -> CompiledWorker | None:
        """Deserialize an artifact this host wrote earlier; None if absent or unusable."""
        path = self._path(sha256)
        if not path.is_file():
            return None
        try:
            component = Component.deserialize_file(self._engine, str(path))
        except WasmtimeError as error:
            log.warning("discarding unusable compiled artifact %s: %s", path.name, error)
            path.unlink(missing_ok=True)
            return None
        return CompiledWorker(sha256, component, fetch_export(self._engine, component))

    def _compile_and_store(self, sha256: str, wasm: bytes) -> CompiledWorker:
        """Compile, check the world, and write the serialized artifact atomically."""
        if sha256_hex(wasm) != sha256:
            raise ValueError(f"component bytes do not match their hash {sha256}")
        component = compile_component(self._engine, wasm)
        worker = CompiledWorker(sha256, component, fetch_export(self._engine, component))
        self._write_artifact(sha256, bytes(component.serialize()))
        return worker

    def _write_artifact(self, sha256: str, data: bytes) -> None:
        """Write to a private temporary file, then rename into place."""
        self._dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=self._dir, prefix=".tmp-", suffix=".cwasm")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, self._path(sha256))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
