"""A project's own limits: asked for at deploy, tighter than the host's, applied per request."""

import time
from collections.abc import Iterator
from pathlib import Path

import falcon.testing
import pytest
from wasmtime import wat2wasm

from host.bundle import Bundle
from host.config import MIB, Settings
from host.deploy import deploy
from host.errors import DeployError
from host.project_limits import project_limits, sandbox_limits
from host.runtime.output import GuestOutput
from host.runtime.sandbox import Limits
from host.upload import pack
from host.web.app import WasmHost, create_app
from tests.runtime import wat_guests
from tests.runtime.conftest import Scope, get

TOKEN = "limits-token"


@pytest.fixture
def app(tmp_path: Path) -> Iterator[WasmHost]:
    """A host with a token, deleted afterwards."""
    host = create_app(Settings(db=tmp_path / "h.db", cache_dir=tmp_path / "c", token=TOKEN))
    yield host
    host.close()


def worker(body: str) -> Bundle:
    """A bundle with a WAT guest."""
    return Bundle(bytes(wat2wasm(wat_guests.guest(body))))


def sleeper() -> Bundle:
    """A bundle with a WAT guest that waits an hour in WASI."""
    wat = wat_guests.guest(wat_guests.sleep(3600), imports=wat_guests.SLEEP_IMPORTS)
    return Bundle(bytes(wat2wasm(wat)))


def test_a_project_with_a_shorter_deadline_is_stopped_sooner(app: WasmHost) -> None:
    deploy(app.services, "quick", worker(wat_guests.LOOP), {}, limits={"cpu_deadline_ms": 100})
    client = falcon.testing.TestClient(app)
    started = time.monotonic()
    reply = client.simulate_get("/", headers={"Host": "quick.localhost"})
    assert reply.status_code == 503
    assert time.monotonic() - started < 0.9  # the host's own deadline is 1000 ms


def test_a_project_with_a_shorter_wall_clock_is_cut_sooner(app: WasmHost) -> None:
    deploy(app.services, "brief", sleeper(), {}, limits={"wall_clock_ms": 200})
    client = falcon.testing.TestClient(app)
    started = time.monotonic()
    reply = client.simulate_get("/", headers={"Host": "brief.localhost"})
    assert (reply.status_code, reply.text) == (504, "Worker exceeded its wall-clock time limit\n")
    assert time.monotonic() - started < 2  # the host's own limit is 30 s


def test_the_api_takes_limits_and_shows_them(app: WasmHost) -> None:
    client = falcon.testing.TestClient(app)
    reply = client.simulate_post(
        "/v1/projects/tight/deployments",
        params={"cpu_deadline_ms": "250", "wall_clock_ms": "2000", "memory_limit_mb": "16"},
        body=pack(worker(wat_guests.HELLO)),
        headers={"Authorization": f"Bearer {TOKEN}", "Host": "localhost"},
    )
    assert reply.status_code == 201, reply.text
    assert reply.json["limits"] == {
        "cpu_deadline_ms": 250,
        "wall_clock_ms": 2000,
        "memory_limit_mb": 16,
    }


@pytest.mark.parametrize(
    ("asked", "message"),
    [
        ({"cpu_deadline_ms": "5000"}, "between 1 and the host's 1000"),
        ({"memory_limit_mb": "0"}, "between 1 and the host's 128"),
        ({"wall_clock_ms": "60000"}, "between 1 and the host's 30000"),
        ({"cpu_deadline_ms": "1e3"}, "whole number"),
        ({"cpu_deadline_ms": "٣"}, "whole number"),
        ({"wall_ms": "10"}, "unknown limit 'wall_ms'"),
    ],
)
def test_limits_looser_than_the_host_or_malformed_refuse_the_deploy(
    app: WasmHost, asked: dict[str, str], message: str
) -> None:
    with pytest.raises(DeployError, match=message):
        deploy(app.services, "loose", worker(wat_guests.HELLO), {}, limits=asked)
    assert app.services.store.get("project/loose/deployment") is None


def test_only_what_the_project_asked_for_changes() -> None:
    limits = sandbox_limits(Limits(), project_limits({"memory_limit_mb": 2}, Settings()))
    assert limits.memory_bytes == 2 * MIB
    assert limits.cpu_deadline_ms == Limits().cpu_deadline_ms


def test_the_memory_a_project_asks_for_caps_its_instances(app: WasmHost) -> None:
    services = app.services
    compiled = services.loader.compile(worker(wat_guests.MEMORY_BOMB).worker)
    limits = sandbox_limits(services.sandbox.limits, {"memory_limit_mb": 2})
    with services.sandbox.lease(compiled, None, limits) as lease:
        pages = lease.fetch(Scope(), GuestOutput("t", 1024), get()).status
    assert pages * 65536 <= 2 * MIB
