"""Conditional requests: If-None-Match against the ETags of a file."""

from __future__ import annotations


def none_match_hits(header: str | None, *etags: str) -> bool:
    """Whether an If-None-Match value names one of `etags` (strong or `W/`); `*` never does."""
    if not header:
        return False
    for item in header.split(","):
        tag = item.strip(" \t")
        if tag.startswith("W/"):
            tag = tag[2:]
        if tag.startswith('"') and tag in etags:
            return True
    return False
