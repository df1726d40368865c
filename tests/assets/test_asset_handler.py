"""The whole asset decision, from request to response (spec: all sections but 'Beyond')."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from hypothesis import given
from hypothesis import strategies as st

from host.assets.handler import AssetResponse, handle_asset_request
from host.assets.manifest import Manifest, build_asset_manifest, entry_for, etag_for
from host.assets.options import AssetOptions

SITE = {
    "/index.html": b"<h1>home</h1>",
    "/about.html": b"<h1>about</h1>",
    "/404.html": b"<h1>lost</h1>",
    "/dir/index.html": b"<h1>dir</h1>",
    "/docs/404.html": b"<h1>docs lost</h1>",
    "/app.js": b"console.log(1)",
    "/app.3f9a2b1c.js": b"console.log(2)",
    "/style.0123456789abcdef.css": b"body{}",
    "/file.js": b"1",
    "/hello world.txt": b"hello",
    "/日本語.txt": "日本語".encode(),
    "/a+b@c.txt": b"plus",
    "/100%.txt": b"percent",
    "/LICENSE": b"MIT",
    "/data.bin": b"\x00\x01\x02",
    "/copy.txt": b"hello",
}
MANIFEST = build_asset_manifest(SITE)
NIHONGO = "/%E6%97%A5%E6%9C%AC%E8%AA%9E.txt"
TEXT = "text/plain; charset=utf-8"


def ask(
    method: str = "GET",
    path: str = "/",
    query: str = "",
    headers: Mapping[str, str] | None = None,
    manifest: Manifest | None = MANIFEST,
    *,
    html_handling: str = "auto-trailing-slash",
    not_found_handling: str = "none",
) -> AssetResponse:
    """Run the handler with test defaults."""
    options = {"html_handling": html_handling, "not_found_handling": not_found_handling}
    opts = AssetOptions.from_mapping(options)
    return handle_asset_request(manifest, method, path, query, headers or {}, opts)


def names(response: AssetResponse) -> list[str]:
    """Header names of a response, in order."""
    return [name for name, _ in response.headers]


def header(response: AssetResponse, name: str) -> str | None:
    """One header value, or None."""
    return dict(response.headers).get(name)


# --- default mode: what each path does ---------------------------------------------------

SERVED = [
    ("/", "/index.html"),
    ("/about", "/about.html"),
    ("/dir/", "/dir/index.html"),
    ("/404", "/404.html"),
    ("/app.js", "/app.js"),
    ("/file.js", "/file.js"),
    ("/hello%20world.txt", "/hello world.txt"),
    (NIHONGO, "/日本語.txt"),
    ("/a%2Bb%40c.txt", "/a+b@c.txt"),
    ("/100%25.txt", "/100%.txt"),
    ("/LICENSE", "/LICENSE"),
    ("/data.bin", "/data.bin"),
    ("/app.3f9a2b1c.js", "/app.3f9a2b1c.js"),
    ("", "/index.html"),
]


@pytest.mark.parametrize(("path", "file"), SERVED)
def test_served(path: str, file: str) -> None:
    response = ask(path=path)
    assert (response.status, response.file, response.body) == (200, file, b"")


REDIRECTS = [
    # html handling
    ("/index.html", "", "/"),
    ("/index", "", "/"),
    ("/about.html", "", "/about"),
    ("/about/", "", "/about"),
    ("/dir", "", "/dir/"),
    ("/dir/index.html", "", "/dir/"),
    ("/dir/index", "", "/dir/"),
    ("/404.html", "", "/404"),
    # canonical encoding
    ("/%61pp.js", "", "/app.js"),
    ("//app.js", "", "/app.js"),
    ("///app.js", "", "/app.js"),
    ("/a+b@c.txt", "", "/a%2Bb%40c.txt"),
    ("/a%2bb%40c.txt", "", "/a%2Bb%40c.txt"),
    ("/hello world.txt", "", "/hello%20world.txt"),
    ("/%e6%97%a5%e6%9c%ac%e8%aa%9e.txt", "", NIHONGO),
    ("/日本語.txt", "", NIHONGO),
    ("/100%.txt", "", "/100%25.txt"),
    ("/%2e%2e/app.js", "", "/app.js"),
    ("/%2E%2E/%2e%2e/app.js", "", "/app.js"),
    ("/../app.js", "", "/app.js"),
    ("/dir/../app.js", "", "/app.js"),
    ("/./app.js", "", "/app.js"),
    ("/dir%2F..%2Fapp.js", "", "/app.js"),
    ("/dir%2findex.html", "", "/dir/"),
    ("/%2Fapp.js", "", "/app.js"),
    ("/dir//", "", "/dir/"),
    ("/dir/.", "", "/dir/"),
    ("/about%2F", "", "/about"),
    ("/app.js/..", "", "/"),
    ("/" + "../" * 5000, "", "/"),
    # both at once: one hop to the final place
    ("/%61bout.html", "", "/about"),
    ("//dir", "", "/dir/"),
    ("/dir/%69ndex.html", "", "/dir/"),
    # the query is kept, a fragment dropped
    ("/about.html", "x=1", "/about?x=1"),
    ("/%61pp.js", "v=2&w=%20", "/app.js?v=2&w=%20"),
    ("/%61pp.js", "a=b#frag", "/app.js?a=b"),
    ("/%61pp.js", "#frag", "/app.js"),
    ("/%61pp.js", "a b\r\nx: y", "/app.js?a%20b%0D%0Ax:%20y"),
    ("/%61pp.js", "q=日", "/app.js?q=%E6%97%A5"),
]


@pytest.mark.parametrize(("path", "query", "location"), REDIRECTS)
def test_redirects(path: str, query: str, location: str) -> None:
    response = ask(path=path, query=query)
    assert response.status == 307
    assert response.headers == (("location", location), ("content-length", "0"))
    assert (response.body, response.file) == (b"", None)


@pytest.mark.parametrize(("path", "query", "location"), REDIRECTS)
def test_redirect_target_is_served(path: str, query: str, location: str) -> None:
    target, _, _ = location.partition("?")
    assert ask(path=target).status == 200


MISSES = [
    "/missing",
    "/missing/",
    "/missing.html",
    "/missing?x",
    "/file.js/",
    "/app.js/",
    "/APP.JS",
    "/About",
    "/app.js.html",
    "/index.htm",
    "/dir/index.htm",
    "/app.js%00",
    "/app.js%00.html",
    "/%00",
    "/%ff",
    "/%c0%af",
    "/%c0%ae%c0%ae/app.js",
    "/%ed%a0%80",
    "/hello+world.txt",
    "/hello%2Bworld.txt",
    "/%",
    "/%2",
    "/%zz",
    "/app.js%",
    "/app%2ejs%",
    "/..%2fapp.js%zz",
    "/\\app.js",
    "/..\\app.js",
    "/%5Capp.js",
    "/%252e%252e/app.js",
    "/%2561pp.js",
    "/app.js;x",
    "/app.js?",
    "/app.js#x",
    "/app.js/.",
    "app.js",
    "*",
    "http://example.com/app.js",
    "/" + "a/" * 5000,
    "/" + "x" * 100_000,
    "/\x00",
    "/\udcff",
]


@pytest.mark.parametrize("path", MISSES)
def test_not_found(path: str) -> None:
    response = ask(path=path)
    assert response.status == 404, response
    assert response.body == b"Not Found"
    assert response.file is None
    assert header(response, "content-type") == TEXT
    assert header(response, "location") is None


# --- methods -----------------------------------------------------------------------------

METHODS = [
    ("POST", "/app.js", 405),
    ("PUT", "/app.js", 405),
    ("DELETE", "/", 405),
    ("PATCH", "/about", 405),
    ("OPTIONS", "/app.js", 405),
    ("TRACE", "/app.js", 405),
    ("CONNECT", "/app.js", 405),
    ("BREW", "/app.js", 405),
    ("get", "/app.js", 405),
    ("head", "/app.js", 405),
    ("", "/app.js", 405),
    ("POST", "/about.html", 405),
    ("POST", "/%61pp.js", 405),
    ("POST", "/missing", 404),
    ("DELETE", "/missing/", 404),
    ("OPTIONS", "/%00", 404),
    ("GET", "/app.js", 200),
    ("HEAD", "/app.js", 200),
]


@pytest.mark.parametrize(("method", "path", "status"), METHODS)
def test_methods(method: str, path: str, status: int) -> None:
    response = ask(method, path)
    assert response.status == status
    if status == 405:
        assert header(response, "allow") == "GET, HEAD"
        assert response.body == b"Method Not Allowed"
        assert response.file is None


def test_head_has_get_headers_without_body() -> None:
    get, head = ask("GET", "/app.js"), ask("HEAD", "/app.js")
    assert head.headers == get.headers
    assert header(head, "content-length") == str(len(SITE["/app.js"]))
    assert (head.status, head.body, head.file) == (200, b"", None)
    assert get.file == "/app.js"


@pytest.mark.parametrize("path", ["/missing", "/%00"])
def test_head_on_a_miss(path: str) -> None:
    get, head = ask("GET", path), ask("HEAD", path)
    assert head.headers == get.headers
    assert (head.status, head.body) == (404, b"")


def test_head_redirects_like_get() -> None:
    assert ask("HEAD", "/about.html") == ask("GET", "/about.html")


# --- no manifest ------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "HEAD", "POST"])
@pytest.mark.parametrize("path", ["/", "/app.js", "/%00", "//x", "*"])
def test_no_manifest(method: str, path: str) -> None:
    response = ask(method, path, manifest=None)
    assert response.status == 404
    assert response.body == (b"" if method == "HEAD" else b"No assets found")
    assert header(response, "content-type") == TEXT
    assert header(response, "content-length") == str(len(b"No assets found"))


def test_empty_manifest_is_not_no_manifest() -> None:
    response = ask(path="/", manifest=build_asset_manifest({}))
    assert (response.status, response.body) == (404, b"Not Found")


# --- headers of served files -------------------------------------------------------------


def test_served_headers() -> None:
    response = ask(path="/app.js")
    assert response.headers == (
        ("content-type", "application/javascript; charset=utf-8"),
        ("etag", etag_for(SITE["/app.js"])),
        ("cache-control", "public, max-age=0, must-revalidate"),
        ("content-length", str(len(SITE["/app.js"]))),
        ("accept-ranges", "bytes"),
        ("x-content-type-options", "nosniff"),
    )


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/", "text/html; charset=utf-8"),
        ("/about", "text/html; charset=utf-8"),
        ("/LICENSE", "application/octet-stream"),
        ("/data.bin", "application/octet-stream"),
        (NIHONGO, TEXT),
    ],
)
def test_served_content_types(path: str, content_type: str) -> None:
    assert header(ask(path=path), "content-type") == content_type


def test_same_bytes_same_etag() -> None:
    assert header(ask(path="/copy.txt"), "etag") == header(ask(path="/hello%20world.txt"), "etag")


@pytest.mark.parametrize(
    ("files", "path", "immutable"),
    [
        ({"/app.3f9a2b1c.js": b"x"}, "/app.3f9a2b1c.js", True),
        ({"/style.0123456789abcdef.css": b"x"}, "/style.0123456789abcdef.css", True),
        ({"/a/b.deadbeef.woff2": b"x"}, "/a/b.deadbeef.woff2", True),
        ({"/x.12345678.j_s": b"x"}, "/x.12345678.j_s", True),
        ({"/app.js": b"x"}, "/app.js", False),
        ({"/app.3f9a2b1.js": b"x"}, "/app.3f9a2b1.js", False),
        ({"/app.3F9A2B1C.js": b"x"}, "/app.3F9A2B1C.js", False),
        ({"/app.3f9a2b1g.js": b"x"}, "/app.3f9a2b1g.js", False),
        ({"/app-3f9a2b1c.js": b"x"}, "/app-3f9a2b1c.js", False),
        ({"/3f9a2b1c.js": b"x"}, "/3f9a2b1c.js", False),
        ({"/app.3f9a2b1c.js.map": b"x"}, "/app.3f9a2b1c.js.map", False),
        ({"/app.3f9a2b1c.js-x": b"x"}, "/app.3f9a2b1c.js-x", False),
        ({"/p.3f9a2b1c.html": b"x"}, "/p.3f9a2b1c", False),
        ({"/x.12345678.é": b"x"}, "/x.12345678.%C3%A9", False),
        ({"/x.12345678.js\n": b"x"}, "/x.12345678.js%0A", False),
    ],
)
def test_cache_control(files: dict[str, bytes], path: str, immutable: bool) -> None:
    manifest = Manifest({path: entry_for(path, content) for path, content in files.items()})
    response = ask(path=path, manifest=manifest)
    assert response.status == 200
    expected = (
        "public, max-age=31536000, immutable" if immutable else "public, max-age=0, must-revalidate"
    )
    assert header(response, "cache-control") == expected


# --- If-None-Match ---------------------------------------------------------------------

APP_TAG = etag_for(SITE["/app.js"])

CONDITIONAL = [
    (APP_TAG, 304),
    ("W/" + APP_TAG, 304),
    (f'"nope", {APP_TAG}', 304),
    (f" {APP_TAG} ,", 304),
    ("*", 200),
    (APP_TAG.strip('"'), 200),
    ('"nope"', 200),
    ("", 200),
    (APP_TAG.upper(), 200),
]


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize(("value", "status"), CONDITIONAL)
def test_if_none_match(method: str, value: str, status: int) -> None:
    response = ask(method, "/app.js", headers={"if-none-match": value})
    assert response.status == status
    if status == 304:
        assert response.headers == (
            ("etag", APP_TAG),
            ("content-type", "application/javascript; charset=utf-8"),
            ("cache-control", "public, max-age=0, must-revalidate"),
        )
        assert (response.body, response.file) == (b"", None)


def test_not_modified_keeps_immutable_caching() -> None:
    tag = etag_for(SITE["/app.3f9a2b1c.js"])
    response = ask(path="/app.3f9a2b1c.js", headers={"if-none-match": tag})
    assert response.status == 304
    assert header(response, "cache-control") == "public, max-age=31536000, immutable"


def test_if_none_match_wins_over_if_modified_since() -> None:
    future = "Fri, 01 Jan 2100 00:00:00 GMT"
    past = "Thu, 01 Jan 1970 00:00:00 GMT"
    hit = {"if-none-match": APP_TAG, "if-modified-since": past}
    miss = {"if-none-match": '"nope"', "if-modified-since": future}
    assert ask(path="/app.js", headers=hit).status == 304
    assert ask(path="/app.js", headers=miss).status == 200


def test_if_none_match_does_not_skip_redirects() -> None:
    tag = etag_for(SITE["/about.html"])
    assert ask(path="/about.html", headers={"if-none-match": tag}).status == 307
    assert ask(path="/about", headers={"if-none-match": tag}).status == 304


# --- not_found_handling: 404-page ------------------------------------------------------

PAGE_CASES = [
    ("/missing", "/404.html"),
    ("/a/b/c", "/404.html"),
    ("/docs/x", "/docs/404.html"),
    ("/docs/deep/er/x", "/docs/404.html"),
    ("/docs/", "/docs/404.html"),
]


@pytest.mark.parametrize(("path", "page"), PAGE_CASES)
def test_404_page(path: str, page: str) -> None:
    response = ask(path=path, not_found_handling="404-page")
    assert (response.status, response.file, response.body) == (404, page, b"")
    assert response.headers == (
        ("content-type", "text/html; charset=utf-8"),
        ("cache-control", "public, max-age=0, must-revalidate"),
        ("content-length", str(len(SITE[page]))),
        ("x-content-type-options", "nosniff"),
    )


def test_404_page_head_and_other_methods() -> None:
    head = ask("HEAD", "/missing", not_found_handling="404-page")
    assert (head.status, head.file, head.body) == (404, None, b"")
    post = ask("POST", "/missing", not_found_handling="404-page")
    assert (post.status, post.file, post.body) == (404, None, b"Not Found")


def test_404_page_ignores_if_none_match() -> None:
    tag = etag_for(SITE["/404.html"])
    response = ask(path="/x", headers={"if-none-match": tag}, not_found_handling="404-page")
    assert (response.status, response.file) == (404, "/404.html")


def test_404_page_leaves_hits_alone() -> None:
    assert ask(path="/404", not_found_handling="404-page").status == 200
    assert ask(path="/app.js", not_found_handling="404-page").file == "/app.js"
    assert ask(path="/about.html", not_found_handling="404-page").status == 307


@pytest.mark.parametrize("path", ["/%00", "/%ff"])
def test_unresolvable_paths_get_a_plain_404(path: str) -> None:
    for mode in ("404-page", "single-page-application"):
        response = ask(path=path, headers={"accept": "text/html"}, not_found_handling=mode)
        assert (response.status, response.body, response.file) == (404, b"Not Found", None)


def test_404_page_missing_everywhere() -> None:
    manifest = build_asset_manifest({"/app.js": b"x"})
    response = ask(path="/x", manifest=manifest, not_found_handling="404-page")
    assert (response.status, response.body) == (404, b"Not Found")


# --- not_found_handling: single-page-application ---------------------------------------

HTML_ACCEPT = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}

SPA_CASES = [
    ("GET", "/route", HTML_ACCEPT, 200, "/index.html"),
    ("GET", "/deep/route/", HTML_ACCEPT, 200, "/index.html"),
    ("GET", "/route", {"accept": "TEXT/HTML"}, 200, "/index.html"),
    ("HEAD", "/route", HTML_ACCEPT, 200, None),
    ("GET", "/route", {"accept": "application/json"}, 404, None),
    ("GET", "/route", {"accept": "*/*"}, 404, None),
    ("GET", "/route", {}, 404, None),
    ("GET", "/missing.js", {"accept": "*/*"}, 404, None),
    ("POST", "/route", HTML_ACCEPT, 404, None),
]


@pytest.mark.parametrize(("method", "path", "headers", "status", "file"), SPA_CASES)
def test_single_page_application(
    method: str, path: str, headers: dict[str, str], status: int, file: str | None
) -> None:
    response = ask(method, path, headers=headers, not_found_handling="single-page-application")
    assert (response.status, response.file) == (status, file)
    assert header(response, "vary") == "Accept"


def test_spa_fallback_headers_and_304() -> None:
    spa = "single-page-application"
    response = ask(path="/route.3f9a2b1c.js", headers=HTML_ACCEPT, not_found_handling=spa)
    assert header(response, "cache-control") == "public, max-age=0, must-revalidate"
    assert header(response, "etag") == etag_for(SITE["/index.html"])
    tag = etag_for(SITE["/index.html"])
    again = ask(
        path="/route", headers={**HTML_ACCEPT, "if-none-match": tag}, not_found_handling=spa
    )
    assert (again.status, again.file, header(again, "vary")) == (304, None, "Accept")


def test_spa_leaves_hits_alone() -> None:
    spa = "single-page-application"
    assert ask(path="/app.js", headers=HTML_ACCEPT, not_found_handling=spa) == ask(path="/app.js")
    assert ask(path="/about.html", headers=HTML_ACCEPT, not_found_handling=spa).status == 307


def test_spa_without_index() -> None:
    manifest = build_asset_manifest({"/app.js": b"x"})
    response = ask(
        path="/route",
        headers=HTML_ACCEPT,
        manifest=manifest,
        not_found_handling="single-page-application",
    )
    assert (response.status, response.body) == (404, b"Not Found")


# --- other html_handling modes through the handler ----------------------------------------

MODES = [
    ("force-trailing-slash", "/about/", 200, "/about.html"),
    ("force-trailing-slash", "/about", 307, "/about/"),
    ("force-trailing-slash", "/about.html", 307, "/about/"),
    ("force-trailing-slash", "/dir", 307, "/dir/"),
    ("drop-trailing-slash", "/dir", 200, "/dir/index.html"),
    ("drop-trailing-slash", "/dir/", 307, "/dir"),
    ("drop-trailing-slash", "/about/", 307, "/about"),
    ("drop-trailing-slash", "/", 200, "/index.html"),
    ("none", "/about", 404, None),
    ("none", "/about.html", 200, "/about.html"),
    ("none", "/", 404, None),
    ("none", "/index.html", 200, "/index.html"),
    ("none", "/%61pp.js", 307, "/app.js"),
]


@pytest.mark.parametrize(("mode", "path", "status", "where"), MODES)
def test_html_modes(mode: str, path: str, status: int, where: str | None) -> None:
    response = ask(path=path, html_handling=mode)
    assert response.status == status
    if status == 307:
        assert header(response, "location") == where
    else:
        assert response.file == where


# --- properties --------------------------------------------------------------------------

TOKENS = [
    "/", "//", ".", "..", "%2e", "%2E", "%2f", "%2F", "%", "%zz", "%00", "%ff", "%25",
    "%61", "a", "app", ".js", ".html", "index", "dir", "about", "404", "+", " ", "\\",
    "日本語", ".txt", "%E6%97%A5",
]  # fmt: skip
request_paths = st.lists(st.sampled_from(TOKENS), max_size=12).map(lambda t: "/" + "".join(t))
modes = st.sampled_from(["auto-trailing-slash", "force-trailing-slash", "drop-trailing-slash"])


@given(request_paths, modes)
def test_any_request_gets_a_sane_answer(path: str, mode: str) -> None:
    response = ask(path=path, html_handling=mode)
    assert response.status in (200, 307, 404)
    assert response.file is None or response.file in SITE
    if response.status == 307:
        location = header(response, "location") or ""
        assert location.startswith("/")
        assert not location.startswith("//")
        assert location.isascii()
        assert "\\" not in location
        followed = ask(path=location, html_handling=mode)
        assert followed.status == 200
        assert header(followed, "location") is None
