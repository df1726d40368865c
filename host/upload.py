"""Deploy uploads: a bundle packed as a tar (gzipped or not), read from a file, never extracted.

The upload comes as a binary file (the deploy API spools it to a temporary one with
`spooled_upload`), so it is never whole in memory. Gzip is inflated into another temporary
file with a hard cap on the output (and its checksum verified); tar headers are scanned before
`tarfile` parses them, so oversized extended headers, special files, duplicate names and
anything but `worker.wasm`, `assets/`, `reuse.json` and `env.json` are refused with a clear
message.
"""

from __future__ import annotations

import contextlib
import io
import json
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from functools import partial
from typing import IO, Protocol

from host.bundle import ASSETS_DIR, WORKER_MEMBER, Bundle, BundleLimits, Reuse
from host.env_vars import check_kv_namespaces, check_vars
from host.errors import DeployError, RequestTooLarge
from host.outbound import check_hosts

BLOCK = 512
REUSE_MEMBER = "reuse.json"  # names parts of the bundle the project stores already
MAX_REUSE_BYTES = 4 * 1024 * 1024
# The guest's env: {"vars": {"NAME": "text", …}, "kv_namespaces": {"BINDING": "namespace", …},
# "outbound_hosts": ["api.example.com", …]}, each part optional (absent: keep the active one's).
ENV_MEMBER = "env.json"
MAX_ENV_BYTES = 1024 * 1024
MAX_EXTENDED_HEADER = 64 * 1024
EXTENDED_TYPES = frozenset(b"xgLK")
GZIP_MAGIC = b"\x1f\x8b"
SPOOL_IN_MEMORY_BYTES = 1024 * 1024  # a temporary file stays in memory up to this, then on disk
READ_BYTES = 1024 * 1024  # how much compressed input is inflated at a time


class Readable(Protocol):
    """Anything with `read(size)`: a file, a WSGI input stream."""

    def read(self, size: int = -1, /) -> bytes:
        """Up to `size` bytes; b"" at the end."""
        ...


def pack(bundle: Bundle, reuse: Reuse | None = None) -> bytes:
    """A gzipped tar of the bundle for the deploy API, without the parts `reuse` names."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        if reuse is not None:
            _add_member(tar, REUSE_MEMBER, reuse.to_json())
        env = {
            "vars": bundle.vars,
            "kv_namespaces": bundle.kv_namespaces,
            "outbound_hosts": bundle.outbound_hosts,
        }
        given = {name: value for name, value in env.items() if value is not None}
        if given:
            _add_member(tar, ENV_MEMBER, json.dumps(given, sort_keys=True).encode())
        if reuse is None or reuse.worker_sha256 is None:
            _add_member(tar, WORKER_MEMBER, bundle.worker)
        if bundle.has_assets:
            _add_dir(tar, ASSETS_DIR)
        for pathname, data in bundle.files.items():
            if reuse is None or pathname not in reuse.files:
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


def unpack(upload: IO[bytes], limits: BundleLimits) -> Bundle:
    """Read a bundle tar (optionally gzipped) from a binary file, extracting nothing to disk."""
    cap = limits.max_total_bytes + limits.max_worker_bytes + 1024 * 1024
    upload.seek(0)
    with _inflated(upload, cap) as plain:
        _scan_headers(plain)
        plain.seek(0)
        try:
            with tarfile.open(fileobj=plain, mode="r:") as tar:
                return _read_members(tar, plain, limits)
        except (tarfile.TarError, EOFError, OSError, OverflowError, UnicodeDecodeError) as error:
            raise DeployError(f"the upload is not a readable tar archive: {error}") from None


@contextlib.contextmanager
def _inflated(upload: IO[bytes], cap: int) -> Iterator[IO[bytes]]:
    """The tar inside `upload`: itself, or gunzipped into a temporary file of at most `cap`."""
    gzipped = upload.read(len(GZIP_MAGIC)) == GZIP_MAGIC
    upload.seek(0)
    if not gzipped:
        yield upload
        return
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES) as plain:
        _inflate(upload, plain, cap)
        yield plain


def _inflate(upload: IO[bytes], out: IO[bytes], cap: int) -> None:
    """Gunzip `upload` into `out`, at most `cap` bytes, checking it is whole and intact.

    Each step inflates at most `READ_BYTES`, so a bomb never makes more than that in memory.
    """
    inflater = zlib.decompressobj(wbits=31)
    written = 0
    while not inflater.eof:
        data = inflater.unconsumed_tail or upload.read(READ_BYTES)
        try:
            plain = inflater.decompress(data, min(READ_BYTES, cap + 1 - written))
        except zlib.error as error:
            raise DeployError(f"the upload is not valid gzip: {error}") from None
        if not data and not plain:
            break  # the input ended before the stream did
        written += len(plain)
        if written > cap:
            raise DeployError(f"the upload inflates to more than {cap} bytes")
        out.write(plain)
    if not inflater.eof or inflater.unused_data or upload.read(1):
        raise DeployError("the upload's gzip stream is truncated or followed by extra data")


def _scan_headers(plain: IO[bytes]) -> None:
    """Walk the tar headers; refuse extended headers large enough to be a memory bomb."""
    end = plain.seek(0, io.SEEK_END)
    offset = 0
    while offset + BLOCK <= end:
        plain.seek(offset)
        header = plain.read(BLOCK)
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


def _read_members(tar: tarfile.TarFile, plain: IO[bytes], limits: BundleLimits) -> Bundle:
    """Walk the archive's members, checking each before reading it."""
    worker: bytes | None = None
    bundle = Bundle(worker=b"")
    seen_env = False
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
            worker = _member_bytes(tar, plain, member)
        elif name == REUSE_MEMBER:
            if bundle.reuse is not None or member.size > MAX_REUSE_BYTES:
                raise DeployError(f"the archive has more than one {REUSE_MEMBER}, or a huge one")
            bundle.reuse = Reuse.from_json(_member_bytes(tar, plain, member))
        elif name == ENV_MEMBER:
            if seen_env or member.size > MAX_ENV_BYTES:
                raise DeployError(f"the archive has more than one {ENV_MEMBER}, or a huge one")
            seen_env = True
            _read_env(bundle, _member_bytes(tar, plain, member))
        elif name.startswith(ASSETS_DIR + "/"):
            relative = name[len(ASSETS_DIR) + 1 :]
            bundle.add_file(
                relative, member.size, partial(_member_bytes, tar, plain, member), limits
            )
        else:
            raise DeployError(
                f"unexpected archive member {member.name!r}:"
                f" expected {WORKER_MEMBER}, {ASSETS_DIR}/…, {REUSE_MEMBER} and {ENV_MEMBER}"
            )
    reused_worker = bundle.reuse is not None and bundle.reuse.worker_sha256 is not None
    if worker is None and not reused_worker:
        raise DeployError(f"the archive has no {WORKER_MEMBER}")
    if worker is not None and reused_worker:
        raise DeployError(f"the archive has a {WORKER_MEMBER} and reuses one")
    bundle.worker = worker or b""
    return bundle


def _read_env(bundle: Bundle, raw: bytes) -> None:
    """The variables and KV namespaces `env.json` gives, checked, into the bundle."""
    try:
        env = json.loads(raw)
    except ValueError:
        raise DeployError(f"{ENV_MEMBER} is not JSON") from None
    if not isinstance(env, dict) or set(env) - {"vars", "kv_namespaces", "outbound_hosts"}:
        raise DeployError(
            f'{ENV_MEMBER} must be {{"vars": {{…}}, "kv_namespaces": {{…}}, "outbound_hosts": […]}}'
        )
    if "vars" in env:
        bundle.vars = check_vars(env["vars"])
    if "kv_namespaces" in env:
        bundle.kv_namespaces = check_kv_namespaces(env["kv_namespaces"])
    if "outbound_hosts" in env:
        bundle.outbound_hosts = check_hosts(env["outbound_hosts"])


def _member_bytes(tar: tarfile.TarFile, plain: IO[bytes], member: tarfile.TarInfo) -> bytes:
    """A regular member's bytes, exactly `member.size` of them, read once from `plain`."""
    if member.issparse():
        stream = tar.extractfile(member)
        assert stream is not None
        data = stream.read(member.size + 1)
    elif member.offset_data + member.size > plain.seek(0, io.SEEK_END):
        data = b""  # the archive ends before the member does
    else:
        plain.seek(member.offset_data)
        data = plain.read(member.size)
    if len(data) != member.size:
        raise DeployError(f"archive member {member.name!r} is truncated")
    return data


@contextlib.contextmanager
def spooled_upload(body: Readable, content_length: int | None, limit: int) -> Iterator[IO[bytes]]:
    """An upload's body in a temporary file (on disk past a little), at most `limit` bytes."""
    too_large = f"upload larger than {limit} bytes (max_upload_mb)"
    if content_length is not None and content_length > limit:
        raise RequestTooLarge(too_large)
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES) as spool:
        size = 0
        while chunk := body.read(min(READ_BYTES, limit + 1 - size)):
            size += len(chunk)
            if size > limit:
                raise RequestTooLarge(too_large)
            spool.write(chunk)
        spool.seek(0)
        yield spool
