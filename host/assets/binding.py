"""The asset binding: `assets.fetch` for one project, answered from its manifest and files."""

from __future__ import annotations

from urllib.parse import urlsplit

from host.assets.handler import handle_asset_request
from host.assets.manifest import Manifest
from host.assets.options import AssetOptions
from host.errors import WasmhostError
from host.runtime.bodies import BodyTable
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
        """Answer a request; a file body becomes a lazy host handle, never guest bytes."""
        parts = urlsplit(request.url)
        answer = handle_asset_request(
            self._manifest,
            request.method,
            parts.path,
            parts.query,
            _header_map(request.headers),
            self._options,
        )
        body: bytes | int | None = answer.body or None
        if answer.file is not None and self._manifest is not None:
            size = self._manifest.files[answer.file].size
            body = self._bodies.add_lazy(lambda: self._read(answer.file or ""), size)
        return WitResponse(answer.status, list(answer.headers), body_from_wit(body))

    def _read(self, pathname: str) -> bytes:
        """The stored bytes of a manifest file."""
        data = self._store.get(keys.asset_key(self._project_id, pathname))
        if data is None:
            raise MissingAssetBytes(f"{self._project_id}: no stored bytes for {pathname}")
        return data


def _header_map(headers: list[tuple[str, str]]) -> dict[str, str]:
    """Lower-case names to values, repeated fields joined with commas."""
    merged: dict[str, str] = {}
    for name, value in headers:
        name = name.lower()
        merged[name] = f"{merged[name]}, {value}" if name in merged else value
    return merged
