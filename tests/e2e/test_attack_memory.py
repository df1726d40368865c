"""What a request makes the host hold is bounded: asset bytes a guest does not read are not
held, and bytes it reads, bodies it makes and bodies it sends count against
`request_memory_mb` (503 past it; 413 for a request body past `max_request_mb`). Tests that
take `hostile` run against misbehave-py, then misbehave-js."""

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
    attacker,
    good_round,
    peak_rss_mib,
    post_large,
    send,
    start_attack_host,
)

BUDGET_MB = 4
MAX_REQUEST_MB = 2
REFETCHES = 40  # 320 MiB of an 8 MiB asset, were the copies held
ALLOWED_GROWTH_MIB = 100
OVER_BUDGET = (503, "Worker exceeded its memory limit")


@pytest.fixture(scope="module")
def lean_host(
    tmp_path_factory: pytest.TempPathFactory, compiled_cache: Path, attack_db: Path
) -> Iterator[Started]:
    """One process holding at most 4 MiB per request and 2 MiB request bodies; deadlines out of
    the way (10 s CPU, 30 s in all), so that only memory can end a request here."""
    host = start_attack_host(
        tmp_path_factory.mktemp("memory"),
        compiled_cache,
        attack_db,
        8,
        cpu_deadline_ms=10_000,
        wall_clock_ms=30_000,
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


def test_reading_whole_assets_past_the_budget_is_503(lean_host: Started, hostile: str) -> None:
    assert 2 * MID_ASSET_BYTES < BUDGET_MB * MIB < 3 * MID_ASSET_BYTES
    once = send(lean_host, attacker(hostile), f"/asset-buffer?path={MID_ASSET}&times=1")
    assert (once.status, once.text) == (200, f"read {MID_ASSET_BYTES} bytes")
    thrice = send(lean_host, attacker(hostile), f"/asset-buffer?path={MID_ASSET}&times=3")
    assert (thrice.status, thrice.text) == OVER_BUDGET
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
