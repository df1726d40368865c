"""Deploy-time compression (spec: Beyond the model, Pre-compressed variants)."""

from __future__ import annotations

import gzip
import os
import random
import zlib
from collections.abc import Callable

import brotli
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from host.assets.build import build_assets
from host.assets.compress import (
    LEVELS,
    MIN_SAVING,
    candidates,
    compress_files,
    compress_one,
    worth_keeping,
)
from host.assets.encodings import BROTLI, GZIP

TEXT = b"<p>Hello, compressible world!</p>\n" * 200
NOISE = os.urandom(20_000)

WORTH = [
    (10_000, 9_500, True),  # exactly 5 % and well over 256 bytes
    (10_000, 9_501, False),  # just under 5 %
    (1_000, 744, True),  # exactly 256 bytes, 25 %
    (1_000, 745, False),  # 255 bytes
    (300, 0, True),
    (256, 0, True),
    (255, 0, False),
    (100_000, 99_000, False),  # 1,000 bytes but only 1 %
    (100, 10, False),
    (0, 0, False),
    (1_000, 1_000, False),
    (1_000, 2_000, False),
]


@pytest.mark.parametrize(("original", "compressed", "keep"), WORTH)
def test_worth_keeping(original: int, compressed: int, keep: bool) -> None:
    assert worth_keeping(original, compressed) is keep


def test_compressible_text_gets_both_variants() -> None:
    variants = compress_one(TEXT)
    assert set(variants) == {BROTLI, GZIP}
    assert brotli.decompress(variants[BROTLI]) == TEXT
    assert gzip.decompress(variants[GZIP]) == TEXT


def test_random_bytes_get_no_variant() -> None:
    assert compress_one(NOISE) == {}


def test_gzip_header_is_deterministic() -> None:
    data = compress_one(TEXT)[GZIP]
    assert data[:2] == b"\x1f\x8b"
    flags, mtime = data[3], data[4:8]
    assert flags & 0x08 == 0  # no file name
    assert mtime == b"\x00\x00\x00\x00"


def test_same_input_same_output() -> None:
    assert compress_one(TEXT) == compress_one(bytes(TEXT))


CANDIDATES = [
    ("/a.js", True),
    ("/a.mjs", True),
    ("/a.css", True),
    ("/a.html", True),
    ("/a.HTML", True),
    ("/a.json", True),
    ("/a.map", True),
    ("/a.svg", True),
    ("/a.txt", True),
    ("/a.xml", True),
    ("/a.wasm", True),
    ("/a.ico", True),
    ("/a.ttf", True),
    ("/a.csv", True),
    ("/a.md", True),
    ("/a.png", False),
    ("/a.jpg", False),
    ("/a.woff2", False),
    ("/a.woff", False),
    ("/a.zip", False),
    ("/a.mp4", False),
    ("/a.pdf", False),
    ("/LICENSE", False),
    ("/a.bin", False),
]


@pytest.mark.parametrize(("path", "tried"), CANDIDATES)
def test_only_compressible_types_are_tried(path: str, tried: bool) -> None:
    assert (path in candidates({path: TEXT})) is tried
    assert (path in compress_files({path: TEXT})) is tried


def test_small_files_are_not_tried() -> None:
    assert candidates({"/a.js": b"x" * MIN_SAVING}) == []
    assert candidates({"/a.js": b"x" * (MIN_SAVING + 1)}) == ["/a.js"]


def test_candidates_by_name() -> None:
    files = {"/c.js": TEXT, "/b.js": TEXT[:500], "/a.js": TEXT, "/d.js": TEXT[:400]}
    assert candidates(files) == ["/a.js", "/b.js", "/c.js", "/d.js"]


def test_identical_contents_share_their_variants() -> None:
    result = compress_files({"/a.js": TEXT, "/b/c.js": TEXT, "/x.png": TEXT})
    assert set(result) == {"/a.js", "/b/c.js"}
    assert result["/a.js"] == result["/b/c.js"]


_LETTERS = bytes.maketrans(bytes(range(256)), b"abcdefghijklmno " * 16)


def _prose(size: int, seed: int) -> bytes:
    """`size` bytes of random letters and spaces: compressible, different for each seed."""
    return random.Random(seed).randbytes(size).translate(_LETTERS)


APP = _prose(200_000, 0)
COMPANIONS: dict[str, Callable[[], dict[str, bytes]]] = {
    "alone": dict,
    # 9 MiB of distinct smaller text files: more than any shared budget of 8 MiB
    "many smaller files": lambda: {f"/s{i}.txt": _prose(150_000, i + 1) for i in range(64)},
    "larger files": lambda: {f"/big{i}.js": _prose(400_000, 100 + i) for i in range(3)},
    "the same bytes elsewhere": lambda: {"/copy.js": APP, "/z/copy.css": APP},
    "uncompressible files": lambda: {f"/n{i}.txt": os.urandom(50_000) for i in range(4)},
}


@pytest.mark.parametrize("companions", COMPANIONS.values(), ids=list(COMPANIONS))
def test_variants_depend_only_on_the_file(companions: Callable[[], dict[str, bytes]]) -> None:
    alone = build_assets({"/app.js": APP}).manifest.files["/app.js"]
    together = build_assets({"/app.js": APP, **companions()})
    entry = together.manifest.files["/app.js"]
    assert {rep.encoding for rep in alone.variants} == {BROTLI, GZIP}
    assert entry.variants == alone.variants
    assert {e: together.variants[e]["/app.js"] for e in (BROTLI, GZIP)} == compress_one(APP)


def test_compression_levels_are_fixed() -> None:
    assert (LEVELS.brotli, LEVELS.gzip) == (5, 6)
    assert compress_one(TEXT)[BROTLI] == brotli.compress(TEXT, quality=5)
    data = compress_one(TEXT)[GZIP]
    assert data == gzip.compress(TEXT, compresslevel=6, mtime=0)
    assert zlib.decompress(data, 16 + zlib.MAX_WBITS) == TEXT


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=4000), st.sampled_from(["/a.js", "/b.css", "/c.png"]))
def test_variants_decompress_to_the_file_and_are_smaller(data: bytes, path: str) -> None:
    for encoding, blob in compress_files({path: data}).get(path, {}).items():
        decoded = brotli.decompress(blob) if encoding == BROTLI else gzip.decompress(blob)
        assert decoded == data
        assert worth_keeping(len(data), len(blob))
