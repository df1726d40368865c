"""The Python guest SDK's plain-Python parts, and the guest build script's pure helpers.

Nothing here needs componentize-py or a wasm runtime: the WIT bindings are faked.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.guests.conftest import make_guest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "guests" / "sdk" / "python"))

from workers import (  # noqa: E402
    Env,
    Headers,
    HostBody,
    Request,
    RequestEndedError,
    Response,
    body,
)
from workers._bridge import Bridge  # noqa: E402
from workers.event_loop import GuestEventLoop, NeverCompletes  # noqa: E402
from workers.scope import RequestScope  # noqa: E402


def run(awaitable: Any) -> Any:
    """Complete an SDK awaitable the way the guest does: on the guest's own event loop."""
    loop = GuestEventLoop()
    try:
        return loop.run_until_complete(awaitable)
    finally:
        loop.close()


# ---------------------------------------------------------------- fakes


@dataclass
class Body_Empty:  # named like the generated binding
    pass


@dataclass
class Body_Bytes:
    value: bytes


@dataclass
class Body_Host:
    value: int


@dataclass
class WitRequest:
    method: str
    url: str
    headers: list[tuple[str, str]]
    body: Any


@dataclass
class WitResponse:
    status: int
    headers: list[tuple[str, str]]
    body: Any


WIT_TYPES = SimpleNamespace(
    Body_Empty=Body_Empty,
    Body_Bytes=Body_Bytes,
    Body_Host=Body_Host,
    Request=WitRequest,
    Response=WitResponse,
)


@dataclass
class FakeBodies:
    """The `bodies` import: a per-request table of byte strings."""

    table: dict[int, bytearray] = field(default_factory=dict)
    calls: list[tuple[Any, ...]] = field(default_factory=list)
    known_size: bool = True

    def add(self, data: bytes) -> int:
        handle = 100 + len(self.table)
        self.table[handle] = bytearray(data)
        return handle

    def size(self, handle: int) -> int | None:
        self.calls.append(("size", handle))
        return len(self.table[handle]) if self.known_size else None

    def read(self, handle: int, offset: int, max: int) -> bytes:
        self.calls.append(("read", handle, offset, max))
        return bytes(self.table[handle][offset : offset + max])

    def create(self) -> int:
        self.calls.append(("create",))
        return self.add(b"")

    def append(self, handle: int, chunk: bytes) -> None:
        self.calls.append(("append", handle, len(chunk)))
        self.table[handle] += chunk


@dataclass
class FakeAssets:
    """The `assets` import: records requests, answers with a host body."""

    bodies: FakeBodies
    seen: list[WitRequest] = field(default_factory=list)

    def fetch(self, req: WitRequest) -> WitResponse:
        self.seen.append(req)
        handle = self.bodies.add(b"<h1>asset</h1>")
        return WitResponse(200, [("content-type", "text/html")], Body_Host(handle))


class FakeEnv:
    """The `env` import: two variables, counting how often it is asked."""

    def __init__(self) -> None:
        self.asked = 0

    def vars(self) -> list[tuple[str, str]]:
        self.asked += 1
        return [("API_KEY", "secret"), ("GREETING", "hello")]

    def kv_namespaces(self) -> list[str]:
        return ["NOTES"]


@dataclass
class Got_Found:
    value: Any


@dataclass
class Got_Failed:
    value: str


@dataclass
class Listing_Page:
    value: Any


@dataclass
class Listing_Failed:
    value: str


class FakeKv:
    """The `kv` import: a dict per binding; keys longer than 512 characters are refused."""

    Got_Found, Got_Failed = Got_Found, Got_Failed
    Listing_Page, Listing_Failed = Listing_Page, Listing_Failed

    def __init__(self, bodies: FakeBodies) -> None:
        self.bodies = bodies
        self.entries: dict[tuple[str, str], tuple[Any, str | None]] = {}
        self.puts: list[tuple[Any, ...]] = []

    def get(self, binding: str, key: str) -> Any:
        if not key:
            return Got_Failed("KV key must not be empty, `.` or `..`")
        if (binding, key) not in self.entries:
            return None
        body, metadata = self.entries[binding, key]
        return Got_Found(SimpleNamespace(value=body, metadata=metadata, expiration=None))

    def put(self, binding: str, key: str, value: Any, expiration: Any, ttl: Any, meta: Any) -> Any:
        self.puts.append((binding, key, type(value).__name__, expiration, ttl, meta))
        if len(key) > 512:
            return "KV key is 600 bytes; at most 512"
        if isinstance(value, Body_Host):
            value = Body_Bytes(self.bodies.table[value.value])
        self.entries[binding, key] = (value, meta)
        return None

    def delete(self, binding: str, key: str) -> Any:
        self.entries.pop((binding, key), None)
        return None

    def list(self, binding: str, prefix: str, cursor: Any, limit: int) -> Any:
        names = sorted(k for b, k in self.entries if b == binding and k.startswith(prefix))
        keys = [
            SimpleNamespace(name=n, expiration=None, metadata=self.entries[binding, n][1])
            for n in names[:limit]
        ]
        more = len(names) > limit
        return Listing_Page(
            SimpleNamespace(keys=keys, complete=not more, cursor="c" if more else None)
        )


@pytest.fixture
def bodies() -> FakeBodies:
    return FakeBodies()


@pytest.fixture
def assets(bodies: FakeBodies) -> FakeAssets:
    return FakeAssets(bodies)


@pytest.fixture
def env_import() -> FakeEnv:
    return FakeEnv()


@dataclass
class Fetched_Failed:
    value: str


class FakeOutbound:
    """The `outbound` import: answers api.example.com, refuses everything else."""

    Fetched_Failed = Fetched_Failed

    def __init__(self) -> None:
        self.seen: list[WitRequest] = []

    def fetch(self, req: WitRequest) -> Any:
        self.seen.append(req)
        if not req.url.startswith("https://api.example.com/"):
            return Fetched_Failed("outbound requests to elsewhere.example are not enabled")
        return SimpleNamespace(
            value=WitResponse(200, [("content-type", "text/plain")], Body_Bytes(b"from api"))
        )


@pytest.fixture
def kv_import(bodies: FakeBodies) -> FakeKv:
    return FakeKv(bodies)


@pytest.fixture
def outbound_import() -> FakeOutbound:
    return FakeOutbound()


@pytest.fixture
def bridge(
    bodies: FakeBodies,
    assets: FakeAssets,
    env_import: FakeEnv,
    kv_import: FakeKv,
    outbound_import: FakeOutbound,
) -> Bridge:
    return Bridge(WIT_TYPES, bodies, assets, env_import, kv_import, outbound_import)


def serve(bridge: Bridge, fetch: Any, url: str = "http://demo.localhost/", **kw: Any) -> Any:
    """Run a worker's fetch on a fake WIT request."""
    req = WitRequest(
        kw.get("method", "GET"), url, kw.get("headers", []), kw.get("body", Body_Empty())
    )
    return bridge.serve(fetch, req)


# ---------------------------------------------------------------- Headers


def test_headers_are_case_insensitive_and_stored_lower_case() -> None:
    headers = Headers({"Content-Type": "text/html"})
    assert headers.get("content-type") == "text/html"
    assert headers["CONTENT-TYPE"] == "text/html"
    assert headers.has("Content-type") and "content-TYPE" in headers
    assert headers.items() == [("content-type", "text/html")]


def test_headers_hold_several_values_per_name() -> None:
    headers = Headers([("Set-Cookie", "a=1"), ("X-A", "1"), ("set-cookie", "b=2")])
    assert headers.get("set-cookie") == "a=1, b=2"
    assert headers.get_all("Set-Cookie") == ["a=1", "b=2"]
    headers.append("x-a", "2")
    assert headers.items() == [
        ("set-cookie", "a=1"),
        ("x-a", "1"),
        ("set-cookie", "b=2"),
        ("x-a", "2"),
    ]


def test_set_replaces_all_values_at_the_first_position() -> None:
    headers = Headers([("a", "1"), ("b", "2"), ("A", "3")])
    headers.set("A", "9")
    assert headers.items() == [("a", "9"), ("b", "2")]
    headers["c"] = "new"
    assert headers.items()[-1] == ("c", "new")


def test_delete_removes_every_value_and_tolerates_absence() -> None:
    headers = Headers([("a", "1"), ("b", "2"), ("a", "3")])
    headers.delete("A")
    headers.delete("missing")
    assert headers.items() == [("b", "2")]
    del headers["b"]
    with pytest.raises(KeyError):
        del headers["b"]


def test_headers_behave_as_a_mapping_of_joined_values() -> None:
    headers = Headers([("A", "1"), ("b", "2"), ("a", "3")])
    assert list(headers) == ["a", "b"]
    assert len(headers) == 2
    assert dict(headers) == {"a": "1, 3", "b": "2"}
    assert headers.values() == ["1, 3", "2"]
    assert headers.get("missing") is None
    assert headers.get("missing", "x") == "x"
    with pytest.raises(KeyError):
        headers["missing"]


def test_headers_constructors() -> None:
    original = Headers({"Vary": ["Accept", "Origin"], "X-N": 5})
    assert original.items() == [("vary", "Accept"), ("vary", "Origin"), ("x-n", "5")]
    copy = Headers(original)
    copy.set("vary", "*")
    assert original.get("vary") == "Accept, Origin"
    assert copy == Headers([("vary", "*"), ("x-n", "5")])
    assert Headers().items() == []
    assert Headers(None) == Headers([])


def test_headers_trim_values() -> None:
    assert Headers({"a": "  spaced \t"})["a"] == "spaced"


@pytest.mark.parametrize("name", ["", "bad name", "a:b", "ü", "a\r\nb"])
def test_invalid_header_names_are_rejected(name: str) -> None:
    with pytest.raises(ValueError, match="invalid header name"):
        Headers({name: "x"})


@pytest.mark.parametrize("value", ["a\r\nSet-Cookie: x", "a\nb", "a\x00"])
def test_header_values_cannot_inject_fields(value: str) -> None:
    with pytest.raises(ValueError, match="CR, LF or NUL"):
        Headers().set("x", value)


@pytest.mark.parametrize("init", ["a: b", b"x", [("only-name",)], [("a", "b", "c")], 5])
def test_malformed_header_init_is_a_type_error(init: Any) -> None:
    with pytest.raises(TypeError):
        Headers(init)


def test_header_values_must_be_text() -> None:
    with pytest.raises(TypeError):
        Headers({"a": b"bytes"})  # type: ignore[dict-item]


# ---------------------------------------------------------------- Response


def test_plain_response_defaults() -> None:
    response = Response()
    assert (response.status, response.ok, response.body) == (200, True, None)
    assert response.headers.items() == []
    assert run(response.text()) == ""


def test_text_body_is_utf8_with_a_default_content_type() -> None:
    response = Response("héllo", status=201)
    assert response.body == "héllo".encode()
    assert response.headers["content-type"] == "text/plain;charset=UTF-8"
    assert run(response.text()) == "héllo"
    custom = Response("<p>", headers={"Content-Type": "text/html"})
    assert custom.headers.get_all("content-type") == ["text/html"]


def test_bytes_body_gets_no_content_type() -> None:
    response = Response(bytearray(b"\x00\x01"), headers=[("X-A", "1")])
    assert run(response.bytes()) == b"\x00\x01"
    assert "content-type" not in response.headers


def test_response_json_builds_and_reads() -> None:
    response = Response.json({"hello": "world"}, status=202, headers={"X-A": "1"})
    assert response.status == 202
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-a"] == "1"
    assert json.loads(response.body) == {"hello": "world"}  # type: ignore[arg-type]
    assert run(response.json()) == {"hello": "world"}


def test_response_json_keeps_an_explicit_content_type() -> None:
    response = Response.json([1], headers={"content-type": "application/problem+json"})
    assert response.headers.get_all("content-type") == ["application/problem+json"]


def test_redirect() -> None:
    response = Response.redirect("/elsewhere")
    assert (response.status, response.headers["location"], response.body) == (
        302,
        "/elsewhere",
        None,
    )
    assert Response.redirect("https://x.test/", 308).status == 308
    with pytest.raises(ValueError, match="redirect status"):
        Response.redirect("/", 200)


@pytest.mark.parametrize("status", [0, 199, 600, 1000])
def test_status_out_of_range(status: int) -> None:
    with pytest.raises(ValueError, match="200-599"):
        Response(status=status)


@pytest.mark.parametrize("status", ["200", 200.0, True])
def test_status_must_be_an_int(status: Any) -> None:
    with pytest.raises(TypeError):
        Response(status=status)


@pytest.mark.parametrize("status", [204, 205, 304])
def test_null_body_statuses_refuse_a_body(status: int) -> None:
    assert Response(None, status=status).status == status
    with pytest.raises(TypeError, match="cannot have a body"):
        Response("x", status=status)


def test_ok_is_only_for_2xx() -> None:
    assert Response(status=299).ok
    assert not Response(status=301).ok
    assert not Response(status=404).ok


@pytest.mark.parametrize("bad", [{"a": 1}, 5, object()])
def test_unsupported_body_types(bad: Any) -> None:
    with pytest.raises(TypeError, match=r"Response\.json"):
        Response(bad)


def test_a_response_is_not_a_body() -> None:
    with pytest.raises(TypeError, match=r"pass its \.body"):
        Response(Response("x"))  # type: ignore[arg-type]


# ---------------------------------------------------------------- Request


def test_request_defaults_and_method_normalisation() -> None:
    request = Request("http://x.test/a")
    assert (request.method, request.url, request.body) == ("GET", "http://x.test/a", None)
    assert Request("/", method="post", body="x").method == "POST"
    assert Request("/", method="PropFind").method == "PropFind"
    with pytest.raises(ValueError, match="invalid HTTP method"):
        Request("/", method="GE T")


@pytest.mark.parametrize("method", ["GET", "head"])
def test_get_and_head_cannot_have_a_body(method: str) -> None:
    with pytest.raises(TypeError, match="cannot have a body"):
        Request("/", method=method, body=b"x")


def test_request_reads_its_body() -> None:
    request = Request("/", method="POST", body='{"a": 1}', headers={"Accept": "*/*"})
    assert run(request.json()) == {"a": 1}
    assert run(request.text()) == '{"a": 1}'
    assert request.headers["content-type"] == "text/plain;charset=UTF-8"


def test_request_copies_another_request() -> None:
    source = Request("http://x.test/", method="PUT", headers={"a": "1"}, body=b"data")
    copy = Request(source, headers={"b": "2"})
    assert (copy.url, copy.method, copy.body) == ("http://x.test/", "PUT", b"data")
    assert copy.headers.items() == [("b", "2")]
    assert Request(source).headers == source.headers


def test_request_url_must_be_text() -> None:
    with pytest.raises(TypeError):
        Request(b"/")  # type: ignore[arg-type]


def test_text_drops_a_bom_and_replaces_bad_bytes() -> None:
    assert run(Response(b"\xef\xbb\xbfhi\xff").text()) == "hi\ufffd"


# ---------------------------------------------------------------- the event loop


def test_async_code_runs_on_an_event_loop(bridge: Bridge) -> None:
    async def fetch(request: Request, env: Env) -> Response:
        async def part(name: str, delay: float) -> str:
            await asyncio.sleep(delay)
            return name

        started = time.monotonic()
        names = await asyncio.gather(part("a", 0.05), part("b", 0.05), part("c", 0))
        task = asyncio.create_task(part("d", 0))
        async with asyncio.timeout(1):
            await asyncio.sleep(0)
        slept_together = time.monotonic() - started < 0.09
        return Response(f"{','.join(names)} {await task} {slept_together}")

    assert serve(bridge, fetch).body.value == b"a,b,c d True"


def test_a_plain_def_fetch_works_too(bridge: Bridge) -> None:
    def fetch(request: Request, env: Env) -> Response:
        return Response("sync")

    assert serve(bridge, fetch).body.value == b"sync"


def test_awaiting_what_nothing_completes_is_an_error_not_a_hang(bridge: Bridge) -> None:
    async def fetch(request: Request, env: Env) -> Response:
        await asyncio.get_running_loop().create_future()
        return Response("never")

    with pytest.raises(NeverCompletes, match="nothing in the guest can complete"):
        serve(bridge, fetch)


def test_wait_until_work_finishes_before_the_request_completes(
    bridge: Bridge, capsys: pytest.CaptureFixture[str]
) -> None:
    done: list[str] = []

    async def later(name: str, delay: float) -> None:
        await asyncio.sleep(delay)
        done.append(name)

    async def failing() -> None:
        raise ValueError("background job failed")

    async def fetch(request: Request, env: Env, ctx: Any) -> Response:
        ctx.wait_until(later("quick", 0.01))
        ctx.wait_until(failing())
        ctx.wait_until(later("slow", 5))
        asyncio.get_running_loop().create_task(later("forgotten", 5))
        return Response("answered")

    assert serve(bridge, fetch).body.value == b"answered"
    assert done == ["quick"]
    log = capsys.readouterr().err
    assert "A ctx.wait_until() task failed" in log and "ValueError: background job failed" in log
    assert "gave up waiting for 1 task(s) 500 ms into the request" in log
    assert "2 task(s) still running when the request ended were cancelled" in log


# ---------------------------------------------------------------- host bodies


def test_host_body_is_read_in_chunks_once(
    bridge: Bridge, bodies: FakeBodies, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(body, "READ_CHUNK", 4)
    handle = bodies.add(b"0123456789")
    response = Response(HostBody(handle, RequestScope(bridge)))
    assert run(response.bytes()) == b"0123456789"
    assert run(response.text()) == "0123456789"
    reads = [call for call in bodies.calls if call[0] == "read"]
    assert reads == [("read", handle, 0, 4), ("read", handle, 4, 4), ("read", handle, 8, 2)]


def test_host_body_of_unknown_size_is_read_until_empty(
    bridge: Bridge, bodies: FakeBodies, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(body, "READ_CHUNK", 4)
    bodies.known_size = False
    handle = bodies.add(b"abcdef")
    assert HostBody(handle, RequestScope(bridge)).read() == b"abcdef"
    assert bodies.calls[-1] == ("read", handle, 6, 4)


def test_empty_host_body_is_not_read(bridge: Bridge, bodies: FakeBodies) -> None:
    assert HostBody(bodies.add(b""), RequestScope(bridge)).read() == b""
    assert [call[0] for call in bodies.calls] == ["size"]


# ---------------------------------------------------------------- the bridge


def test_serve_converts_the_response(bridge: Bridge) -> None:
    async def fetch(request: Request, env: Env) -> Response:
        return Response.json({"path": request.url}, headers={"X-Mixed-Case": "v"})

    result = serve(bridge, fetch, "http://demo.localhost/api/hello")
    assert result.status == 200
    assert result.headers == [("x-mixed-case", "v"), ("content-type", "application/json")]
    assert result.body == Body_Bytes(b'{"path":"http://demo.localhost/api/hello"}')


def test_serve_accepts_a_plain_function_and_an_empty_body(bridge: Bridge) -> None:
    def fetch(request: Request, env: Env) -> Response:
        return Response(status=204)

    assert serve(bridge, fetch).body == Body_Empty()


def test_incoming_body_is_read_lazily(bridge: Bridge, bodies: FakeBodies) -> None:
    handle = bodies.add(b"posted")
    seen = []

    async def fetch(request: Request, env: Env) -> Response:
        seen.append(list(bodies.calls))
        return Response(await request.text())

    result = serve(bridge, fetch, method="POST", body=Body_Host(handle))
    assert seen == [[]]
    assert result.body == Body_Bytes(b"posted")


def test_incoming_headers_and_inline_body(bridge: Bridge) -> None:
    async def fetch(request: Request, env: Env) -> Response:
        return Response(f"{request.headers['accept']}|{await request.text()}")

    result = serve(bridge, fetch, headers=[("accept", "a/b")], method="POST", body=Body_Bytes(b"x"))
    assert result.body == Body_Bytes(b"a/b|x")


def test_assets_response_passes_its_handle_back_untouched(
    bridge: Bridge, bodies: FakeBodies, assets: FakeAssets
) -> None:
    async def fetch(request: Request, env: Env) -> Response:
        return await env.ASSETS.fetch(request)

    result = serve(bridge, fetch, "http://demo.localhost/", headers=[("accept", "text/html")])
    assert isinstance(result.body, Body_Host)
    assert bodies.calls == []
    assert assets.seen == [
        WitRequest("GET", "http://demo.localhost/", [("accept", "text/html")], Body_Empty())
    ]


def test_rewrapped_asset_keeps_its_handle(bridge: Bridge, bodies: FakeBodies) -> None:
    async def fetch(request: Request, env: Env) -> Response:
        asset = await env.ASSETS.fetch("/404.html")
        return Response(asset.body, status=404, headers=asset.headers)

    result = serve(bridge, fetch)
    assert (result.status, result.headers) == (404, [("content-type", "text/html")])
    assert isinstance(result.body, Body_Host)
    assert bodies.calls == []


def test_asset_urls_resolve_against_the_request(bridge: Bridge, assets: FakeAssets) -> None:
    async def fetch(request: Request, env: Env) -> Response:
        await env.ASSETS.fetch("style.css")
        await env.ASSETS.fetch(Request("/about", headers={"X-A": "1"}))
        return Response()

    serve(bridge, fetch, "http://demo.localhost/docs/page?q=1")
    assert [(r.url, r.headers) for r in assets.seen] == [
        ("http://demo.localhost/docs/style.css", []),
        ("http://demo.localhost/about", [("x-a", "1")]),
    ]


def test_assets_fetch_rejects_other_types(bridge: Bridge) -> None:
    async def fetch(request: Request, env: Env) -> Response:
        return await env.ASSETS.fetch(42)  # type: ignore[arg-type]

    with pytest.raises(TypeError, match="takes a Request or a URL"):
        serve(bridge, fetch)


def test_reading_an_asset_pulls_it_through_bodies(bridge: Bridge, bodies: FakeBodies) -> None:
    async def fetch(request: Request, env: Env) -> Response:
        asset = await env.ASSETS.fetch(request)
        return Response((await asset.text()).upper())

    assert serve(bridge, fetch).body == Body_Bytes(b"<H1>ASSET</H1>")
    assert [call[0] for call in bodies.calls] == ["size", "read"]


@pytest.mark.parametrize("returned", [None, {"a": 1}, "text", Request("/")])
def test_returning_something_else_is_a_type_error(bridge: Bridge, returned: Any) -> None:
    async def fetch(request: Request, env: Env) -> Any:
        return returned

    with pytest.raises(TypeError, match=r"must return a workers\.Response"):
        serve(bridge, fetch)


def test_user_exceptions_propagate(bridge: Bridge) -> None:
    async def fetch(request: Request, env: Env) -> Response:
        raise ZeroDivisionError("oops")

    with pytest.raises(ZeroDivisionError):
        serve(bridge, fetch)


def test_large_bodies_go_to_the_host_in_chunks(
    bridge: Bridge, bodies: FakeBodies, monkeypatch: pytest.MonkeyPatch
) -> None:
    import workers._bridge as bridge_module

    monkeypatch.setattr(bridge_module, "INLINE_LIMIT", 8)
    monkeypatch.setattr(bridge_module, "WRITE_CHUNK", 5)

    def fetch(request: Request, env: Env) -> Response:
        return Response(b"abcdefghijkl")

    result = serve(bridge, fetch)
    assert isinstance(result.body, Body_Host)
    assert bodies.table[result.body.value] == b"abcdefghijkl"
    assert [c[0] for c in bodies.calls] == ["create", "append", "append", "append"]
    assert serve(bridge, lambda r, e: Response(b"12345678")).body == Body_Bytes(b"12345678")


# ---------------------------------------------------------------- bodies belong to their request
# One instance serves many requests in turn (module state persists); a host body does not.


def keep_request(bridge: Bridge, bodies: FakeBodies, data: bytes = b"posted") -> Request:
    """Serve a POST whose worker keeps its request (host body and all), as module state would."""
    kept: list[Request] = []

    async def fetch(request: Request, env: Env) -> Response:
        kept.append(request)
        return Response("kept")

    serve(bridge, fetch, method="POST", body=Body_Host(bodies.add(data)))
    return kept[0]


def test_a_body_kept_from_an_earlier_request_cannot_be_read(
    bridge: Bridge, bodies: FakeBodies
) -> None:
    kept = keep_request(bridge, bodies)
    caught: list[RequestEndedError] = []

    async def fetch(request: Request, env: Env) -> Response:
        try:
            await kept.text()
        except RequestEndedError as error:
            caught.append(error)
        with pytest.raises(RequestEndedError):
            kept.body.size()  # type: ignore[union-attr]
        return Response("read it")

    calls_before = list(bodies.calls)
    assert serve(bridge, fetch).body == Body_Bytes(b"read it")
    assert bodies.calls == calls_before  # the host was never asked
    assert isinstance(caught[0], RuntimeError)
    message = str(caught[0])
    assert message.startswith("this body belongs to an earlier request, which has ended")
    assert "await response.bytes()" in message


def test_a_body_kept_from_an_earlier_request_cannot_be_sent_again(
    bridge: Bridge, bodies: FakeBodies
) -> None:
    kept = keep_request(bridge, bodies)

    async def replay(request: Request, env: Env) -> Response:
        return Response(kept.body)

    async def forward(request: Request, env: Env) -> Response:
        return await env.ASSETS.fetch(Request("/upload", method="POST", body=kept.body))

    for fetch in (replay, forward):
        with pytest.raises(RequestEndedError, match="earlier request"):
            serve(bridge, fetch)


def test_bytes_read_during_their_request_stay_usable(bridge: Bridge, bodies: FakeBodies) -> None:
    kept: list[Response] = []

    async def first(request: Request, env: Env) -> Response:
        asset = await env.ASSETS.fetch("/page.html")
        await asset.bytes()
        kept.append(asset)
        return asset

    assert isinstance(serve(bridge, first).body, Body_Host)
    calls_before = list(bodies.calls)

    async def later(request: Request, env: Env) -> Response:
        return Response(await kept[0].text())

    assert serve(bridge, later).body == Body_Bytes(b"<h1>asset</h1>")
    assert bodies.calls == calls_before


def test_an_asset_kept_from_an_earlier_request_cannot_be_returned(bridge: Bridge) -> None:
    kept: list[Response] = []

    async def first(request: Request, env: Env) -> Response:
        kept.append(await env.ASSETS.fetch("/page.html"))
        return Response("fetched")

    serve(bridge, first)
    with pytest.raises(RequestEndedError, match="keep the bytes instead"):
        serve(bridge, lambda request, env: kept[0])


def test_env_kept_from_an_earlier_request_is_refused(bridge: Bridge, assets: FakeAssets) -> None:
    kept: list[Env] = []

    def first(request: Request, env: Env) -> Response:
        kept.append(env)
        return Response()

    async def later(request: Request, env: Env) -> Response:
        return await kept[0].ASSETS.fetch("/page.html")

    serve(bridge, first)
    with pytest.raises(RequestEndedError, match=r"env\.ASSETS belongs to an earlier request"):
        serve(bridge, later)
    assert assets.seen == []


def test_a_failed_request_ends_too(bridge: Bridge, bodies: FakeBodies) -> None:
    kept: list[Request] = []

    async def failing(request: Request, env: Env) -> Response:
        kept.append(request)
        raise ValueError("failed")

    with pytest.raises(ValueError):
        serve(bridge, failing, method="POST", body=Body_Host(bodies.add(b"x")))
    with pytest.raises(RequestEndedError):
        serve(bridge, lambda request, env: Response(kept[0].body))


def test_host_bodies_are_equal_only_within_their_request(bridge: Bridge) -> None:
    first, second = RequestScope(bridge), RequestScope(bridge)
    assert HostBody(7, first) == HostBody(7, first)
    assert HostBody(7, first) != HostBody(7, second)


# ---------------------------------------------------------------- build script helpers


def test_detect_picks_the_language(build_guest: ModuleType, tmp_path: Path) -> None:
    py = make_guest(tmp_path / "py", {"worker.py": ""})
    assert build_guest.detect(py).language == "python"
    js = make_guest(tmp_path / "js", {"worker.js": ""})
    assert build_guest.detect(js).language == "javascript"


def test_detect_explains_missing_folders_and_entries(
    build_guest: ModuleType, tmp_path: Path
) -> None:
    with pytest.raises(build_guest.BuildError, match="no such guest folder"):
        build_guest.detect(tmp_path / "missing")
    with pytest.raises(
        build_guest.BuildError, match=r"expected worker\.py \(python\); worker\.js or worker\.ts"
    ):
        build_guest.detect(make_guest(tmp_path / "empty", {"README.md": ""}))


def test_source_files_skip_assets_caches_and_outputs(
    build_guest: ModuleType, tmp_path: Path
) -> None:
    guest = make_guest(
        tmp_path,
        {
            "worker.py": "",
            "lib/util.py": "",
            "lib/public/kept.py": "",
            "public/index.html": "",
            "__pycache__/worker.pyc": "",
            "lib/__pycache__/x.pyc": "",
            "out.wasm": "",
            ".hidden": "",
        },
    )
    files = [rel for rel, _ in build_guest.source_files(guest, frozenset({"public"}))]
    assert files == ["lib/public/kept.py", "lib/util.py", "worker.py"]


def test_cache_key_follows_sources_not_assets(
    build_guest: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    builder = build_guest.PythonBuilder()
    monkeypatch.setattr(builder, "toolchain", lambda: "componentize-py test")
    guest = make_guest(tmp_path, {"worker.py": "a = 1\n", "public/index.html": "v1"})
    first = build_guest.cache_key(builder, guest)
    (guest / "public" / "index.html").write_text("v2")
    assert build_guest.cache_key(builder, guest) == first
    (guest / "worker.py").write_text("a = 2\n")
    assert build_guest.cache_key(builder, guest) != first


# ---------------------------------------------------------------- env


def test_env_has_the_deployments_variables_asked_once_per_instance(
    bridge: Bridge, env_import: FakeEnv
) -> None:
    seen: list[Env] = []

    async def fetch(request: Request, env: Env) -> Response:
        seen.append(env)
        return Response(f"{env.GREETING} {env.API_KEY}")

    for _ in range(3):
        assert serve(bridge, fetch).body.value == b"hello secret"
    assert env_import.asked == 1
    env = seen[0]
    assert "GREETING" in env and "ASSETS" in env and "NOPE" not in env
    assert (env.get("NOPE"), env.get("NOPE", "x")) == (None, "x")
    assert repr(env) == "<Env ASSETS API_KEY GREETING NOTES>"  # names only: values may be secret
    with pytest.raises(
        AttributeError,
        match=r"env has no 'NOPE' \(this deployment's .*: API_KEY, GREETING, NOTES\)",
    ):
        env.NOPE  # noqa: B018


# ---------------------------------------------------------------- Response.json as JSON.stringify

# Each value in Python, and the same value written in JavaScript.
STRINGIFY_CASES: list[tuple[Any, str]] = [
    ({"hello": "world"}, '{hello: "world"}'),
    (
        [1, 2.0, -0.0, 0.1, 1e21, 1e-7, 1.5e-7, 123456789012345680000.0, 1e16, 0.00001, -2.5e-9],
        "[1, 2.0, -0, 0.1, 1e21, 1e-7, 1.5e-7, 123456789012345680000, 1e16, 0.00001, -2.5e-9]",
    ),
    (
        {"nan": float("nan"), "inf": [float("inf"), -float("inf")]},
        "{nan: NaN, inf: [Infinity, -Infinity]}",
    ),
    (
        {"text": 'é "q" \\ \n\t\x00\x1f\x7f \u2028 \ud800 😀'},
        r'{text: "é \"q\" \\ \n\t\u0000\u001f\u007f \u2028 \ud800 😀"}',
    ),
    ({3: "a", 2.5: "b", False: "c", None: "d"}, '{3: "a", 2.5: "b", false: "c", null: "d"}'),
    ([None, True, False, [], {}, ((1, 2),)], "[null, true, false, [], {}, [[1, 2]]]"),
    ("plain", '"plain"'),
]


def test_response_json_writes_what_json_stringify_writes() -> None:
    import shutil
    import subprocess

    if shutil.which("node") is None:
        pytest.skip("Node.js is not on PATH (scripts/setup installs it): nothing to compare with")
    script = (
        "const sources = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "process.stdout.write(JSON.stringify(sources.map((s) => JSON.stringify(eval(`(${s})`)))));"
    )
    sources = json.dumps([source for _, source in STRINGIFY_CASES])
    result = subprocess.run(
        ["node", "-e", script], input=sources, capture_output=True, text=True, check=True
    )
    for (value, _), text in zip(STRINGIFY_CASES, json.loads(result.stdout), strict=True):
        assert Response.json(value).body == text.encode("utf-8", "backslashreplace"), value


def test_response_json_writes_big_integers_whole() -> None:
    assert Response.json([-(2**60), 2**70]).body == f"[{-(2**60)},{2**70}]".encode()


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_floats_are_written_as_javascript_writes_them(value: float) -> None:
    from workers.json_text import number_text

    text = number_text(value)
    assert float(text) == value
    assert ("e" in text) == (abs(value) >= 1e21 or 0 < abs(value) < 1e-6)


# ---------------------------------------------------------------- KV


def test_a_kv_namespace_reads_and_writes_with_workers_operations(
    bridge: Bridge, kv_import: FakeKv
) -> None:
    async def fetch(request: Request, env: Env) -> Response:
        notes = env.NOTES
        assert await notes.get("missing") is None
        await notes.put("a", "hello", expiration_ttl=120, metadata={"by": "me"})
        await notes.put("j", b'{"n": 1}')
        await notes.put("body", request.body)  # still in the host: passed as its handle
        got = await notes.get_with_metadata("a")
        listed = await notes.list(prefix="")
        await notes.delete("j")
        return Response.json(
            {
                "text": await notes.get("a"),
                "bytes": (await notes.get("a", type="bytes")).decode(),
                "json": await notes.get("j", type="json"),
                "body": await notes.get("body"),
                "meta": [got.value, got.metadata],
                "listed": listed,
            }
        )

    handle = kv_import.bodies.add(b"posted")
    answer = json.loads(serve(bridge, fetch, method="POST", body=Body_Host(handle)).body.value)
    assert answer == {
        "text": "hello",
        "bytes": "hello",
        "json": None,
        "body": "posted",
        "meta": ["hello", {"by": "me"}],
        "listed": {
            "keys": [{"name": "a", "metadata": {"by": "me"}}, {"name": "body"}, {"name": "j"}],
            "list_complete": True,
        },
    }
    assert kv_import.puts[0] == ("NOTES", "a", "Body_Bytes", None, 120, '{"by":"me"}')
    assert kv_import.puts[2][2] == "Body_Host"


def test_kv_refusals_raise_kverror_with_the_reason(bridge: Bridge) -> None:
    from workers import KVError

    async def fetch(request: Request, env: Env) -> Response:
        errors = []
        for attempt in (
            env.NOTES.put("k" * 600, "v"),
            env.NOTES.get(""),
            env.NOTES.get("a", type="xml"),
            env.NOTES.put("a", 42),
            env.NOTES.put("a", "v", expiration_ttl=-1),
        ):
            try:
                await attempt
            except (KVError, ValueError, TypeError) as error:
                errors.append(f"{type(error).__name__}: {error}")
        return Response("\n".join(errors))

    assert serve(bridge, fetch).body.value.decode().splitlines() == [
        "KVError: KV key is 600 bytes; at most 512",
        "KVError: KV key must not be empty, `.` or `..`",
        "ValueError: type must be one of text, json, bytes, not 'xml'",
        "TypeError: a KV value must be str, bytes or a HostBody, not int",
        "ValueError: expiration_ttl must be a whole number of seconds, not -1",
    ]


# ---------------------------------------------------------------- fetch


def test_fetch_goes_through_the_host_and_a_refusal_is_a_fetcherror(
    bridge: Bridge, outbound_import: FakeOutbound
) -> None:
    from workers import FetchError, fetch

    async def worker(request: Request, env: Env) -> Response:
        ok = await fetch("https://api.example.com/data", method="POST", body=b"x")
        try:
            await fetch("https://elsewhere.example/")
        except FetchError as error:
            refused = str(error)
        return Response(f"{ok.status} {await ok.text()} | {refused}")

    assert serve(bridge, worker).body.value == (
        b"200 from api | fetch(https://elsewhere.example/) failed: outbound requests to"
        b" elsewhere.example are not enabled"
    )
    assert [(r.method, r.body) for r in outbound_import.seen] == [
        ("POST", Body_Bytes(b"x")),
        ("GET", Body_Empty()),
    ]


def test_fetch_outside_a_request_says_so() -> None:
    from workers import fetch

    with pytest.raises(RuntimeError, match="only while a request is being served"):
        run(fetch("https://api.example.com/"))


# ---------------------------------------------------------------- URL, query, forms, clone


def test_url_parts_and_query_parameters() -> None:
    request = Request("http://demo.localhost:8080/a%20b/c?tag=x&tag=y&page=2&empty=&q=a+b")
    assert (request.path, request.parsed_url.port) == ("/a%20b/c", 8080)
    query = request.query
    assert (query.get("page"), query.get_all("tag"), query.get("q")) == ("2", ["x", "y"], "a b")
    assert (query.get("empty"), query.get("missing"), "tag" in query) == ("", None, True)
    assert query.keys() == ["tag", "page", "empty", "q"]


def test_form_data_reads_urlencoded_and_multipart_bodies() -> None:
    urlencoded = Request(
        "http://h/",
        method="POST",
        headers={"content-type": "application/x-www-form-urlencoded"},
        body="name=Ada+L&tag=1&tag=2",
    )
    form = run(urlencoded.form_data())
    assert (form.get("name"), form.get_all("tag")) == ("Ada L", ["1", "2"])
    boundary = "----boundary42"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nhéllo\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="upload"; filename="a.txt"\r\n'
        f"Content-Type: text/plain\r\n\r\nfile body\r\n--{boundary}--\r\n"
    ).encode()
    multipart = Request(
        "http://h/",
        method="POST",
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
        body=body,
    )
    form = run(multipart.form_data())
    upload = form.get("upload")
    assert form.get("title") == "héllo"
    assert (upload.filename, upload.content_type, upload.data) == (
        "a.txt",
        "text/plain",
        b"file body",
    )  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="reads application/x-www-form-urlencoded or multipart"):
        run(Request("http://h/", method="POST", body="{}").form_data())


def test_clones_are_read_on_their_own(bridge: Bridge, kv_import: FakeKv) -> None:
    async def fetch(request: Request, env: Env) -> Response:
        copy = request.clone()
        copy.headers.set("x-copy", "yes")
        first, second = await request.text(), await copy.text()
        answer = Response("same body", headers={"x-a": "1"})
        twin = answer.clone()
        return Response(f"{first}|{second}|{request.headers.get('x-copy')}|{await twin.text()}")

    handle = kv_import.bodies.add(b"posted")
    answer = serve(bridge, fetch, method="POST", body=Body_Host(handle)).body.value
    assert answer == b"posted|posted|None|same body"


# ---------------------------------------------------------------- uncaught errors


def test_an_uncaught_error_lists_only_the_workers_own_frames(tmp_path: Path) -> None:
    from workers.errors import describe_uncaught

    worker_dir = tmp_path / "app"
    (worker_dir / "lib").mkdir(parents=True)
    (worker_dir / "lib" / "render.py").write_text("def render(page):\n    raise KeyError(page)\n")
    namespace: dict[str, Any] = {}
    code = compile(
        "from render import render\n"
        "def handle():\n"
        "    try:\n"
        "        render('home')\n"
        "    except KeyError as e:\n"
        "        raise RuntimeError('no page') from e\n",
        str(worker_dir / "worker.py"),
        "exec",
    )
    sys.path.insert(0, str(worker_dir / "lib"))
    try:
        exec(code, namespace)
        with pytest.raises(RuntimeError) as caught:
            namespace["handle"]()
    finally:
        sys.path.remove(str(worker_dir / "lib"))
    error = caught.value.with_traceback(caught.value.__traceback__.tb_next)  # not this test's frame
    report = describe_uncaught(error, str(worker_dir)).splitlines()
    assert report[0] == "Uncaught error in fetch(): RuntimeError: no page"
    assert report[1] == "    handle@worker.py:6"
    assert report[2] == "Caused by: KeyError: 'home'"
    assert report[3:] == ["    render@lib/render.py:2", "    handle@worker.py:4"]
    assert not any("test_python_sdk" in line or "asyncio" in line for line in report)


def test_a_cause_cycle_is_reported_once(tmp_path: Path) -> None:
    from workers.errors import describe_uncaught

    error = ValueError("loops")
    error.__cause__ = error
    assert describe_uncaught(error, str(tmp_path)).splitlines()[0].endswith("ValueError: loops")


def test_a_multipart_field_is_read_as_utf8_whatever_its_part_says() -> None:
    body = (
        '--b\r\nContent-Disposition: form-data; name="t"\r\n'
        "Content-Type: text/plain; charset=nope\r\n\r\nhé\r\n--b--\r\n"
    ).encode()
    request = Request(
        "http://h/",
        method="POST",
        headers={"content-type": "multipart/form-data; boundary=b"},
        body=body,
    )
    assert run(request.form_data()).get("t") == "hé"
