"""Conditional requests: If-None-Match against a file's ETags, and If-Range.

If-Range holds either an entity tag or a date. We send no `Last-Modified` (a deployment's
files have no meaningful one), so a date can never be shown to be a strong validator of the
current file: a dated If-Range never matches, and the range is ignored (full 200). The
same goes for a weak tag (`W/"…"`), which RFC 9110 §13.1.5 never lets match.
"""

from __future__ import annotations

from collections.abc import Iterable


def matching_etag(header: str | None, etags: Iterable[str]) -> str | None:
    """The first of `etags` an If-None-Match value names (strong or `W/`); `*` never does."""
    if not header:
        return None
    named = set()
    for item in header.split(","):
        tag = item.strip(" \t")
        if tag.startswith("W/"):
            tag = tag[2:]
        if tag.startswith('"'):
            named.add(tag)
    return next((etag for etag in etags if etag in named), None)


def none_match_hits(header: str | None, *etags: str) -> bool:
    """Whether an If-None-Match value names one of `etags` (strong or `W/`); `*` never does."""
    return matching_etag(header, etags) is not None


def if_range_allows(header: str | None, etag: str) -> bool:
    """Whether a Range may be honoured: no If-Range, or one naming exactly the current ETag."""
    return header is None or header.strip(" \t") == etag
