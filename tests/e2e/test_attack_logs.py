"""Guest output as a weapon: terminal escapes reach the host log escaped, never raw, and floods
of output are capped while a good project keeps answering. Each test runs against
misbehave-py, then misbehave-js."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.conftest import Started, stop_host
from tests.e2e.attacks import attacker, good_round, send, start_attack_host, under_attack

THREADS = 8
ESCAPES = "\x1b[2J\x1b]0;owned\x07\x1b[31m\x9b2K"
FORGED = "\r\n2026-01-01 00:00:00,000 ERROR wasmhost.web forged line"
LOG_WAIT_SECONDS = 10
CPU_CUT = (503, "Worker exceeded its CPU time limit")


@pytest.fixture(scope="module")
def log_host(
    tmp_path_factory: pytest.TempPathFactory, compiled_cache: Path, attack_db: Path
) -> Iterator[Started]:
    """A host with default limits and 8 threads."""
    host = start_attack_host(tmp_path_factory.mktemp("logs"), compiled_cache, attack_db, THREADS)
    yield host
    stop_host(host)


def log_with(host: Started, text: str) -> str:
    """The host's log once it contains `text` (or after LOG_WAIT_SECONDS)."""
    deadline = time.monotonic() + LOG_WAIT_SECONDS
    while text not in host.log_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    return host.log_text()


def test_terminal_escapes_in_guest_output_are_escaped_in_the_log(
    log_host: Started, hostile: str
) -> None:
    marker = f"escape-test-{hostile}"
    reply = send(log_host, attacker(hostile), "/output?text=" + quote(marker + ESCAPES))
    assert (reply.status, reply.text) == (200, "printed")
    log = log_with(log_host, marker)
    lines = [line for line in log.splitlines() if marker in line and " wasmhost.guest " in line]
    assert len(lines) == 2  # stdout and stderr (the access line has the marker percent-encoded)
    for line in lines:
        assert line.endswith(marker + "\\x1b[2J\\x1b]0;owned\\x07\\x1b[31m\\x9b2K")
    assert not {"\x1b", "\x07", "\x9b"} & set(log)
    good_round(log_host)


def test_guest_output_cannot_forge_a_log_line(log_host: Started, hostile: str) -> None:
    marker = f"forge-test-{hostile}"
    reply = send(log_host, attacker(hostile), "/output?text=" + quote(marker + FORGED))
    assert reply.status == 200
    log = log_with(log_host, marker)
    forged = [line for line in log.splitlines() if "forged line" in line]
    assert all(re.search(r" wasmhost\.guest [0-9a-f]{16} \[misbehave-", line) for line in forged)
    assert sum(f"[{attacker(hostile)}] std" in line for line in forged) == 2


def test_floods_are_capped_and_the_host_keeps_serving(log_host: Started, hostile: str) -> None:
    replies, goods = under_attack(log_host, [(attacker(hostile), "/flood")] * 6)
    # all printed, or the deadline came first: printing 2,000 lines costs the host time too
    assert {(r.status, r.text) for r in replies} <= {(200, "flooded"), CPU_CUT}
    assert all(good.status == 200 for good in goods)
    log = log_with(log_host, f"[{attacker(hostile)}] stdout: flood 0 ")
    assert "flood 1999" not in log
    assert log.count(f"[{attacker(hostile)}] stdout: ") < 6 * 100  # about 64 KiB per request
