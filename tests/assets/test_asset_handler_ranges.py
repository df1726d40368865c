"""Range requests through the handler (spec: Beyond the model, Range requests)."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from hypothesis import given
from hypothesis import strategies as st

from host.assets.handler import AssetResponse, handle_asset_request
from host.assets.manifest import Manifest, build_asset_manifest, etag_for
from host.assets.options import AssetOptions
from host.assets.ranges import ByteRange

DATA = bytes(range(100))
SITE = {
    "/data.bin": DATA,
    "/empty.txt": b"",
    "/app.3f9a2b1c.js": DATA,
    "/404.html": b"<h1>lost</h1>",
    "/index.html": b"<h1>home</h1>",
}
MANIFEST = build_asset_manifest(SITE)
TAG = etag_for(DATA)


def ask(
    path: str = "/data.bin",
    headers: Mapping[str, str] | None = None,
    method: str = "GET",
    manifest: Manifest = MANIFEST,
    **options: str,
) -> AssetResponse:
    """Run the handler."""
    opts = AssetOptions.from_mapping(options)
    return handle_asset_request(manifest, method, path, "", headers or {}, opts)


def header(response: AssetResponse, name: str) -> str | None:
    """One header value, or None."""
    return dict(response.headers).get(name)


PARTIAL = [
    ("bytes=0-9", 0, 10),
    ("bytes=90-", 90, 100),
    ("bytes=-5", 95, 100),
    ("bytes=0-0", 0, 1),
    ("bytes=99-200", 99, 100),
    ("bytes=0-", 0, 100),
    ("bytes=-1000", 0, 100),
]


@pytest.mark.parametrize(("value", "start", "end"), PARTIAL)
def test_partial_content(value: str, start: int, end: int) -> None:
    response = ask(headers={"range": value})
    assert response.status == 206
    assert response.file == "/data.bin"
    assert response.byte_range == ByteRange(start, end, 100)
    assert response.headers == (
        ("content-type", "application/octet-stream"),
        ("etag", TAG),
        ("cache-control", "public, max-age=0, must-revalidate"),
        ("content-range", f"bytes {start}-{end - 1}/100"),
        ("content-length", str(end - start)),
        ("accept-ranges", "bytes"),
        ("x-content-type-options", "nosniff"),
    )


@pytest.mark.parametrize("value", ["bytes=100-", "bytes=1000-2000", "bytes=-0"])
def test_unsatisfiable(value: str) -> None:
    response = ask(headers={"range": value})
    assert response.status == 416
    assert (response.file, response.body) == (None, b"Range Not Satisfiable")
    assert response.headers == (
        ("content-type", "text/plain; charset=utf-8"),
        ("content-length", "21"),
        ("content-range", "bytes */100"),
        ("accept-ranges", "bytes"),
        ("x-content-type-options", "nosniff"),
    )


IGNORED = [
    "bytes=0-1,5-9",
    "bytes=5-1",
    "bytes=a-b",
    "bytes=",
    "items=0-1",
    "0-1",
    "bytes=1-2-3",
    "bytes=-",
]


@pytest.mark.parametrize("value", IGNORED)
def test_ignored_ranges_send_the_whole_file(value: str) -> None:
    response = ask(headers={"range": value})
    assert (response.status, response.file, response.byte_range) == (200, "/data.bin", None)
    assert header(response, "content-length") == "100"
    assert header(response, "content-range") is None


IF_RANGE = [
    (TAG, 206),
    (f" {TAG} ", 206),
    ("W/" + TAG, 200),
    ('"stale"', 200),
    ("Fri, 01 Jan 2100 00:00:00 GMT", 200),
    ("Thu, 01 Jan 1970 00:00:00 GMT", 200),
    ("", 200),
    ("*", 200),
]


@pytest.mark.parametrize(("if_range", "status"), IF_RANGE)
def test_if_range(if_range: str, status: int) -> None:
    response = ask(headers={"range": "bytes=0-9", "if-range": if_range})
    assert response.status == status
    assert header(response, "content-length") == ("10" if status == 206 else "100")


def test_if_range_mismatch_beats_unsatisfiable() -> None:
    response = ask(headers={"range": "bytes=500-", "if-range": '"stale"'})
    assert response.status == 200


def test_if_none_match_beats_range() -> None:
    response = ask(headers={"range": "bytes=0-9", "if-none-match": TAG})
    assert (response.status, response.file) == (304, None)


def test_head_gets_the_get_headers_without_body() -> None:
    for value in ("bytes=0-9", "bytes=500-", "bytes=0-1,2-3"):
        get = ask(headers={"range": value})
        head = ask(headers={"range": value}, method="HEAD")
        assert (head.status, head.headers) == (get.status, get.headers)
        assert (head.file, head.body) == (None, b"")


def test_empty_file() -> None:
    assert ask("/empty.txt", {"range": "bytes=0-"}).status == 416
    assert header(ask("/empty.txt", {"range": "bytes=0-"}), "content-range") == "bytes */0"
    suffix = ask("/empty.txt", {"range": "bytes=-5"})
    assert (suffix.status, header(suffix, "content-length")) == (200, "0")


def test_partial_keeps_immutable_caching() -> None:
    response = ask("/app.3f9a2b1c.js", {"range": "bytes=0-1"})
    assert header(response, "cache-control") == "public, max-age=31536000, immutable"


def test_ranges_do_not_apply_to_404_pages_or_redirects() -> None:
    page = ask("/missing", {"range": "bytes=0-1"}, not_found_handling="404-page")
    assert (page.status, page.file, page.byte_range) == (404, "/404.html", None)
    assert ask("/index.html", {"range": "bytes=0-1"}).status == 307
    assert ask("/nope", {"range": "bytes=0-1"}).status == 404


def test_post_with_range_is_still_405() -> None:
    assert ask(headers={"range": "bytes=0-1"}, method="POST").status == 405


@given(st.integers(min_value=0, max_value=150), st.integers(min_value=0, max_value=150))
def test_a_206_body_is_exactly_the_requested_slice(first: int, last: int) -> None:
    response = ask(headers={"range": f"bytes={first}-{last}"})
    if response.status != 206:
        assert response.status == (200 if last < first else 416)
        return
    assert response.byte_range is not None
    body = DATA[response.byte_range.start : response.byte_range.end]
    assert body == DATA[first : last + 1]
    assert header(response, "content-length") == str(len(body))
    assert header(response, "content-range") == f"bytes {first}-{first + len(body) - 1}/100"


@given(st.integers(min_value=1, max_value=150))
def test_a_suffix_206_is_the_tail(length: int) -> None:
    response = ask(headers={"range": f"bytes=-{length}"})
    assert response.status == 206 and response.byte_range is not None
    assert DATA[response.byte_range.start : response.byte_range.end] == DATA[-length:]
