"""The full-stack examples, guestbook-py and guestbook-js, deployed from their folders as a user
would (`wasmhost deploy DIR`: the config file names the entry module, the assets, a KV namespace
and a variable): the page and its files, the API signing the book and listing it newest first,
its refusals, and each deployment's entries its own."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.conftest import EXAMPLES, Host, run_cli


@pytest.fixture(scope="module", params=["py", "js"])
def guestbook(
    request: pytest.FixtureRequest, host: Host, tmp_path_factory: pytest.TempPathFactory
) -> str:
    """The example of one language, deployed from a copy of its folder; its project id."""
    name = f"guestbook-{request.param}"
    folder = tmp_path_factory.mktemp(name) / name
    shutil.copytree(EXAMPLES / name, folder, ignore=shutil.ignore_patterns("__pycache__"))
    deployed = run_cli("deploy", str(folder), "--db", str(host.db), cache_dir=host.cache_dir)
    project = "guestbook" if request.param == "py" else "guestbook-js"
    assert f"deployed {project} version 1" in deployed.stdout, deployed.stdout + deployed.stderr
    return project


def sign(host: Host, project: str, **entry: str) -> tuple[int, dict[str, str]]:
    """POST an entry; the status and the JSON answer."""
    body = json.dumps(entry).encode()
    reply = host.request(
        project, "/api/entries", "POST", {"content-type": "application/json"}, body
    )
    return reply.status, json.loads(reply.body)


def test_the_page_and_its_files_are_served(host: Host, guestbook: str) -> None:
    page = host.get(guestbook, "/")
    assert page.status == 200 and '<script src="/app.js">' in page.text
    assert "javascript" in (host.get(guestbook, "/app.js").header("content-type") or "")
    assert host.get(guestbook, "/style.css").status == 200
    missing = host.get(guestbook, "/nowhere")
    assert missing.status == 404 and "Back to the guestbook" in missing.text


def test_signing_and_listing_newest_first(host: Host, guestbook: str) -> None:
    for n in range(3):
        status, entry = sign(host, guestbook, name=f"guest {n}", message=f"hello number {n} ✓")
        assert status == 201 and entry["name"] == f"guest {n}" and entry["at"].endswith("+00:00")
    listed = json.loads(host.get(guestbook, "/api/entries").body)
    assert listed["title"] == "The wasmhost guestbook"
    assert [e["message"] for e in listed["entries"][:3]] == [
        f"hello number {n} ✓" for n in (2, 1, 0)
    ]


@pytest.mark.parametrize(
    "entry", [{"name": "", "message": "hi"}, {"name": "x" * 41, "message": "hi"}, {"name": "a"}]
)
def test_bad_entries_are_refused_with_the_reason(
    host: Host, guestbook: str, entry: dict[str, str]
) -> None:
    status, answer = sign(host, guestbook, **entry)
    assert status == 400
    assert answer["error"] == "write a name of 1 to 40 characters and a message of 1 to 500"


def test_not_json_is_refused(host: Host, guestbook: str) -> None:
    reply = host.request(guestbook, "/api/entries", "POST", body=b"name=a")
    assert (reply.status, json.loads(reply.body)["error"]) == (
        400,
        'send JSON: {"name": ..., "message": ...}',
    )
