"""Deploy-time compression: gzip and brotli variants of compressible files.

A variant is kept only when it is meaningfully smaller: it saves at least `MIN_SAVING`
bytes and at least 1/`MIN_RATIO` (5 %) of the file. Output is deterministic and depends
on the file's bytes alone (gzip with `mtime=0` and no file name, both at fixed levels),
so a file keeps its variants and their ETags across deployments, whatever else changes.
Identical contents are compressed once.

Why one level pair for every file size: the work must stay bounded for the largest
upload (512 MiB, up to 20,000 files), and a level may not depend on the other files.
Measured on JavaScript on one core, brotli 11 runs at 0.4-0.7 MB/s at every file size
and brotli 9-10 at 1-4 MB/s on files under 64 KiB (their setup cost is per call). A
size class given those levels can hold 20,000 times its largest size: from 26 KiB up
that is the whole 512 MiB, 10-20 minutes of work; the classes that stay within seconds
(files under ~1 KiB) would gain a few bytes per file. Brotli 5 (40-50 MB/s, 10-15 %
larger than brotli 11) and gzip 6 (30-40 MB/s; gzip 9 saves under 1 % and is 2-3x
slower on large files) bound it instead: `build_assets` on 512 MiB of distinct
JavaScript took 29-34 s whether as 20,000, 2,048 or 21 files (random or repetitive
text is faster).
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


@dataclass(frozen=True)
class Levels:
    """Compression levels for one file."""

    brotli: int
    gzip: int


LEVELS = Levels(brotli=5, gzip=6)


def worth_keeping(original: int, compressed: int) -> bool:
    """Whether a variant saves enough to be stored and served."""
    saving = original - compressed
    return saving >= MIN_SAVING and saving * MIN_RATIO >= original


def compress_one(data: bytes, levels: Levels = LEVELS) -> dict[str, bytes]:
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
    """Pathnames worth trying, in name order."""
    return sorted(
        path
        for path, data in files.items()
        if len(data) > MIN_SAVING and is_compressible(content_type_for(path))
    )


Known = Callable[[bytes], "dict[str, bytes] | None"]


def compress_files(
    files: Mapping[str, bytes], known: Known | None = None
) -> dict[str, dict[str, bytes]]:
    """Pathname to its worthwhile variants (encoding to bytes), for every compressible file.

    `known(data)` may give the variants already made for those bytes (by an earlier version):
    they are what compressing them again would make, so they are taken instead.
    """
    done: dict[bytes, dict[str, bytes]] = {}
    result: dict[str, dict[str, bytes]] = {}
    for path in candidates(files):
        data = files[path]
        if data not in done:
            earlier = known(data) if known else None
            done[data] = earlier if earlier is not None else compress_one(data)
        if done[data]:
            result[path] = done[data]
    return result
