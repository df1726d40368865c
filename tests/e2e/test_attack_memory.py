"""What a request makes the host hold is bounded: asset bytes a guest reads come from storage
a range at a time and are not held (reading whole assets many times answers 200 and does not
grow the host), while bodies it makes and bodies it sends count against `request_memory_mb`
(503 past it; 413 for a request body past `max_request_mb`). Tests that take `hostile` run
against misbehave-py, then misbehave-js."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Started, stop_host
from tests.e2e.attacks import (
    BIG_ASSET,
    BIG_ASSET_BYTES,
    MIB,
    MID_ASSET,
    MID_ASSET_BYTES,
    Timed,
    attacker,
    good_round,
    peak_rss_mib,
    post_large,
    send,
    start_attack_host,
)

THREADS = 2  # few threads: each keeps its own malloc arena, warmed up before measuring
BUDGET_MB = 4
MAX_REQUEST_MB = 2
REFETCHES = 40  # 320 MiB of an 8 MiB asset, were the copies held
ALLOWED_GROWTH_MIB = 100
READS = 5  # whole reads of the 1.5 MiB asset: 7.5 MiB, past the budget already
WARM_UPS = 3 * THREADS  # requests of READS reads before measuring (threads, instance, heap)
ALLOWED_READ_GROWTH_MIB = 32  # far below the 67.5 MiB that 10x READS would add if held
OVER_BUDGET = (503, "Worker exceeded its memory limit")


@pytest.fixture(scope="module")
def lean_host(
    tmp_path_factory: pytest.TempPathFactory, compiled_cache: Path, attack_db: Path
) -> Iterator[Started]:
    """One process with 2 threads, holding at most 4 MiB per request and 2 MiB request bodies;
    the CPU deadline out of the way (60 s: it counts host calls too, and reading 75 MiB through
    a guest takes seconds), so that only memory can end a request here."""
    host = start_attack_host(
        tmp_path_factory.mktemp("memory"),
        compiled_cache,
        attack_db,
        THREADS,
        cpu_deadline_ms=60_000,
        request_memory_mb=BUDGET_MB,
        max_request_mb=MAX_REQUEST_MB,
    )
    yield host
    stop_host(host)


def test_asset_bytes_not_read_are_not_held(lean_host: Started, hostile: str) -> None:
    assert BIG_ASSET_BYTES > BUDGET_MB * MIB
    once = send(lean_host, attacker(hostile), f"/asset-refetch?path={BIG_ASSET}&times=1")
    assert once.status == 200, once.text
    before = peak_rss_mib(lean_host.process.pid)
    many = send(lean_host, attacker(hostile), f"/asset-refetch?path={BIG_ASSET}&times={REFETCHES}")
    assert many.status == 200, many.text
    assert many.text.startswith(f"read one byte of {REFETCHES} copies: ")
    assert peak_rss_mib(lean_host.process.pid) - before < ALLOWED_GROWTH_MIB
    good_round(lean_host)


def read_whole(host: Started, hostile: str, times: int) -> Timed:
    """Have the guest read the 1.5 MiB asset whole `times` times; checks it answered 200."""
    reply = send(host, attacker(hostile), f"/asset-buffer?path={MID_ASSET}&times={times}")
    assert (reply.status, reply.text) == (200, f"read {times * MID_ASSET_BYTES} bytes")
    return reply


def test_reading_whole_assets_many_times_is_not_held(lean_host: Started, hostile: str) -> None:
    assert READS * MID_ASSET_BYTES > BUDGET_MB * MIB
    read_whole(lean_host, hostile, READS)
    read_whole(lean_host, hostile, 10 * READS)
    good_round(lean_host)


def test_reading_whole_assets_ten_times_as_often_does_not_grow_the_host(
    lean_host: Started,
) -> None:
    # misbehave-py only: a Python guest frees each copy as it goes, while a JavaScript guest's
    # heap grows until its collector runs (up to memory_limit_mb), which would hide the host's.
    for _ in range(WARM_UPS):
        read_whole(lean_host, "py", READS)
    before = peak_rss_mib(lean_host.process.pid)
    read_whole(lean_host, "py", 10 * READS)
    assert peak_rss_mib(lean_host.process.pid) - before < ALLOWED_READ_GROWTH_MIB
    good_round(lean_host)


def test_bodies_made_past_the_budget_are_503(lean_host: Started, hostile: str) -> None:
    small = send(lean_host, attacker(hostile), f"/big?bytes={MIB}")
    assert (small.status, len(small.reply.body)) == (200, MIB)
    large = send(lean_host, attacker(hostile), f"/big?bytes={(BUDGET_MB + 2) * MIB}")
    assert (large.status, large.text) == OVER_BUDGET
    good_round(lean_host)


@pytest.mark.parametrize("size", [MAX_REQUEST_MB * MIB + 1, 100 * MIB])
def test_request_bodies_past_max_request_mb_are_413(
    lean_host: Started, hostile: str, size: int
) -> None:
    assert post_large(lean_host, attacker(hostile), "/echo", size) == 413
    good_round(lean_host)
    echoed = lean_host.request(attacker(hostile), "/echo", "POST", body=bytes(MIB))
    assert (echoed.status, len(echoed.body)) == (200, MIB)
