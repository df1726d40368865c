"""The control plane's JSON API in-process (falcon.testing, a real SQLite file, WAT guests):
deploy, list, show, versions, rollback, delete, errors; every answer checked against the
OpenAPI document, and the document against the routes, so it stays true."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import falcon.testing
import pytest
from falcon.inspect import inspect_routes
from jsonschema import Draft202012Validator
from wasmtime import wat2wasm

from host.assets.manifest import etag_for
from host.assets.options import HTML_HANDLING_MODES, NOT_FOUND_HANDLING_MODES
from host.bundle import Bundle, Reuse
from host.config import Settings
from host.project_limits import NAMES as LIMIT_NAMES
from host.upload import pack
from host.web.api import OPTION_PARAMS
from host.web.app import WasmHost, create_app
from host.web.control import OPENAPI_PATH
from host.web.pages import STATIC_FILES
from tests.runtime import wat_guests

TOKEN = "api-token"
PAGE_ROUTES = {
    "/",
    "/login",
    "/logout",
    "/projects/{project_id}",
    "/projects/{project_id}/rollback",
    "/projects/{project_id}/delete",
    *STATIC_FILES,
}
DOC: dict[str, Any] = json.loads(OPENAPI_PATH.read_text())
METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def app(tmp_path: Path) -> Iterator[WasmHost]:
    """The host app with a token, keeping three versions per project."""
    settings = Settings(
        db=tmp_path / "h.db", cache_dir=tmp_path / "c", token=TOKEN, keep_versions=3
    )
    host = create_app(settings)
    yield host
    host.close()


def bundle(body: str = wat_guests.HELLO, **files: bytes) -> bytes:
    """A packed bundle: a WAT worker and `files` (`a_txt` names `/a.txt`)."""
    assets = {"/" + name.replace("_", "."): data for name, data in files.items()}
    return pack(Bundle(bytes(wat2wasm(wat_guests.guest(body))), assets))


def call(
    app: WasmHost, method: str, path: str, body: bytes | None = None, **params: str
) -> falcon.testing.Result:
    """One API request with the token."""
    client = falcon.testing.TestClient(app)
    headers = {"Authorization": f"Bearer {TOKEN}", "Host": "127.0.0.1"}
    return client.simulate_request(method, path, headers=headers, body=body, params=params)


def documented(result: falcon.testing.Result, method: str, route: str) -> Any:
    """The answer's JSON, checked against what the document says of this status."""
    responses = DOC["paths"][route][method.lower()]["responses"]
    assert str(result.status_code) in responses, (route, method, result.status_code)
    response = responses[str(result.status_code)]
    if "$ref" in response:
        response = DOC["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    if "content" not in response:
        assert result.content == b""
        return None
    schema = response["content"]["application/json"]["schema"]
    Draft202012Validator({**DOC, **schema}).validate(result.json)
    return result.json


def test_the_document_names_every_route_and_method_and_no_other(app: WasmHost) -> None:
    served = set()
    for route in inspect_routes(app.control):
        page = route.path in PAGE_ROUTES  # the control page's own routes are not the API
        for responder in route.methods:
            if not responder.internal and not page:
                served.add((route.path, responder.method.lower()))
    described = {(path, m) for path, item in DOC["paths"].items() for m in item if m in METHODS}
    assert served == described


def test_the_document_lists_every_deploy_parameter_and_mode() -> None:
    post = DOC["paths"]["/v1/projects/{project_id}/deployments"]["post"]
    params = {p["name"]: p["schema"] for p in post["parameters"]}
    assert set(params) == {*OPTION_PARAMS, *LIMIT_NAMES, "strict_isolation"}
    assert tuple(params["html_handling"]["enum"]) == HTML_HANDLING_MODES
    assert tuple(params["not_found_handling"]["enum"]) == NOT_FOUND_HANDLING_MODES


def test_the_document_is_public_and_its_schemas_are_valid(app: WasmHost) -> None:
    client = falcon.testing.TestClient(app)
    assert client.simulate_get("/v1/openapi.json", headers={"Host": "127.0.0.1"}).json == DOC
    for schema in DOC["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)


def test_deploy_list_show_versions_rollback_delete(app: WasmHost) -> None:
    route = "/v1/projects/{project_id}"
    for text in (b"one", b"two"):
        deployed = call(app, "POST", "/v1/projects/site/deployments", bundle(a_txt=text))
        assert deployed.status_code == 201, deployed.text
        documented(deployed, "POST", route + "/deployments")
    listed = documented(call(app, "GET", "/v1/projects"), "GET", "/v1/projects")
    assert [(p["project_id"], p["version"]) for p in listed["projects"]] == [("site", 2)]
    shown = documented(call(app, "GET", "/v1/projects/site"), "GET", route)
    assert (shown["active"]["version"], shown["versions"]) == (2, 2)
    [file] = shown["files"]
    assert (file["path"], file["size"]) == ("/a.txt", 3)
    assert file["content_type"] == "text/plain; charset=utf-8"
    assert re.fullmatch(r'"[0-9a-f]{32}"', file["etag"])
    versions = documented(
        call(app, "GET", "/v1/projects/site/versions"), "GET", route + "/versions"
    )
    assert [(v["version"], v["active"]) for v in versions["versions"]] == [(1, False), (2, True)]
    rolled = call(app, "POST", "/v1/projects/site/rollback", json.dumps({"version": 1}).encode())
    assert documented(rolled, "POST", route + "/rollback")["version"] == 1
    after = documented(call(app, "GET", "/v1/projects/site"), "GET", route)
    assert (after["active"]["version"], after["files"][0]["etag"]) == (1, etag_for(b"one"))
    deleted = call(app, "DELETE", "/v1/projects/site")
    assert deleted.status_code == 204
    documented(deleted, "DELETE", route)
    assert documented(call(app, "GET", "/v1/projects"), "GET", "/v1/projects") == {"projects": []}


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("GET", "/v1/projects/Bad_Id", None, 400, "invalid_project_id"),
        ("GET", "/v1/projects/nobody", None, 404, "project_not_found"),
        ("GET", "/v1/projects/nobody/versions", None, 404, "project_not_found"),
        ("DELETE", "/v1/projects/nobody", None, 404, "project_not_found"),
        ("POST", "/v1/projects/Bad_Id/deployments", b"x", 400, "invalid_project_id"),
        ("POST", "/v1/projects/p/deployments", b"not a tar", 422, "deploy_error"),
        ("POST", "/v1/projects/p/rollback", b"{", 400, "bad_request"),
        ("POST", "/v1/projects/p/rollback", b'{"version": "1"}', 400, "bad_request"),
        ("POST", "/v1/projects/nobody/rollback", b'{"version": 1}', 404, "project_not_found"),
    ],
)
def test_errors_are_json_with_the_right_status(
    app: WasmHost, method: str, path: str, body: bytes | None, status: int, code: str
) -> None:
    result = call(app, method, path, body)
    assert (result.status_code, result.json["error"]["code"]) == (status, code), result.text
    route = re.sub(r"/v1/projects/[^/]+", "/v1/projects/{project_id}", path)
    documented(result, method, route)


def test_rollback_to_a_version_not_kept_is_404_naming_those_kept(app: WasmHost) -> None:
    for _ in range(4):
        call(app, "POST", "/v1/projects/p/deployments", bundle())
    result = call(app, "POST", "/v1/projects/p/rollback", b'{"version": 1}')
    assert result.status_code == 404
    assert result.json["error"] == {
        "code": "version_not_found",
        "message": "p has no version 1 (kept: 2, 3, 4)",
    }


def test_an_unknown_route_is_a_json_404(app: WasmHost) -> None:
    result = call(app, "GET", "/v1/nothing-here")
    assert result.status_code == 404
    assert result.json["error"]["code"] == "not_found"
    assert call(app, "PUT", "/v1/projects").json["error"]["code"] == "method_not_allowed"


def sha(data: bytes) -> str:
    """SHA-256 in hex."""
    return hashlib.sha256(data).hexdigest()


def test_an_upload_sends_only_what_the_project_lacks(app: WasmHost) -> None:
    worker = bytes(wat2wasm(wat_guests.guest(wat_guests.HELLO)))
    first = Bundle(worker, {"/a.txt": b"kept", "/b.txt": b"old"}, has_assets=True)
    assert call(app, "POST", "/v1/projects/p/deployments", pack(first)).status_code == 201
    asked = json.dumps({"worker": sha(worker), "files": [sha(b"kept"), sha(b"new")]})
    lacking = call(app, "POST", "/v1/projects/p/missing", asked.encode())
    assert documented(lacking, "POST", "/v1/projects/{project_id}/missing") == {
        "worker": False,
        "files": [sha(b"new")],
    }
    second = Bundle(worker, {"/a.txt": b"kept", "/b.txt": b"new"}, has_assets=True)
    reuse = Reuse(sha(worker), {"/a.txt": sha(b"kept")})
    sent = call(app, "POST", "/v1/projects/p/deployments", pack(second, reuse))
    assert sent.status_code == 201, sent.text
    shown = call(app, "GET", "/v1/projects/p").json
    etags = {f["path"]: f["etag"] for f in shown["files"]}
    assert etags == {"/a.txt": etag_for(b"kept"), "/b.txt": etag_for(b"new")}


@pytest.mark.parametrize(
    "reuse",
    [
        Reuse(None, {"/a.txt": sha(b"only the other project has this")}),
        Reuse(None, {"/a.txt": sha(b"never stored anywhere")}),
        Reuse(sha(b"no such worker"), {}),
    ],
)
def test_reusing_what_the_project_does_not_store_is_409_and_keeps_nothing(
    app: WasmHost, reuse: Reuse
) -> None:
    worker = bytes(wat2wasm(wat_guests.guest(wat_guests.HELLO)))
    other = Bundle(worker, {"/a.txt": b"only the other project has this"}, has_assets=True)
    call(app, "POST", "/v1/projects/other/deployments", pack(other))
    call(app, "POST", "/v1/projects/p/deployments", pack(Bundle(worker)))
    attempt = pack(Bundle(worker, {"/a.txt": b"?"}, has_assets=True), reuse)
    result = call(app, "POST", "/v1/projects/p/deployments", attempt)
    assert (result.status_code, result.json["error"]["code"]) == (409, "reused_part_gone")
    documented(result, "POST", "/v1/projects/{project_id}/deployments")
    assert call(app, "GET", "/v1/projects/p").json["active"]["version"] == 1


def test_reused_parts_count_against_the_upload_limits_before_they_are_read(
    tmp_path: Path,
) -> None:
    settings = Settings(
        db=tmp_path / "h.db", cache_dir=tmp_path / "c", token=TOKEN, max_upload_mb=1
    )
    host = create_app(settings)
    try:
        worker = bytes(wat2wasm(wat_guests.guest(wat_guests.HELLO)))
        big = b"x" * 600_000
        first = call(
            host, "POST", "/v1/projects/p/deployments", pack(Bundle(worker, {"/a": big}, True))
        )
        assert first.status_code == 201, first.text
        twice = Reuse(sha(worker), {"/a": sha(big), "/b": sha(big)})
        result = call(host, "POST", "/v1/projects/p/deployments", pack(Bundle(worker), twice))
        assert (result.status_code, result.json["error"]["code"]) == (422, "deploy_error")
        assert "add up to more than" in result.json["error"]["message"]
    finally:
        host.close()


def test_a_change_while_another_writer_holds_the_database_is_503_and_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    from host.storage import sqlite_store

    monkeypatch.setattr(sqlite_store, "BUSY_TIMEOUT_MS", 100)
    settings = Settings(db=tmp_path / "h.db", cache_dir=tmp_path / "c", token=TOKEN)
    app = create_app(settings)
    try:
        first = call(app, "POST", "/v1/projects/site/deployments", bundle(a_txt=b"1"))
        assert first.status_code == 201, first.text
        other = sqlite3.connect(tmp_path / "h.db", isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        for method, path, body in [
            ("POST", "/v1/projects/site/deployments", bundle(a_txt=b"2")),
            ("POST", "/v1/projects/site/rollback", json.dumps({"version": 1}).encode()),
            ("DELETE", "/v1/projects/site", None),
        ]:
            busy = call(app, method, path, body)
            assert busy.status_code == 503, busy.text
            assert busy.headers["Retry-After"] == "1"
            route = path.replace("site", "{project_id}")
            assert documented(busy, method, route)["error"]["code"] == "storage_busy"
        other.execute("ROLLBACK")
        shown = call(app, "GET", "/v1/projects/site").json
        assert (shown["active"]["version"], shown["versions"]) == (1, 1)
    finally:
        app.close()
