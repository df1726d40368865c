"""The asset manifest: built once per deployment, so serving a request is a lookup.

Pathnames are decoded and start with `/` (`/hello world.txt`, `/日本語.txt`). They must
be UTF-8 text, and may not contain NUL or other control characters, empty segments
(`//`, a trailing `/`), `.` or `..` segments, or a backslash: a backslash is almost
always a Windows separator that slipped through, and refusing it is louder than serving
`/a\\b.txt` at `/a%5Cb.txt`.

JSON form (UTF-8, sorted keys, no spaces; the same manifest always gives the same bytes):
`{"files":{"/a.txt":{"content_type":"text/plain; charset=utf-8","etag":"\\"…\\"","size":5}},
"version":1}`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from host.assets.headers import FileHeaders, file_headers
from host.assets.mediatypes import content_type_for
from host.errors import DeployError, WasmhostError

FORMAT_VERSION = 1
ETAG_HEX_LENGTH = 32

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class InvalidAssetPath(DeployError):
    """An uploaded asset pathname cannot be served safely."""


class InvalidManifest(WasmhostError):
    """Stored manifest bytes are not a manifest this host can read."""


@dataclass(frozen=True)
class AssetEntry:
    """What a request needs to know about one file without reading it."""

    content_type: str
    etag: str
    size: int
    headers: FileHeaders = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Precompute the header sets of every answer about this file."""
        object.__setattr__(self, "headers", file_headers(self.content_type, self.etag, self.size))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form of the entry."""
        return {"content_type": self.content_type, "etag": self.etag, "size": self.size}


@dataclass(frozen=True)
class Manifest:
    """Pathname → entry for every file of one deployment."""

    files: Mapping[str, AssetEntry]

    def __post_init__(self) -> None:
        """Freeze the mapping so a shared manifest cannot change under a request."""
        object.__setattr__(self, "files", MappingProxyType(dict(self.files)))

    def to_json(self) -> bytes:
        """Deterministic JSON bytes of the manifest."""
        files = {path: entry.to_dict() for path, entry in self.files.items()}
        document = {"version": FORMAT_VERSION, "files": files}
        text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return text.encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        """Parse and check bytes made by `to_json`."""
        document = _load_document(data)
        files = document.get("files")
        if not isinstance(files, dict):
            raise InvalidManifest("manifest has no 'files' object")
        return cls({_checked_path(path): _entry_from(path, raw) for path, raw in files.items()})


def check_asset_path(pathname: str) -> None:
    """Raise `InvalidAssetPath` unless `pathname` is a servable decoded pathname."""
    problem = _path_problem(pathname)
    if problem:
        raise InvalidAssetPath(f"asset path {pathname!r}: {problem}")


def _path_problem(pathname: str) -> str:
    """Why a pathname is refused, or '' when it is fine."""
    if not pathname.startswith("/"):
        return "must start with '/'"
    if _CONTROL.search(pathname):
        return "contains NUL or another control character"
    if "\\" in pathname:
        return "contains a backslash (use '/' to separate folders)"
    if not _is_utf8(pathname):
        return "is not valid UTF-8 text"
    segments = pathname[1:].split("/")
    if "" in segments:
        return "has an empty segment ('//' or a trailing '/')"
    if "." in segments or ".." in segments:
        return "has a '.' or '..' segment"
    return ""


def _is_utf8(text: str) -> bool:
    """Whether the text encodes to UTF-8 (no lone surrogates)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def etag_for(content: bytes) -> str:
    """Strong ETag of some bytes: same bytes, same tag, always."""
    return '"' + hashlib.sha256(content).hexdigest()[:ETAG_HEX_LENGTH] + '"'


def entry_for(pathname: str, content: bytes) -> AssetEntry:
    """Manifest entry of one uploaded file."""
    return AssetEntry(content_type_for(pathname), etag_for(content), len(content))


def build_asset_manifest(files: Mapping[str, bytes]) -> Manifest:
    """Check every pathname and describe every file of an upload."""
    for pathname in files:
        check_asset_path(pathname)
    return Manifest({path: entry_for(path, files[path]) for path in sorted(files)})


def _load_document(data: bytes) -> dict[str, Any]:
    """Parse manifest JSON and check its format version."""
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidManifest(f"manifest is not JSON: {error}") from error
    if not isinstance(document, dict):
        raise InvalidManifest("manifest is not a JSON object")
    if document.get("version") != FORMAT_VERSION:
        raise InvalidManifest(f"unsupported manifest version {document.get('version')!r}")
    return document


def _checked_path(pathname: str) -> str:
    """A stored pathname, refused as `InvalidManifest` when it is not servable."""
    problem = _path_problem(pathname)
    if problem:
        raise InvalidManifest(f"manifest path {pathname!r}: {problem}")
    return pathname


def _entry_from(pathname: str, raw: object) -> AssetEntry:
    """One stored entry, with its field types checked."""
    if not isinstance(raw, dict):
        raise InvalidManifest(f"entry for {pathname!r} is not an object")
    content_type, etag, size = raw.get("content_type"), raw.get("etag"), raw.get("size")
    if not (isinstance(content_type, str) and isinstance(etag, str)):
        raise InvalidManifest(f"entry for {pathname!r} lacks content_type or etag")
    if type(size) is not int or size < 0:
        raise InvalidManifest(f"entry for {pathname!r} has a bad size {size!r}")
    return AssetEntry(content_type, etag, size)
