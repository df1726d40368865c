"""`not_found_handling`: which file, if any, answers a path that resolved to nothing.

- `none`: no file; the handler answers a plain 404.
- `404-page`: the nearest `404.html`, walking up from the request's folder to the root,
  served with status 404.
- `single-page-application`: `/index.html` with status 200 for navigation requests
  (`Accept` contains `text/html`); other misses stay a plain 404.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from host.assets.options import NotFoundHandling

Contains = Callable[[str], bool]

SPA_ENTRY = "/index.html"


@dataclass(frozen=True)
class Fallback:
    """Serve the manifest file at `pathname` with `status`."""

    pathname: str
    status: int


def nearest_404_page(path: str, contains: Contains) -> str | None:
    """The first `404.html` found in the folders from `path`'s own up to the root."""
    folder = path[: path.rfind("/")]
    while True:
        candidate = folder + "/404.html"
        if contains(candidate):
            return candidate
        if not folder:
            return None
        folder = folder[: folder.rfind("/")]


def is_navigation(accept: str) -> bool:
    """Whether an Accept header asks for an HTML page."""
    return "text/html" in accept.lower()


def find_fallback(
    path: str, contains: Contains, mode: NotFoundHandling, accept: str = ""
) -> Fallback | None:
    """The file answering a miss on the decoded `path`, or `None` for a plain 404."""
    if mode == "404-page":
        page = nearest_404_page(path, contains)
        return Fallback(page, 404) if page else None
    if mode == "single-page-application" and is_navigation(accept) and contains(SPA_ENTRY):
        return Fallback(SPA_ENTRY, 200)
    return None
