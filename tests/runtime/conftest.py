"""Fixtures for runtime tests: one engine with its ticker, a loader, a sandbox."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from wasmtime import Engine, wat2wasm

from host.runtime.bodies import BodyTable
from host.runtime.engine import EpochTicker, create_engine
from host.runtime.loader import CompiledWorker, Loader
from host.runtime.output import GuestOutput
from host.runtime.sandbox import Limits, Sandbox
from host.runtime.values import WitRequest, WitResponse


@pytest.fixture(scope="session")
def engine() -> Iterator[Engine]:
    """An engine whose epoch ticks for the whole session."""
    engine = create_engine()
    ticker = EpochTicker(engine).start()
    yield engine
    ticker.stop()


@pytest.fixture
def loader(engine: Engine, tmp_path: Path) -> Loader:
    """A loader caching into a fresh directory."""
    return Loader(engine, tmp_path / "compiled", b"test secret")


@pytest.fixture
def sandbox(engine: Engine) -> Sandbox:
    """A sandbox with short limits so failure tests are quick."""
    return Sandbox(engine, Limits(cpu_deadline_ms=200, memory_bytes=16 * 1024 * 1024))


@dataclass
class Scope:
    """A request scope whose asset binding answers 204 and records what it was asked."""

    bodies: BodyTable = field(default_factory=lambda: BodyTable(1 << 20))
    asked: list[WitRequest] = field(default_factory=list)
    failure: BaseException | None = None
    env: list[tuple[str, str]] = field(default_factory=list)

    def fetch_asset(self, request: WitRequest) -> WitResponse:
        """Record the request; answer 204."""
        self.asked.append(request)
        return WitResponse(204, [], None)

    def env_vars(self) -> list[tuple[str, str]]:
        """The variables given."""
        return self.env

    def kv_namespaces(self) -> list[str]:
        """No KV namespaces."""
        return []


@pytest.fixture
def scope() -> Scope:
    """A fresh request scope."""
    return Scope()


@pytest.fixture
def output() -> GuestOutput:
    """A fresh output capture."""
    return GuestOutput("test", 1024)


def compiled(loader: Loader, wat: str) -> CompiledWorker:
    """Compile a WAT component through the loader."""
    return loader.compile(bytes(wat2wasm(wat)))


def get(url: str = "http://t.localhost/", body: bytes | int | None = None) -> WitRequest:
    """A GET request record."""
    return WitRequest("GET", url, [("accept", "*/*")], body)
