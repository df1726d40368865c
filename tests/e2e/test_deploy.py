"""Deploying: the CLI and the API, refusals that keep the old version serving, redeploys."""

import json
import shutil
from pathlib import Path

import pytest
from wasmtime import wat2wasm

from host.bundle import Bundle, BundleLimits, read_folder
from host.upload import pack
from tests.conftest import EXAMPLES, TOKEN, Host, run_cli
from tests.runtime import wat_guests


def site(root: Path, **files: str) -> Path:
    """A folder of text files."""
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / name.replace("__", ".")).write_text(text)
    return root


def test_project_without_assets_says_so(host: Host, hello_py: Path) -> None:
    host.deploy("no-assets", hello_py)
    reply = host.get("no-assets", "/")
    assert reply.status == 404
    assert reply.text == "No assets found"
    assert host.get("no-assets", "/api/x").status == 200


def test_redeploy_changes_the_next_response(
    host: Host, hello_py: Path, misbehave_py: Path, tmp_path: Path
) -> None:
    host.deploy("redeploy", hello_py, site(tmp_path / "v1", page__txt="version one"))
    assert host.get("redeploy", "/page.txt").text == "version one"
    assert host.get("redeploy", "/api/hello").status == 200
    host.deploy("redeploy", misbehave_py, site(tmp_path / "v2", page__txt="version two"))
    assert host.get("redeploy", "/page.txt").text == "version two"
    assert host.get("redeploy", "/ok").text == "misbehave is fine"
    assert host.get("redeploy", "/api/hello").status == 404


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: b"this is not wasm at all", "not a WebAssembly component"),
        (lambda: bytes(wat2wasm("(module)")), "core WebAssembly module, not a component"),
        (lambda: b"\0asm\x0d\x00\x01\x00garbage", "does not compile"),
        (
            lambda: bytes(wat2wasm(wat_guests.guest(wat_guests.HELLO, "wasi:http/handler@0.3.0"))),
            "does not export wasmhost:worker/handler@0.1.0",
        ),
    ],
)
def test_bad_worker_is_refused_and_the_old_version_keeps_serving(
    host: Host, hello_py: Path, tmp_path: Path, make: object, message: str
) -> None:
    host.deploy("steady", hello_py, site(tmp_path / "ok", a__txt="good"))
    bad = tmp_path / "bad.wasm"
    bad.write_bytes(make())  # type: ignore[operator]
    result = run_cli(
        "deploy", "--project", "steady", "--worker", str(bad), "--assets", str(tmp_path / "ok"),
        "--db", str(host.db), cache_dir=host.cache_dir, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert message in result.stderr
    assert host.get("steady", "/a.txt").text == "good"
    assert host.get("steady", "/api/hello").status == 200


def test_cli_errors_are_clear(host: Host, hello_py: Path, tmp_path: Path) -> None:
    result = run_cli(
        "deploy", "--project", "Not_Valid", "--worker", str(hello_py), "--db", str(host.db),
        cache_dir=host.cache_dir, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert "invalid project id" in result.stderr
    result = run_cli(
        "deploy", "--project", "x", "--worker", str(tmp_path / "missing.wasm"),
        "--db", str(host.db), cache_dir=host.cache_dir, check=False,
    )  # fmt: skip
    assert "scripts/build-guest" in result.stderr


def test_api_deploy_needs_the_token(host: Host, hello_py: Path) -> None:
    upload = pack(Bundle(hello_py.read_bytes()))
    path = "/v1/projects/via-api/deployments"
    assert host.request(None, path, "POST", body=upload).status == 401
    wrong = {"Authorization": "Bearer nope"}
    assert host.request(None, path, "POST", headers=wrong, body=upload).status == 401
    assert host.get("via-api", "/api/hello").status == 404


def test_api_deploy_and_list(host: Host, hello_py: Path, tmp_path: Path) -> None:
    bundle = read_folder(hello_py, site(tmp_path / "s", x__txt="from the api"), BundleLimits())
    auth = {"Authorization": f"Bearer {TOKEN}"}
    path = "/v1/projects/via-api/deployments?html_handling=none"
    reply = host.request(None, path, "POST", headers=auth, body=pack(bundle))
    assert reply.status == 201, reply.text
    created = json.loads(reply.body)
    assert created["project_id"] == "via-api" and created["files"] == 1
    assert created["asset_options"]["html_handling"] == "none"
    assert host.get("via-api", "/x.txt").text == "from the api"
    listing = json.loads(host.request(None, "/v1/projects", headers=auth).body)
    assert "via-api" in {p["project_id"] for p in listing["projects"]}


def test_api_refuses_bad_uploads(host: Host) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    path = "/v1/projects/bad-upload/deployments"
    reply = host.request(None, path, "POST", headers=auth, body=b"not a tar")
    assert reply.status == 422
    assert "not a readable tar archive" in json.loads(reply.body)["error"]["message"]
    bad = pack(Bundle(b"\0asm\x0d\x00\x01\x00junk"))
    reply = host.request(None, path, "POST", headers=auth, body=bad)
    assert reply.status == 422
    assert json.loads(reply.body)["error"]["code"] == "invalid_worker"
    assert "does not compile" in json.loads(reply.body)["error"]["message"]
    reply = host.request(None, path + "?html_handling=sideways", "POST", headers=auth, body=bad)
    assert reply.status == 422


@pytest.mark.parametrize("chunked", [False, True])
def test_a_json_body_past_its_limit_is_413_sent_chunked_or_not(host: Host, chunked: bool) -> None:
    import http.client
    import select
    import socket

    body = json.dumps({"version": 1, "pad": "x" * (3 * 1024 * 1024)}).encode()
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {len(body)}"
    head = (
        f"POST /v1/projects/any/rollback HTTP/1.1\r\nHost: 127.0.0.1:{host.port}\r\n"
        f"Authorization: Bearer {TOKEN}\r\n{framing}\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", host.port), timeout=60) as sock:
        sock.sendall(head.encode())
        for start in range(0, len(body), 65536):
            if select.select([sock], [], [], 0)[0]:
                break  # answered already: the server reads no further
            part = body[start : start + 65536]
            try:
                sock.sendall(b"%x\r\n%b\r\n" % (len(part), part) if chunked else part)
            except (BrokenPipeError, ConnectionResetError):
                break
        response = http.client.HTTPResponse(sock)
        response.begin()
        text = response.read().decode()
    assert response.status == 413  # from the server, which reads no further
    assert "request body larger than 2097152 bytes (a control-plane JSON body)" in text


def test_cli_deploys_through_the_api(host: Host, hello_py: Path, tmp_path: Path) -> None:
    public = site(tmp_path / "s", y__txt="sent by url")
    result = run_cli(
        "deploy", "--project", "by-url", "--worker", str(hello_py), "--assets", str(public),
        "--url", f"http://127.0.0.1:{host.port}", "--token", TOKEN, cache_dir=host.cache_dir,
    )  # fmt: skip
    assert "deployed by-url version 1" in result.stdout
    assert host.get("by-url", "/y.txt").text == "sent by url"
    result = run_cli(
        "deploy", "--project", "by-url", "--worker", str(hello_py),
        "--url", f"http://127.0.0.1:{host.port}", "--token", "wrong", cache_dir=host.cache_dir,
        check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.strip().endswith("Error: missing or wrong bearer token")


def test_versions_and_rollback_over_the_api_change_what_is_served(
    host: Host, hello_py: Path, tmp_path: Path
) -> None:
    url = ("--url", f"http://127.0.0.1:{host.port}", "--token", TOKEN)
    for n, text in enumerate(("first", "second"), start=1):
        public = site(tmp_path / f"v{n}", z__txt=text)
        run_cli(
            "deploy", "--project", "rolls", "--worker", str(hello_py), "--assets", str(public),
            *url, cache_dir=host.cache_dir,
        )  # fmt: skip
    assert host.get("rolls", "/z.txt").text == "second"
    listed = run_cli("versions", "rolls", "--json", *url, cache_dir=host.cache_dir)
    assert [(v["version"], v["active"]) for v in json.loads(listed.stdout)] == [
        (1, False),
        (2, True),
    ]
    rolled = run_cli("rollback", "rolls", "1", *url, cache_dir=host.cache_dir)
    assert rolled.stdout.startswith("rolls now serves version 1 ")
    assert host.get("rolls", "/z.txt").text == "first"  # the next request sees it
    missing = run_cli("rollback", "rolls", "7", *url, cache_dir=host.cache_dir, check=False)
    assert (missing.returncode, missing.stderr.strip()) == (
        3,
        "Error: rolls has no version 7 (kept: 1, 2)",
    )
    run_cli("delete", "rolls", "--yes", *url, cache_dir=host.cache_dir)
    assert host.get("rolls", "/z.txt").status == 404


def test_a_redeploy_with_one_file_changed_uploads_one_file(
    host: Host, hello_py: Path, tmp_path: Path
) -> None:
    public = tmp_path / "many"
    site(public, **{f"page{n}__txt": f"page {n}" for n in range(1000)})
    url = ("--url", f"http://127.0.0.1:{host.port}", "--token", TOKEN)
    deploy = ("deploy", "--project", "dedup", "--worker", str(hello_py), "--assets", str(public))
    first = run_cli(*deploy, *url, cache_dir=host.cache_dir)
    assert "(sent the worker and 1000 of 1000 files" in first.stdout
    (public / "page7.txt").write_text("page 7, edited")
    second = run_cli(*deploy, *url, cache_dir=host.cache_dir)
    assert "deployed dedup version 2" in second.stdout
    assert "(sent 1 of 1000 files" in second.stdout  # and not the worker
    assert host.get("dedup", "/page7.txt").text == "page 7, edited"
    assert host.get("dedup", "/page8.txt").text == "page 8"


def test_deploy_builds_a_guest_folder_and_serves_it(host: Host, tmp_path: Path) -> None:
    folder = tmp_path / "app"
    shutil.copytree(EXAMPLES / "hello-py", folder, ignore=shutil.ignore_patterns("__pycache__"))
    (folder / "wasmhost.toml").write_text('name = "built-here"\n[assets]\ndirectory = "public"\n')
    result = run_cli("deploy", str(folder), "--db", str(host.db), cache_dir=host.cache_dir)
    assert "deployed built-here version 1" in result.stdout
    assert json.loads(host.get("built-here", "/api/hello").body) == {"hello": "world"}
    assert host.get("built-here", "/").status == 200  # public/index.html
