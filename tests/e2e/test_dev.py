"""`wasmhost dev DIR` as a user runs it: build, serve, change a file, see the change on the next
request; a change that does not build answers a readable 500 page until it is fixed."""

from __future__ import annotations

import http.client
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, ROOT

READY = re.compile(r"wasmhost dev serving http://(?P<name>[a-z0-9-]+)\.localhost:(?P<port>\d+)/")
WAIT_SECONDS = 180  # a Python guest builds in 5-20 s; the first one may also set up a cache


@dataclass
class Dev:
    """A running `wasmhost dev` and its project folder."""

    folder: Path
    port: int
    process: subprocess.Popen[str]
    log: Path

    def get(self, path: str) -> tuple[int, str]:
        """GET `path` from the project: status and text."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request("GET", path, headers={"Host": f"devapp.localhost:{self.port}"})
            response = conn.getresponse()
            return response.status, response.read().decode()
        finally:
            conn.close()

    def until(self, path: str, wanted: Callable[[int, str], bool]) -> tuple[int, str]:
        """Ask until the answer is the one wanted (the rebuild runs in the background)."""
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            answer = self.get(path)
            if wanted(*answer) or time.monotonic() > deadline:
                return answer
            time.sleep(0.5)


@pytest.fixture
def dev(tmp_path: Path) -> Iterator[Dev]:
    """hello-py copied into a folder with a wasmhost.toml, served by `wasmhost dev`."""
    folder = tmp_path / "app"
    shutil.copytree(EXAMPLES / "hello-py", folder, ignore=shutil.ignore_patterns("__pycache__"))
    (folder / "wasmhost.toml").write_text('name = "devapp"\n[assets]\ndirectory = "public"\n')
    log = tmp_path / "dev.log"
    env = {**os.environ, "WASMHOST_CACHE_DIR": str(tmp_path / "compiled"), "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "host", "dev", str(folder), "--port", "0"]
    with log.open("w") as log_file:
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=log_file, text=True, env=env, cwd=ROOT,
            start_new_session=True,
        )  # fmt: skip
    try:
        match, seen = ready_line(process)
        assert match is not None, f"{seen!r}\n{log.read_text()}"
        assert match["name"] == "devapp"
        yield Dev(folder, int(match["port"]), process, log)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def ready_line(process: subprocess.Popen[str]) -> tuple[re.Match[str] | None, str]:
    """Read the dev server's output (the first build's lines come first) up to its ready line."""
    assert process.stdout is not None
    seen, deadline = "", time.monotonic() + WAIT_SECONDS
    while (left := deadline - time.monotonic()) > 0:
        if not select.select([process.stdout], [], [], left)[0]:
            break
        line = process.stdout.readline()
        if not line:
            break
        seen += line
        if match := READY.search(line):
            return match, seen
    return None, seen


def test_a_change_is_served_on_the_next_request_and_a_broken_one_says_why(dev: Dev) -> None:
    assert dev.get("/api/hello") == (200, '{"hello":"world"}')
    worker = dev.folder / "worker.py"
    source = worker.read_text()
    worker.write_text(source.replace('{"hello": "world"}', '{"hello": "dev"}'))
    assert dev.until("/api/hello", lambda s, t: "dev" in t) == (200, '{"hello":"dev"}')
    worker.write_text(source.replace("async def fetch(request, env):", "async def fetch(request"))
    status, page = dev.until("/api/hello", lambda s, t: s == 500)
    assert status == 500
    assert "did not build or deploy" in page and "SyntaxError" in page
    worker.write_text(source)
    assert dev.until("/api/hello", lambda s, t: s == 200) == (200, '{"hello":"world"}')
    (dev.folder / "public" / "index.html").write_text("<p>edited page</p>")
    assert dev.until("/", lambda s, t: "edited" in t) == (200, "<p>edited page</p>")
    logged = dev.log.read_text()
    assert re.search(r"devapp@v\d+ \"GET /api/hello\" 200 ", logged)
    assert "build or deploy failed" in logged
