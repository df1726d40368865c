"""What the bench deploys: the example sites plus a 1 MiB file, 1,000 small files, fresh workers."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from .scenarios import BIG_ASSET, BIG_ASSET_BYTES

SMALL_FILES = 1000
CUSTOM_SECTION_ID = 0


def example_site(public: Path, out: Path) -> Path:
    """A copy of an example's public folder with a 1 MiB file of random bytes added."""
    shutil.copytree(public, out)
    (out / BIG_ASSET).write_bytes(os.urandom(BIG_ASSET_BYTES))
    return out


def small_files(out: Path) -> Path:
    """A folder of 1,000 small, distinct text and HTML files in ten subfolders."""
    for number in range(SMALL_FILES):
        folder = out / f"section-{number % 10}"
        folder.mkdir(parents=True, exist_ok=True)
        suffix = ".html" if number % 2 else ".txt"
        line = f"file {number}: the quick brown fox jumps over the lazy dog\n"
        (folder / f"page-{number:04d}{suffix}").write_text(line * (1 + number % 40))
    return out


def unseen_worker(worker: Path, tag: str, out: Path) -> Path:
    """The same component with a custom section naming `tag`: bytes the host never compiled."""
    name, payload = b"wasmhost-bench", tag.encode()
    content = _leb128(len(name)) + name + payload
    section = bytes([CUSTOM_SECTION_ID]) + _leb128(len(content)) + content
    out.write_bytes(worker.read_bytes() + section)
    return out


def _leb128(number: int) -> bytes:
    """`number` as an unsigned LEB128 integer (how wasm writes sizes)."""
    encoded = bytearray()
    while True:
        byte, number = number & 0x7F, number >> 7
        encoded.append(byte | (0x80 if number else 0))
        if not number:
            return bytes(encoded)
