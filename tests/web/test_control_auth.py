"""Every control-plane route but the public ones needs the token: found by listing the routes,
so a route added later is covered without touching this test."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import falcon.testing
import pytest
from falcon.inspect import inspect_routes

from host.config import Settings
from host.web.app import WasmHost, create_app
from host.web.control import PAGE_PATHS, PUBLIC_PATHS

TOKEN = "a-token-for-these-tests"


def open_app(tmp_path: Path, token: str | None) -> Iterator[WasmHost]:
    """The whole host app on a fresh database, closed afterwards."""
    app = create_app(Settings(db=tmp_path / "c.db", cache_dir=tmp_path / "cache", token=token))
    try:
        yield app
    finally:
        app.close()


@pytest.fixture
def app(tmp_path: Path) -> Iterator[WasmHost]:
    """The host app with a token."""
    yield from open_app(tmp_path, TOKEN)


@pytest.fixture
def disabled(tmp_path: Path) -> Iterator[WasmHost]:
    """The host app without a token: its API is disabled."""
    yield from open_app(tmp_path, None)


def protected(app: WasmHost) -> list[tuple[str, str]]:
    """(method, path) of every responder on the control app outside the public paths."""
    found = []
    for route in inspect_routes(app.control):
        path = re.sub(r"\{[^}]*\}", "some-project", route.path)
        found += [(m.method, path) for m in route.methods if not m.internal]
    return [
        (method, path)
        for method, path in found
        if path not in PUBLIC_PATHS and PAGE_PATHS.fullmatch(path) is None
    ]


def call(app: WasmHost, method: str, path: str, **headers: str) -> falcon.testing.Result:
    """Send one control-plane request to the app."""
    client = falcon.testing.TestClient(app)
    return client.simulate_request(method, path, headers={"Host": "127.0.0.1", **headers})


def test_the_routes_found_include_the_deploy_api(app: WasmHost) -> None:
    assert ("POST", "/v1/projects/some-project/deployments") in protected(app)
    assert ("GET", "/v1/projects") in protected(app)


@pytest.mark.parametrize("authorization", [None, "Bearer wrong", "Basic " + TOKEN, TOKEN])
def test_every_route_needs_the_token(app: WasmHost, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    for method, path in protected(app):
        result = call(app, method, path, **headers)
        assert result.status_code == 401, (method, path)
        assert result.headers["WWW-Authenticate"] == 'Bearer realm="wasmhost"'


def test_every_route_is_off_without_a_configured_token(disabled: WasmHost) -> None:
    for method, path in protected(disabled):
        for headers in ({}, {"Authorization": "Bearer "}, {"Authorization": f"Bearer {TOKEN}"}):
            result = call(disabled, method, path, **headers)
            assert result.status_code == 403, (method, path)
            assert "the deploy API is disabled" in result.text


def test_paths_without_a_route_need_the_token_too(app: WasmHost) -> None:
    assert call(app, "GET", "/v1/nothing-here").status_code == 401
    assert call(app, "DELETE", "/v1/projects").status_code == 401
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert call(app, "GET", "/v1/nothing-here", **auth).status_code == 404
    assert call(app, "DELETE", "/v1/projects", **auth).status_code == 405


def test_public_paths_answer_without_a_token(app: WasmHost, disabled: WasmHost) -> None:
    for path in PUBLIC_PATHS:
        assert call(app, "GET", path).status_code == 200
        assert call(disabled, "GET", path).status_code == (403 if path == "/login" else 200)


def test_the_token_opens_the_api(app: WasmHost) -> None:
    result = call(app, "GET", "/v1/projects", Authorization=f"Bearer {TOKEN}")
    assert result.status_code == 200
    assert result.json == {"projects": []}


class Untouchable(io.RawIOBase):
    """A request body that fails the test if the app reads any of it."""

    def readable(self) -> bool:
        """It claims to be readable."""
        return True

    def readinto(self, buffer: Any) -> int:
        """Reading is the failure."""
        raise AssertionError("the app read the body before checking the request")


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/v1/projects/fine/deployments", {}, 401),
        ("/v1/projects/fine/deployments", {"Authorization": "Bearer wrong"}, 401),
        ("/v1/projects/Not_Valid/deployments", {"Authorization": f"Bearer {TOKEN}"}, 400),
        (
            "/v1/projects/fine/deployments",
            {"Authorization": f"Bearer {TOKEN}", "Content-Length": str(600 * 1024 * 1024)},
            413,
        ),
    ],
)
def test_an_upload_is_refused_before_its_body_is_read(
    app: WasmHost, path: str, headers: dict[str, str], status: int
) -> None:
    client = falcon.testing.TestClient(app)
    result = client.simulate_post(
        path,
        headers={"Host": "127.0.0.1", "Content-Length": "1000", **headers},
        extras={"wsgi.input": Untouchable()},
    )
    assert result.status_code == status, result.text
