"""`not_found_handling` fallbacks (spec: Not-found handling)."""

from __future__ import annotations

import pytest

from host.assets.notfound import Fallback, find_fallback, is_navigation, nearest_404_page
from host.assets.options import NotFoundHandling

PAGES = frozenset({"/404.html", "/docs/404.html", "/docs/guide/404.html", "/index.html"})

NEAREST = [
    ("/missing", "/404.html"),
    ("/", "/404.html"),
    ("/a/b/c/d", "/404.html"),
    ("/docs", "/404.html"),  # /docs is a file name in the root folder
    ("/docs/", "/docs/404.html"),
    ("/docs/x", "/docs/404.html"),
    ("/docs/guide", "/docs/404.html"),
    ("/docs/guide/", "/docs/guide/404.html"),
    ("/docs/guide/x/y/z", "/docs/guide/404.html"),
    ("/docs/other/x", "/docs/404.html"),
    ("/docsx/guide/x", "/404.html"),
]


@pytest.mark.parametrize(("path", "page"), NEAREST)
def test_nearest_404_page(path: str, page: str) -> None:
    assert nearest_404_page(path, PAGES.__contains__) == page


@pytest.mark.parametrize("path", ["/", "/x", "/a/b/c/", "/docs/guide/x"])
def test_no_404_page_anywhere(path: str) -> None:
    assert nearest_404_page(path, frozenset({"/index.html"}).__contains__) is None


def test_walk_asks_only_for_404_pages_up_to_root() -> None:
    asked: list[str] = []

    def contains(pathname: str) -> bool:
        asked.append(pathname)
        return False

    nearest_404_page("/a/b/c", contains)
    assert asked == ["/a/b/404.html", "/a/404.html", "/404.html"]


@pytest.mark.parametrize(
    ("accept", "navigation"),
    [
        ("text/html", True),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", True),
        ("TEXT/HTML", True),
        ("application/json, text/html;q=0.1", True),
        ("*/*", False),
        ("application/json", False),
        ("image/avif,image/webp,*/*", False),
        ("", False),
    ],
)
def test_is_navigation(accept: str, navigation: bool) -> None:
    assert is_navigation(accept) is navigation


FALLBACKS: list[tuple[NotFoundHandling, str, str, Fallback | None]] = [
    ("none", "/missing", "text/html", None),
    ("none", "/docs/x", "", None),
    ("404-page", "/missing", "", Fallback("/404.html", 404)),
    ("404-page", "/missing", "text/html", Fallback("/404.html", 404)),
    ("404-page", "/docs/guide/x", "application/json", Fallback("/docs/guide/404.html", 404)),
    ("single-page-application", "/route", "text/html", Fallback("/index.html", 200)),
    ("single-page-application", "/deep/route/", "text/html,*/*", Fallback("/index.html", 200)),
    ("single-page-application", "/route", "application/json", None),
    ("single-page-application", "/route", "", None),
    ("single-page-application", "/app.missing.js", "*/*", None),
]


@pytest.mark.parametrize(("mode", "path", "accept", "want"), FALLBACKS)
def test_find_fallback(
    mode: NotFoundHandling, path: str, accept: str, want: Fallback | None
) -> None:
    assert find_fallback(path, PAGES.__contains__, mode, accept) == want


@pytest.mark.parametrize("mode", ["404-page", "single-page-application"])
def test_no_fallback_without_the_file(mode: NotFoundHandling) -> None:
    assert find_fallback("/x", frozenset({"/app.js"}).__contains__, mode, "text/html") is None
