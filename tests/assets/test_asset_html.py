"""`html_handling` resolution in every mode (spec: HTML handling)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from host.assets.html import Redirect, Resolution, Serve, resolve_html
from host.assets.options import HTML_HANDLING_MODES, HtmlHandling

SITE = frozenset(
    {
        "/index.html",
        "/about.html",
        "/404.html",
        "/dir/index.html",
        "/app.js",
        "/file.js",
        "/both.html",
        "/both/index.html",
        "/index",
        "/raw/index",
        "/hashed.3f9a2b1c.js",
        "/docs/guide.html",
        "/日本語.html",
        "/a b/index.html",
    }
)


def S(pathname: str) -> Serve:
    """Shorthand for a Serve resolution."""
    return Serve(pathname)


def R(location: str, pathname: str) -> Redirect:
    """Shorthand for a Redirect resolution."""
    return Redirect(location, pathname)


AUTO: list[tuple[str, Resolution]] = [
    ("/", S("/index.html")),
    ("/index.html", R("/", "/index.html")),
    ("/index", S("/index")),  # a real file named /index wins
    ("/about", S("/about.html")),
    ("/about.html", R("/about", "/about.html")),
    ("/about/", R("/about", "/about.html")),
    ("/about/index.html", R("/about", "/about.html")),  # lands on about.html, which /about serves
    ("/about/index", R("/about", "/about.html")),
    ("/dir/", S("/dir/index.html")),
    ("/dir", R("/dir/", "/dir/index.html")),
    ("/dir/index.html", R("/dir/", "/dir/index.html")),
    ("/dir/index", R("/dir/", "/dir/index.html")),
    ("/dir.html", R("/dir/", "/dir/index.html")),
    ("/file.js/", None),
    ("/file.js", S("/file.js")),
    ("/app.js", S("/app.js")),
    ("/APP.JS", None),
    ("/app.js.html", None),
    ("/404", S("/404.html")),
    ("/404.html", R("/404", "/404.html")),
    ("/both", S("/both.html")),
    ("/both/", S("/both/index.html")),
    ("/both.html", R("/both", "/both.html")),
    ("/both/index.html", R("/both/", "/both/index.html")),
    ("/raw/index", S("/raw/index")),
    ("/raw/", None),
    ("/raw", None),
    ("/docs/guide", S("/docs/guide.html")),
    ("/docs/guide/", R("/docs/guide", "/docs/guide.html")),
    ("/docs/guide.html", R("/docs/guide", "/docs/guide.html")),
    ("/docs/", None),
    ("/docs", None),
    ("/日本語", S("/日本語.html")),
    ("/日本語.html", R("/日本語", "/日本語.html")),
    ("/a b/", S("/a b/index.html")),
    ("/a b", R("/a b/", "/a b/index.html")),
    ("/missing", None),
    ("/missing/", None),
    ("/missing.html", None),
    ("/.html", None),
    ("/hashed.3f9a2b1c.js", S("/hashed.3f9a2b1c.js")),
]

FORCE: list[tuple[str, Resolution]] = [
    ("/", S("/index.html")),
    ("/index.html", R("/", "/index.html")),
    ("/about/", S("/about.html")),
    ("/about", R("/about/", "/about.html")),
    ("/about.html", R("/about/", "/about.html")),
    ("/about/index.html", R("/about/", "/about.html")),
    ("/dir/", S("/dir/index.html")),
    ("/dir", R("/dir/", "/dir/index.html")),
    ("/dir/index.html", R("/dir/", "/dir/index.html")),
    ("/dir/index", R("/dir/", "/dir/index.html")),
    ("/dir.html", R("/dir/", "/dir/index.html")),
    ("/both/", S("/both/index.html")),
    ("/both.html", S("/both.html")),  # /both/ serves the folder index, so no redirect
    ("/both", R("/both/", "/both/index.html")),
    ("/app.js", S("/app.js")),
    ("/app.js/", None),
    ("/404/", S("/404.html")),
    ("/404", R("/404/", "/404.html")),
    ("/docs/guide/", S("/docs/guide.html")),
    ("/docs/guide", R("/docs/guide/", "/docs/guide.html")),
    ("/missing/", None),
    ("/missing", None),
]

DROP: list[tuple[str, Resolution]] = [
    ("/", S("/index.html")),
    ("/index.html", R("/", "/index.html")),
    ("/index", S("/index")),
    ("/about", S("/about.html")),
    ("/about.html", R("/about", "/about.html")),
    ("/about/", R("/about", "/about.html")),
    ("/dir", S("/dir/index.html")),
    ("/dir/", R("/dir", "/dir/index.html")),
    ("/dir/index.html", R("/dir", "/dir/index.html")),
    ("/dir/index", R("/dir", "/dir/index.html")),
    ("/dir.html", R("/dir", "/dir/index.html")),
    ("/both", S("/both.html")),
    ("/both/", R("/both", "/both.html")),  # lands on /both.html, which /both serves
    ("/both/index.html", S("/both/index.html")),  # /both serves both.html: no redirect
    ("/both.html", R("/both", "/both.html")),
    ("/app.js", S("/app.js")),
    ("/app.js/", None),
    ("/a b", S("/a b/index.html")),
    ("/a b/", R("/a b", "/a b/index.html")),
    ("/missing", None),
    ("/missing/", None),
]

NONE: list[tuple[str, Resolution]] = [
    ("/", None),
    ("/index.html", S("/index.html")),
    ("/index", S("/index")),
    ("/about", None),
    ("/about.html", S("/about.html")),
    ("/about/", None),
    ("/dir/", None),
    ("/dir", None),
    ("/dir/index.html", S("/dir/index.html")),
    ("/app.js", S("/app.js")),
    ("/404", None),
]

TABLE = (
    [("auto-trailing-slash", path, want) for path, want in AUTO]
    + [("force-trailing-slash", path, want) for path, want in FORCE]
    + [("drop-trailing-slash", path, want) for path, want in DROP]
    + [("none", path, want) for path, want in NONE]
)


@pytest.mark.parametrize(("mode", "path", "want"), TABLE)
def test_resolve_html(mode: HtmlHandling, path: str, want: Resolution) -> None:
    assert resolve_html(path, SITE.__contains__, mode) == want


def test_default_mode_is_auto() -> None:
    assert resolve_html("/about", SITE.__contains__) == Serve("/about.html")


@pytest.mark.parametrize("mode", HTML_HANDLING_MODES)
@pytest.mark.parametrize("path", ["/", "/x", "/x/", "/index.html", "/index", "/a/index.html"])
def test_empty_manifest_finds_nothing(mode: HtmlHandling, path: str) -> None:
    assert resolve_html(path, lambda _: False, mode) is None


@pytest.mark.parametrize("mode", HTML_HANDLING_MODES)
def test_only_manifest_paths_are_served(mode: HtmlHandling) -> None:
    asked: list[str] = []

    def contains(pathname: str) -> bool:
        asked.append(pathname)
        return pathname in SITE

    for path, _ in AUTO + FORCE + DROP:
        resolve_html(path, contains, mode)
    assert all(name.startswith("/") for name in asked)


# --- property: a redirect lands, in one hop, on a path that serves a file ----------------

FILES = [
    "/index.html", "/index", "/a", "/a.html", "/a/index.html", "/a/index", "/a/index.html.html",
    "/a/b.html", "/a/b/index.html", "/a.html/index.html", "/b.js", "/index.html.html",
    "/a/index/index.html", "/404.html", "/.html", "/a/.html",
]  # fmt: skip
REQUESTS = sorted(
    {"/", "/a/", "/a/b", "/a/b/", "/a/index/", "/a.html/", "/b.js/", "/index/", "/x", "/x/"}
    | set(FILES)
    | {f.removesuffix(".html") or "/" for f in FILES}
    | {f.removesuffix("index.html") for f in FILES}
    | {f.removesuffix("/index.html") or "/" for f in FILES}
    | {f.removesuffix(".html") + "/" for f in FILES}
)


@pytest.mark.parametrize("mode", HTML_HANDLING_MODES)
@given(files=st.sets(st.sampled_from(FILES)), path=st.sampled_from(REQUESTS))
def test_redirects_land_in_one_hop(mode: HtmlHandling, files: set[str], path: str) -> None:
    found = resolve_html(path, files.__contains__, mode)
    if isinstance(found, Serve):
        assert found.pathname in files
    if isinstance(found, Redirect):
        assert found.location != path
        assert found.pathname in files
        assert resolve_html(found.location, files.__contains__, mode) == Serve(found.pathname)
