"""The loader compiles once per content hash and trusts only artifacts it wrote itself."""

import re
from pathlib import Path

import pytest
from wasmtime import Engine, wat2wasm

from host.errors import InvalidWorker
from host.runtime.engine import engine_fingerprint
from host.runtime.loader import Loader, sha256_hex
from tests.runtime import wat_guests

HELLO = bytes(wat2wasm(wat_guests.guest(wat_guests.HELLO)))
TRAP = bytes(wat2wasm(wat_guests.guest(wat_guests.TRAP)))
WRONG_FETCH = """
(component
  (core module $m (func (export "f") (param i32) (result i32) local.get 0))
  (core instance $i (instantiate $m))
  (func $f (param "x" u32) (result u32) (canon lift (core func $i "f")))
  (instance $h (export "fetch" (func $f)))
  (export "wasmhost:worker/handler@0.1.0" (instance $h))
)
"""


SECRET = b"s" * 32


def never() -> bytes:
    """A load function for cases that must not need the component's bytes."""
    raise AssertionError("the loader recompiled instead of reusing its cache")


def test_memory_then_disk_cache(engine: Engine, tmp_path: Path) -> None:
    first = Loader(engine, tmp_path, SECRET)
    worker = first.compile(HELLO)
    assert first.get(worker.sha256, never) is worker
    artifact = tmp_path / engine_fingerprint() / f"{worker.sha256}.cwasm"
    assert artifact.is_file()
    restarted = Loader(engine, tmp_path, SECRET)
    assert restarted.get(worker.sha256, never).sha256 == worker.sha256


def test_corrupt_artifact_is_discarded_and_rebuilt(engine: Engine, tmp_path: Path) -> None:
    sha = Loader(engine, tmp_path, SECRET).compile(HELLO).sha256
    artifact = tmp_path / engine_fingerprint() / f"{sha}.cwasm"
    artifact.write_bytes(b"not an artifact")
    loads: list[int] = []

    def load() -> bytes:
        loads.append(1)
        return HELLO

    assert Loader(engine, tmp_path, SECRET).get(sha, load).sha256 == sha
    assert loads == [1]
    assert artifact.read_bytes() != b"not an artifact"


def test_bytes_must_match_their_hash(engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="do not match"):
        Loader(engine, tmp_path, SECRET).get(sha256_hex(b"other"), lambda: HELLO)


def test_least_recently_used_is_dropped(engine: Engine, tmp_path: Path) -> None:
    loader = Loader(engine, tmp_path, SECRET, capacity=1)
    a = loader.compile(HELLO)
    loader.compile(bytes(wat2wasm(wat_guests.guest(wat_guests.TRAP))))
    again = loader.get(a.sha256, never)
    assert again is not a and again.sha256 == a.sha256


@pytest.mark.parametrize(
    ("wasm", "message"),
    [
        (b"", "not a WebAssembly component"),
        (b"(component)", "not a WebAssembly component"),
        (bytes(wat2wasm("(module)")), "core WebAssembly module"),
        (bytes(wat2wasm("(component)")), "does not export wasmhost:worker/handler"),
        (b"\0asm\x0d\x00\x01\x00\xff\xff", "does not compile"),
        (bytes(wat2wasm(WRONG_FETCH)), "the worker's fetch takes (u32) and returns u32"),
        (
            bytes(wat2wasm('(component (import "evil:net/socket@1.0.0" (instance)))')),
            "imports evil:net/socket@1.0.0, which this host does not provide",
        ),
    ],
)
def test_invalid_components_are_refused(
    engine: Engine, tmp_path: Path, wasm: bytes, message: str
) -> None:
    with pytest.raises(InvalidWorker, match=re.escape(message)):
        Loader(engine, tmp_path, SECRET).compile(wasm)
    assert not list(tmp_path.rglob("*.cwasm"))


def test_artifacts_the_host_did_not_write_are_never_loaded(engine: Engine, tmp_path: Path) -> None:
    sha = Loader(engine, tmp_path, SECRET).compile(HELLO).sha256
    artifact = tmp_path / engine_fingerprint() / f"{sha}.cwasm"
    loads: list[int] = []

    def load() -> bytes:
        loads.append(1)
        return HELLO

    other_host = Loader(engine, tmp_path, b"another secret")
    assert other_host.get(sha, load).sha256 == sha
    assert loads == [1]
    assert Loader(engine, tmp_path, SECRET).get(sha, load).sha256 == sha
    assert loads == [1, 1]
    trap_sha = Loader(engine, tmp_path, SECRET).compile(TRAP).sha256
    artifact.replace(tmp_path / engine_fingerprint() / f"{trap_sha}.cwasm")
    traps: list[int] = []

    def load_trap() -> bytes:
        traps.append(1)
        return TRAP

    assert Loader(engine, tmp_path, SECRET).get(trap_sha, load_trap).sha256 == trap_sha
    assert traps == [1], "an artifact renamed to another hash was loaded"


def test_a_refused_component_is_not_compiled_again(engine: Engine, tmp_path: Path) -> None:
    bad = bytes(wat2wasm("(component)"))
    loader = Loader(engine, tmp_path, SECRET)
    with pytest.raises(InvalidWorker):
        loader.compile(bad)
    with pytest.raises(InvalidWorker, match="does not export"):
        loader.get(sha256_hex(bad), never)
