"""Request paths: from the raw, percent-encoded URL path to a decoded pathname, and back.

Resolution splits on `/`, percent-decodes each segment as UTF-8 (a segment with a bad
escape such as `%`, `%2` or `%zz` is kept exactly as sent), so `%2F` acts as a real
slash; it collapses runs of `/` and resolves `.` and `..` (also `%2e`, `%2E%2e`, …)
the way browsers do: `..` at the root stays at the root. A trailing `/`, `.` or `..`
leaves a trailing slash (`/dir/.` is `/dir/`). NUL, invalid UTF-8 after decoding, or a
raw path not starting with `/` resolve to `None` (not found). An empty raw path is `/`.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote_to_bytes

_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_DOTS = frozenset({"", ".", ".."})
# encodeURIComponent keeps A-Z a-z 0-9 - _ . ! ~ * ' ( ); quote() always keeps "-_.~".
_URI_COMPONENT_SAFE = "!*'()"
# Printable ASCII but space: a query keeps these as sent; anything else is %-encoded.
_QUERY_SAFE = "".join(chr(code) for code in range(0x21, 0x7F))


def decode_segment(raw: str) -> str | None:
    """Percent-decode one raw segment; `None` when it decodes to NUL or invalid UTF-8."""
    if "%" in raw and not _BAD_ESCAPE.search(raw):
        try:
            text = unquote_to_bytes(raw).decode("utf-8")
        except UnicodeError:
            return None
    else:
        text = raw
    return text if _is_clean(text) else None


def _is_clean(text: str) -> bool:
    """No NUL, and encodable as UTF-8 (no lone surrogates)."""
    if "\x00" in text:
        return False
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def resolve_request_path(raw_path: str) -> str | None:
    """Decoded, dot-free pathname of a raw URL path, or `None` when it cannot be served."""
    if not raw_path:
        return "/"
    if not raw_path.startswith("/"):
        return None
    parts: list[str] = []
    for raw in raw_path[1:].split("/"):
        text = decode_segment(raw)
        if text is None:
            return None
        parts.extend(text.split("/"))
    return _remove_dot_segments(parts)


def _remove_dot_segments(parts: list[str]) -> str:
    """Join decoded parts, dropping empty and `.` parts and letting `..` pop (not past root)."""
    stack: list[str] = []
    for part in parts:
        if part == "..":
            if stack:
                stack.pop()
        elif part not in _DOTS:
            stack.append(part)
    path = "/" + "/".join(stack)
    return path + "/" if stack and parts[-1] in _DOTS else path


def canonical_path(decoded: str) -> str:
    """Encode each segment of a decoded pathname as JavaScript's encodeURIComponent does."""
    return "/".join(quote(segment, safe=_URI_COMPONENT_SAFE) for segment in decoded.split("/"))


def encode_query(query: str) -> str:
    """A request's query, fragment dropped, safe to put in a `Location` ('' if none)."""
    query = query.partition("#")[0]
    return quote(query, safe=_QUERY_SAFE, errors="replace")
