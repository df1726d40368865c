"""Deploy-time compression (spec: Beyond the model, Pre-compressed variants)."""

from __future__ import annotations

import gzip
import os
import zlib

import brotli
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from host.assets import compress
from host.assets.compress import (
    BEST,
    FAST,
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
    variants = compress_one(TEXT, BEST)
    assert set(variants) == {BROTLI, GZIP}
    assert brotli.decompress(variants[BROTLI]) == TEXT
    assert gzip.decompress(variants[GZIP]) == TEXT


def test_random_bytes_get_no_variant() -> None:
    assert compress_one(NOISE, BEST) == {}


def test_gzip_header_is_deterministic() -> None:
    data = compress_one(TEXT, BEST)[GZIP]
    assert data[:2] == b"\x1f\x8b"
    flags, mtime = data[3], data[4:8]
    assert flags & 0x08 == 0  # no file name
    assert mtime == b"\x00\x00\x00\x00"


@pytest.mark.parametrize("levels", [BEST, FAST])
def test_same_input_same_output(levels: compress.Levels) -> None:
    assert compress_one(TEXT, levels) == compress_one(bytes(TEXT), levels)


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


def test_candidates_smallest_first_then_by_name() -> None:
    files = {"/c.js": TEXT, "/b.js": TEXT[:500], "/a.js": TEXT, "/d.js": TEXT[:400]}
    assert candidates(files) == ["/d.js", "/b.js", "/a.js", "/c.js"]


def test_identical_contents_share_their_variants() -> None:
    result = compress_files({"/a.js": TEXT, "/b/c.js": TEXT, "/x.png": TEXT})
    assert set(result) == {"/a.js", "/b/c.js"}
    assert result["/a.js"] == result["/b/c.js"]


def test_budget_uses_fast_levels_past_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compress, "BEST_BUDGET", len(TEXT))
    big = TEXT * 3
    result = compress_files({"/small.js": TEXT, "/big.js": big})
    assert result["/small.js"] == compress_one(TEXT, BEST)
    assert result["/big.js"] == compress_one(big, FAST)


def test_compression_levels_are_fixed() -> None:
    assert (BEST.brotli, BEST.gzip) == (11, 9)
    assert (FAST.brotli, FAST.gzip) == (5, 6)
    assert compress_one(TEXT, FAST)[BROTLI] == brotli.compress(TEXT, quality=5)
    data = compress_one(TEXT, FAST)[GZIP]
    assert zlib.decompress(data, 16 + zlib.MAX_WBITS) == TEXT


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=4000), st.sampled_from(["/a.js", "/b.css", "/c.png"]))
def test_variants_decompress_to_the_file_and_are_smaller(data: bytes, path: str) -> None:
    for encoding, blob in compress_files({path: data}).get(path, {}).items():
        decoded = brotli.decompress(blob) if encoding == BROTLI else gzip.decompress(blob)
        assert decoded == data
        assert worth_keeping(len(data), len(blob))
