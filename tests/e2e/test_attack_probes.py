"""A guest reaching for what it was never given: body handles it did not get, files, the
environment, sockets and DNS. Each ends in a clean refusal or 5xx, and nothing is reached.
Tests that take `hostile` run against misbehave-py, then misbehave-js."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Started, stop_host
from tests.e2e.attacks import attacker, good_round, send, start_attack_host, under_attack

THREW = (500, "Worker threw an exception")
INVALID = (502, "Worker returned an invalid response")
FORGED_HANDLES = [0, 1, 2, 999_999, 2**31, 2**32 - 1]


@pytest.fixture(scope="module")
def probe_host(
    tmp_path_factory: pytest.TempPathFactory, compiled_cache: Path, attack_db: Path
) -> Iterator[Started]:
    """A host with default limits and 8 threads."""
    host = start_attack_host(tmp_path_factory.mktemp("probes"), compiled_cache, attack_db, 8)
    yield host
    stop_host(host)


@pytest.mark.parametrize("how", ["read", "append"])
def test_forged_body_handles_trap(probe_host: Started, hostile: str, how: str) -> None:
    forged = [(attacker(hostile), f"/forge?how={how}&handle={h}") for h in FORGED_HANDLES]
    replies, goods = under_attack(probe_host, forged)
    assert [(r.status, r.text) for r in replies] == [THREW] * len(forged)
    assert all(good.status == 200 for good in goods)


def test_a_forged_handle_in_the_answer_is_an_invalid_response(probe_host: Started) -> None:
    forged = [(attacker("py"), f"/forge?how=send&handle={h}") for h in FORGED_HANDLES]
    replies, goods = under_attack(probe_host, forged)
    assert [(r.status, r.text) for r in replies] == [INVALID] * len(forged)
    assert all(good.status == 200 for good in goods)


def test_files_environment_and_arguments_are_not_there(probe_host: Started) -> None:
    reply = send(probe_host, attacker("py"), "/sandbox")
    assert reply.status == 200
    seen = json.loads(reply.reply.body)
    assert (seen["environ"], seen["argv"]) == ({}, [])
    assert seen["listdir"] in ([], "refused: FileNotFoundError", "refused: PermissionError")
    assert str(seen["open"]).startswith("refused:")
    good_round(probe_host)


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A loopback socket listening for connections no guest may make."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.setblocking(False)
        yield server


def test_sockets_and_dns_are_refused(
    probe_host: Started, hostile: str, listener: socket.socket
) -> None:
    port = listener.getsockname()[1]
    reply = send(probe_host, attacker(hostile), f"/probe?port={port}")
    if reply.status == 200:
        seen = json.loads(reply.reply.body)
        assert seen and all(str(v).startswith("refused") for v in seen.values()), seen
    else:
        assert (reply.status, reply.text) == THREW
    with pytest.raises(BlockingIOError):
        listener.accept()  # nobody connected
    good_round(probe_host)
