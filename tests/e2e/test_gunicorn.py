"""wasmhost under gunicorn with production/gunicorn.conf.py: serves, logs, and sums its metrics."""

import contextlib
import os
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, TOKEN, Host

LISTENING = re.compile(r"Listening at: http://127\.0\.0\.1:(\d+)")


@pytest.fixture
def gunicorn(tmp_path: Path, compiled_cache: Path) -> Iterator[Host]:
    """gunicorn with the example config, two workers, a fresh database, on a free port."""
    pytest.importorskip("gunicorn", reason="gunicorn is not installed (scripts/setup installs it)")
    db, log = tmp_path / "h.db", tmp_path / "gunicorn.log"
    env = {
        **os.environ,
        "WASMHOST_DB": str(db),
        "WASMHOST_TOKEN": TOKEN,
        "WASMHOST_CACHE_DIR": str(compiled_cache),
        "WASMHOST_WORKERS": "2",
        "WASMHOST_PORT": "0",
    }
    command = [sys.executable, "-m", "gunicorn", "-c", "production/gunicorn.conf.py"]
    with log.open("w") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=out, start_new_session=True
        )
    try:
        yield Host(wait_for_port(process, log), db, compiled_cache, process, log)  # type: ignore[arg-type]
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def wait_for_port(process: subprocess.Popen[bytes], log: Path) -> int:
    """The port gunicorn listens on, once both workers booted."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        text = log.read_text()
        match = LISTENING.search(text)
        if match and text.count("Booting worker") >= 2:
            return int(match.group(1))
        assert process.poll() is None, f"gunicorn exited:\n{text}"
        select.select([], [], [], 0.1)
    raise AssertionError(f"gunicorn did not start:\n{log.read_text()}")


def test_gunicorn_serves_projects_logs_them_and_adds_up_metrics(
    gunicorn: Host, hello_py: Path
) -> None:
    host = gunicorn
    assert host.get(None, "/readyz").status == 200
    host.deploy("under-gunicorn", hello_py)
    for _ in range(10):
        assert host.get("under-gunicorn", "/api/hello").status == 200
    reply = host.get(None, "/metrics", Authorization=f"Bearer {TOKEN}")
    counted = re.search(
        r'wasmhost_requests_total\{project="under-gunicorn",status="200"\} (\S+)', reply.text
    )
    assert counted is not None and float(counted.group(1)) == 10
    assert re.search(r'under-gunicorn@v1 "GET /api/hello" 200 ', host.log_text())
