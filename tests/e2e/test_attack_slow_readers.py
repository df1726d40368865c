"""Clients that ask for a large stored file and then do not read it. A stored body is streamed:
once waitress's send buffer (16 MiB) and the socket's are full, the thread that streams it
waits for the client, and the request keeps its project's slot until the stream is closed. So
slow readers hold at most their project's share (`project_concurrency`): the project's further
requests get 503 with `Retry-After`, other projects keep being served, a reader that does read
gets every byte, and a reader that hangs up gives its slot back."""

from __future__ import annotations

import hashlib
import os
import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import Started, start_host, stop_host
from tests.e2e.attacks import send

MIB = 1024 * 1024
SHARE = 2  # project_concurrency
THREADS = 6
BIG = "/big.bin"
BIG_BYTES = 24 * MIB  # past waitress's 16 MiB send buffer plus what the sockets hold
SLOW, OTHER = "slow", "other"
BUSY = (503, "Project is at its concurrency limit; retry shortly")
TIMEOUT_SECONDS = 30  # no step may wait longer (not a target)


@dataclass
class Site:
    """The slow project's host and the sha256 of its big file."""

    host: Started
    big_sha256: str


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory, compiled_cache: Path, hello_py: Path
) -> Iterator[Site]:
    """hello-py with a 24 MiB file (`slow`) and without (`other`) on a host of 6 threads, 2 per
    project."""
    work = tmp_path_factory.mktemp("slow-readers")
    public = work / "public"
    public.mkdir()
    big = os.urandom(BIG_BYTES)
    (public / BIG[1:]).write_bytes(big)
    env = {"WASMHOST_PROJECT_CONCURRENCY": str(SHARE)}
    host = start_host(work, compiled_cache, "--workers", "1", "--threads", str(THREADS), env=env)
    try:
        host.deploy(SLOW, hello_py, public)
        host.deploy(OTHER, hello_py)
        yield Site(host, hashlib.sha256(big).hexdigest())
    finally:
        stop_host(host)


@dataclass
class Reader:
    """A connection that asked for a file, and what it has read of the answer so far."""

    sock: socket.socket
    data: bytearray


def start_reading(host: Started, path: str) -> Reader:
    """Ask for `path` on a connection with a small receive buffer; read only the first bytes
    (the status line), so the rest of the body waits in the host."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(TIMEOUT_SECONDS)
    sock.connect(("127.0.0.1", host.port))
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {SLOW}.localhost\r\n\r\n".encode())
    first = bytearray(sock.recv(1024))
    assert first.startswith(b"HTTP/1.1 200 "), first[:200]
    return Reader(sock, first)


def read_to_the_end(reader: Reader) -> bytes:
    """The response body, read up to its Content-Length."""
    data, sock = reader.data, reader.sock
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = bytes(data).partition(b"\r\n\r\n")
    length = int(
        next(
            line.split(b":", 1)[1]
            for line in head.split(b"\r\n")[1:]
            if line.lower().startswith(b"content-length:")
        )
    )
    rest = bytearray(body)
    while len(rest) < length:
        chunk = sock.recv(1024 * 1024)
        assert chunk, f"the host closed after {len(rest):,} of {length:,} bytes"
        rest += chunk
    return bytes(rest)


def refused_for(host: Started, seconds: float) -> list[int]:
    """The statuses of the slow project's answers, asked every 0.2 s for `seconds`."""
    statuses, ends = [], time.monotonic() + seconds
    while time.monotonic() < ends:
        reply = send(host, SLOW, "/api/hello")
        assert (reply.status, reply.text) == BUSY, reply.text
        assert reply.reply.header("Retry-After") == "1"
        statuses.append(reply.status)
        time.sleep(0.2)
    return statuses


def served_again(host: Started) -> bool:
    """Whether the slow project answers 200 again within the timeout."""
    ends = time.monotonic() + TIMEOUT_SECONDS
    while time.monotonic() < ends:
        if send(host, SLOW, "/api/hello").status == 200:
            return True
        time.sleep(0.1)
    return False


def test_slow_readers_hold_only_their_projects_share(site: Site) -> None:
    host = site.host
    with ExitStack() as readers:
        slow = [start_reading(host, BIG) for _ in range(SHARE)]
        for reader in slow:
            readers.callback(reader.sock.close)
        assert refused_for(host, 2)  # still refused two seconds later: the slots are held
        for _ in range(THREADS):  # more requests than the host has threads
            other = send(host, OTHER, "/api/hello")
            assert (other.status, other.text) == (200, '{"hello":"world"}')
        assert hashlib.sha256(read_to_the_end(slow[0])).hexdigest() == site.big_sha256
    assert served_again(host), "the project's slots were not given back after its readers"


def test_a_reader_that_hangs_up_gives_its_slot_back(site: Site) -> None:
    host = site.host
    slow = [start_reading(host, BIG) for _ in range(SHARE)]
    assert refused_for(host, 0.5)
    for reader in slow:
        reader.sock.close()
    assert served_again(host), "the slots were not given back after the readers hung up"
