"""Deploy uploads: a bundle packed as a tar (gzipped or not), read without touching disk.

Nothing is extracted. Gzip is inflated with a hard cap on the output (and its checksum
verified); tar headers are scanned before `tarfile` parses them, so oversized extended
headers, special files, duplicate names and anything outside `worker.wasm` and `assets/`
are refused with a clear message.
"""

from __future__ import annotations

import io
import tarfile
import zlib
from functools import partial

from host.bundle import ASSETS_DIR, WORKER_MEMBER, Bundle, BundleLimits
from host.errors import DeployError

BLOCK = 512
MAX_EXTENDED_HEADER = 64 * 1024
EXTENDED_TYPES = frozenset(b"xgLK")
GZIP_MAGIC = b"\x1f\x8b"


def pack(bundle: Bundle) -> bytes:
    """A gzipped tar of the bundle, for the deploy API."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        _add_member(tar, WORKER_MEMBER, bundle.worker)
        if bundle.has_assets:
            _add_dir(tar, ASSETS_DIR)
        for pathname, data in bundle.files.items():
            _add_member(tar, ASSETS_DIR + pathname, data)
    return out.getvalue()


def _add_member(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    """Add one regular file with fixed metadata."""
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))


def _add_dir(tar: tarfile.TarFile, name: str) -> None:
    """Add a directory entry (so an empty assets folder still means 'has assets')."""
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE
    info.mode = 0o755
    tar.addfile(info)


def unpack(data: bytes, limits: BundleLimits) -> Bundle:
    """Read a bundle tar (optionally gzipped) without extracting anything to disk."""
    plain = _inflate(data, limits.max_total_bytes + limits.max_worker_bytes + 1024 * 1024)
    _scan_headers(plain)
    try:
        with tarfile.open(fileobj=io.BytesIO(plain), mode="r:") as tar:
            return _read_members(tar, limits)
    except (tarfile.TarError, EOFError, OSError, UnicodeDecodeError) as error:
        raise DeployError(f"the upload is not a readable tar archive: {error}") from None


def _inflate(data: bytes, cap: int) -> bytes:
    """Gunzip `data` (if gzipped) to at most `cap` bytes, checking it is whole and intact."""
    if not data.startswith(GZIP_MAGIC):
        return data
    inflater = zlib.decompressobj(wbits=31)
    try:
        plain = inflater.decompress(data, cap + 1)
    except zlib.error as error:
        raise DeployError(f"the upload is not valid gzip: {error}") from None
    if len(plain) > cap:
        raise DeployError(f"the upload inflates to more than {cap} bytes")
    if not inflater.eof or inflater.unused_data:
        raise DeployError("the upload's gzip stream is truncated or followed by extra data")
    return plain


def _scan_headers(plain: bytes) -> None:
    """Walk the tar headers; refuse extended headers large enough to be a memory bomb."""
    offset = 0
    while offset + BLOCK <= len(plain):
        header = plain[offset : offset + BLOCK]
        if header == bytes(BLOCK):
            return
        size = _header_size(header)
        if header[156] in EXTENDED_TYPES and size > MAX_EXTENDED_HEADER:
            raise DeployError("the archive has an oversized extended header")
        offset += BLOCK + -(-size // BLOCK) * BLOCK


def _header_size(header: bytes) -> int:
    """The size field of a tar header (octal, or base-256 for large files)."""
    field = header[124:136]
    if field[0] & 0x80:
        return int.from_bytes(field[1:], "big")
    try:
        return int(field.rstrip(b"\0 ").lstrip(b" ") or b"0", 8)
    except ValueError:
        raise DeployError("the upload is not a readable tar archive: corrupt header") from None


def _read_members(tar: tarfile.TarFile, limits: BundleLimits) -> Bundle:
    """Walk the archive's members, checking each before reading it."""
    worker: bytes | None = None
    bundle = Bundle(worker=b"")
    for count, member in enumerate(tar):
        if count > 2 * limits.max_files + 16:
            raise DeployError("the archive has far more entries than files allowed")
        name = member.name.removeprefix("./").rstrip("/")
        if member.isdir():
            bundle.has_assets = bundle.has_assets or name == ASSETS_DIR
            continue
        if not member.isfile():
            raise DeployError(f"archive member {member.name!r} is not a regular file")
        if name == WORKER_MEMBER:
            if worker is not None:
                raise DeployError(f"the archive has more than one {WORKER_MEMBER}")
            if member.size > limits.max_worker_bytes:
                raise DeployError(f"worker is larger than {limits.max_worker_bytes} bytes")
            worker = _member_bytes(tar, member)
        elif name.startswith(ASSETS_DIR + "/"):
            relative = name[len(ASSETS_DIR) + 1 :]
            bundle.add_file(relative, member.size, partial(_member_bytes, tar, member), limits)
        else:
            raise DeployError(
                f"unexpected archive member {member.name!r}:"
                f" expected {WORKER_MEMBER} and {ASSETS_DIR}/…"
            )
    if worker is None:
        raise DeployError(f"the archive has no {WORKER_MEMBER}")
    bundle.worker = worker
    return bundle


def _member_bytes(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    """A regular member's bytes, exactly `member.size` of them."""
    stream = tar.extractfile(member)
    assert stream is not None
    data = stream.read(member.size + 1)
    if len(data) != member.size:
        raise DeployError(f"archive member {member.name!r} is truncated")
    return data
