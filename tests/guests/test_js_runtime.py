"""The JavaScript SDK in the real engine, in-process: misbehave-js (built once by
scripts/build-guest) called through the host's Sandbox, without a server: in a fresh instance
per call, or (`warm=True`) in the one warm instance the sandbox keeps.

Node's Request/Response (tests/guests/js/) are not StarlingMonkey's: these tests check what
only the engine the guests really run in can show (its event loop, its missing methods, its
decoders), quicker than over HTTP (tests/e2e/test_js_sdk.py).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from wasmtime import Engine

from host.errors import GuestError
from host.runtime.bodies import BodyTable
from host.runtime.engine import EpochTicker, create_engine
from host.runtime.loader import CompiledWorker, Loader
from host.runtime.output import GuestOutput
from host.runtime.pool import PoolLimits
from host.runtime.sandbox import Lease, Limits, PoolKey, Sandbox
from host.runtime.values import WitRequest, WitResponse

REPO = Path(__file__).resolve().parents[2]
GUEST = REPO / "tests" / "guests" / "misbehave-js"
WARM = PoolKey("misbehave-js", "deployment-1")
BIG = 3_000_000
ASSETS = {
    "/hello.txt": (b"still here", "text/plain"),
    "/big.bin": (bytes(range(251)) * (BIG // 251), "application/octet-stream"),
}


@dataclass
class Scope:
    """A request scope serving ASSETS and counting what the guest reads from the body table."""

    bodies: BodyTable
    asked: list[str] = field(default_factory=list)
    handles: list[int] = field(default_factory=list)
    failure: BaseException | None = None
    read_bytes: int = 0

    def __post_init__(self) -> None:
        read = self.bodies.read

        def counted(handle: int, offset: int, limit: int) -> bytes:
            chunk = read(handle, offset, limit)
            self.read_bytes += len(chunk)
            return chunk

        self.bodies.read = counted  # type: ignore[method-assign]

    def env_vars(self) -> list[tuple[str, str]]:
        """No variables or secrets."""
        return []

    def kv_namespaces(self) -> list[str]:
        """No KV namespaces."""
        return []

    def fetch_asset(self, request: WitRequest) -> WitResponse:
        path = urlsplit(request.url).path
        self.asked.append(path)
        if path not in ASSETS:
            return WitResponse(404, [("content-type", "text/plain")], b"not found")
        data, kind = ASSETS[path]
        self.handles.append(self.bodies.add(data))
        return WitResponse(200, [("content-type", kind)], self.handles[-1])


@dataclass
class Call:
    """One request's outcome: the response (body read out of the table) or the guest error."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes
    handle: int | None
    stdout: str
    stderr: str
    error: GuestError | None
    read_bytes: int
    seconds: float
    sent: int | None = None  # the request body's handle
    assets: tuple[int, ...] = ()  # the handles of the assets the guest fetched

    @property
    def text(self) -> str:
        return self.body.decode()

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k == name), None)


Caller = Callable[..., Call]
"""`call(path, method="GET", body=None, warm=False)`: one request to misbehave-js."""


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    engine = create_engine()
    ticker = EpochTicker(engine).start()
    yield engine
    ticker.stop()


@pytest.fixture(scope="module")
def worker(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> CompiledWorker:
    """misbehave-js, built (or taken from the build cache) and compiled."""
    out = tmp_path_factory.mktemp("js-runtime") / "misbehave-js.wasm"
    result = subprocess.run(
        [str(REPO / "scripts" / "build-guest"), str(GUEST), str(out)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    loader = Loader(engine, out.parent / "compiled", b"test secret")
    return loader.compile(out.read_bytes())


@pytest.fixture(scope="module")
def call(engine: Engine, worker: CompiledWorker) -> Caller:
    one_warm_instance = PoolLimits(per_project=1, total=1, max_rss_bytes=1 << 40)
    sandbox = Sandbox(engine, Limits(cpu_deadline_ms=1000), one_warm_instance)

    def call(path: str, method: str = "GET", body: bytes | None = None, warm: bool = False) -> Call:
        with sandbox.lease(worker, WARM if warm else None) as lease:
            return serve(lease, path, method, body)

    def serve(lease: Lease, path: str, method: str, body: bytes | None) -> Call:
        scope = Scope(BodyTable(64 << 20, lease.first_handle))
        handle = scope.bodies.add(body) if body is not None else None
        output = GuestOutput("misbehave-js", 256 * 1024)
        request = WitRequest(
            method, f"http://misbehave.localhost{path}", [("host", "misbehave.localhost")], handle
        )
        started = time.monotonic()
        try:
            response = lease.fetch(scope, output, request)
        except GuestError as error:
            seconds = time.monotonic() - started
            return Call(500, [], b"", None, output.text("stdout"), output.text("stderr"), error,
                        scope.read_bytes, seconds, handle, tuple(scope.handles))  # fmt: skip
        seconds = time.monotonic() - started
        answer = response.body
        data = scope.bodies.take(answer) if isinstance(answer, int) else (answer or b"")
        return Call(
            response.status, response.headers, data, answer if isinstance(answer, int) else None,
            output.text("stdout"), output.text("stderr"), None, scope.read_bytes, seconds,
            handle, tuple(scope.handles),
        )  # fmt: skip

    return call


def pattern(size: int) -> bytes:
    """What misbehave-js's /big builds: 0..250 over and over."""
    return (bytes(range(251)) * (size // 251 + 1))[:size]


def test_the_guest_answers(call: Caller) -> None:
    reply = call("/ok")
    assert (reply.status, reply.text, reply.error) == (200, "misbehave is fine", None)


# ---------------------------------------------------------------- engine-internal streams


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/blob-body?bytes=5", pattern(5)),
        ("/blob-body?bytes=4000000", pattern(4_000_000)),
        ("/blob-stream-body?bytes=3000000", pattern(3_000_000)),
    ],
)
def test_blob_bodies_are_not_mistaken_for_never_settling(
    call: Caller, path: str, expected: bytes
) -> None:
    reply = call(path)
    assert reply.error is None, reply.stderr
    assert reply.status == 200
    assert reply.body == expected


def test_form_data_body(call: Caller) -> None:
    reply = call("/form-body")
    assert reply.error is None, reply.stderr
    assert reply.header("content-type").startswith("multipart/form-data; boundary=")
    assert b'name="a"\r\n\r\n1\r\n' in reply.body
    assert reply.body.count(pattern(300_000)) == 1


def test_reading_a_blob_inside_the_worker(call: Caller) -> None:
    reply = call("/blob-read?bytes=4000000")
    assert reply.error is None, reply.stderr
    digest = hashlib.sha256(pattern(4_000_000)).hexdigest()
    assert reply.text == f"read 4000000 bytes, sha256 {digest}"


def test_a_promise_nothing_settles_is_still_reported(call: Caller) -> None:
    for path in ("/never", "/never-after-timer"):
        reply = call(path)
        assert reply.error is not None
        assert "Uncaught error in fetch(): NeverSettles: the worker's fetch() can never finish" in (
            reply.stderr
        )
        assert reply.seconds < 2


def test_a_thrown_object_is_printed_as_json(call: Caller) -> None:
    reply = call("/throw-object")
    assert reply.error is not None
    assert (
        'Uncaught error in fetch(): {"code":42,"reason":"not an Error"} (a non-Error value)'
        in reply.stderr
    )


# ---------------------------------------------------------------- timers


def test_an_exception_in_a_timer_callback_is_logged_and_the_response_sent(call: Caller) -> None:
    reply = call("/timer-throws")
    assert reply.error is None, reply.stderr
    assert (reply.status, reply.text) == (200, "answered after the timer")
    assert "Uncaught error in a timer callback: Error: timer exploded" in reply.stderr
    assert "@worker.js:" in reply.stderr
    assert "wasmhost-bundle.js" not in reply.stderr


# ---------------------------------------------------------------- clone()


def test_cloning_an_asset_opens_its_host_body_again(call: Caller) -> None:
    reply = call("/clone-asset?path=/big.bin")
    assert reply.error is None, reply.stderr
    assert reply.header("x-clone-length") == str(len(ASSETS["/big.bin"][0]))
    assert reply.handle == reply.assets[0]  # the original went back untouched
    assert reply.body == ASSETS["/big.bin"][0]
    assert reply.read_bytes == len(ASSETS["/big.bin"][0])  # only the copy was read


def test_an_untouched_clone_passes_through(call: Caller) -> None:
    reply = call("/clone-asset-copy?path=/big.bin")
    assert reply.error is None, reply.stderr
    assert (reply.handle, reply.read_bytes) == (reply.assets[0], 0)
    assert reply.body == ASSETS["/big.bin"][0]


def test_cloning_a_guest_made_response(call: Caller) -> None:
    reply = call("/clone-response")
    assert reply.error is None, reply.stderr
    assert json.loads(reply.body) == {
        "mine": "made in the guest",
        "theirs": "made in the guest",
        "status": 202,
        "header": "1",
    }


def test_cloning_the_request_keeps_its_body_in_the_host(call: Caller) -> None:
    body = b"0123456789" * 200_000
    reply = call("/clone-request", "POST", body)
    assert reply.error is None, reply.stderr
    assert reply.header("x-clone-length") == str(len(body))
    assert reply.header("x-clone-host") == "misbehave.localhost"
    assert reply.handle == reply.sent  # the original went back untouched
    assert reply.body == body
    assert reply.read_bytes == len(body)  # only the copy was read


# ---------------------------------------------------------------- decoding


def test_text_and_json_replace_bytes_that_are_not_utf8(call: Caller) -> None:
    reply = call("/lenient-text", "POST", b"ok \xff\xfe end")
    assert reply.error is None, reply.stderr
    assert json.loads(reply.body) == {
        "body": "ok \ufffd\ufffd end",
        "made": "a\ufffdb",
        "json": "x\ufffd",
    }


# ---------------------------------------------------------------- ctx.waitUntil


def test_a_slow_wait_until_does_not_cost_the_response(call: Caller) -> None:
    reply = call("/wait-until-slow")
    assert reply.error is None, reply.stderr
    assert (reply.status, reply.text) == (200, "computed in time")
    assert reply.seconds < 0.9
    gave_up = "ctx.waitUntil(): gave up waiting for 1 waitUntil promise(s) 500 ms into the request"
    assert gave_up in reply.stderr
    assert "slow job done" not in reply.stdout


def test_wait_until_promises_dropped_by_a_failure_are_logged(call: Caller) -> None:
    reply = call("/wait-until-then-throw")
    assert reply.error is not None
    assert "Uncaught error in fetch(): Error: failed after registering a waitUntil" in reply.stderr
    assert "ctx.waitUntil(): dropped 1 waitUntil promise(s): fetch() failed" in reply.stderr


# ---------------------------------------------------------------- warm instances


def test_module_state_persists_on_one_instance_but_bodies_do_not(call: Caller) -> None:
    first = int(call("/state/count", warm=True).text)
    assert call("/state/count", warm=True).text == str(first + 1)
    kept = call("/state/keep", "POST", b"the first request's body", warm=True)
    assert (kept.status, kept.text) == (200, "kept")

    read = call("/state/replay-read", warm=True)
    assert read.error is None, read.stderr
    assert read.status == 409
    assert read.text.startswith("this body belongs to an earlier request, which has ended")
    assert "keep the bytes instead" in read.text
    assert read.read_bytes == 0
    assert call("/state/count", warm=True).text == str(first + 2)  # still that one instance

    replay = call("/state/replay", warm=True)
    assert replay.error is not None
    assert "RequestEndedError: this body belongs to an earlier request" in replay.stderr
    assert call("/state/count", warm=True).text == "1"  # the trapped instance was dropped


def test_output_is_captured_per_request_on_one_instance(call: Caller) -> None:
    for text in ("first", "second"):
        reply = call(f"/output?text={text}", warm=True)
        assert (reply.status, reply.stdout, reply.stderr) == (200, f"{text}\n", f"{text}\n")
