"""`wasmhost serve --workers N`: worker processes on one socket, supervised, stopped cleanly."""

import os
import signal
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import Host, Started, run_cli, start_host, stop_host
from tests.test_server import WAIT_SECONDS, alive, children, only, workers_of, workers_when

GRACE_SECONDS = 5


@pytest.fixture(scope="module")
def two_workers(
    tmp_path_factory: pytest.TempPathFactory, compiled_cache: Path
) -> Iterator[Started]:
    """One `wasmhost serve --workers 2` for the tests that leave it running."""
    host = start_host(tmp_path_factory.mktemp("workers"), compiled_cache, "--workers", "2")
    yield host
    stop_host(host)


def site(folder: Path, version: str) -> Path:
    """An asset folder whose /version.txt names `version`."""
    folder.mkdir()
    (folder / "version.txt").write_text(version)
    return folder


def test_every_worker_serves_and_sees_a_deploy_made_elsewhere(
    two_workers: Host, hello_py: Path, tmp_path: Path
) -> None:
    host = two_workers
    workers = workers_of(host.process.pid, 2)
    host.deploy("versions", hello_py, site(tmp_path / "one", "one"))
    for worker in workers:
        with only(worker, workers):
            assert host.get("versions", "/api/hello").status == 200
            assert host.get("versions", "/version.txt").text == "one"
    host.deploy("versions", hello_py, site(tmp_path / "two", "two"))
    for worker in workers:
        with only(worker, workers):
            assert [host.get("versions", "/version.txt").text for _ in range(10)] == ["two"] * 10
    assert [host.get("versions", "/version.txt").text for _ in range(20)] == ["two"] * 20


def test_a_killed_worker_is_replaced(two_workers: Host, hello_py: Path) -> None:
    host = two_workers
    host.deploy("survivor", hello_py)
    workers = workers_of(host.process.pid, 2)
    victim = min(workers)
    os.kill(victim, signal.SIGKILL)
    replaced = workers_when(
        host.process.pid, lambda found: len(found) == 2 and victim not in found, "a new worker"
    )
    assert [host.get("survivor", "/api/hello").status for _ in range(10)] == [200] * 10
    (newcomer,) = replaced - workers
    with only(newcomer, replaced):
        assert host.get("survivor", "/api/hello").status == 200
    assert f"worker {victim} was killed by SIGKILL" in host.log_text()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=lambda signum: signum.name)
def test_a_stop_signal_ends_every_process(start: Callable[..., Started], signum: int) -> None:
    host = start("--workers", "2", "--grace-seconds", str(GRACE_SECONDS))
    workers = workers_of(host.process.pid, 2)
    assert host.get(None, "/healthz").status == 200
    host.process.send_signal(signum)
    assert host.process.wait(timeout=GRACE_SECONDS) == 0
    assert not any(alive(worker) for worker in workers)
    assert "stopping 2 workers" in host.log_text()
    assert host.process.stdout is not None
    assert host.process.stdout.read() == ""  # the ready line was the only one


def test_one_worker_serves_in_the_process_itself(start: Callable[..., Started]) -> None:
    host = start("--workers", "1")
    assert ", 1 worker;" in host.ready
    assert host.get(None, "/healthz").status == 200
    assert children(host.process.pid) == set()
    host.process.terminate()
    assert host.process.wait(timeout=WAIT_SECONDS) == 0


def test_workers_default_to_the_usable_cores_or_wasmhost_workers(
    start: Callable[..., Started],
) -> None:
    cores = len(os.sched_getaffinity(0))
    by_default = start()
    assert f", {cores} worker{'s' if cores > 1 else ''};" in by_default.ready
    by_variable = start(env={"WASMHOST_WORKERS": "3"})
    assert ", 3 workers;" in by_variable.ready
    assert len(workers_of(by_variable.process.pid, 3)) == 3


def test_a_port_in_use_is_one_clear_line(tmp_path: Path, compiled_cache: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = run_cli(
            "serve", "--port", str(port), "--db", str(tmp_path / "host.db"),
            cache_dir=compiled_cache, check=False,
        )  # fmt: skip
    assert result.returncode == 1
    assert f"Error: cannot listen on 127.0.0.1:{port}: Address already in use" in result.stderr
    assert "Traceback" not in result.stderr


def test_no_database_connection_crosses_the_fork(two_workers: Host) -> None:
    supervisor = two_workers.process.pid
    opened = {os.readlink(fd) for fd in Path(f"/proc/{supervisor}/fd").iterdir()}
    assert not any(path.startswith(str(two_workers.db)) for path in opened)
