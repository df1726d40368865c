"""Large stored bodies go out streamed, each chunk read on its own with no transaction held in
between, from the version the request saw; HEAD and 304 read nothing.

The app below answers the way the guest dispatch does for a guest that returns
`env.ASSETS.fetch(request)` untouched: what the request holds (here a marker, in the host its
project's slot) is handed to `write_response`, over a real SQLite file.
"""

from __future__ import annotations

import gzip
import http.client
import random
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import falcon
import falcon.testing
import pytest

from host.assets.binding import AssetBinding
from host.assets.manifest import etag_for
from host.assets.manifests import ManifestCache
from host.assets.options import AssetOptions
from host.config import MIB
from host.runtime.bodies import BodyStream, BodyTable
from host.storage import keys
from host.storage.deployments import active_deployment
from host.storage.sqlite_store import SqliteStore
from host.web import errors
from host.web.messages import STREAM_ABOVE_BYTES, to_wit_request, write_response
from tests.assets.test_asset_binding import deploy as deploy_files
from tests.web.waitress_thread import served_in_thread

PROJECT = "demo"
HOST = "demo.localhost"
BIG = random.Random(3).randbytes(STREAM_ABOVE_BYTES + 300_000)
BIG_TEXT = b"a line of text that compresses very well indeed\n" * 30_000
SMALL = b"small file\n"


class PassThrough:
    """A sink serving the project's files as an untouched pass-through of the asset binding."""

    def __init__(self, store: SqliteStore, hand_over: bool = True, guest_reads: bool = False):
        self.store = store
        self.hand_over = hand_over
        self.guest_reads = guest_reads
        self.manifests = ManifestCache(store)
        self.released = 0  # how many requests let go of what they held

    def __call__(self, req: falcon.Request, resp: falcon.Response, **_: str) -> None:
        """Answer, handing what the request holds to `write_response` (or keeping it)."""
        with ExitStack() as held:
            held.callback(self._release)
            deployment = active_deployment(self.store, PROJECT)
            assert deployment is not None
            assets = self.manifests.get(deployment)
            bodies = BodyTable(MIB)
            binding = AssetBinding(PROJECT, assets.manifest, assets.options, self.store, bodies)
            answer = binding.fetch(to_wit_request(req, HOST, bodies, MIB))
            if self.guest_reads and isinstance(answer.body, int):
                bodies.read(answer.body, 0, 10)
            write_response(req, resp, answer, bodies, HOST, held if self.hand_over else None)

    def _release(self) -> None:
        """What a request held is let go."""
        self.released += 1


def deploy(store: SqliteStore, big: bytes = BIG) -> None:
    """Deploy the test site, with `big` as /big.bin."""
    deploy_files(
        store, {"/big.bin": big, "/big.txt": BIG_TEXT, "/small.txt": SMALL}, AssetOptions()
    )


def make_app(store: SqliteStore, **sink: bool) -> falcon.App[Any, Any]:
    """A Falcon app whose every path goes to `PassThrough`, errors mapped as the host maps them."""
    return app_with(PassThrough(store, **sink))


def app_with(sink: PassThrough) -> falcon.App[Any, Any]:
    """A Falcon app whose every path goes to `sink`, errors mapped as the host maps them."""
    app = falcon.App(media_type=falcon.MEDIA_TEXT)
    app.add_sink(sink, prefix="/")
    errors.install(app)
    return app


@pytest.fixture
def store(tmp_path: Path) -> SqliteStore:
    """A store with the site deployed."""
    store = SqliteStore(tmp_path / "kv.db")
    deploy(store)
    return store


class Call:
    """One WSGI call, its status and headers, and the body iterable not consumed yet."""

    def __init__(
        self, app: falcon.App[Any, Any], path: str, method: str = "GET", **headers: str
    ) -> None:
        fields = {name.replace("_", "-"): value for name, value in headers.items()}
        environ = falcon.testing.create_environ(path, method=method, headers=fields, host=HOST)
        self.headers: dict[str, str] = {}
        self.body: Iterable[bytes] = app(environ, self._start)

    def _start(self, status: str, headers: list[tuple[str, str]], *_: object) -> Any:
        """The WSGI start_response."""
        self.status = int(status.split()[0])
        self.headers = {name.lower(): value for name, value in headers}

    def read(self) -> bytes:
        """The whole body, then the iterable closed (as a WSGI server does)."""
        try:
            return b"".join(self.body)
        finally:
            close = getattr(self.body, "close", None)
            if close is not None:
                close()


def test_a_large_stored_body_is_streamed_with_its_length(store: SqliteStore) -> None:
    call = Call(make_app(store), "/big.bin")
    assert isinstance(call.body, BodyStream)
    assert call.headers["content-length"] == str(len(BIG))
    assert call.read() == BIG


@pytest.mark.parametrize("path", ["/small.txt", "/big.txt"])
def test_small_and_compressed_bodies_are_sent_whole(store: SqliteStore, path: str) -> None:
    call = Call(make_app(store), path, accept_encoding="gzip")
    assert isinstance(call.body, list)
    body = call.read()
    if path == "/big.txt":
        assert call.headers["content-encoding"] == "gzip"
        body = gzip.decompress(body)
    assert body == (SMALL if path == "/small.txt" else BIG_TEXT)


def test_a_large_plain_text_for_a_client_without_encodings_is_streamed(store: SqliteStore) -> None:
    call = Call(make_app(store), "/big.txt")
    assert isinstance(call.body, BodyStream)
    assert "content-encoding" not in call.headers
    assert call.read() == BIG_TEXT


def test_a_large_range_is_streamed_as_its_slice(store: SqliteStore) -> None:
    last = STREAM_ABOVE_BYTES + 1000
    call = Call(make_app(store), "/big.bin", range=f"bytes=100-{last}")
    assert call.status == 206
    assert isinstance(call.body, BodyStream)
    assert call.headers["content-length"] == str(last + 1 - 100)
    assert call.read() == BIG[100 : last + 1]


def test_with_nothing_to_hand_over_the_body_goes_whole(store: SqliteStore) -> None:
    call = Call(make_app(store, hand_over=False), "/big.bin")
    assert isinstance(call.body, list)
    assert call.read() == BIG


def test_a_body_the_guest_read_from_is_still_streamed(store: SqliteStore) -> None:
    call = Call(make_app(store, guest_reads=True), "/big.bin")
    assert isinstance(call.body, BodyStream)
    assert call.read() == BIG


def test_the_stream_reads_the_version_the_request_saw(store: SqliteStore, tmp_path: Path) -> None:
    app = make_app(store)
    call = Call(app, "/big.bin")
    assert isinstance(call.body, BodyStream)
    newer = bytes(reversed(BIG))
    deploy(SqliteStore(tmp_path / "kv.db"), newer)  # another process redeploys meanwhile
    assert call.headers["etag"] == etag_for(BIG)
    assert call.read() == BIG
    after = Call(app, "/big.bin")
    assert (after.headers["etag"], after.read()) == (etag_for(newer), newer)


def test_no_transaction_is_open_while_a_stream_is_being_sent(store: SqliteStore) -> None:
    call = Call(make_app(store), "/big.bin")
    assert isinstance(call.body, BodyStream)
    first = next(iter(call.body))
    assert first == BIG[: len(first)]
    assert not store._conn.in_transaction  # this thread's connection: a checkpoint may pass
    assert first + call.read() == BIG


def test_a_stream_releases_what_its_request_held_when_closed(store: SqliteStore) -> None:
    sink = PassThrough(store)
    call = Call(app_with(sink), "/big.bin")
    assert isinstance(call.body, BodyStream)
    assert next(iter(call.body))
    assert sink.released == 0  # still sending: the request's slot is still held
    call.body.close()  # the client went away
    assert sink.released == 1
    Call(app_with(sink), "/small.txt").read()
    assert sink.released == 2


def test_head_and_304_read_no_bytes(store: SqliteStore) -> None:
    with store.atomic() as writes:
        writes.delete(keys.file_key(PROJECT, etag_for(BIG)))
    app = make_app(store)
    head = Call(app, "/big.bin", "HEAD")
    assert (head.status, head.read()) == (200, b"")
    assert head.headers["content-length"] == str(len(BIG))
    revalidated = Call(app, "/big.bin", if_none_match=etag_for(BIG))
    assert (revalidated.status, revalidated.read()) == (304, b"")
    missing = Call(app, "/big.bin")  # a GET needs the bytes
    assert (missing.status, missing.read()) == (500, b"Internal Server Error\n")


@pytest.fixture
def served(store: SqliteStore) -> Iterator[int]:
    """The app served by waitress on loopback with one thread; yields its port."""
    with served_in_thread(make_app(store)) as port:
        yield port


def get(port: int, path: str) -> tuple[str | None, bytes]:
    """GET `path` over a new loopback connection: ETag and body."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers={"Host": HOST})
        response = conn.getresponse()
        assert response.status == 200
        return response.getheader("etag"), response.read()
    finally:
        conn.close()


def test_streams_over_real_http_serve_each_version_whole(served: int, tmp_path: Path) -> None:
    assert get(served, "/big.bin") == (etag_for(BIG), BIG)
    newer = bytes(reversed(BIG))
    deploy(SqliteStore(tmp_path / "kv.db"), newer)
    assert get(served, "/big.bin") == (etag_for(newer), newer)
