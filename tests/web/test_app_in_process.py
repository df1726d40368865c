"""The web layer in-process: `create_app(services=...)` with WAT guests, through falcon.testing.

Routing by Host, error mapping, the request id, access-log lines and metrics: fast checks of
what the end-to-end tests also see over real HTTP.
"""

import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import falcon.testing
import pytest

from host import metrics
from host.config import Settings
from host.services import Services
from host.web.app import WasmHost, create_app
from tests.runtime import wat_guests
from tests.web.in_process import CONTROL, TOKEN, deploy_wat


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WasmHost]:
    """The host built from its parts, with a project for each WAT guest."""
    work = tmp_path_factory.mktemp("in-process")
    settings = Settings(db=work / "h.db", cache_dir=work / "c", token=TOKEN, cpu_deadline_ms=100)
    host = create_app(services=Services.create(settings))
    guests = {
        "hello": wat_guests.HELLO,
        "trap": wat_guests.TRAP,
        "loop": wat_guests.LOOP,
        "bad-status": wat_guests.BAD_STATUS,
        "header-bomb": wat_guests.HEADER_BOMB,
    }
    for project, body in guests.items():
        deploy_wat(host, project, body)
    yield host
    host.close()


def get(app: WasmHost, host: str, path: str = "/") -> falcon.testing.Result:
    """GET `path` with the Host header `host`."""
    return falcon.testing.TestClient(app).simulate_get(path, headers={"Host": host})


@pytest.mark.parametrize(
    ("host", "status", "text"),
    [
        ("hello.localhost", 200, "hello"),
        ("HELLO.localhost:8080", 200, "hello"),
        ("nobody.localhost", 404, "Project not found\n"),
        ("trap.localhost", 500, "Worker threw an exception\n"),
        ("loop.localhost", 503, "Worker exceeded its CPU time limit\n"),
        ("bad-status.localhost", 502, "Worker returned an invalid response\n"),
        ("header-bomb.localhost", 502, "Worker returned an invalid response\n"),
    ],
)
def test_a_tenant_host_reaches_its_project_and_errors_are_mapped(
    app: WasmHost, host: str, status: int, text: str
) -> None:
    result = get(app, host)
    assert (result.status_code, result.text) == (status, text)
    assert len(result.headers["X-Request-Id"]) == 16


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "localhost:8080", "[::1]:80"])
def test_other_hosts_reach_the_control_plane(app: WasmHost, host: str) -> None:
    assert get(app, host, "/healthz").text == "ok\n"
    assert get(app, host, "/v1/projects").status_code == 401


def test_a_request_is_logged_once_with_its_facts(
    app: WasmHost, caplog: pytest.LogCaptureFixture
) -> None:
    get(app, "hello.localhost", "/warm")  # an instance left warm
    with caplog.at_level(logging.INFO, logger="wasmhost.access"):
        result = get(app, "hello.localhost", "/page?q=1")
    (record,) = [r for r in caplog.records if r.name == "wasmhost.access"]
    fields = record.fields  # type: ignore[attr-defined]
    assert fields["request_id"] == result.headers["X-Request-Id"]
    assert (fields["project"], fields["version"], fields["path"]) == ("hello", 1, "/page?q=1")
    assert (fields["status"], fields["bytes"], fields["instance"]) == (200, 5, "reused")
    assert fields["guest_ms"] <= fields["ms"]
    line = record.getMessage()
    assert line.startswith(f'{fields["request_id"]} - hello@v1 "GET /page?q=1" 200 5B ')
    assert line.endswith(" reused")


def test_failures_are_counted_by_kind_and_unknown_projects_are_not_labels(app: WasmHost) -> None:
    before = _sample("wasmhost_guest_failures_total", project="trap", kind="guest_trapped")
    get(app, "trap.localhost")
    get(app, "invented-name.localhost")
    text = _exposition(app)
    after = _sample("wasmhost_guest_failures_total", project="trap", kind="guest_trapped")
    assert after == before + 1
    assert "invented-name" not in text and 'project="(unknown)"' in text


def _exposition(app: WasmHost) -> str:
    """/metrics as the token's holder sees it."""
    headers = {**CONTROL, "Authorization": f"Bearer {TOKEN}"}
    return falcon.testing.TestClient(app).simulate_get("/metrics", headers=headers).text


def _sample(name: str, **labels: str) -> float:
    """One sample of this process's registry (0 if absent)."""
    value = metrics.REGISTRY.get_sample_value(name, labels)
    return value or 0.0


def test_a_project_at_its_concurrency_limit_is_counted_as_its_own(tmp_path: Path) -> None:
    settings = Settings(
        db=tmp_path / "h.db", cache_dir=tmp_path / "c", token=TOKEN, project_concurrency=1
    )
    app = create_app(settings)
    try:
        deploy_wat(app, "busy", wat_guests.LOOP)
        first = threading.Thread(target=get, args=(app, "busy.localhost"))
        first.start()
        deadline = time.monotonic() + 5
        while app.services.sandbox.fairness.young == 0 and time.monotonic() < deadline:
            time.sleep(0.005)  # until the first request is in progress
        before = _sample("wasmhost_guest_failures_total", project="busy", kind="project_busy")
        assert get(app, "busy.localhost").status_code == 503
        first.join()
        after = _sample("wasmhost_guest_failures_total", project="busy", kind="project_busy")
        assert after == before + 1
    finally:
        app.close()
