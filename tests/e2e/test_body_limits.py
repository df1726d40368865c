"""Request bodies over real sockets: tenants get max_request_mb, uploads max_upload_mb, and a
body that is too large, or that comes without the token, is refused before it is sent."""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from host.body_limits import CHUNK_FRAMING_BYTES
from host.bundle import Bundle
from host.config import MIB
from host.upload import pack
from tests.conftest import TOKEN, Started, start_host, stop_host

AUTH = f"Bearer {TOKEN}"
UPLOAD_MB = 64


@pytest.fixture(scope="module")
def small_host(
    tmp_path_factory: pytest.TempPathFactory, compiled_cache: Path, hello_py: Path
) -> Iterator[Started]:
    """A host taking 1 MiB tenant bodies and 64 MiB uploads, with hello-py deployed by the API."""
    env = {"WASMHOST_MAX_REQUEST_MB": "1", "WASMHOST_MAX_UPLOAD_MB": str(UPLOAD_MB)}
    host = start_host(tmp_path_factory.mktemp("limits"), compiled_cache, env=env)
    try:
        upload = pack(Bundle(hello_py.read_bytes()))
        assert len(upload) > MIB, "the upload must be larger than max_request_mb"
        path = "/v1/projects/hello/deployments"
        reply = host.request(None, path, "POST", headers={"Authorization": AUTH}, body=upload)
        assert reply.status == 201, reply.text
        yield host
    finally:
        stop_host(host)


def head(method: str, path: str, host: str, **fields: str | int) -> bytes:
    """A request head: the request line and the given fields (_ in names becomes -)."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in fields.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


class Conversation:
    """One raw connection: send bytes, read responses in order."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=60)
        self.file = self.sock.makefile("rb")  # one buffer for every response read

    def send(self, data: bytes) -> None:
        """Send bytes as they are."""
        self.sock.sendall(data)

    def answer(self) -> tuple[int, dict[str, str], str]:
        """The next response: status, headers (lower-case names) and text."""
        status = int(self.file.readline().split()[1])
        fields = http.client.parse_headers(self.file)
        text = self.file.read(int(fields.get("Content-Length", "0"))).decode("utf-8", "replace")
        return status, {name.lower(): value for name, value in fields.items()}, text

    def close(self) -> None:
        """Close the connection."""
        self.file.close()
        self.sock.close()


@pytest.fixture
def talk(small_host: Started) -> Iterator[Conversation]:
    """A raw connection to the small host."""
    conversation = Conversation(small_host.port)
    yield conversation
    conversation.close()


def chunk(data: bytes) -> bytes:
    """One chunk of a chunked body."""
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


@pytest.mark.parametrize("length", [MIB + 1, 100 * MIB, 10**15])
def test_a_tenant_body_announced_too_large_is_refused_before_it_is_sent(
    talk: Conversation, length: int
) -> None:
    # only the head is sent: an answer proves the server did not wait for the body
    talk.send(head("POST", "/api/hello", "hello.localhost", Content_Length=length))
    status, fields, text = talk.answer()
    assert status == 413
    assert fields["connection"] == "close"
    if length <= UPLOAD_MB * MIB:
        assert f"larger than {MIB} bytes (max_request_mb)" in text


def test_a_chunked_tenant_body_is_refused_once_past_the_limit(talk: Conversation) -> None:
    talk.send(head("POST", "/api/hello", "hello.localhost", Transfer_Encoding="chunked"))
    for _ in range(16):
        talk.send(chunk(bytes(64 * 1024)))
    talk.send(chunk(b"x"))  # one byte past the limit, and no last chunk: the body never ends
    status, _, text = talk.answer()
    assert status == 413
    assert "max_request_mb" in text


def test_tiny_chunks_cannot_stretch_the_limit(talk: Conversation) -> None:
    talk.send(head("POST", "/api/hello", "hello.localhost", Transfer_Encoding="chunked"))
    wire_limit = 2 * MIB + CHUNK_FRAMING_BYTES  # six bytes on the wire for each byte of body
    talk.send(chunk(b"x") * (wire_limit // 6 + 1))
    status, _, text = talk.answer()
    assert status == 413
    assert "framed in too many bytes" in text


def test_a_tenant_body_of_exactly_the_limit_reaches_the_worker(small_host: Started) -> None:
    reply = small_host.request("hello", "/api/hello", "POST", body=bytes(MIB))
    assert reply.status == 200, reply.text
    assert small_host.get("hello", "/api/hello").status == 200


def test_a_chunked_tenant_body_within_the_limit_reaches_the_worker(talk: Conversation) -> None:
    talk.send(head("POST", "/api/hello", "hello.localhost", Transfer_Encoding="chunked"))
    talk.send(chunk(bytes(MIB - 1)) + chunk(b"x") + b"0\r\n\r\n")
    status, _, text = talk.answer()
    assert status == 200, text


def test_an_upload_larger_than_max_upload_mb_is_refused_before_it_is_sent(
    talk: Conversation,
) -> None:
    path = "/v1/projects/hello/deployments"
    talk.send(head("POST", path, "127.0.0.1", Authorization=AUTH, Content_Length=65 * MIB))
    status, _, _ = talk.answer()
    assert status == 413


@pytest.mark.parametrize(
    ("path", "authorization", "status", "says"),
    [
        ("/v1/projects/hello/deployments", "", 401, "missing or wrong bearer token"),
        ("/v1/projects/hello/deployments", "Bearer wrong", 401, "missing or wrong bearer token"),
        ("/v1/projects/Not_Valid/deployments", AUTH, 400, "invalid project id"),
        ("/v1/projects/hello/rollback", AUTH, 413, "a control-plane JSON body"),
        ("/v1/projects", AUTH, 405, ""),
    ],
)
def test_an_upload_is_refused_from_its_head_before_its_body(
    talk: Conversation, small_host: Started, path: str, authorization: str, status: int, says: str
) -> None:
    fields: dict[str, str | int] = {"Content_Length": 60 * MIB}
    if authorization:
        fields["Authorization"] = authorization
    talk.send(head("POST", path, "127.0.0.1", **fields) + b"\x1f\x8b a little of the body")
    answer, _, text = talk.answer()
    assert answer == status
    assert says in text
    assert small_host.get("hello", "/api/hello").status == 200


def test_a_refused_body_is_skipped_never_parsed_as_a_request(talk: Conversation) -> None:
    smuggled = b"GET /v1/projects HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: " + AUTH.encode()
    smuggled += b"\r\n\r\n"
    path = "/v1/projects/hello/deployments"
    talk.send(head("POST", path, "127.0.0.1", Content_Length=len(smuggled)) + smuggled)
    talk.send(head("GET", "/healthz", "127.0.0.1"))
    assert talk.answer()[0] == 401
    status, _, text = talk.answer()
    assert (status, text) == (200, "ok\n"), "the refused body was read as a request"


@pytest.mark.parametrize("connection", ["keep-alive", "close"])
def test_a_client_sending_a_refused_upload_hears_the_refusal(
    small_host: Started, hello_py: Path, connection: str
) -> None:
    upload = pack(Bundle(hello_py.read_bytes()))
    path = "/v1/projects/hello/deployments"
    wrong = {"Authorization": "Bearer wrong", "Connection": connection}
    reply = small_host.request(None, path, "POST", headers=wrong, body=upload)
    assert reply.status == 401
    listing = small_host.request(None, "/v1/projects", headers={"Authorization": AUTH})
    assert [p["version"] for p in json.loads(listing.body)["projects"]] == [1]
