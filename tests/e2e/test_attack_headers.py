"""Guest headers as a weapon: hundreds of thousands of them end in a quick 502 with the host
free for others; lengths a server could misread and directives meant for a proxy in front
are dropped."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.conftest import Started, stop_host
from tests.e2e.attacks import (
    BOMB_SIZES,
    LONG_RUNNER_STRETCH,
    attacker,
    bomb,
    good_round,
    send,
    slowest,
    start_attack_host,
    under_attack,
)

CPU_MS = 1000
THREADS = 8
INVALID = (502, "Worker returned an invalid response")
CPU_CUT = (503, "Worker exceeded its CPU time limit")
# The most headers each SDK builds well within its CPU time (a Python guest spends about 1.5 s
# of its own building 700,000 of them, a JavaScript guest seconds for 100,000).
QUICK_BOMB = {"py": 100_000, "js": 10_000}
AT_ONCE = 2  # each bomb costs the host about 0.5 s of wasmtime's own lifting, in C, on 2 cores


@pytest.fixture(scope="module")
def header_host(
    tmp_path_factory: pytest.TempPathFactory, compiled_cache: Path, attack_db: Path
) -> Iterator[Started]:
    """A host with a 1 s CPU deadline and 8 threads."""
    work = tmp_path_factory.mktemp("headers")
    host = start_attack_host(work, compiled_cache, attack_db, THREADS, cpu_deadline_ms=CPU_MS)
    yield host
    stop_host(host)


@pytest.mark.parametrize("size", BOMB_SIZES)
def test_a_tiny_guest_returning_a_huge_header_list_gets_502_quickly(
    header_host: Started, size: int
) -> None:
    replies, goods = under_attack(header_host, [(bomb(size), "/")] * AT_ONCE)
    assert [(r.status, r.text) for r in replies] == [INVALID] * AT_ONCE
    assert slowest(replies) < 2 * CPU_MS / 1000
    assert all(good.status == 200 for good in goods)
    assert slowest(goods) < 2 * CPU_MS / 1000  # the host was never busy for seconds


def test_a_guest_returning_a_huge_header_list_gets_502(header_host: Started, hostile: str) -> None:
    path = f"/headers-bomb?count={QUICK_BOMB[hostile]}"
    replies, goods = under_attack(header_host, [(attacker(hostile), path)] * AT_ONCE)
    assert [(r.status, r.text) for r in replies] == [INVALID] * AT_ONCE
    assert slowest(replies) < LONG_RUNNER_STRETCH * CPU_MS / 1000
    assert all(good.status == 200 for good in goods)
    assert slowest(goods) < 2 * CPU_MS / 1000


def test_a_guest_building_more_headers_than_its_cpu_time_allows_gets_a_5xx(
    header_host: Started, hostile: str
) -> None:
    path = f"/headers-bomb?count={BOMB_SIZES[0]}"
    replies, goods = under_attack(header_host, [(attacker(hostile), path)] * AT_ONCE)
    assert {(r.status, r.text) for r in replies} <= {INVALID, CPU_CUT}
    assert slowest(replies) < LONG_RUNNER_STRETCH * CPU_MS / 1000
    assert all(good.status == 200 for good in goods)


def headers_path(*fields: str, status: int = 200) -> str:
    """misbehave-py's /headers answering with `fields` (name:value) added, and `status`."""
    added = "".join(f"&add={quote(field, safe='')}" for field in fields)
    return f"/headers?status={status}{added}"


@pytest.mark.parametrize(("method", "status"), [("HEAD", 200), ("GET", 304), ("HEAD", 304)])
def test_a_length_that_is_not_ascii_digits_is_dropped(
    header_host: Started, method: str, status: int
) -> None:
    reply = send(
        header_host, attacker("py"), headers_path("content-length:²", status=status), method
    )
    assert reply.status == status
    assert reply.reply.header("Content-Length") in (None, "0", "7")
    good_round(header_host)


def test_proxy_directives_and_fields_named_in_connection_are_dropped(header_host: Started) -> None:
    fields = (
        "x-accel-redirect:/internal/secret",
        "x-sendfile:/etc/passwd",
        "connection:x-hop, x-other-hop",
        "x-hop:1",
        "x-other-hop:2",
        "x-kept:3",
    )
    reply = send(header_host, attacker("py"), headers_path(*fields))
    assert reply.status == 200
    for name in ("X-Accel-Redirect", "X-Sendfile", "X-Hop", "X-Other-Hop"):
        assert reply.reply.header(name) is None, name
    assert reply.reply.header("X-Kept") == "3"
    good_round(header_host)
