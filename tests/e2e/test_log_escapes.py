"""What guests print and what clients put in paths reaches the server log escaped, never raw.

Escape sequences in a log let whoever wrote them clear an operator's terminal, retitle it,
or forge log lines; `wasmhost serve` escapes control characters in every record.
"""

from pathlib import Path

import pytest
from wasmtime import wat2wasm

from tests.conftest import Host
from tests.e2e.test_failures import wait_for_log
from tests.runtime import wat_guests


@pytest.fixture(scope="module")
def printer(host: Host, misbehave_py: Path) -> str:
    """misbehave-py deployed as `log-escapes`."""
    host.deploy("log-escapes", misbehave_py)
    return "log-escapes"


def test_guest_output_is_escaped(host: Host, printer: str) -> None:
    reply = host.get(printer, "/output?text=%1b[2J%1b]0;owned%07cleared%c2%9b6n%0d%0aINFO%20forged")
    assert reply.status == 200
    escaped = "\\x1b[2J\\x1b]0;owned\\x07cleared\\x9b6n"
    log = wait_for_log(host, f"[{printer}] stderr: {escaped}")
    assert f"[{printer}] stdout: {escaped}\n" in log
    assert f"[{printer}] stderr: {escaped}\n" in log
    assert f"[{printer}] stdout: INFO forged\n" in log  # its own line, tagged with the project
    assert "\x1b" not in log and "\x07" not in log and "\x9b" not in log


def test_a_request_path_in_the_log_is_escaped(host: Host, tmp_path: Path) -> None:
    worker = tmp_path / "trap.wasm"
    worker.write_bytes(bytes(wat2wasm(wat_guests.guest(wat_guests.TRAP))))
    host.deploy("log-trap", worker)
    reply = host.get("log-trap", "/%1b]0;owned%07/%1b[2J%0aWARNING%20forged")
    assert reply.status == 500
    log = wait_for_log(host, "[log-trap] GET /\\x1b]0;owned\\x07/\\x1b[2J\\nWARNING forged -> 500")
    assert "[log-trap] GET /\\x1b]0;owned\\x07/\\x1b[2J\\nWARNING forged -> 500" in log
    assert "\x1b" not in log and "\nWARNING forged" not in log
