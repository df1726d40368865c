"""Response header sets of one file, computed once when its manifest entry is made."""

from __future__ import annotations

from dataclasses import dataclass

Headers = tuple[tuple[str, str], ...]

REVALIDATE = "public, max-age=0, must-revalidate"
IMMUTABLE = "public, max-age=31536000, immutable"

_NOSNIFF = ("x-content-type-options", "nosniff")
_RANGES = ("accept-ranges", "bytes")


@dataclass(frozen=True)
class FileHeaders:
    """Every header tuple a request for one file can need, ready to send."""

    ok: Headers
    ok_immutable: Headers
    not_modified: Headers
    not_modified_immutable: Headers
    not_found_page: Headers

    def for_ok(self, immutable: bool) -> Headers:
        """Headers of a 200 answer."""
        return self.ok_immutable if immutable else self.ok

    def for_not_modified(self, immutable: bool) -> Headers:
        """Headers of a 304 answer."""
        return self.not_modified_immutable if immutable else self.not_modified


def _ok(content_type: str, etag: str, size: int, cache: str) -> Headers:
    """Headers of a full 200 answer."""
    return (
        ("content-type", content_type),
        ("etag", etag),
        ("cache-control", cache),
        ("content-length", str(size)),
        _RANGES,
        _NOSNIFF,
    )


def _not_modified(content_type: str, etag: str, cache: str) -> Headers:
    """Headers of a 304 answer: validator, type and caching only."""
    return (("etag", etag), ("content-type", content_type), ("cache-control", cache))


def _not_found_page(content_type: str, size: int) -> Headers:
    """Headers of a 404 whose body is a file: no validator, no ranges."""
    return (
        ("content-type", content_type),
        ("cache-control", REVALIDATE),
        ("content-length", str(size)),
        _NOSNIFF,
    )


def file_headers(content_type: str, etag: str, size: int) -> FileHeaders:
    """Build every header set of a file from its manifest data."""
    return FileHeaders(
        ok=_ok(content_type, etag, size, REVALIDATE),
        ok_immutable=_ok(content_type, etag, size, IMMUTABLE),
        not_modified=_not_modified(content_type, etag, REVALIDATE),
        not_modified_immutable=_not_modified(content_type, etag, IMMUTABLE),
        not_found_page=_not_found_page(content_type, size),
    )
