"""Progress lines on stderr, each with the seconds since the bench started."""

from __future__ import annotations

import sys
import time

STARTED = time.monotonic()


def say(message: str) -> None:
    """Print one progress line."""
    print(f"bench [{time.monotonic() - STARTED:5.0f} s] {message}", file=sys.stderr, flush=True)
