"""Guests that trap, loop, allocate or flood get a 5xx; everyone else keeps being served.

Tests that use `misbehave` run twice: against misbehave-py and against misbehave-js.
"""

import json
import re
import time
from pathlib import Path

import pytest
from wasmtime import wat2wasm

from tests.conftest import Guest, Host
from tests.runtime import wat_guests

# What each guest's uncaught exception looks like in the log.
TRACEBACK = {
    "py": ["Uncaught error in fetch(): RuntimeError: boom from the guest", "    trap@worker.py:"],
    "js": ["Uncaught error in fetch(): Error: boom from the guest", "/trap@worker.js:"],
}


@pytest.fixture(scope="module")
def misbehave(host: Host, misbehave_guest: Guest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The guest deployed as `misbehave-{py,js}`, plus a healthy `neighbour-{py,js}`."""
    public = tmp_path_factory.mktemp("misbehave-public")
    (public / "hello.txt").write_text("still here")
    project = misbehave_guest.name
    host.deploy(project, misbehave_guest.worker, public)
    host.deploy(neighbour(project), misbehave_guest.worker, public)
    return project


def neighbour(project: str) -> str:
    """The healthy project deployed beside `project`."""
    return project.replace("misbehave", "neighbour")


def wait_for_log(host: Host, text: str, timeout: float = 10) -> str:
    """The server log once it contains `text` (or after `timeout` seconds)."""
    deadline = time.monotonic() + timeout
    while text not in host.log_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    return host.log_text()


@pytest.mark.parametrize(
    ("path", "status", "text"),
    [
        ("/trap", 500, "Worker threw an exception"),
        ("/loop", 503, "Worker exceeded its CPU time limit"),
        ("/alloc", 500, "Worker threw an exception"),
    ],
)
def test_failure_answers_5xx_and_the_host_keeps_serving(
    host: Host, misbehave: str, path: str, status: int, text: str
) -> None:
    started = time.monotonic()
    reply = host.get(misbehave, path)
    assert reply.status == status
    assert reply.text.strip() == text
    assert time.monotonic() - started < 30
    assert host.get(neighbour(misbehave), "/ok").text == "misbehave is fine"
    assert host.get(misbehave, "/ok").text == "misbehave is fine"
    assert host.get(misbehave, "/hello.txt").text == "still here"


def test_trap_details_go_to_the_log_only(host: Host, misbehave: str) -> None:
    reply = host.get(misbehave, "/trap")
    assert b"boom" not in reply.body
    log = wait_for_log(host, "boom from the guest")
    assert f"[{misbehave}] stderr:" in log
    for line in TRACEBACK[misbehave.rsplit("-", 1)[1]]:
        assert line in log


def test_output_flood_is_capped(host: Host, misbehave: str) -> None:
    reply = host.get(misbehave, "/flood")
    assert reply.text == "flooded"
    log = wait_for_log(host, f"[{misbehave}] stdout: flood 0 ")
    assert f"[{misbehave}] stdout: flood 0 " in log
    assert "flood 1999" not in log
    assert re.search(rf"\[{misbehave}\] stdout: \d+ more bytes dropped \(max_output_kb", log)


def test_concurrent_failures_do_not_block_good_requests(host: Host, misbehave: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(4) as pool:
        loops = [pool.submit(host.get, misbehave, "/loop") for _ in range(2)]
        goods = [pool.submit(host.get, neighbour(misbehave), "/ok") for _ in range(4)]
        assert all(f.result().status == 503 for f in loops)
        assert all(f.result().text == "misbehave is fine" for f in goods)


def test_invalid_response_from_a_guest_is_502(host: Host, tmp_path: Path) -> None:
    worker = tmp_path / "bad-status.wasm"
    worker.write_bytes(bytes(wat2wasm(wat_guests.guest(wat_guests.BAD_STATUS))))
    host.deploy("bad-status", worker)
    reply = host.get("bad-status", "/")
    assert reply.status == 502
    assert reply.text.strip() == "Worker returned an invalid response"


def test_request_body_reaches_the_guest(host: Host, misbehave: str) -> None:
    body = bytes(range(256)) * 40
    reply = host.request(misbehave, "/echo?x=1", method="POST", body=body)
    assert reply.status == 200
    assert reply.body == body
    assert reply.header("x-method") == "POST"
    assert reply.header("x-url") == f"http://{misbehave}.localhost:{host.port}/echo?x=1"


def test_wasi_grants_nothing(host: Host, misbehave_py: Path) -> None:
    host.deploy("sandboxed", misbehave_py)
    seen = json.loads(host.get("sandboxed", "/sandbox").body)
    assert seen["environ"] == {}
    assert seen["argv"] == []
    assert seen["listdir"] in ([], "refused: FileNotFoundError", "refused: PermissionError")
    assert str(seen["open"]).startswith("refused:")
