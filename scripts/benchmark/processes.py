"""Servers the bench starts: wait until they are ready, measure them, always stop them."""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import threading
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

READY = re.compile(r"serving .* on http://127\.0\.0\.1:(\d+)/")
READY_TIMEOUT_SECONDS = 120
STOP_GRACE_SECONDS = 20


class ServerError(RuntimeError):
    """A server did not start."""


@dataclass
class Server:
    """A running server process (the leader of its own process group) and its port."""

    name: str
    process: subprocess.Popen[str]
    port: int
    log: Path


class Processes:
    """Every server the bench started, stopped when the bench ends, also on Ctrl-C."""

    def __init__(self) -> None:
        self._running: list[Server] = []

    def __enter__(self) -> Processes:
        return self

    def __exit__(self, *exc: object) -> None:
        for server in reversed(self._running):
            self.stop(server)

    def start(self, name: str, argv: list[str], env: dict[str, str], log: Path) -> Server:
        """Start `argv` in its own process group and wait for its `serving … on` line."""
        with log.open("a") as log_file:
            process = subprocess.Popen(
                argv,
                stdout=subprocess.PIPE,
                stderr=log_file,
                text=True,
                env=env,
                start_new_session=True,
            )
        assert process.stdout is not None
        server = Server(name, process, 0, log)
        self._running.append(server)
        line = _ready_line(process)
        match = READY.search(line)
        if match is None:
            self.stop(server)
            tail = log.read_text(errors="replace")[-3000:]
            raise ServerError(f"{name} did not start: {line!r}\n{tail}")
        server.port = int(match.group(1))
        threading.Thread(target=_drain, args=(process,), daemon=True).start()
        return server

    def stop(self, server: Server) -> None:
        """SIGTERM the server (it stops its own workers), then SIGKILL whatever is left."""
        if server in self._running:
            self._running.remove(server)
        process = server.process
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            with suppress(subprocess.TimeoutExpired):
                process.wait(timeout=STOP_GRACE_SECONDS)
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_GRACE_SECONDS)


def _ready_line(process: subprocess.Popen[str]) -> str:
    """The first line the process prints, or why there is none."""
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], READY_TIMEOUT_SECONDS)
    if not ready:
        return f"(nothing printed within {READY_TIMEOUT_SECONDS} s)"
    return process.stdout.readline() or f"(exited with {process.wait()})"


def _drain(process: subprocess.Popen[str]) -> None:
    """Read and drop the rest of a server's stdout so it never blocks on a full pipe."""
    assert process.stdout is not None
    for _ in process.stdout:
        pass
