"""Bundles from folders and tar uploads: hostile paths, special files, limits."""

import io
import tarfile
from pathlib import Path

import pytest

from host.bundle import Bundle, BundleLimits, pathname_for, read_folder
from host.errors import DeployError
from host.upload import pack, unpack

LIMITS = BundleLimits(max_file_bytes=1000, max_files=3, max_total_bytes=2500)


def unpacked(data: bytes, limits: BundleLimits) -> Bundle:
    """Unpack an upload given as bytes (the API hands `unpack` a file)."""
    return unpack(io.BytesIO(data), limits)


def tar_of(*members: tuple[str, bytes | None, bytes]) -> bytes:
    """A tar with (name, data or None for a directory, type flag) members."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for name, data, kind in members:
            info = tarfile.TarInfo(name)
            info.type = kind
            if kind == tarfile.SYMTYPE:
                info.linkname = "/etc/passwd"
            info.size = len(data or b"")
            tar.addfile(info, io.BytesIO(data or b""))
    return out.getvalue()


def test_folder_round_trips_through_tar(tmp_path: Path) -> None:
    (tmp_path / "public" / "sub dir").mkdir(parents=True)
    (tmp_path / "public" / "index.html").write_text("<h1>hi</h1>")
    (tmp_path / "public" / "sub dir" / "日本語.txt").write_text("こんにちは")
    (tmp_path / "w.wasm").write_bytes(b"\0asm")
    bundle = read_folder(tmp_path / "w.wasm", tmp_path / "public", BundleLimits())
    assert set(bundle.files) == {"/index.html", "/sub dir/日本語.txt"}
    again = unpacked(pack(bundle), BundleLimits())
    assert again == bundle


def test_empty_assets_folder_still_means_assets(tmp_path: Path) -> None:
    (tmp_path / "public").mkdir()
    (tmp_path / "w.wasm").write_bytes(b"\0asm")
    bundle = read_folder(tmp_path / "w.wasm", tmp_path / "public", BundleLimits())
    assert bundle.has_assets and not bundle.files
    assert unpacked(pack(bundle), BundleLimits()).has_assets
    assert not unpacked(pack(Bundle(b"\0asm")), BundleLimits()).has_assets


@pytest.mark.parametrize(
    "name",
    ["assets/../../etc/passwd", "assets/a/../../x", "assets//x", "assets/./x", "assets/a/.."],
)
def test_hostile_member_names_are_refused(name: str) -> None:
    data = tar_of(("worker.wasm", b"w", tarfile.REGTYPE), (name, b"x", tarfile.REGTYPE))
    with pytest.raises(DeployError):
        unpacked(data, LIMITS)


@pytest.mark.parametrize(
    "kind", [tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.CHRTYPE, tarfile.FIFOTYPE]
)
def test_special_members_are_refused(kind: bytes) -> None:
    data = tar_of(("worker.wasm", b"w", tarfile.REGTYPE), ("assets/link", None, kind))
    with pytest.raises(DeployError, match="not a regular file"):
        unpacked(data, LIMITS)


def test_unexpected_and_missing_members() -> None:
    with pytest.raises(DeployError, match="unexpected archive member"):
        unpacked(
            tar_of(("worker.wasm", b"w", tarfile.REGTYPE), ("/etc/x", b"", tarfile.REGTYPE)), LIMITS
        )
    with pytest.raises(DeployError, match=r"no worker\.wasm"):
        unpacked(tar_of(("assets/a", b"a", tarfile.REGTYPE)), LIMITS)
    with pytest.raises(DeployError, match="not a readable tar"):
        unpacked(b"not a tar at all" * 100, LIMITS)


def test_limits_are_checked_before_reading() -> None:
    worker = ("worker.wasm", b"w", tarfile.REGTYPE)
    with pytest.raises(DeployError, match="max_file_mb"):
        unpacked(tar_of(worker, ("assets/big", b"x" * 1001, tarfile.REGTYPE)), LIMITS)
    many = [(f"assets/{i}", b"x", tarfile.REGTYPE) for i in range(4)]
    with pytest.raises(DeployError, match="max_files"):
        unpacked(tar_of(worker, *many), LIMITS)
    heavy = [(f"assets/{i}", b"x" * 900, tarfile.REGTYPE) for i in range(3)]
    with pytest.raises(DeployError, match="add up to more"):
        unpacked(tar_of(worker, *heavy), LIMITS)


def test_flood_of_directory_entries_is_refused() -> None:
    dirs = [(f"d{i}", None, tarfile.DIRTYPE) for i in range(30)]
    with pytest.raises(DeployError, match="far more entries"):
        unpacked(tar_of(("worker.wasm", b"w", tarfile.REGTYPE), *dirs), LIMITS)


def test_symlinks_in_a_folder_are_refused(tmp_path: Path) -> None:
    (tmp_path / "public").mkdir()
    (tmp_path / "public" / "passwd").symlink_to("/etc/passwd")
    (tmp_path / "w.wasm").write_bytes(b"\0asm")
    with pytest.raises(DeployError, match="symbolic link"):
        read_folder(tmp_path / "w.wasm", tmp_path / "public", LIMITS)


def test_missing_inputs_say_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(DeployError, match="scripts/build-guest"):
        read_folder(tmp_path / "nope.wasm", None, LIMITS)
    (tmp_path / "w.wasm").write_bytes(b"\0asm")
    with pytest.raises(DeployError, match="does not exist"):
        read_folder(tmp_path / "w.wasm", tmp_path / "nope", LIMITS)


@pytest.mark.parametrize("relative", ["a\udcffb", "", "a/", "../x"])
def test_pathname_for_refuses_bad_names(relative: str) -> None:
    with pytest.raises(DeployError):
        pathname_for(relative)


def gzip_of(data: bytes) -> bytes:
    """Gzip bytes the way a client would."""
    import gzip

    return gzip.compress(data, mtime=0)


def test_gzip_upload_round_trips() -> None:
    data = tar_of(("worker.wasm", b"w", tarfile.REGTYPE), ("assets/a.txt", b"a", tarfile.REGTYPE))
    assert unpacked(gzip_of(data), LIMITS).files == {"/a.txt": b"a"}


def test_gzip_bomb_is_refused_while_inflating() -> None:
    limits = BundleLimits(max_total_bytes=1000, max_worker_bytes=1000)
    bomb = gzip_of(bytes(50 * 1024 * 1024))
    assert len(bomb) < 100_000
    with pytest.raises(DeployError, match="inflates to more than"):
        unpacked(bomb, limits)


@pytest.mark.parametrize("cut", [lambda g: g[:-4], lambda g: g[:20], lambda g: g + b"junk"])
def test_truncated_or_padded_gzip_is_refused(cut: object) -> None:
    data = gzip_of(tar_of(("worker.wasm", b"w" * 5000, tarfile.REGTYPE)))
    with pytest.raises(DeployError):
        unpacked(cut(data), BundleLimits())  # type: ignore[operator]


def test_corrupted_gzip_is_refused_not_deployed() -> None:
    data = bytearray(gzip_of(tar_of(("worker.wasm", b"w" * 5000, tarfile.REGTYPE))))
    refused = 0
    for position in range(10, len(data) - 8, max(1, len(data) // 40)):
        broken = bytearray(data)
        broken[position] ^= 0x55
        try:
            bundle = unpacked(bytes(broken), BundleLimits())
        except DeployError:
            refused += 1
        else:
            assert bundle.worker == b"w" * 5000
    assert refused > 0


def test_oversized_pax_header_is_refused_before_parsing() -> None:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo("worker.wasm")
        info.pax_headers = {"comment": "x" * 200_000}
        info.size = 1
        tar.addfile(info, io.BytesIO(b"w"))
    with pytest.raises(DeployError, match="oversized extended header"):
        unpacked(out.getvalue(), BundleLimits())


def test_duplicate_members_are_refused() -> None:
    worker = ("worker.wasm", b"w", tarfile.REGTYPE)
    with pytest.raises(DeployError, match="more than one worker"):
        unpacked(tar_of(worker, worker), LIMITS)
    asset = ("assets/a", b"a", tarfile.REGTYPE)
    with pytest.raises(DeployError, match="appears twice"):
        unpacked(tar_of(worker, asset, asset), LIMITS)
