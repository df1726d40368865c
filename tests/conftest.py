"""End-to-end fixtures: guests built by scripts/build-guest, a real `wasmhost serve` process."""

from __future__ import annotations

import http.client
import os
import re
import select
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from host.storage.store import Store, open_store
from scripts.benchmark.postgres import PostgresMissing, PostgresServer

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "test-token-0123456789"
READY = re.compile(r"serving .* on http://127\.0\.0\.1:(\d+)/")
READY_SECONDS = 120  # the longest a host may take to say it is ready (not a timing target)


@dataclass
class Reply:
    """An HTTP response, read whole."""

    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def header(self, name: str) -> str | None:
        """One header's value, or None."""
        return self.headers.get(name)

    @property
    def text(self) -> str:
        """The body as UTF-8 text."""
        return self.body.decode("utf-8")


@dataclass
class Host:
    """A running `wasmhost serve` process and how to reach it."""

    port: int
    db: str  # an SQLite file or a PostgreSQL URL
    cache_dir: Path
    process: subprocess.Popen[str]
    log: Path

    def request(
        self,
        project: str | None,
        path: str,
        method: str = "GET",
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
    ) -> Reply:
        """Send one request over a new loopback connection (Host picks the project)."""
        host = f"{project}.localhost:{self.port}" if project else f"127.0.0.1:{self.port}"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            conn.putheader("Host", host)
            for name, value in (headers or {}).items():
                conn.putheader(name, value)
            if body is not None:
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            response = conn.getresponse()
            return Reply(response.status, response.headers, response.read())
        finally:
            conn.close()

    def get(self, project: str | None, path: str, **headers: str) -> Reply:
        """GET `path` from `project` with headers given as keyword arguments (_ → -)."""
        return self.request(
            project, path, headers={k.replace("_", "-"): v for k, v in headers.items()}
        )

    def deploy(self, project: str, worker: Path, assets: Path | None = None, *extra: str) -> str:
        """Deploy with the CLI from a separate process, straight into the database."""
        args = ["deploy", "--project", project, "--worker", str(worker), "--db", str(self.db)]
        if assets is not None:
            args += ["--assets", str(assets)]
        return run_cli(*args, *extra, cache_dir=self.cache_dir).stdout

    def log_text(self) -> str:
        """What the server has logged so far."""
        return self.log.read_text(errors="replace")


@dataclass
class Started(Host):
    """A host started here, with the ready line it printed."""

    ready: str


def start_host(
    work: Path,
    cache_dir: Path,
    *args: str,
    env: dict[str, str] | None = None,
    db: str | None = None,
) -> Started:
    """Start `wasmhost serve --port 0 ARGS` on `db`, by default a fresh database in `work`."""
    log = work / "serve.log"
    db = db or str(work / "host.db")
    full_env = {
        **os.environ,
        "WASMHOST_CACHE_DIR": str(cache_dir),
        "WASMHOST_TOKEN": TOKEN,
        "PYTHONUNBUFFERED": "1",
    }
    command = [sys.executable, "-m", "host", "serve", "--port", "0", "--db", db, *args]
    with log.open("w") as log_file:
        process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=log_file,
            text=True,
            env={**full_env, **(env or {})},
            cwd=ROOT,
            start_new_session=True,
        )
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], READY_SECONDS)
    line = process.stdout.readline() if ready else "(no ready line)"
    match = READY.search(line)
    if match is None:
        os.killpg(process.pid, signal.SIGKILL)
        raise AssertionError(f"server did not start: {line!r}\n{log.read_text()}")
    return Started(int(match.group(1)), db, cache_dir, process, log, line)


def stop_host(host: Host) -> None:
    """Kill whatever is left of a host (its whole process group)."""
    if host.process.poll() is None:
        os.killpg(host.process.pid, signal.SIGKILL)
        host.process.wait()


def run_cli(
    *args: str, cache_dir: Path, check: bool = True, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `python -m host ARGS` and return its result."""
    full_env = {**os.environ, "WASMHOST_CACHE_DIR": str(cache_dir), **(env or {})}
    result = subprocess.run(
        [sys.executable, "-m", "host", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=ROOT,
        timeout=600,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"wasmhost {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def build_guest(name: str, source: Path, out_dir: Path) -> Path:
    """Build a guest folder with scripts/build-guest (cached by source hash)."""
    out = out_dir / f"{name}.wasm"
    result = subprocess.run(
        [str(ROOT / "scripts" / "build-guest"), str(source), str(out)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    if result.returncode != 0:
        raise AssertionError(f"building {source} failed:\n{result.stdout}\n{result.stderr}")
    return out


@pytest.fixture(scope="session")
def guests_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where built guests go for this session."""
    return tmp_path_factory.mktemp("guests")


EXAMPLES = ROOT / "guests" / "examples"
TEST_GUESTS = ROOT / "tests" / "guests"


@dataclass(frozen=True)
class Guest:
    """A built guest: its name (`hello-js`), language suffix, component and asset folder."""

    name: str
    worker: Path
    public: Path | None

    @property
    def language(self) -> str:
        """The language: py or js."""
        return self.name.rsplit("-", 1)[1]


@pytest.fixture(scope="session")
def hello_py(guests_dir: Path) -> Path:
    """The example Python guest, built."""
    return build_guest("hello-py", EXAMPLES / "hello-py", guests_dir)


@pytest.fixture(scope="session")
def hello_js(guests_dir: Path) -> Path:
    """The example JavaScript guest, built (fails, not skips, without Node.js and npm)."""
    return build_guest("hello-js", EXAMPLES / "hello-js", guests_dir)


@pytest.fixture(scope="session")
def notes_js(guests_dir: Path) -> Path:
    """The second JavaScript example (notes rendered from Markdown assets), built."""
    return build_guest("notes-js", EXAMPLES / "notes-js", guests_dir)


@pytest.fixture(scope="session")
def misbehave_py(guests_dir: Path) -> Path:
    """The test guest that traps, loops, allocates and floods on request."""
    return build_guest("misbehave-py", TEST_GUESTS / "misbehave-py", guests_dir)


@pytest.fixture(scope="session")
def misbehave_js(guests_dir: Path) -> Path:
    """The JavaScript test guest: the same failures, plus every JavaScript SDK feature."""
    return build_guest("misbehave-js", TEST_GUESTS / "misbehave-js", guests_dir)


@pytest.fixture(scope="module", params=["py", "js"])
def hello(request: pytest.FixtureRequest) -> Guest:
    """hello-py, then hello-js: the same site and API from each language's SDK."""
    name = f"hello-{request.param}"
    worker = request.getfixturevalue(name.replace("-", "_"))
    return Guest(name, worker, EXAMPLES / name / "public")


@pytest.fixture(scope="module", params=["py", "js"])
def misbehave_guest(request: pytest.FixtureRequest) -> Guest:
    """misbehave-py, then misbehave-js."""
    name = f"misbehave-{request.param}"
    return Guest(name, request.getfixturevalue(name.replace("-", "_")), None)


@pytest.fixture(scope="session")
def compiled_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Compiled components for this session (artifacts are signed with the database's secret)."""
    return tmp_path_factory.mktemp("compiled")


@pytest.fixture(scope="session")
def host(tmp_path_factory: pytest.TempPathFactory, compiled_cache: Path) -> Iterator[Host]:
    """A `wasmhost serve` process on a free loopback port with a fresh database."""
    server = start_host(tmp_path_factory.mktemp("host"), compiled_cache)
    yield server
    server.process.terminate()
    server.process.wait(timeout=30)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server of its own on a loopback port, for the whole session (skipped,
    saying why, where the package is not installed: scripts/setup installs it as root)."""
    try:
        server = PostgresServer()
    except PostgresMissing as error:
        pytest.skip(str(error))
    server.start()
    yield server
    server.stop()


BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(params=BACKENDS)
def any_db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database of each backend: an SQLite file, then a PostgreSQL schema."""
    if request.param == "sqlite":
        return str(tmp_path / "kv.db")
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.new_schema()


@pytest.fixture
def open_db(any_db: str) -> Iterator[Callable[..., Store]]:
    """Opens stores on `any_db` (each as another process's would be), closed after the test."""
    opened: list[Store] = []

    def open_one(table: str = "kv") -> Store:
        opened.append(open_store(any_db, table))
        return opened[-1]

    yield open_one
    for store in opened:
        store.close()


@pytest.fixture
def store(open_db: Callable[..., Store]) -> Store:
    """An empty store of each backend."""
    return open_db()
