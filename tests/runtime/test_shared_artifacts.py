"""Compiled artifacts shared through the database: a second host loads what the first
compiled, and nothing written into the database by anyone else is ever loaded."""

from collections.abc import Callable
from pathlib import Path

from wasmtime import Engine, wat2wasm

from host.runtime.engine import engine_fingerprint
from host.runtime.loader import Loader
from host.runtime.shared_artifacts import SharedArtifacts
from host.storage import keys
from host.storage.store import Store
from tests.runtime import wat_guests

HELLO = bytes(wat2wasm(wat_guests.guest(wat_guests.HELLO)))
TRAP = bytes(wat2wasm(wat_guests.guest(wat_guests.TRAP)))
KEY = b"k" * 32


class Loads:
    """A load function that counts how often the loader needed the component's bytes."""

    def __init__(self, wasm: bytes) -> None:
        self.wasm, self.count = wasm, 0

    def __call__(self) -> bytes:
        self.count += 1
        return self.wasm


def host(engine: Engine, tmp_path: Path, name: str, store: Store, key: bytes = KEY) -> Loader:
    """A host's loader: its own disk cache, the shared database."""
    return Loader(engine, tmp_path / name, key, shared=store)


def test_a_host_loads_what_another_compiled(engine: Engine, tmp_path: Path, store: Store) -> None:
    sha = host(engine, tmp_path, "a", store).compile(HELLO).sha256
    loads = Loads(HELLO)
    assert host(engine, tmp_path, "b", store).get(sha, loads).sha256 == sha
    assert loads.count == 0, "b compiled instead of loading a's artifact"
    assert (tmp_path / "b" / engine_fingerprint() / f"{sha}.cwasm").is_file()


def test_a_forged_artifact_in_the_database_is_compiled_over_never_loaded(
    engine: Engine, tmp_path: Path, open_db: Callable[..., Store]
) -> None:
    store = open_db()
    trap_sha = host(engine, tmp_path, "a", store).compile(TRAP).sha256
    hello_sha = host(engine, tmp_path, "a", store).compile(HELLO).sha256
    forger = SharedArtifacts(open_db(), engine_fingerprint())
    found = forger.fetch(hello_sha)
    assert found is not None
    forger.publish(trap_sha, found[0], found[1])  # hello's artifact and MAC, named as trap
    loads = Loads(TRAP)
    assert host(engine, tmp_path, "b", store).get(trap_sha, loads).sha256 == trap_sha
    assert loads.count == 1, "an artifact published under another hash was loaded"
    again = Loads(TRAP)
    assert host(engine, tmp_path, "c", store).get(trap_sha, again).sha256 == trap_sha
    assert again.count == 0, "the recompiled artifact replaced the forged one"


def test_a_host_with_another_key_compiles_rather_than_trust(
    engine: Engine, tmp_path: Path, store: Store
) -> None:
    sha = host(engine, tmp_path, "a", store).compile(HELLO).sha256
    loads = Loads(HELLO)
    assert host(engine, tmp_path, "b", store, b"x" * 32).get(sha, loads).sha256 == sha
    assert loads.count == 1


def test_forgetting_a_worker_drops_its_shared_artifacts(
    engine: Engine, tmp_path: Path, store: Store
) -> None:
    loader = host(engine, tmp_path, "a", store)
    sha = loader.compile(HELLO).sha256
    assert store.keys(keys.compiled_prefix(sha))
    loader.forget(sha)
    assert store.keys(keys.compiled_prefix(sha)) == []
