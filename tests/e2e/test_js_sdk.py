"""The JavaScript SDK over real HTTP, through misbehave-js: bodies, the asset binding, waitUntil,
and every way a worker can fail.

The host's CPU deadline (1 s) makes copies visible: pulling 20 MB into the guest and pushing it
back out takes well over a second, so a 20 MB body that comes back intact with a 200 went
through as a host handle, never entering the guest.
"""

import hashlib
import json
import random
import time
import uuid
from pathlib import Path

import pytest

from tests.conftest import Host

BIG = 20 * 1024 * 1024
MID = 1_500_000


def pattern(size: int) -> bytes:
    """What misbehave-js's /big builds: 0..250 over and over."""
    return (bytes(range(251)) * (size // 251 + 1))[:size]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Assets: a small text file, a 1.5 MB and a 20 MB binary, and a 404 page."""
    public = tmp_path_factory.mktemp("js-sdk-public")
    rng = random.Random(7)
    (public / "hello.txt").write_text("still here")
    (public / "mid.bin").write_bytes(rng.randbytes(MID))
    (public / "big.bin").write_bytes(rng.randbytes(BIG))
    (public / "404.html").write_text("<h1>custom not found</h1>")
    return public


@pytest.fixture(scope="module")
def js(host: Host, misbehave_js: Path, site: Path) -> str:
    """misbehave-js deployed as `sdk-js`."""
    host.deploy("sdk-js", misbehave_js, site)
    return "sdk-js"


def timed(call: object, *args: object, **kwargs: object) -> tuple[object, float]:
    """The call's result and how long it took."""
    started = time.monotonic()
    result = call(*args, **kwargs)  # type: ignore[operator]
    return result, time.monotonic() - started


def log_after(host: Host, text: str, timeout: float = 10) -> str:
    """The server log once it contains `text` (or after `timeout` seconds)."""
    deadline = time.monotonic() + timeout
    while text not in host.log_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    return host.log_text()


# ---------------------------------------------------------------- asset bodies


def test_returned_asset_passes_through_without_a_copy(host: Host, js: str, site: Path) -> None:
    reply = host.get(js, "/pass?path=/big.bin")
    assert reply.status == 200
    assert reply.body == (site / "big.bin").read_bytes()
    assert reply.header("content-type") == "application/octet-stream"


def test_rewrapped_asset_keeps_its_body_and_gains_headers(host: Host, js: str, site: Path) -> None:
    direct = host.get(js, "/big.bin")
    reply = host.get(js, "/rewrap?path=/big.bin")
    assert reply.status == 200
    assert reply.body == (site / "big.bin").read_bytes()
    assert reply.header("x-extra") == "added by the guest"
    assert reply.headers.get_all("set-cookie") == ["a=1", "b=2"]
    assert reply.header("etag") == direct.header("etag")
    assert reply.header("cache-control") == direct.header("cache-control")


def test_rewrapped_asset_with_another_status(host: Host, js: str) -> None:
    reply = host.get(js, "/rewrap-status")
    assert reply.status == 404
    assert reply.text == "<h1>custom not found</h1>"
    assert reply.header("content-type") == "text/html; charset=utf-8"


def test_reading_an_asset_pulls_it_through_the_body_table(host: Host, js: str, site: Path) -> None:
    reply = host.get(js, "/asset-read?path=/mid.bin")
    assert reply.status == 200
    assert json.loads(reply.body) == {
        "status": 200,
        "length": MID,
        "sha256": hashlib.sha256((site / "mid.bin").read_bytes()).hexdigest(),
    }


def test_an_asset_can_be_transformed(host: Host, js: str) -> None:
    reply = host.get(js, "/asset-upper?path=/hello.txt")
    assert (reply.status, reply.text) == (200, "STILL HERE")
    assert reply.header("x-transformed") == "1"
    assert reply.header("content-type") == "text/plain;charset=UTF-8"


def test_unknown_paths_fall_through_to_the_assets(host: Host, js: str) -> None:
    assert host.get(js, "/hello.txt").text == "still here"
    assert host.get(js, "/nothing-here").status == 404


# ---------------------------------------------------------------- request bodies


def test_request_json(host: Host, js: str) -> None:
    body = json.dumps({"a": 1, "b": [2, "three"], "ü": None}).encode()
    reply = host.request(js, "/json", "POST", {"content-type": "application/json"}, body)
    assert reply.status == 201
    assert reply.header("content-type") == "application/json"
    assert json.loads(reply.body) == {"received": {"a": 1, "b": [2, "three"], "ü": None}, "keys": 3}


def test_request_body_is_read_and_sent_back_in_chunks(host: Host, js: str) -> None:
    body = random.Random(3).randbytes(3_000_000)
    reply = host.request(js, "/echo", "POST", body=body)
    assert reply.status == 200
    assert reply.header("x-length") == str(len(body))
    assert reply.body == body


def test_request_body_passes_through_without_a_copy(host: Host, js: str) -> None:
    body = random.Random(4).randbytes(BIG)
    reply = host.request(js, "/echo-stream", "PUT", body=body)
    assert reply.status == 200
    assert reply.header("x-passed") == "yes"
    assert reply.body == body


def test_request_headers_include_host(host: Host, js: str) -> None:
    assert host.get(js, "/host-header").text == f"{js}.localhost:{host.port}"


# ---------------------------------------------------------------- guest-built bodies


@pytest.mark.parametrize("size", [1024 * 1024, 1024 * 1024 + 1, 5_000_000])
def test_large_guest_built_body_goes_up_in_chunks(host: Host, js: str, size: int) -> None:
    reply = host.get(js, f"/big?bytes={size}")
    assert reply.status == 200
    assert reply.header("content-type") == "application/octet-stream"
    assert len(reply.body) == size
    assert reply.body == pattern(size)


def test_large_text_body(host: Host, js: str) -> None:
    reply = host.get(js, "/big-text?lines=200000")
    assert reply.status == 200
    assert reply.header("content-type") == "text/plain;charset=UTF-8"
    assert reply.text == "0123456789abcdef\n" * 200_000


# ---------------------------------------------------------------- engine-made bodies, clone()


def test_blob_and_form_data_bodies(host: Host, js: str) -> None:
    reply = host.get(js, "/blob-body?bytes=2000000")
    assert (reply.status, reply.body) == (200, pattern(2_000_000))
    reply = host.get(js, "/blob-stream-body?bytes=2000000")
    assert (reply.status, reply.body) == (200, pattern(2_000_000))
    reply = host.get(js, "/form-body")
    assert reply.status == 200
    assert reply.header("content-type").startswith("multipart/form-data; boundary=")


def test_an_untouched_clone_of_an_asset_passes_through(host: Host, js: str, site: Path) -> None:
    reply = host.get(js, "/clone-asset-copy?path=/big.bin")
    assert reply.status == 200
    assert reply.body == (site / "big.bin").read_bytes()


def test_a_clone_of_the_request_is_read_while_the_original_passes_through(
    host: Host, js: str
) -> None:
    body = b"0123456789abcdef" * 100_000
    reply = host.request(js, "/clone-request", "POST", body=body)
    assert reply.status == 200
    assert reply.header("x-clone-length") == str(len(body))
    assert reply.header("x-clone-host") == f"{js}.localhost:{host.port}"
    assert reply.body == body


def test_text_that_is_not_utf8_is_decoded_with_replacement(host: Host, js: str) -> None:
    reply = host.request(js, "/lenient-text", "POST", body=b"ok \xff end")
    assert reply.status == 200
    assert json.loads(reply.body) == {
        "body": "ok \ufffd end",
        "made": "a\ufffdb",
        "json": "x\ufffd",
    }


def test_a_throwing_timer_callback_is_logged_and_the_response_sent(host: Host, js: str) -> None:
    reply = host.get(js, "/timer-throws")
    assert (reply.status, reply.text) == (200, "answered after the timer")
    log = log_after(host, "timer exploded")
    assert f"[{js}] stderr: Uncaught error in a timer callback: Error: timer exploded" in log
    assert f"[{js}] stderr:     /timer-throws/<@worker.js:" in log


# ---------------------------------------------------------------- ctx.waitUntil


def test_wait_until_is_awaited_before_the_request_completes(host: Host, js: str) -> None:
    token = uuid.uuid4().hex
    reply, elapsed = timed(host.get, js, f"/wait-until?id={token}")
    assert reply.status == 200  # type: ignore[attr-defined]
    assert reply.text == f"accepted {token}"  # type: ignore[attr-defined]
    assert elapsed >= 0.3
    log = log_after(host, f"nested waitUntil finished {token}")
    assert f"[{js}] stdout: waitUntil finished {token}" in log
    assert f"[{js}] stdout: nested waitUntil finished {token}" in log


def test_rejected_wait_until_is_logged_and_the_response_still_sent(host: Host, js: str) -> None:
    reply = host.get(js, "/wait-until-reject")
    assert (reply.status, reply.text) == (200, "answered anyway")
    log = log_after(host, "background job failed")
    assert f"[{js}] stderr: A ctx.waitUntil() promise rejected: Error: background job failed" in log


def test_never_settling_wait_until_is_logged_not_hung(host: Host, js: str) -> None:
    reply, elapsed = timed(host.get, js, "/wait-until-never")
    assert (reply.status, reply.text) == (200, "answered without it")  # type: ignore[attr-defined]
    assert elapsed < 5
    log = log_after(host, "ctx.waitUntil() gave up")
    assert f"[{js}] stderr: ctx.waitUntil() gave up (the response is sent anyway)" in log


def test_a_slow_wait_until_is_given_up_on_and_the_response_sent(host: Host, js: str) -> None:
    reply, elapsed = timed(host.get, js, "/wait-until-slow")
    assert (reply.status, reply.text) == (200, "computed in time")  # type: ignore[attr-defined]
    assert elapsed < 1
    log = log_after(host, "gave up waiting for")
    assert f"[{js}] stderr: ctx.waitUntil(): gave up waiting for 1 waitUntil promise(s)" in log


# ---------------------------------------------------------------- failures


UNCAUGHT = "Uncaught error in fetch(): "
FAILURES = [
    ("/trap", ["Uncaught error in fetch(): Error: boom from the guest", "    /trap@worker.js:"]),
    (
        "/trap-in-module",
        [
            "Uncaught error in fetch(): RangeError: exploded deep inside a helper module",
            "    explode@lib/explode.js:4",
        ],
    ),
    ("/reject", ['Uncaught error in fetch(): "plain rejection" (a non-Error value)']),
    (
        "/throw-object",
        ['Uncaught error in fetch(): {"code":42,"reason":"not an Error"} (a non-Error value)'],
    ),
    (
        "/wait-until-then-throw",
        [
            "Uncaught error in fetch(): Error: failed after registering a waitUntil",
            "ctx.waitUntil(): dropped 1 waitUntil promise(s): fetch() failed",
        ],
    ),
    ("/reject-later", ["Uncaught error in fetch(): TypeError: rejected after a timer"]),
    ("/never", [f"{UNCAUGHT}NeverSettles: the worker's fetch() can never finish"]),
    ("/never-after-timer", [f"{UNCAUGHT}NeverSettles: the worker's fetch() can never finish"]),
    ("/not-a-response", [f"{UNCAUGHT}TypeError: fetch() must return a Response (or a promise"]),
    ("/body-used", [f"{UNCAUGHT}TypeError: fetch() returned a Response whose body was already"]),
    ("/alloc", ["Uncaught error in fetch(): "]),
]


@pytest.mark.parametrize(("path", "lines"), FAILURES)
def test_failure_is_a_500_with_the_error_in_the_log(
    host: Host, js: str, path: str, lines: list[str]
) -> None:
    reply, elapsed = timed(host.get, js, path)
    assert reply.status == 500  # type: ignore[attr-defined]
    assert reply.text.strip() == "Worker threw an exception"  # type: ignore[attr-defined]
    assert elapsed < 10
    log = log_after(host, lines[0])
    for line in lines:
        assert f"[{js}] stderr: {line}" in log
    assert f"[{js}] GET {path} -> 500" in log
    assert host.get(js, "/ok").text == "misbehave is fine"


def test_endless_loop_is_a_503(host: Host, js: str) -> None:
    reply, elapsed = timed(host.get, js, "/loop")
    assert reply.status == 503  # type: ignore[attr-defined]
    assert elapsed < 10
    assert host.get(js, "/ok").status == 200
