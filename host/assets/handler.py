"""The asset binding's answer to one request, decided from the manifest alone.

No I/O here: the caller reads `AssetResponse.file` from storage when it is set.
Methods are case-sensitive (RFC 9110): only `GET` and `HEAD` are served. A path that
cannot be resolved (NUL, invalid UTF-8) is a plain 404 in every `not_found_handling`
mode, and misses fall back to a file only for GET and HEAD.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote

from host.assets.conditional import none_match_hits
from host.assets.headers import Headers
from host.assets.html import Redirect, resolve_html
from host.assets.manifest import AssetEntry, Manifest
from host.assets.notfound import find_fallback
from host.assets.options import DEFAULT_OPTIONS, AssetOptions
from host.assets.paths import canonical_path, resolve_request_path

_SERVED_METHODS = frozenset({"GET", "HEAD"})
_HASHED = re.compile(r"\.[a-f0-9]{8,}\.\w+\Z", re.ASCII)
_VARY_ACCEPT = ("vary", "Accept")
# Printable ASCII but space: a query keeps these as sent; anything else is %-encoded.
_QUERY_SAFE = "".join(chr(code) for code in range(0x21, 0x7F))


@dataclass(frozen=True)
class AssetResponse:
    """Status, headers (lower-case names) and either a short text body or a manifest file."""

    status: int
    headers: Headers
    body: bytes = b""
    file: str | None = None


def _text(status: int, message: str, *extra: tuple[str, str]) -> tuple[AssetResponse, ...]:
    """A plain-text answer, as (for GET and others, for HEAD)."""
    body = message.encode("utf-8")
    headers = (
        ("content-type", "text/plain; charset=utf-8"),
        ("content-length", str(len(body))),
        ("x-content-type-options", "nosniff"),
        *extra,
    )
    return AssetResponse(status, headers, body), AssetResponse(status, headers)


_NO_ASSETS = _text(404, "No assets found")
_NOT_FOUND = _text(404, "Not Found")
_NOT_FOUND_VARY = _text(404, "Not Found", _VARY_ACCEPT)
_METHOD_NOT_ALLOWED = _text(405, "Method Not Allowed", ("allow", "GET, HEAD"))[0]


def handle_asset_request(
    manifest: Manifest | None,
    method: str,
    raw_path: str,
    query: str,
    headers: Mapping[str, str],
    options: AssetOptions = DEFAULT_OPTIONS,
) -> AssetResponse:
    """Answer a request for the raw (still percent-encoded) `raw_path` from `manifest`."""
    head = method == "HEAD"
    if manifest is None:
        return _NO_ASSETS[head]
    path = resolve_request_path(raw_path)
    if path is None:
        return _NOT_FOUND[head]
    found = resolve_html(path, manifest.files.__contains__, options.html_handling)
    if found is None:
        return _miss(manifest, method, path, headers, options)
    if method not in _SERVED_METHODS:
        return _METHOD_NOT_ALLOWED
    if isinstance(found, Redirect):
        return redirect(found.location, query)
    if canonical_path(path) != (raw_path or "/"):
        return redirect(path, query)
    immutable = _HASHED.search(path) is not None
    return _serve(manifest.files[found.pathname], found.pathname, head, immutable, headers)


def redirect(decoded_path: str, query: str) -> AssetResponse:
    """307 to the canonical form of a decoded path, keeping the query, dropping a fragment."""
    location = canonical_path(decoded_path)
    query = query.partition("#")[0]
    if query:
        location += "?" + quote(query, safe=_QUERY_SAFE, errors="replace")
    return AssetResponse(307, (("location", location), ("content-length", "0")))


def _serve(
    entry: AssetEntry, pathname: str, head: bool, immutable: bool, headers: Mapping[str, str]
) -> AssetResponse:
    """200 with the file, or 304 when If-None-Match names its ETag."""
    if none_match_hits(headers.get("if-none-match"), entry.etag):
        return AssetResponse(304, entry.headers.for_not_modified(immutable))
    return AssetResponse(200, entry.headers.for_ok(immutable), file=None if head else pathname)


def _miss(
    manifest: Manifest,
    method: str,
    path: str,
    headers: Mapping[str, str],
    options: AssetOptions,
) -> AssetResponse:
    """Answer for a path with no file: a fallback file, or a plain 404."""
    head = method == "HEAD"
    mode = options.not_found_handling
    plain = _NOT_FOUND_VARY if mode == "single-page-application" else _NOT_FOUND
    if method not in _SERVED_METHODS:
        return plain[head]
    contains = manifest.files.__contains__
    fallback = find_fallback(path, contains, mode, headers.get("accept", ""))
    if fallback is None:
        return plain[head]
    entry = manifest.files[fallback.pathname]
    file = None if head else fallback.pathname
    if fallback.status == 404:
        return AssetResponse(404, entry.headers.not_found_page, file=file)
    served = _serve(entry, fallback.pathname, head, False, headers)
    return AssetResponse(served.status, (*served.headers, _VARY_ACCEPT), file=served.file)
