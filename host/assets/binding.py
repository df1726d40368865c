"""The asset binding: `assets.fetch` for one project, answered from its manifest and files."""

from __future__ import annotations

from urllib.parse import urlsplit

from host.assets.handler import AssetResponse, handle_asset_request
from host.assets.manifest import AssetEntry, Manifest
from host.assets.options import AssetOptions
from host.errors import WasmhostError
from host.runtime.bodies import Alternative, BodyTable
from host.runtime.values import WitRequest, WitResponse, body_from_wit
from host.storage import keys
from host.storage.kv import SqliteStore


class MissingAssetBytes(WasmhostError):
    """The manifest names a file whose bytes are not in storage."""


class AssetBinding:
    """Serves one project's files; keys are built only from that project's manifest entries."""

    def __init__(
        self,
        project_id: str,
        manifest: Manifest | None,
        options: AssetOptions,
        store: SqliteStore,
        bodies: BodyTable,
    ) -> None:
        self._project_id = project_id
        self._manifest = manifest
        self._options = options
        self._store = store
        self._bodies = bodies

    def fetch(self, request: WitRequest) -> WitResponse:
        """Answer a request; a file body becomes a lazy host handle, never guest bytes.

        When the client accepts a compressed variant, the guest still gets the plain file
        (so reading it gives the real bytes) with the variant registered as an alternative
        that the host sends if the guest passes the body through untouched.
        """
        headers = _header_map(request.headers)
        answer = self._answer(request, headers)
        if answer.file is None or self._manifest is None:
            return WitResponse(
                answer.status, list(answer.headers), body_from_wit(answer.body or None)
            )
        entry = self._manifest.files[answer.file]
        if answer.encoding:
            plain_headers = {k: v for k, v in headers.items() if k != "accept-encoding"}
            plain = self._answer(request, plain_headers)
            if (plain.status, plain.file, plain.byte_range) == (answer.status, answer.file, None):
                handle = self._lazy_body(entry, plain, self._alternative(entry, plain, answer))
                return WitResponse(plain.status, list(plain.headers), handle)
        handle = self._lazy_body(entry, answer)
        return WitResponse(answer.status, list(answer.headers), handle)

    def _answer(self, request: WitRequest, headers: dict[str, str]) -> AssetResponse:
        """The handler's answer to a guest's request."""
        path, query, host = _split_url(request.url)
        return handle_asset_request(
            self._manifest, request.method, path, query, headers, self._options, host
        )

    def _alternative(
        self, entry: AssetEntry, plain: AssetResponse, encoded: AssetResponse
    ) -> Alternative:
        """The compressed answer's body and headers, to swap in on an untouched pass-through."""
        sent = dict(encoded.headers)
        headers = tuple(
            (name, sent[name]) for name in ("content-encoding", "etag", "content-length")
        )
        size = entry.representation(encoded.encoding).size
        key = keys.encoded_key(self._project_id, encoded.encoding, encoded.file or "")
        return Alternative(
            dict(plain.headers)["etag"], headers, lambda: self._read(key, encoded.file or ""), size
        )

    def _lazy_body(
        self, entry: AssetEntry, answer: AssetResponse, alternative: Alternative | None = None
    ) -> int:
        """A body handle whose bytes (the chosen representation or range) are read on demand."""
        pathname, encoding, byte_range = answer.file or "", answer.encoding, answer.byte_range
        if encoding:
            key = keys.encoded_key(self._project_id, encoding, pathname)
        else:
            key = keys.asset_key(self._project_id, pathname)
        if byte_range is None:
            size = entry.representation(encoding).size
            return self._bodies.add_lazy(lambda: self._read(key, pathname), size, alternative)
        start, length = byte_range.start, byte_range.end - byte_range.start
        return self._bodies.add_lazy(lambda: self._read(key, pathname, start, length), length)

    def _read(self, key: str, pathname: str, start: int = 0, length: int | None = None) -> bytes:
        """The stored bytes (or a slice) under a key built from a manifest entry."""
        store = self._store
        data = store.get(key) if length is None else store.get_slice(key, start, length)
        if data is None:
            raise MissingAssetBytes(f"{self._project_id}: no stored bytes for {pathname} ({key})")
        return data


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
