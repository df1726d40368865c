"""Deploy bundles: a project's worker and its asset files, with the checks every way in shares.

A bundle comes from a folder (here) or an upload (`host.upload`); both add files through
`Bundle.add_file`, so a hostile archive can do no more than a folder: safe relative paths,
per-file, per-deployment and total limits, all checked before a file's bytes are read.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from host.errors import DeployError

WORKER_MEMBER = "worker.wasm"
ASSETS_DIR = "assets"
SHA256_HEX = re.compile(r"[0-9a-f]{64}")


@dataclass
class Reuse:
    """Parts of a bundle not sent because the project already stores them, by SHA-256."""

    worker_sha256: str | None = None
    files: dict[str, str] = field(default_factory=dict)  # pathname → sha256 hex

    def to_json(self) -> bytes:
        """The form sent beside the uploaded files."""
        document = {"worker": self.worker_sha256, "files": self.files}
        return json.dumps(document, sort_keys=True).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> Reuse:
        """Parse and check what a client sent; DeployError if malformed."""
        try:
            document = json.loads(raw)
            worker, files = document["worker"], document["files"]
        except (ValueError, KeyError, TypeError):
            raise DeployError('reuse.json is not {"worker": …, "files": {…}}') from None
        if worker is not None and not _is_sha256(worker):
            raise DeployError("reuse.json: worker is not a SHA-256 in hex")
        if not isinstance(files, dict):
            raise DeployError("reuse.json: files is not an object")
        checked = {}
        for relative, sha256 in files.items():
            if not _is_sha256(sha256):
                raise DeployError(f"reuse.json: {relative!r} has no SHA-256 in hex")
            checked[pathname_for(str(relative).removeprefix("/"))] = sha256
        return cls(worker, checked)


def _is_sha256(value: object) -> bool:
    """Whether `value` is 64 lower-case hex digits."""
    return isinstance(value, str) and SHA256_HEX.fullmatch(value) is not None


@dataclass(frozen=True)
class BundleLimits:
    """How large a bundle may be."""

    max_file_bytes: int = 25 * 1024 * 1024
    max_files: int = 20_000
    max_worker_bytes: int = 256 * 1024 * 1024
    max_total_bytes: int = 512 * 1024 * 1024


@dataclass
class Bundle:
    """A worker component and its asset files keyed by pathname (`/dir/name.ext`)."""

    worker: bytes
    files: dict[str, bytes] = field(default_factory=dict)
    has_assets: bool = False
    total_bytes: int = 0
    reuse: Reuse | None = None  # parts to take from storage (an upload that skipped them)
    vars: dict[str, str] | None = None  # the guest's env variables (None: keep the active ones)
    kv_namespaces: dict[str, str] | None = None  # KV binding → namespace (None: keep them)
    outbound_hosts: list[str] | None = None  # hosts the guest may fetch from (None: keep them)

    def add_file(
        self, relative: str, size: int, read: Callable[[], bytes], limits: BundleLimits
    ) -> None:
        """Check the limits for one more file of `size` bytes, then read and keep it."""
        pathname = pathname_for(relative)
        if pathname in self.files:
            raise DeployError(f"asset {relative} appears twice")
        if len(self.files) >= limits.max_files:
            raise DeployError(
                f"too many asset files: at most {limits.max_files} per deployment (max_files)"
            )
        if size > limits.max_file_bytes:
            raise DeployError(
                f"asset {relative} is {size} bytes; the limit is {limits.max_file_bytes}"
                " (max_file_mb)"
            )
        if self.total_bytes + size > limits.max_total_bytes:
            raise DeployError(f"the assets add up to more than {limits.max_total_bytes} bytes")
        self.has_assets = True
        self.total_bytes += size
        self.files[pathname] = read()


def read_folder(worker_path: Path, assets_dir: Path | None, limits: BundleLimits) -> Bundle:
    """Read a worker file and an optional assets folder from disk."""
    bundle = Bundle(worker=_read_worker(worker_path, limits))
    if assets_dir is not None:
        if assets_dir.is_file():
            raise DeployError(f"{assets_dir} is a file: give the folder of static files")
        if not assets_dir.is_dir():
            raise DeployError(f"assets folder {assets_dir} does not exist")
        bundle.has_assets = True
        for path in sorted(_walk(assets_dir)):
            relative = path.relative_to(assets_dir).as_posix()
            bundle.add_file(relative, path.stat().st_size, path.read_bytes, limits)
    return bundle


def _read_worker(path: Path, limits: BundleLimits) -> bytes:
    """The worker file's bytes, with a clear error if it is missing or too large."""
    if not path.is_file():
        raise DeployError(f"worker file {path} does not exist (build one with scripts/build-guest)")
    if path.stat().st_size > limits.max_worker_bytes:
        raise DeployError(f"worker file {path} is larger than {limits.max_worker_bytes} bytes")
    return path.read_bytes()


def _walk(root: Path) -> list[Path]:
    """Every regular file under `root`; symbolic links and special files are refused."""
    found: list[Path] = []
    for folder, dirs, names in os.walk(root, followlinks=False):
        for name in dirs + names:
            path = Path(folder) / name
            if path.is_symlink():
                raise DeployError(f"{path} is a symbolic link; copy the file in instead")
            if name in names and not path.is_file():
                raise DeployError(f"{path} is not a regular file")
            if name in names:
                found.append(path)
    return found


def pathname_for(relative: str) -> str:
    """The manifest pathname of a file at `relative` (POSIX) inside the assets folder."""
    parts = relative.split("/")
    if any(p in ("", ".", "..") or "\0" in p for p in parts):
        raise DeployError(f"unsafe asset path {relative!r}")
    try:
        relative.encode("utf-8")
    except UnicodeEncodeError:
        raise DeployError(f"asset path {relative!r} is not valid UTF-8") from None
    return "/" + relative
