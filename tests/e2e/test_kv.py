"""KV namespaces through the real path: deployed with `--kv`, used by a Python and a JavaScript
guest with Workers KV's API over HTTP, each project seeing only its own entries, each refusal a
catchable error with its reason."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Guest, Host

BIG = "x" * (2 * 1024 * 1024)  # past the inline limit both ways: travels as a host body


@pytest.fixture(scope="module")
def projects(host: Host, misbehave_guest: Guest) -> tuple[str, str]:
    """Two projects of the same guest, each with its own NOTES namespace."""
    language = misbehave_guest.language
    mine, theirs = f"kv-{language}", f"kv-other-{language}"
    host.deploy(mine, misbehave_guest.worker, None, "--kv", "NOTES", "--kv", "CACHE=cache")
    host.deploy(theirs, misbehave_guest.worker, None, "--kv", "NOTES")
    return mine, theirs


def kv(host: Host, project: str, **asked: Any) -> dict[str, Any]:
    """One KV operation through the guest's /kv route: `{"result": …}` or `{"error": …}`."""
    reply = host.request(project, "/kv", "POST", body=json.dumps(asked).encode())
    assert reply.status == 200, reply.body[:300]
    answer: dict[str, Any] = json.loads(reply.body)
    return answer


def test_put_get_list_delete(host: Host, projects: tuple[str, str]) -> None:
    mine, _ = projects
    assert kv(host, mine, op="get", key="nothing")["result"]["value"] is None
    options = {"metadata": {"by": "test"}, "expirationTtl": 3600}
    assert kv(host, mine, op="put", key="notes/1", value="héllo", options=options) == {
        "result": None
    }
    kv(host, mine, op="put", key="notes/2", value='{"n": 2}')
    kv(host, mine, op="put", key="other", value="x")
    got = kv(host, mine, op="get", key="notes/1")["result"]
    assert (got["value"], got["metadata"]) == ("héllo", {"by": "test"})
    assert kv(host, mine, op="get", key="notes/2", type="json")["result"]["value"] == {"n": 2}
    listed = kv(host, mine, op="list", options={"prefix": "notes/"})["result"]
    assert [k["name"] for k in listed["keys"]] == ["notes/1", "notes/2"]
    assert listed["keys"][0]["metadata"] == {"by": "test"}
    assert listed["keys"][0]["expiration"] > 0 and listed["list_complete"] is True
    first = kv(host, mine, op="list", options={"limit": 2})["result"]
    assert (len(first["keys"]), first["list_complete"]) == (2, False)
    rest = kv(host, mine, op="list", options={"limit": 2, "cursor": first["cursor"]})["result"]
    assert [k["name"] for k in rest["keys"]] == ["other"]
    kv(host, mine, op="delete", key="notes/1")
    assert kv(host, mine, op="get", key="notes/1")["result"]["value"] is None


def test_a_large_value_goes_both_ways(host: Host, projects: tuple[str, str]) -> None:
    mine, _ = projects
    stored = kv(host, mine, op="put", key="big", value=BIG, binding="CACHE")
    assert stored == {"result": None}, stored
    raw = json.dumps({"op": "raw", "key": "big", "binding": "CACHE"}).encode()
    assert host.request(mine, "/kv", "POST", body=raw).body == BIG.encode()
    assert kv(host, mine, op="get", key="big")["result"]["value"] is None  # another namespace


def test_each_project_sees_only_its_own(host: Host, projects: tuple[str, str]) -> None:
    mine, theirs = projects
    kv(host, mine, op="put", key="private", value="mine")
    assert kv(host, theirs, op="get", key="private")["result"]["value"] is None
    assert kv(host, theirs, op="list")["result"]["keys"] == []
    assert kv(host, theirs, op="get", key="k", binding="CACHE") == {"error": "no binding CACHE"}


@pytest.mark.parametrize(
    ("asked", "message"),
    [
        ({"op": "put", "key": "k" * 513, "value": "v"}, "KV key is 513 bytes; at most 512"),
        ({"op": "get", "key": ".."}, "must not be empty, `.` or `..`"),
        ({"op": "put", "key": "k", "value": "v", "options": {"expirationTtl": 10}}, "at least 60"),
        ({"op": "list", "options": {"limit": 5000}}, "limit must be 1 to 1000"),
    ],
)
def test_refusals_are_catchable_errors_with_the_reason(
    host: Host, projects: tuple[str, str], asked: dict[str, Any], message: str
) -> None:
    mine, _ = projects
    answer = kv(host, mine, **asked)
    assert message in answer["error"]


def test_deleting_the_project_deletes_its_entries(
    host: Host, misbehave_guest: Guest, tmp_path: Path
) -> None:
    from tests.conftest import run_cli

    project = f"kv-gone-{misbehave_guest.language}"
    host.deploy(project, misbehave_guest.worker, None, "--kv", "NOTES")
    kv(host, project, op="put", key="k", value="v")
    run_cli("delete", project, "--yes", "--db", str(host.db), cache_dir=host.cache_dir)
    host.deploy(project, misbehave_guest.worker, None, "--kv", "NOTES")
    assert kv(host, project, op="get", key="k")["result"]["value"] is None
