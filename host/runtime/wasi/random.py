"""wasi:random: bytes from the operating system's generator, a bounded amount at a time."""

from __future__ import annotations

import os
from typing import Any

from wasmtime import WasmtimeError
from wasmtime.component import LinkerInstance

from host.runtime.wasi.state import WasiState, wasi_function

MAX_RANDOM_BYTES = 1024 * 1024


def _random_bytes(length: int) -> bytes:
    """`length` random bytes; asking for more than the cap traps."""
    if length > MAX_RANDOM_BYTES:
        raise WasmtimeError(f"asked for {length} random bytes (at most {MAX_RANDOM_BYTES})")
    return os.urandom(length)


@wasi_function
def _bytes(_state: WasiState, _store: Any, length: int) -> bytes:
    """random.get-random-bytes(len) -> list<u8>."""
    return _random_bytes(length)


@wasi_function
def _u64(_state: WasiState, _store: Any) -> int:
    """random.get-random-u64() -> u64."""
    return int.from_bytes(os.urandom(8), "little")


@wasi_function
def _insecure_bytes(_state: WasiState, _store: Any, length: int) -> bytes:
    """insecure.get-insecure-random-bytes(len) -> list<u8>."""
    return _random_bytes(length)


@wasi_function
def _insecure_u64(_state: WasiState, _store: Any) -> int:
    """insecure.get-insecure-random-u64() -> u64."""
    return int.from_bytes(os.urandom(8), "little")


@wasi_function
def _seed(_state: WasiState, _store: Any) -> tuple[int, int]:
    """insecure-seed.insecure-seed() -> tuple<u64, u64>."""
    return int.from_bytes(os.urandom(8), "little"), int.from_bytes(os.urandom(8), "little")


def _define_random(instance: LinkerInstance) -> None:
    """wasi:random/random."""
    instance.add_func("get-random-bytes", _bytes)
    instance.add_func("get-random-u64", _u64)


def _define_insecure(instance: LinkerInstance) -> None:
    """wasi:random/insecure."""
    instance.add_func("get-insecure-random-bytes", _insecure_bytes)
    instance.add_func("get-insecure-random-u64", _insecure_u64)


def _define_seed(instance: LinkerInstance) -> None:
    """wasi:random/insecure-seed."""
    instance.add_func("insecure-seed", _seed)


INTERFACES = {
    "wasi:random/random": _define_random,
    "wasi:random/insecure": _define_insecure,
    "wasi:random/insecure-seed": _define_seed,
}
