"""The asset manifest: built once per deployment, so serving a request is a lookup.

Pathnames are decoded and start with `/` (`/hello world.txt`, `/日本語.txt`). They must
be UTF-8 text, and may not contain NUL or other control characters, empty segments
(`//`, a trailing `/`), `.` or `..` segments, or a backslash: a backslash is almost
always a Windows separator that slipped through, and refusing it is louder than serving
`/a\\b.txt` at `/a%5Cb.txt`.

JSON form, version 2 (UTF-8, sorted keys, no spaces; the same manifest always gives the
same bytes). Optional parts are left out when empty, so a manifest without compressed
variants or rules reads like version 1, which is still accepted:
`{"files":{"/a.txt":{"content_type":"text/plain; charset=utf-8","etag":"\\"…\\"","size":5,
"variants":{"br":{"etag":"\\"…\\"","size":3},"gzip":{…}}}},
"headers":[{"line":1,"pattern":"/*","set":[["x-frame-options","DENY"]],"unset":[]}],
"redirects":[{"from":"/old","line":1,"status":301,"to":"/new"}],"version":2}`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from host.assets.encodings import ENCODINGS, IDENTITY, Representation
from host.assets.headerrules import NO_HEADER_RULES, HeaderRules
from host.assets.headerrules import RuleError as HeaderRuleError
from host.assets.headers import FileHeaders, file_headers
from host.assets.mediatypes import content_type_for
from host.assets.redirectrules import NO_REDIRECT_RULES, RedirectRules
from host.assets.redirectrules import RuleError as RedirectRuleError
from host.errors import DeployError, WasmhostError

FORMAT_VERSION = 2
READABLE_VERSIONS = frozenset({1, 2})
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
    variants: tuple[Representation, ...] = ()
    representations: tuple[Representation, ...] = field(init=False, repr=False, compare=False)
    headers: FileHeaders = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Order the variants (smallest first) and precompute every answer's headers."""
        variants = tuple(sorted(self.variants, key=lambda rep: (rep.size, rep.encoding)))
        reps = (Representation(IDENTITY, self.etag, self.size), *variants)
        object.__setattr__(self, "variants", variants)
        object.__setattr__(self, "representations", reps)
        object.__setattr__(self, "headers", file_headers(self.content_type, reps))

    @property
    def etags(self) -> tuple[str, ...]:
        """The ETags of every representation, identity first."""
        return tuple(rep.etag for rep in self.representations)

    def representation(self, encoding: str) -> Representation:
        """The representation with `encoding` ("" for identity)."""
        return next(rep for rep in self.representations if rep.encoding == encoding)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form of the entry."""
        data: dict[str, Any] = {
            "content_type": self.content_type,
            "etag": self.etag,
            "size": self.size,
        }
        if self.variants:
            data["variants"] = {
                rep.encoding: {"etag": rep.etag, "size": rep.size} for rep in self.variants
            }
        return data


@dataclass(frozen=True)
class Manifest:
    """Pathname → entry for every file of one deployment."""

    files: Mapping[str, AssetEntry]
    header_rules: HeaderRules = NO_HEADER_RULES
    redirect_rules: RedirectRules = NO_REDIRECT_RULES

    def __post_init__(self) -> None:
        """Freeze the mapping so a shared manifest cannot change under a request."""
        object.__setattr__(self, "files", MappingProxyType(dict(self.files)))

    def to_json(self) -> bytes:
        """Deterministic JSON bytes of the manifest."""
        files = {path: entry.to_dict() for path, entry in self.files.items()}
        document: dict[str, Any] = {"version": FORMAT_VERSION, "files": files}
        if self.header_rules:
            document["headers"] = self.header_rules.to_json()
        if self.redirect_rules:
            document["redirects"] = self.redirect_rules.to_json()
        text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return text.encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        """Parse and check bytes made by `to_json` (this version or an older one)."""
        document = _load_document(data)
        files = document.get("files")
        if not isinstance(files, dict):
            raise InvalidManifest("manifest has no 'files' object")
        entries = {_checked_path(path): _entry_from(path, raw) for path, raw in files.items()}
        try:
            headers = HeaderRules.from_json(document.get("headers", []))
            redirects = RedirectRules.from_json(document.get("redirects", []))
        except (HeaderRuleError, RedirectRuleError) as error:
            raise InvalidManifest(f"manifest rules: {error}") from None
        return cls(entries, headers, redirects)


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


def entry_for(
    pathname: str, content: bytes, variants: Mapping[str, bytes] | None = None
) -> AssetEntry:
    """Manifest entry of one uploaded file and its compressed variants (encoding to bytes)."""
    reps = tuple(
        Representation(encoding, etag_for(data), len(data))
        for encoding, data in (variants or {}).items()
    )
    return AssetEntry(content_type_for(pathname), etag_for(content), len(content), reps)


def build_asset_manifest(
    files: Mapping[str, bytes],
    variants: Mapping[str, Mapping[str, bytes]] | None = None,
    header_rules: HeaderRules = NO_HEADER_RULES,
    redirect_rules: RedirectRules = NO_REDIRECT_RULES,
) -> Manifest:
    """Check every pathname and describe every file (variants: pathname to encoding to bytes)."""
    for pathname in files:
        check_asset_path(pathname)
    variants = variants or {}
    entries = {path: entry_for(path, files[path], variants.get(path)) for path in sorted(files)}
    return Manifest(entries, header_rules, redirect_rules)


def _load_document(data: bytes) -> dict[str, Any]:
    """Parse manifest JSON and check its format version."""
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidManifest(f"manifest is not JSON: {error}") from error
    if not isinstance(document, dict):
        raise InvalidManifest("manifest is not a JSON object")
    version = document.get("version")
    if type(version) is not int or version not in READABLE_VERSIONS:
        raise InvalidManifest(f"unsupported manifest version {version!r}")
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
    return AssetEntry(content_type, etag, size, _variants_from(pathname, raw.get("variants", {})))


def _variants_from(pathname: str, raw: object) -> tuple[Representation, ...]:
    """The stored variants of one entry, with encodings and field types checked."""
    if not isinstance(raw, dict):
        raise InvalidManifest(f"variants of {pathname!r} are not an object")
    variants = []
    for encoding, value in raw.items():
        etag = value.get("etag") if isinstance(value, dict) else None
        size = value.get("size") if isinstance(value, dict) else None
        if encoding not in ENCODINGS or not isinstance(etag, str):
            raise InvalidManifest(f"variant {encoding!r} of {pathname!r} is not usable")
        if type(size) is not int or size < 0:
            raise InvalidManifest(f"variant {encoding!r} of {pathname!r} has a bad size")
        variants.append(Representation(encoding, etag, size))
    return tuple(variants)
