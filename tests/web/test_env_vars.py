"""Variables and secrets: deployed with a version, read by the guest as its env, secrets sealed
outside the database and never shown, each project's its own. The guest here is a WAT component
that answers with everything `env.vars()` gives it as response headers."""

import base64
import json
import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import falcon.testing
import pytest
from wasmtime import wat2wasm

from host.bundle import Bundle
from host.config import Settings
from host.errors import WasmhostError
from host.secret_box import load_key
from host.upload import pack
from host.web.app import WasmHost, create_app
from tests.runtime import wat_guests

TOKEN = "vars-token"
ENV_GUEST = bytes(wat2wasm(wat_guests.ENV_VARS))


@pytest.fixture
def app(tmp_path: Path) -> Iterator[WasmHost]:
    """A host with a token."""
    host = create_app(Settings(db=tmp_path / "h.db", cache_dir=tmp_path / "c", token=TOKEN))
    yield host
    host.close()


def api(
    app: WasmHost, method: str, path: str, body: bytes | dict[str, object] | None = None
) -> falcon.testing.Result:
    """One control-plane request with the token (a dict is sent as JSON)."""
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    headers = {"Authorization": f"Bearer {TOKEN}", "Host": "127.0.0.1"}
    return falcon.testing.TestClient(app).simulate_request(method, path, headers=headers, body=data)


def deploy(app: WasmHost, project: str, variables: dict[str, str] | None) -> falcon.testing.Result:
    """Deploy the env guest with `variables` (None: none given, keep the active ones)."""
    bundle = pack(Bundle(ENV_GUEST, vars=variables))
    return api(app, "POST", f"/v1/projects/{project}/deployments", bundle)


def env_of(app: WasmHost, project: str) -> dict[str, str]:
    """What the project's guest reads as its env."""
    reply = falcon.testing.TestClient(app).simulate_get(
        "/", headers={"Host": f"{project}.localhost"}
    )
    assert reply.status_code == 200, reply.text
    skip = {"content-length", "content-type", "x-request-id"}  # the host's own
    return {name: value for name, value in reply.headers.items() if name not in skip}


def test_vars_reach_the_guest_and_a_redeploy_without_vars_keeps_them(app: WasmHost) -> None:
    assert (
        deploy(app, "site", {"API_URL": "https://example.com", "MODE": "demo"}).status_code == 201
    )
    assert env_of(app, "site") == {"api_url": "https://example.com", "mode": "demo"}
    again = deploy(app, "site", None)
    assert (again.status_code, again.json["vars"]) == (
        201,
        {"API_URL": "https://example.com", "MODE": "demo"},
    )
    assert deploy(app, "site", {}).json["vars"] == {}  # given, even empty: replaced
    assert env_of(app, "site") == {}


def test_secrets_are_set_listed_by_name_and_never_shown(app: WasmHost, tmp_path: Path) -> None:
    deploy(app, "site", {"MODE": "demo"})
    put = api(app, "PUT", "/v1/projects/site/secrets/API_KEY", {"value": "s3cr3t-value"})
    assert put.status_code == 200, put.text
    assert (put.json["version"], put.json["secrets"], put.json["vars"]) == (
        2,
        ["API_KEY"],
        {"MODE": "demo"},
    )
    assert env_of(app, "site") == {"api_key": "s3cr3t-value", "mode": "demo"}
    assert api(app, "GET", "/v1/projects/site/secrets").json == {"secrets": ["API_KEY"]}
    shown = (
        api(app, "GET", "/v1/projects/site").text
        + api(app, "GET", "/v1/projects/site/versions").text
    )
    assert "s3cr3t-value" not in shown
    with sqlite3.connect(tmp_path / "h.db") as db:
        stored = b"".join(bytes(value) for (value,) in db.execute("SELECT value FROM kv"))
    assert b"s3cr3t-value" not in stored
    key = tmp_path / "h.db.secrets-key"
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600 and len(key.read_bytes()) == 32


def test_a_redeploy_keeps_the_secrets_and_a_rollback_brings_back_older_ones(app: WasmHost) -> None:
    deploy(app, "site", None)
    api(app, "PUT", "/v1/projects/site/secrets/TOKEN", {"value": "one"})
    api(app, "PUT", "/v1/projects/site/secrets/TOKEN", {"value": "two"})
    assert deploy(app, "site", {"MODE": "x"}).json["secrets"] == ["TOKEN"]
    assert env_of(app, "site") == {"mode": "x", "token": "two"}
    assert api(app, "POST", "/v1/projects/site/rollback", {"version": 2}).status_code == 200
    assert env_of(app, "site") == {"token": "one"}
    gone = api(app, "DELETE", "/v1/projects/site/secrets/TOKEN")
    assert (gone.status_code, gone.json["secrets"]) == (200, [])
    assert env_of(app, "site") == {}


def test_projects_see_only_their_own(app: WasmHost) -> None:
    deploy(app, "one", {"WHO": "one"})
    deploy(app, "two", None)
    api(app, "PUT", "/v1/projects/one/secrets/KEY", {"value": "ones-secret"})
    assert env_of(app, "two") == {}
    assert env_of(app, "one") == {"key": "ones-secret", "who": "one"}


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"1ABC": "x"}, "variable name '1ABC' is not valid"),
        ({"ASSETS": "x"}, "taken by the asset binding"),
        ({"A-B": "x"}, "is not valid"),
        ({"BIG": "x" * 5121}, "BIG is longer than 5120 bytes"),
        ({f"V{n}": "x" for n in range(129)}, "at most 128 variables and secrets"),
    ],
)
def test_bad_vars_are_refused_and_nothing_changes(
    app: WasmHost, variables: dict[str, str], message: str
) -> None:
    deploy(app, "site", {"KEEP": "me"})
    refused = deploy(app, "site", variables)
    assert refused.status_code == 422, refused.text
    assert message in refused.json["error"]["message"]
    assert env_of(app, "site") == {"keep": "me"}


def test_bad_secrets_are_refused(app: WasmHost) -> None:
    deploy(app, "site", {"MODE": "x"})
    same_name = api(app, "PUT", "/v1/projects/site/secrets/MODE", {"value": "v"})
    assert (same_name.status_code, same_name.json["error"]["code"]) == (422, "deploy_error")
    assert "both a variable and a secret" in same_name.json["error"]["message"]
    assert api(app, "PUT", "/v1/projects/site/secrets/bad-name", {"value": "v"}).status_code == 422
    assert api(app, "PUT", "/v1/projects/site/secrets/OK", {"value": 7}).status_code == 400
    assert api(app, "PUT", "/v1/projects/nowhere/secrets/OK", {"value": "v"}).status_code == 404
    assert api(app, "DELETE", "/v1/projects/site/secrets/NONE").status_code == 422
    assert api(app, "GET", "/v1/projects/site").json["active"]["version"] == 1


def test_a_host_given_another_secrets_key_refuses_to_start(app: WasmHost, tmp_path: Path) -> None:
    deploy(app, "site", None)
    other = Settings(
        db=tmp_path / "h.db", cache_dir=tmp_path / "c", secrets_key_file=tmp_path / "k2"
    )
    load_key(tmp_path / "k2")
    with pytest.raises(WasmhostError, match=r"the secrets key .*k2 is not the one .*h\.db is used"):
        create_app(other)


def test_a_sealed_secret_tampered_with_does_not_open(app: WasmHost, tmp_path: Path) -> None:
    deploy(app, "site", None)
    api(app, "PUT", "/v1/projects/site/secrets/KEY", {"value": "v"})
    with sqlite3.connect(tmp_path / "h.db") as db:
        (raw,) = db.execute("SELECT value FROM kv WHERE key = 'project/site/deployment'").fetchone()
        record = json.loads(raw)
        record["secrets"]["KEY"] = base64.b64encode(b"\0" * 40).decode()
        db.execute(
            "UPDATE kv SET value = ? WHERE key = 'project/site/deployment'",
            (json.dumps(record).encode(),),
        )
    other = create_app(Settings(db=tmp_path / "h.db", cache_dir=tmp_path / "c"))
    try:
        reply = falcon.testing.TestClient(other).simulate_get(
            "/", headers={"Host": "site.localhost"}
        )
        assert (reply.status_code, reply.text) == (503, "Worker unavailable\n")
    finally:
        other.close()
