"""Content types from file extensions, and which of them are worth compressing.

Text types carry `; charset=utf-8`. SVG does not: it is XML, whose own rules (BOM, then
the `<?xml encoding=…?>` declaration, then UTF-8) already decide the encoding, and an
explicit charset parameter would override a correct declaration in a non-UTF-8 file.
"""

from __future__ import annotations

FALLBACK_TYPE = "application/octet-stream"

_UTF8 = "; charset=utf-8"

_TYPES: dict[str, str] = {
    "html": "text/html" + _UTF8,
    "htm": "text/html" + _UTF8,
    "css": "text/css" + _UTF8,
    "js": "application/javascript" + _UTF8,
    "mjs": "application/javascript" + _UTF8,
    "cjs": "application/javascript" + _UTF8,
    "json": "application/json" + _UTF8,
    "map": "application/json" + _UTF8,
    "webmanifest": "application/manifest+json" + _UTF8,
    "txt": "text/plain" + _UTF8,
    "xml": "application/xml" + _UTF8,
    "csv": "text/csv" + _UTF8,
    "md": "text/markdown" + _UTF8,
    "svg": "image/svg+xml",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "avif": "image/avif",
    "ico": "image/x-icon",
    "woff": "font/woff",
    "woff2": "font/woff2",
    "ttf": "font/ttf",
    "otf": "font/otf",
    "wasm": "application/wasm",
    "pdf": "application/pdf",
    "mp4": "video/mp4",
    "webm": "video/webm",
    "mp3": "audio/mpeg",
    "wav": "audio/wav",
    "zip": "application/zip",
}

_COMPRESSIBLE_TYPES = frozenset(
    {
        "application/javascript",
        "application/json",
        "application/manifest+json",
        "application/xml",
        "application/wasm",
        "image/svg+xml",
        "image/x-icon",
        "font/ttf",
        "font/otf",
    }
)


def extension_of(pathname: str) -> str:
    """Lower-cased extension of the last path segment, without the dot ('' if none)."""
    name = pathname.rpartition("/")[2]
    stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot and stem else ""


def content_type_for(pathname: str) -> str:
    """Content-Type header value for a file, `application/octet-stream` when unknown."""
    return _TYPES.get(extension_of(pathname), FALLBACK_TYPE)


def is_compressible(content_type: str) -> bool:
    """Whether gzip/brotli usually shrinks a body of this content type."""
    essence = content_type.partition(";")[0].strip().lower()
    return (
        essence.startswith("text/")
        or essence in _COMPRESSIBLE_TYPES
        or essence.endswith(("+json", "+xml"))
    )
