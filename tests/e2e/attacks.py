"""The adversarial suite's parts: its projects, hosts started on a copy of them, and clients
that attack while a good project is asked for its answer.

Every attack host serves one prepared database (copied per host, so guests compile once per
session): the good project `good` (hello-py), the hostile `misbehave-{py,js}` with a
neighbour of the same build `neighbour-{py,js}`, and two WAT guests that return hundreds of
thousands of empty headers (`bomb-700000`, `bomb-100000`).
"""

from __future__ import annotations

import http.client
import json
import os
import select
import shutil
import socket
import sqlite3
import time
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from wasmtime import wat2wasm

from tests.conftest import EXAMPLES, Reply, Started, run_cli, start_host
from tests.runtime import wat_guests

MIB = 1024 * 1024
GOOD = "good"
LANGUAGES = ("py", "js")
BIG_ASSET = "/big.bin"  # read one byte at a time: the host must not hold the rest
BIG_ASSET_BYTES = 8 * MIB
MID_ASSET = "/mid.bin"  # read whole, many times: read by range, never held
MID_ASSET_BYTES = 3 * MIB // 2
BOMB_SIZES = (700_000, 100_000)
CLIENT_TIMEOUT_SECONDS = 60  # no attack may keep a client waiting longer (not a target)
# A guest that runs to its CPU deadline while good requests keep its worker busy pauses for
# them (host/runtime/fairness.py): its CPU deadline holds, its wall time stretches, to about
# 2.5 times the deadline at most.
LONG_RUNNER_STRETCH = 3


def attacker(language: str) -> str:
    """The hostile project of a language."""
    return f"misbehave-{language}"


def neighbour(language: str) -> str:
    """The project beside the attacker, deployed from the same build."""
    return f"neighbour-{language}"


def bomb(count: int) -> str:
    """The WAT project that answers `count` empty headers."""
    return f"bomb-{count}"


def header_bomb_wat(count: int) -> str:
    """A component answering 200 with `count` empty (name, value) pairs: zeroed memory read as
    string pointers and lengths, so the guest does nothing and the host lifts the whole list."""
    pages = (64 * 1024 + count * 16) // (64 * 1024) + 1
    body = f"""
      (if (i32.lt_u (memory.size) (i32.const {pages}))
        (then (drop (memory.grow (i32.sub (i32.const {pages}) (memory.size))))))
      (i32.store (i32.const 68) (i32.const 65536))
      (i32.store (i32.const 72) (i32.const {count}))
      i32.const 64"""
    return wat_guests.guest(body)


def prepare_database(work: Path, cache: Path, misbehave: dict[str, Path], hello_py: Path) -> Path:
    """Deploy every project of the suite into `work`/host.db; returns the database."""
    db, public = work / "host.db", attack_site(work / "public")

    def deploy(project: str, worker: Path, assets: Path | None) -> None:
        args = ["deploy", "--project", project, "--worker", str(worker), "--db", str(db)]
        run_cli(*args, *(["--assets", str(assets)] if assets else []), cache_dir=cache)

    deploy(GOOD, hello_py, EXAMPLES / "hello-py" / "public")
    for language, worker in misbehave.items():
        deploy(attacker(language), worker, public)
        deploy(neighbour(language), worker, public)
    for count in BOMB_SIZES:
        wasm = work / f"{bomb(count)}.wasm"
        wasm.write_bytes(bytes(wat2wasm(header_bomb_wat(count))))
        deploy(bomb(count), wasm, None)
    return db


def attack_site(out: Path) -> Path:
    """The attackers' files: a small text file and two large random ones."""
    out.mkdir(parents=True)
    (out / "hello.txt").write_text("still here")
    (out / BIG_ASSET[1:]).write_bytes(os.urandom(BIG_ASSET_BYTES))
    (out / MID_ASSET[1:]).write_bytes(os.urandom(MID_ASSET_BYTES))
    return out


def start_attack_host(
    work: Path, cache: Path, prepared: Path, threads: int, **settings: int
) -> Started:
    """`wasmhost serve --workers 1 --threads THREADS` on a copy of the prepared database (and
    its secrets key), settings given as keyword arguments (`project_concurrency=3` sets
    WASMHOST_PROJECT_CONCURRENCY)."""
    with sqlite3.connect(prepared) as source, sqlite3.connect(work / "host.db") as copy:
        source.backup(copy)
    key = ".secrets-key"
    shutil.copy2(prepared.with_name(prepared.name + key), work / f"host.db{key}")
    env = {f"WASMHOST_{name.upper()}": str(value) for name, value in settings.items()}
    return start_host(work, cache, "--workers", "1", "--threads", str(threads), env=env)


@dataclass(frozen=True)
class Timed:
    """A reply and how long it took, in seconds."""

    reply: Reply
    seconds: float

    @property
    def status(self) -> int:
        """The reply's status."""
        return self.reply.status

    @property
    def text(self) -> str:
        """The reply's body as text, without the trailing newline."""
        return self.reply.body.decode("utf-8", "replace").strip()


def send(
    host: Started,
    project: str,
    path: str,
    method: str = "GET",
    timeout: float = CLIENT_TIMEOUT_SECONDS,
) -> Timed:
    """One request on a new loopback connection, timed."""
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", host.port, timeout=timeout)
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", f"{project}.localhost:{host.port}")
        conn.endheaders()
        response = conn.getresponse()
        reply = Reply(response.status, response.headers, response.read())
    finally:
        conn.close()
    return Timed(reply, time.monotonic() - started)


def ask_good(host: Started) -> Timed:
    """Ask the good project (hello-py) for its greeting; checks it is the right one."""
    hello = send(host, GOOD, "/api/hello")
    assert hello.status == 200, hello.text
    assert json.loads(hello.reply.body) == {"hello": "world"}
    return hello


def good_round(host: Started) -> list[Timed]:
    """Ask the good project (hello-py) and misbehave-py's neighbour once each; checks the
    answers are the right ones."""
    hello = ask_good(host)
    ok = send(host, neighbour("py"), "/ok")
    assert (ok.status, ok.text) == (200, "misbehave is fine")
    return [hello, ok]


def under_attack(
    host: Started, attacks: Sequence[tuple[str, str]], timeout: float = CLIENT_TIMEOUT_SECONDS
) -> tuple[list[Timed], list[Timed]]:
    """Send every attack (project, path) at once and ask the good projects again and again
    until all have answered; returns the attacks' replies in order and the good ones."""
    with ThreadPoolExecutor(len(attacks)) as pool:
        pending = [
            pool.submit(send, host, project, path, "GET", timeout) for project, path in attacks
        ]
        goods = good_round(host)
        while not all(future.done() for future in pending):
            goods += good_round(host)
        return [future.result() for future in pending], goods


def all_at_once(host: Started, requests: Sequence[tuple[str, str]]) -> list[Timed]:
    """Send every request (project, path) at once; their replies, in order."""
    with ThreadPoolExecutor(len(requests)) as pool:
        return list(pool.map(lambda request: send(host, *request), requests))


def answered_first(
    requests: Sequence[Future[Timed]], count: int
) -> tuple[list[Timed], list[Future[Timed]]]:
    """Wait until at least `count` of the requests have answered: those replies, and the
    requests still waiting for theirs (in the order given)."""
    answered: list[Future[Timed]] = []
    waiting = set(requests)
    while len(answered) < count:
        done, waiting = wait(waiting, timeout=CLIENT_TIMEOUT_SECONDS, return_when=FIRST_COMPLETED)
        if not done:
            raise AssertionError(f"{len(answered)} of {count} requests answered in time")
        answered += done
    return [future.result() for future in answered], [r for r in requests if r in waiting]


def hold_shares(
    pool: ThreadPoolExecutor,
    host: Started,
    projects: Sequence[str],
    share: int,
    path: str,
    extra: int = 1,
) -> tuple[list[Timed], list[Future[Timed]]]:
    """Send `share` + `extra` requests for `path` to each project at once and wait for the first
    `extra` per project to answer: those replies (refusals, if `path` takes long), and the
    requests still waiting (those holding the projects' shares)."""
    requests = [
        pool.submit(send, host, project, path) for project in projects for _ in range(share + extra)
    ]
    return answered_first(requests, extra * len(projects))


def post_large(host: Started, project: str, path: str, size: int) -> int:
    """POST `size` zero bytes, stopping as soon as the host answers or closes; its status."""
    with socket.create_connection(("127.0.0.1", host.port), timeout=CLIENT_TIMEOUT_SECONDS) as sock:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {project}.localhost\r\nContent-Length: {size}\r\n\r\n"
        )
        sock.sendall(head.encode())
        _send_until_answered(sock, size)
        response = http.client.HTTPResponse(sock)
        response.begin()
        response.read()
        return response.status


def _send_until_answered(sock: socket.socket, size: int) -> None:
    """Send the body in 1 MiB chunks until it is sent, the host answered, or it closed."""
    chunk = bytes(MIB)
    for _ in range(0, size, MIB):
        if _answered(sock):
            return
        try:
            sock.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            return


def _answered(sock: socket.socket) -> bool:
    """Whether the host has sent something already (without taking it)."""
    readable, _, _ = select.select([sock], [], [], 0)
    return bool(readable)


def peak_rss_mib(pid: int) -> float:
    """The most resident memory the process has had so far (VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmHWM for process {pid}")


def slowest(replies: Sequence[Timed]) -> float:
    """The longest any of the replies took, in seconds."""
    return max(reply.seconds for reply in replies)
