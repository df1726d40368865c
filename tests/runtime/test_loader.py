"""The loader compiles once per content hash and trusts only artifacts it wrote itself."""

import os
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from wasmtime import Engine, wat2wasm

from host.errors import InvalidWorker
from host.runtime.engine import engine_fingerprint
from host.runtime.loader import MAX_REFUSAL_CHARS, Loader, RefusedWorkers, sha256_hex
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


def frames(error: BaseException) -> list[str]:
    """The names of the functions an exception's traceback passes through."""
    names = []
    tb = error.__traceback__
    while tb is not None:
        names.append(tb.tb_frame.f_code.co_name)
        tb = tb.tb_next
    return names


def test_a_refusal_keeps_its_message_not_the_exception(engine: Engine, tmp_path: Path) -> None:
    bad = bytes(wat2wasm("(component)"))
    loader = Loader(engine, tmp_path, SECRET)
    with pytest.raises(InvalidWorker) as first:
        loader.compile(bad)
    assert "fetch_export" in frames(first.value)
    with pytest.raises(InvalidWorker) as again:
        loader.get(sha256_hex(bad), never)
    assert again.value is not first.value
    assert str(again.value) == str(first.value)
    assert "fetch_export" not in frames(again.value), "the first failure's traceback was kept"
    assert again.value.__cause__ is None and again.value.__context__ is None


def refusable(n: int) -> bytes:
    """A distinct component that compiles but exports no handler (refused)."""
    return bytes(wat2wasm(f'(component (core module (func (export "f{n}"))))'))


def test_refusals_remembered_are_bounded(engine: Engine, tmp_path: Path) -> None:
    loader = Loader(engine, tmp_path, SECRET, refused_capacity=2)
    bad = [refusable(n) for n in range(3)]
    for wasm in bad:
        with pytest.raises(InvalidWorker):
            loader.compile(wasm)
    for wasm in bad[1:]:
        with pytest.raises(InvalidWorker, match="does not export"):
            loader.get(sha256_hex(wasm), never)
    loads: list[int] = []

    def load_oldest() -> bytes:
        loads.append(1)
        return bad[0]

    with pytest.raises(InvalidWorker, match="does not export"):
        loader.get(sha256_hex(bad[0]), load_oldest)
    assert loads == [1], "the oldest refusal should have been forgotten, and compiled again"


def test_a_long_refusal_message_is_cut() -> None:
    refused = RefusedWorkers(4)
    refused.add("a", "x" * 100_000)
    with pytest.raises(InvalidWorker) as error:
        refused.check("a")
    assert len(str(error.value)) == MAX_REFUSAL_CHARS
    refused.check("b")
    assert len(refused) == 1


def test_concurrent_loads_of_one_hash_compile_once(engine: Engine, tmp_path: Path) -> None:
    loader = Loader(engine, tmp_path, SECRET)
    loads: list[int] = []
    start = threading.Barrier(4)

    def load() -> bytes:
        loads.append(1)
        return HELLO

    def get() -> str:
        start.wait()
        return loader.get(sha256_hex(HELLO), load).sha256

    with ThreadPoolExecutor(4) as pool:
        assert set(pool.map(lambda _: get(), range(4))) == {sha256_hex(HELLO)}
    assert loads == [1]
    assert not loader._key_locks, "a lock per hash ever loaded was kept"


def test_the_disk_cache_keeps_within_its_size_least_recently_used_first(
    engine: Engine, tmp_path: Path
) -> None:
    folder = tmp_path / engine_fingerprint()
    roomy = Loader(engine, tmp_path, SECRET)
    hello, trap = roomy.compile(HELLO).sha256, roomy.compile(TRAP).sha256
    one = sum(p.stat().st_size for p in folder.iterdir() if p.stem == hello)
    artifact = folder / f"{hello}.cwasm"
    os.utime(folder / f"{trap}.cwasm", (1, 1))  # long unused
    os.utime(artifact, (2, 2))
    assert Loader(engine, tmp_path, SECRET).get(hello, never).sha256 == hello  # used: touched
    tight = Loader(engine, tmp_path, SECRET, disk_bytes=2 * one + 1024)
    third = tight.compile(bytes(wat2wasm(wat_guests.guest(wat_guests.LOOP)))).sha256
    left = sorted(p.name for p in folder.iterdir())
    assert left == sorted(
        f"{sha}{suffix}" for sha in (hello, third) for suffix in (".cwasm", ".mac")
    )
