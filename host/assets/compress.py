"""Deploy-time compression: gzip and brotli variants of compressible files.

A variant is kept only when it is meaningfully smaller: it saves at least `MIN_SAVING`
bytes and at least 1/`MIN_RATIO` (5 %) of the file. Output is deterministic: gzip with
`mtime=0` and no file name, brotli and gzip at levels fixed by the file's place in the
deployment's budget (below), so the same upload always gives the same bytes and ETags.

The work is bounded: best levels (brotli 11, gzip 9; brotli 11 runs at under 1 MB/s) for
the smallest files until `BEST_BUDGET` bytes of input have used them, fast levels
(brotli 5, gzip 6; tens of MB/s) for the rest. A deployment of 512 MiB of text thus
compresses in well under a minute, and a typical site gets the best levels throughout.
Identical contents are compressed once.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import brotli

from host.assets.encodings import BROTLI, GZIP
from host.assets.mediatypes import content_type_for, is_compressible

MIN_SAVING = 256
MIN_RATIO = 20
BEST_BUDGET = 8 * 1024 * 1024


@dataclass(frozen=True)
class Levels:
    """Compression levels for one file."""

    brotli: int
    gzip: int


BEST = Levels(brotli=11, gzip=9)
FAST = Levels(brotli=5, gzip=6)


def worth_keeping(original: int, compressed: int) -> bool:
    """Whether a variant saves enough to be stored and served."""
    saving = original - compressed
    return saving >= MIN_SAVING and saving * MIN_RATIO >= original


def compress_one(data: bytes, levels: Levels) -> dict[str, bytes]:
    """The variants of one file's bytes that are worth keeping, by encoding."""
    makers: dict[str, Callable[[], bytes]] = {
        BROTLI: lambda: brotli.compress(data, quality=levels.brotli),
        GZIP: lambda: gzip.compress(data, compresslevel=levels.gzip, mtime=0),
    }
    variants = {}
    for encoding, make in makers.items():
        compressed = make()
        if worth_keeping(len(data), len(compressed)):
            variants[encoding] = compressed
    return variants


def candidates(files: Mapping[str, bytes]) -> list[str]:
    """Pathnames worth trying, smallest first (ties by name), so the budget is deterministic."""
    chosen = [
        path
        for path, data in files.items()
        if len(data) > MIN_SAVING and is_compressible(content_type_for(path))
    ]
    return sorted(chosen, key=lambda path: (len(files[path]), path))


def compress_files(files: Mapping[str, bytes]) -> dict[str, dict[str, bytes]]:
    """Pathname to its worthwhile variants (encoding to bytes), for every compressible file."""
    done: dict[bytes, dict[str, bytes]] = {}
    result: dict[str, dict[str, bytes]] = {}
    spent = 0
    for path in candidates(files):
        data = files[path]
        if data not in done:
            levels = BEST if spent + len(data) <= BEST_BUDGET else FAST
            spent += len(data) if levels is BEST else 0
            done[data] = compress_one(data, levels)
        if done[data]:
            result[path] = done[data]
    return result
