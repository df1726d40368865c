"""Two hosts sharing one PostgreSQL database, each with its own compiled cache: a deploy through
one is served by the other, one dies and the other serves on, two deploys race and one wins,
and a project moves from SQLite with `wasmhost migrate`."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from host.secret_box import load_key
from scripts.benchmark.postgres import PostgresServer
from tests.conftest import TOKEN, Started, run_cli, start_host, stop_host

AUTH = {"Authorization": f"Bearer {TOKEN}"}
KILL_LOAD_REQUESTS = 300  # requests to the surviving host while the other is killed


@pytest.fixture
def database(postgres: PostgresServer) -> str:
    """A new, empty database."""
    return postgres.new_database()


@pytest.fixture
def two_hosts(database: str, tmp_path: Path) -> Iterator[Callable[..., tuple[Started, Started]]]:
    """Starts two hosts on one database with one secrets key (by default a new one) and
    separate caches."""
    started: list[Started] = []

    def start_two(key: Path = tmp_path / "secrets-key") -> tuple[Started, Started]:
        for name in ("a", "b"):
            work = tmp_path / name
            work.mkdir()
            args = ("--workers", "1", "--secrets-key-file", str(key))
            started.append(start_host(work, work / "compiled", *args, db=database))
        return started[0], started[1]

    yield start_two
    for host in started:
        stop_host(host)


def site(folder: Path, text: str) -> Path:
    """An asset folder whose /version.txt says `text`."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "version.txt").write_text(text)
    (folder / "index.html").write_text(f"<h1>{text}</h1>")
    return folder


def deploy_through(host: Started, worker: Path, assets: Path, check: bool = True) -> str:
    """Deploy `hello` through a host's API; the CLI's output."""
    url = f"http://127.0.0.1:{host.port}"
    args = ("deploy", "--project", "hello", "--worker", str(worker), "--assets", str(assets))
    result = run_cli(*args, "--url", url, "--token", TOKEN, cache_dir=host.cache_dir, check=check)
    return result.stdout + result.stderr


def compiles(host: Started, source: str) -> float:
    """How many compiled components this host took from `source` (memory, disk, shared...)."""
    text = host.get(None, "/metrics", **AUTH).text
    found = re.search(
        rf'^wasmhost_compiled_workers_total\{{source="{source}"\}} (\S+)$', text, re.M
    )
    return float(found.group(1)) if found else 0.0


def test_a_deploy_through_one_host_is_served_by_the_other_at_once(
    two_hosts: Callable[..., tuple[Started, Started]], hello_py: Path, tmp_path: Path
) -> None:
    a, b = two_hosts()
    for n in range(1, 4):
        deploy_through(a, hello_py, site(tmp_path / f"v{n}", f"version {n}"))
        reply = b.get("hello", "/version.txt")  # the very next request, on the other host
        assert (reply.status, reply.text) == (200, f"version {n}")
        assert b.get("hello", "/api/hello").status == 200
    assert compiles(b, "compiled") == 0, "b compiled what a had compiled already"
    assert compiles(b, "shared") >= 1


def test_when_one_host_is_killed_mid_load_the_other_serves_on(
    two_hosts: Callable[..., tuple[Started, Started]], hello_py: Path, tmp_path: Path
) -> None:
    a, b = two_hosts()
    deploy_through(a, hello_py, site(tmp_path / "v1", "version 1"))
    statuses: list[int] = []
    started = threading.Event()

    def load() -> None:
        for n in range(KILL_LOAD_REQUESTS):
            statuses.append(b.get("hello", "/api/hello" if n % 2 else "/version.txt").status)
            if n == KILL_LOAD_REQUESTS // 4:
                started.set()

    with ThreadPoolExecutor(1) as pool:
        loading = pool.submit(load)
        assert started.wait(120)
        os.killpg(a.process.pid, signal.SIGKILL)
        loading.result()
    assert a.process.wait(30) == -signal.SIGKILL
    assert statuses == [200] * KILL_LOAD_REQUESTS
    deploy_through(b, hello_py, site(tmp_path / "v2", "version 2"))  # b deploys on its own
    assert b.get("hello", "/version.txt").text == "version 2"


def test_racing_deploys_of_one_project_end_with_one_winner_and_a_whole_version(
    two_hosts: Callable[..., tuple[Started, Started]], hello_py: Path, tmp_path: Path
) -> None:
    a, b = two_hosts()
    deploy_through(a, hello_py, site(tmp_path / "v0", "version 0"))
    racers = [(a, site(tmp_path / "from-a", "from a")), (b, site(tmp_path / "from-b", "from b"))]
    for _ in range(3):
        with ThreadPoolExecutor(2) as pool:
            outputs = list(
                pool.map(lambda racer: deploy_through(racer[0], hello_py, racer[1]), racers)
            )
        assert all("version" in output for output in outputs), outputs
        listed = run_cli(
            "versions", "hello", "--url", f"http://127.0.0.1:{a.port}", "--token", TOKEN,
            "--json", cache_dir=a.cache_dir,
        ).stdout  # fmt: skip
        numbers = [int(n) for n in re.findall(r'"version": (\d+)', listed)]
        assert len(numbers) == len(set(numbers)), "no version number was given twice"
        served = {host.get("hello", "/version.txt").text for host in (a, b)}
        assert len(served) == 1 and served <= {"from a", "from b"}, served
        winner = served.pop()
        for host in (a, b):
            assert host.get("hello", "/").text == f"<h1>{winner}</h1>"  # the whole version


def test_a_project_moves_from_sqlite_with_its_sealed_secrets_and_its_key(
    two_hosts: Callable[..., tuple[Started, Started]],
    database: str,
    hello_py: Path,
    tmp_path: Path,
    compiled_cache: Path,
) -> None:
    old = tmp_path / "old.db"
    run_cli(
        "deploy", "--project", "hello", "--worker", str(hello_py),
        "--assets", str(site(tmp_path / "old", "from sqlite")), "--db", str(old),
        cache_dir=compiled_cache,
    )  # fmt: skip
    put = subprocess.run(
        [sys.executable, "-m", "host", "secret", "put", "hello", "TOKEN", "--db", str(old)],
        input="s3cret", capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    assert "version 2 is serving" in put.stdout
    other_key = ("--secrets-key-file", str(tmp_path / "not-the-key"))
    refused = migrate(old, database, compiled_cache, *other_key)
    assert refused.returncode == 1 and "secrets key" in refused.stderr
    moved = migrate(old, database, compiled_cache)
    assert moved.returncode == 0 and re.search(r"copied hello: \d+ keys", moved.stdout)
    a, b = two_hosts(Path(f"{old}.secrets-key"))  # the hosts take the old database's key
    assert [host.get("hello", "/version.txt").text for host in (a, b)] == ["from sqlite"] * 2
    shown = run_cli(
        "project", "hello", "--url", f"http://127.0.0.1:{a.port}", "--token", TOKEN, "--json",
        cache_dir=compiled_cache,
    ).stdout  # fmt: skip
    assert '"TOKEN"' in shown and "s3cret" not in shown
    again = migrate(old, database, compiled_cache)
    assert again.returncode == 1 and "hello already exists" in again.stderr


def test_a_host_without_the_databases_secrets_key_refuses_to_start(
    database: str, tmp_path: Path, compiled_cache: Path
) -> None:
    for name in ("first", "second"):
        (tmp_path / name).mkdir()
    key = ("--secrets-key-file", str(tmp_path / "first-key"))
    stop_host(start_host(tmp_path / "first", compiled_cache, *key, db=database))
    other = ("--secrets-key-file", str(tmp_path / "second-key"))
    with pytest.raises(AssertionError, match=r"no secrets key at .*second-key"):
        start_host(tmp_path / "second", compiled_cache, *other, db=database)  # none is made
    load_key(tmp_path / "second-key")
    with pytest.raises(AssertionError, match="second-key is not the one"):
        start_host(tmp_path / "second", compiled_cache, *other, db=database)


def migrate(
    source: Path, target: str, cache_dir: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    """`wasmhost migrate --from SOURCE --to TARGET ARGS`."""
    return run_cli(
        "migrate", "--from", str(source), "--to", target, *args, cache_dir=cache_dir, check=False
    )
