"""Uploads are read from files: gzip inflates into a temporary file, never whole in memory."""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import tarfile
import tempfile
import tracemalloc
from collections.abc import Iterator
from typing import IO

import pytest

from host.bundle import Bundle, BundleLimits
from host.config import MIB
from host.errors import DeployError
from host.upload import READ_BYTES, pack, unpack

WORKER = os.urandom(8 * MIB)  # incompressible: the gzip stream is as large as the worker


@contextlib.contextmanager
def on_disk(data: bytes) -> Iterator[IO[bytes]]:
    """A temporary file holding `data`, as the deploy API spools an upload."""
    with tempfile.TemporaryFile() as spool:
        spool.write(data)
        spool.seek(0)
        yield spool


def test_a_gzipped_upload_is_unpacked_from_a_file() -> None:
    bundle = Bundle(WORKER, {"/a.txt": b"a", "/b/c.txt": b"c"}, has_assets=True, total_bytes=2)
    with on_disk(pack(bundle)) as upload:
        assert unpack(upload, BundleLimits()) == bundle


def test_a_plain_tar_is_read_in_place_and_left_open() -> None:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        info = tarfile.TarInfo("worker.wasm")
        info.size = 4
        tar.addfile(info, io.BytesIO(b"\0asm"))
    with on_disk(out.getvalue()) as upload:
        upload.read(100)  # wherever the caller left it, unpack starts at the beginning
        assert unpack(upload, BundleLimits()).worker == b"\0asm"
        assert not upload.closed


def test_unpacking_holds_the_bundle_not_the_upload() -> None:
    with on_disk(pack(Bundle(WORKER))) as upload:
        tracemalloc.start()
        try:
            bundle = unpack(upload, BundleLimits())
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert bundle.worker == WORKER
    # the worker's bytes once, plus a few read buffers: not the upload, not the inflated tar
    assert peak < len(WORKER) + 6 * READ_BYTES, f"peak {peak} bytes"


@pytest.mark.parametrize("extra", [b"x", b"\x1f\x8b" + bytes(20), bytes(READ_BYTES + 7)])
def test_anything_after_the_gzip_stream_is_refused(extra: bytes) -> None:
    refused = pytest.raises(DeployError, match="truncated or followed by extra data")
    with on_disk(pack(Bundle(WORKER)) + extra) as upload, refused:
        unpack(upload, BundleLimits())


@pytest.mark.parametrize("keep", [READ_BYTES, READ_BYTES + 1, 2 * READ_BYTES + 100])
def test_a_gzip_stream_cut_anywhere_is_refused(keep: int) -> None:
    with (
        on_disk(pack(Bundle(WORKER))[:keep]) as upload,
        pytest.raises(DeployError, match="truncated"),
    ):
        unpack(upload, BundleLimits())


def test_a_gzip_bomb_stops_at_the_cap_while_inflating() -> None:
    limits = BundleLimits(max_total_bytes=16 * MIB, max_worker_bytes=16 * MIB)
    bomb = gzip.compress(bytes(64 * MIB), mtime=0)  # inflates past the cap (33 MiB) in one go
    with on_disk(bomb) as upload:
        tracemalloc.start()
        try:
            with pytest.raises(DeployError, match="inflates to more than"):
                unpack(upload, limits)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak < 8 * READ_BYTES, f"peak {peak} bytes"


def header_of(name: str, kind: bytes, size: int) -> bytes:
    """One tar header (GNU format, so a huge size is written in base-256)."""
    info = tarfile.TarInfo(name)
    info.type = kind
    info.size = size
    return info.tobuf(format=tarfile.GNU_FORMAT)


WORKER_MEMBER = header_of("worker.wasm", tarfile.REGTYPE, 4) + b"\0asm".ljust(512, b"\0")


@pytest.mark.parametrize("size", [10_000, 2**80])
def test_a_file_claiming_more_than_the_archive_holds_is_refused(size: int) -> None:
    liar = header_of("assets/x", tarfile.REGTYPE, size) + b"x" * 600
    with on_disk(WORKER_MEMBER + liar) as upload, pytest.raises(DeployError):
        unpack(upload, BundleLimits())


def test_a_directory_with_a_size_is_only_a_directory() -> None:
    folder = header_of("assets", tarfile.DIRTYPE, 2**80) + bytes(1024)
    with on_disk(WORKER_MEMBER + folder) as upload:
        bundle = unpack(upload, BundleLimits())
    assert (bundle.worker, bundle.has_assets, bundle.files) == (b"\0asm", True, {})


def test_a_worker_cut_short_is_truncated() -> None:
    cut = gzip.compress(header_of("worker.wasm", tarfile.REGTYPE, 5000) + b"w" * 600, mtime=0)
    with on_disk(cut) as upload, pytest.raises(DeployError, match="is truncated"):
        unpack(upload, BundleLimits())
