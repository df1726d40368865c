"""The asset binding: `assets.fetch` for one project, answered from its manifest and files."""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlsplit

from host.assets.encodings import IDENTITY
from host.assets.file_cache import FileCache
from host.assets.handler import AssetResponse, handle_asset_request
from host.assets.manifest import AssetEntry, Manifest
from host.assets.options import AssetOptions
from host.assets.passthrough import Variant
from host.assets.ranges import ByteRange
from host.errors import WasmhostError
from host.runtime.bodies import BodyTable
from host.runtime.values import WitRequest, WitResponse, body_from_wit
from host.storage import keys
from host.storage.store import Store

_Found = TypeVar("_Found")
_VARIANT_FIELDS = ("content-encoding", "etag", "content-length")


class MissingAssetBytes(WasmhostError):
    """The manifest names a file whose bytes are not in storage."""


@dataclass(frozen=True)
class StoredAsset:
    """Bytes of one stored file: a whole representation, or a range of its identity bytes."""

    store: Store
    key: str
    label: str
    start: int
    size: int
    whole: bool
    files: FileCache | None = None  # small files kept in memory

    def read(self) -> bytes:
        """All the bytes at once."""
        if self.whole and self.files is not None and self.files.keeps(self.size):
            return self._found(self.files.get(self.store, self.key, self.size))
        if self.whole:
            return self._found(self.store.get(self.key))
        return self._found(self.store.get_slice(self.key, self.start, self.size))

    def read_range(self, offset: int, length: int) -> bytes:
        """`length` bytes from `offset` (fewer at the end), reading only those."""
        length = max(0, min(length, self.size - offset))
        return self._found(self.store.get_slice(self.key, self.start + offset, length))

    def chunks(self) -> Generator[bytes, None, None]:
        """The bytes in chunks; the row is found now, its bytes read as the chunks are taken
        (a small whole file: at once, from memory when it was read before)."""
        if self.whole and self.files is not None and self.files.keeps(self.size):
            return _one_chunk(self.read())
        return self._found(self.store.chunks(self.key, self.start, self.size))

    def _found(self, value: _Found | None) -> _Found:
        """The value read, or the error for bytes missing from storage."""
        if value is None:
            raise MissingAssetBytes(f"{self.label}: no stored bytes ({self.key})")
        return value


class AssetBinding:
    """Serves one project's files; keys are built only from that project's manifest entries."""

    def __init__(
        self,
        project_id: str,
        manifest: Manifest | None,
        options: AssetOptions,
        store: Store,
        bodies: BodyTable,
        files: FileCache | None = None,
    ) -> None:
        self._project_id = project_id
        self._files = files
        self._manifest = manifest
        self._options = options
        self._store = store
        self._bodies = bodies

    def fetch(self, request: WitRequest) -> WitResponse:
        """Answer a request; a file body becomes a lazy host handle, never guest bytes.

        When the handler picks a compressed variant, the guest still gets the plain file (so
        reading it gives the real bytes) under the identity headers the handler decided in the
        same pass, with the variant attached for an untouched pass-through (`passthrough`).
        """
        answer = self._answer(request)
        if answer.file is None or self._manifest is None:
            return WitResponse(
                answer.status, list(answer.headers), body_from_wit(answer.body or None)
            )
        entry = self._manifest.files[answer.file]
        if answer.identity_headers is None:
            stored = self._stored(entry, answer.file, answer.encoding, answer.byte_range)
            handle = self._bodies.add_stored(stored)
            return WitResponse(answer.status, list(answer.headers), handle)
        plain = self._stored(entry, answer.file)
        handle = self._bodies.add_stored(plain, self._variant(entry, answer))
        return WitResponse(answer.status, list(answer.identity_headers), handle)

    def _answer(self, request: WitRequest) -> AssetResponse:
        """The handler's answer to a guest's request."""
        path, query, host = _split_url(request.url)
        headers = _header_map(request.headers)
        return handle_asset_request(
            self._manifest, request.method, path, query, headers, self._options, host
        )

    def _variant(self, entry: AssetEntry, encoded: AssetResponse) -> Variant:
        """The compressed answer's headers and bytes, to send on an untouched pass-through."""
        sent = dict(encoded.headers)
        headers = tuple((name, sent[name]) for name in _VARIANT_FIELDS)
        plain_etag = dict(encoded.identity_headers or ())["etag"]
        stored = self._stored(entry, encoded.file or "", encoded.encoding)
        return Variant(plain_etag, headers, stored)

    def _stored(
        self,
        entry: AssetEntry,
        pathname: str,
        encoding: str = IDENTITY,
        byte_range: ByteRange | None = None,
    ) -> StoredAsset:
        """The stored bytes of a file's representation, or of a range of its identity bytes."""
        key = keys.file_key(self._project_id, entry.representation(encoding).etag)
        label = f"{self._project_id}: {pathname}"
        if byte_range is None:
            size = entry.representation(encoding).size
            return StoredAsset(self._store, key, label, 0, size, True, self._files)
        start, length = byte_range.start, byte_range.length
        return StoredAsset(self._store, key, label, start, length, whole=False)


def _one_chunk(data: bytes) -> Generator[bytes, None, None]:
    """The bytes as one chunk (none if empty)."""
    if data:
        yield data


def _split_url(url: str) -> tuple[str, str, str]:
    """Raw path, query and host name of a URL; one too broken to split gets an unservable path."""
    try:
        parts = urlsplit(url)
        return parts.path, parts.query, parts.hostname or ""
    except ValueError:
        return "*", "", ""


def _header_map(headers: list[tuple[str, str]]) -> dict[str, str]:
    """Lower-case names to values, repeated fields joined with commas."""
    merged: dict[str, str] = {}
    for name, value in headers:
        name = name.lower()
        merged[name] = f"{merged[name]}, {value}" if name in merged else value
    return merged
