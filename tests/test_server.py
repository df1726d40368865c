"""The process model on a plain WSGI app: workers on one socket, supervision, graceful stops."""

from __future__ import annotations

import argparse
import functools
import http.client
import logging
import os
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from host.server import ServeError, serve
from tests.conftest import READY, ROOT

T = TypeVar("T")
WAIT_SECONDS = 30  # the most any wait below takes before the test fails (not a timing target)
SLOW_SECONDS = 1.0  # how long /slow keeps its request in flight
GRACE_SECONDS = 5.0


class SampleApp:
    """Answers with the pid of the process that served; /slow says it started, then sleeps."""

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        """One request."""
        if environ["PATH_INFO"] == "/slow":
            print("slow request started", flush=True)
            time.sleep(SLOW_SECONDS)
        body = str(os.getpid()).encode()
        start_response(
            "200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))]
        )
        return [body]

    def close(self) -> None:
        """Say which process closed its app."""
        sys.stdout.flush()
        os.write(1, f"closed {os.getpid()}\n".encode())  # one write: workers may close at once


def broken_app() -> SampleApp:
    """An app factory that fails, as a worker with a bad configuration would."""
    raise RuntimeError("this app cannot start")


def slow_app(built: Path) -> SampleApp:
    """The sample app, built slowly; each worker leaves a file named after its pid once built."""
    time.sleep(SLOW_SECONDS)
    (built / str(os.getpid())).touch()
    return SampleApp()


def run_sample(argv: list[str]) -> None:
    """The sample server process: `serve()` with the sample app, as the CLI would call it."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, required=True)
    parser.add_argument("--broken", action="store_true")
    parser.add_argument("--slow-start", type=Path, help="build slowly, noting it in this folder")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    factory: Callable[[], SampleApp] = SampleApp
    if args.broken:
        factory = broken_app
    elif args.slow_start:
        factory = functools.partial(slow_app, args.slow_start)
    try:
        serve(
            factory,
            host="127.0.0.1",
            port=0,
            workers=args.workers,
            threads=4,
            max_request_body_size=1 << 20,
            on_ready=lambda port: print(
                f"sample serving its app on http://127.0.0.1:{port}/", flush=True
            ),
            grace_seconds=GRACE_SECONDS,
        )
    except ServeError as error:
        sys.exit(f"error: {error}")


@dataclass
class Sample:
    """A running sample server process."""

    process: subprocess.Popen[str]
    port: int
    log: Path

    @property
    def pid(self) -> int:
        """The server's (supervisor's) pid."""
        return self.process.pid

    def connect(self) -> http.client.HTTPConnection:
        """A new loopback connection to the server."""
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=WAIT_SECONDS)

    def served_by(self, path: str = "/") -> int:
        """GET `path` on a new connection: the pid of the process that answered."""
        conn = self.connect()
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            assert response.status == 200
            return int(response.read())
        finally:
            conn.close()

    def next_line(self) -> str:
        """The next line the server prints (within the wait bound)."""
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], WAIT_SECONDS)
        assert ready, "the server printed nothing"
        return self.process.stdout.readline()

    def stop(self, signum: int = signal.SIGTERM) -> tuple[int, str]:
        """Send `signum` and wait for the exit: its code and what was printed since."""
        self.process.send_signal(signum)
        return self.finish()

    def finish(self) -> tuple[int, str]:
        """Wait for the exit: its code and what was printed since."""
        out, _ = self.process.communicate(timeout=GRACE_SECONDS + WAIT_SECONDS)
        return self.process.returncode, out


@pytest.fixture
def start_sample(tmp_path: Path) -> Iterator[Callable[..., Sample]]:
    """Starts sample servers (`--workers N [--broken]`); kills whatever is left at the end."""
    started: list[Sample] = []

    def start(*args: str, ready: bool = True) -> Sample:
        log = tmp_path / f"sample-{len(started)}.log"
        code = "import sys; from tests.test_server import run_sample; run_sample(sys.argv[1:])"
        with log.open("w") as log_file:
            process = subprocess.Popen(
                [sys.executable, "-c", code, *args],
                stdout=subprocess.PIPE,
                stderr=log_file,
                text=True,
                cwd=ROOT,
                start_new_session=True,
            )
        sample = Sample(process, 0, log)
        started.append(sample)
        if not ready:
            return sample
        match = READY.search(sample.next_line())
        assert match is not None, log.read_text()
        sample.port = int(match.group(1))
        return sample

    yield start
    for sample in started:
        if sample.process.poll() is None:
            os.killpg(sample.pid, signal.SIGKILL)
            sample.process.wait()


def children(pid: int) -> set[int]:
    """The live (not yet exited) child processes of `pid` (Linux /proc)."""
    found: set[int] = set()
    for listing in Path(f"/proc/{pid}/task").glob("*/children"):
        found.update(int(child) for child in listing.read_text().split())
    return {child for child in found if alive(child)}


def alive(pid: int) -> bool:
    """Whether process `pid` exists and has not exited (zombies have)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_for(check: Callable[[], T], what: str) -> T:
    """Poll `check` until it returns something true; fail after WAIT_SECONDS."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not (result := check()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
    return result


def workers_when(pid: int, ready: Callable[[set[int]], bool], what: str) -> set[int]:
    """Wait until the live children of `pid` are as `ready` wants, and return them."""

    def check() -> set[int]:
        found = children(pid)
        return found if ready(found) else set()

    return wait_for(check, what)


def workers_of(pid: int, count: int) -> set[int]:
    """Wait until `pid` has `count` live children, and return them."""
    return workers_when(pid, lambda found: len(found) == count, f"{count} workers")


@contextmanager
def only(worker: int, workers: set[int]) -> Iterator[None]:
    """Stop every other worker (SIGSTOP), so new connections can only go to `worker`."""
    others = workers - {worker}
    for pid in others:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in others:
            os.kill(pid, signal.SIGCONT)


def test_workers_share_one_socket_and_each_closes_its_app(
    start_sample: Callable[..., Sample],
) -> None:
    sample = start_sample("--workers", "2")
    workers = workers_of(sample.pid, 2)
    for worker in workers:
        with only(worker, workers):
            assert sample.served_by("/") == worker
    code, out = sample.stop()
    assert code == 0
    assert {f"closed {worker}" for worker in workers} <= set(out.splitlines())
    assert not any(alive(worker) for worker in workers)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=lambda signum: signum.name)
def test_a_stop_signal_lets_the_request_in_flight_finish(
    start_sample: Callable[..., Sample], signum: int
) -> None:
    sample = start_sample("--workers", "2")
    workers = workers_of(sample.pid, 2)
    conn = sample.connect()
    conn.request("GET", "/slow")
    assert sample.next_line() == "slow request started\n"
    sample.process.send_signal(signum)
    response = conn.getresponse()
    assert response.status == 200
    assert int(response.read()) in workers
    conn.close()
    code, _ = sample.finish()
    assert code == 0
    assert not any(alive(worker) for worker in workers)


@pytest.mark.parametrize("workers", [1, 2])
def test_ready_only_once_every_worker_has_built_its_app(
    start_sample: Callable[..., Sample], tmp_path: Path, workers: int
) -> None:
    built = tmp_path / "built"
    built.mkdir()
    sample = start_sample("--workers", str(workers), "--slow-start", str(built))
    assert len(list(built.iterdir())) == workers
    assert sample.served_by("/") in {int(path.name) for path in built.iterdir()}


def test_a_worker_that_dies_is_replaced(start_sample: Callable[..., Sample]) -> None:
    sample = start_sample("--workers", "2")
    workers = workers_of(sample.pid, 2)
    victim = min(workers)
    os.kill(victim, signal.SIGKILL)
    replaced = workers_when(
        sample.pid, lambda found: len(found) == 2 and victim not in found, "a new worker"
    )
    (newcomer,) = replaced - workers
    with only(newcomer, replaced):
        assert sample.served_by("/") == newcomer
    assert f"worker {victim} was killed by SIGKILL" in sample.log.read_text()
    assert sample.stop()[0] == 0


def test_workers_failing_at_start_stop_the_server(start_sample: Callable[..., Sample]) -> None:
    sample = start_sample("--workers", "2", "--broken", ready=False)
    code, out = sample.finish()
    assert code == 1
    assert "serving" not in out, "a server whose workers cannot start said it was ready"
    log = sample.log.read_text()
    assert "error: workers keep failing at start (5 in a row, the last: worker" in log
    assert "RuntimeError: this app cannot start" in log
    assert children(sample.pid) == set()


def test_workers_stop_when_their_supervisor_is_killed(start_sample: Callable[..., Sample]) -> None:
    sample = start_sample("--workers", "2")
    workers = workers_of(sample.pid, 2)
    sample.process.kill()
    sample.process.wait()
    wait_for(lambda: not any(alive(worker) for worker in workers), "orphaned workers to stop")


def test_one_worker_serves_in_this_process(start_sample: Callable[..., Sample]) -> None:
    sample = start_sample("--workers", "1")
    assert sample.served_by("/") == sample.pid
    assert children(sample.pid) == set()
    code, out = sample.stop()
    assert code == 0
    assert f"closed {sample.pid}" in out.splitlines()


def test_a_port_in_use_is_a_serve_error() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        with pytest.raises(ServeError, match=f"127.0.0.1:{port}: Address already in use .choose"):
            serve(
                SampleApp,
                host="127.0.0.1",
                port=port,
                workers=2,
                threads=1,
                max_request_body_size=1,
                on_ready=lambda port: None,
            )


@pytest.mark.parametrize(("size", "status"), [(1 << 20, 200), ((1 << 20) + 1, 413)])
def test_max_request_body_size_is_the_largest_body_read(
    start_sample: Callable[..., Sample], size: int, status: int
) -> None:
    sample = start_sample("--workers", "1")
    conn = sample.connect()
    try:
        conn.putrequest("POST", "/")
        conn.putheader("Content-Length", str(size))
        conn.endheaders(bytes(size) if status == 200 else None)  # a refusal comes before the body
        response = conn.getresponse()
        response.read()
        assert response.status == status
    finally:
        conn.close()
