"""Request path resolution and canonical encoding (spec: Path handling)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from host.assets.paths import canonical_path, decode_segment, resolve_request_path

RESOLVED = [
    # plain paths and roots
    ("/", "/"),
    ("", "/"),
    ("/app.js", "/app.js"),
    ("/dir/", "/dir/"),
    ("/dir/sub/file.txt", "/dir/sub/file.txt"),
    # runs of slashes collapse
    ("//app.js", "/app.js"),
    ("///a///b//", "/a/b/"),
    ("/a//", "/a/"),
    ("//", "/"),
    ("////////", "/"),
    # dot segments, literal
    ("/a/./b", "/a/b"),
    ("/./app.js", "/app.js"),
    ("/a/../b", "/b"),
    ("/a/b/../../c", "/c"),
    ("/a/..", "/"),
    ("/a/.", "/a/"),
    ("/a/b/..", "/a/"),
    ("/.", "/"),
    ("/..", "/"),
    # dot segments never climb above the root
    ("/../app.js", "/app.js"),
    ("/../../../etc/passwd", "/etc/passwd"),
    ("/a/../../b", "/b"),
    ("/../../..", "/"),
    # dot segments, percent-encoded in every case mix
    ("/%2e/app.js", "/app.js"),
    ("/%2E/app.js", "/app.js"),
    ("/%2e%2e/app.js", "/app.js"),
    ("/%2E%2E/app.js", "/app.js"),
    ("/%2e%2E/a", "/a"),
    ("/%2E%2e/a", "/a"),
    ("/.%2e/a", "/a"),
    ("/%2e./a", "/a"),
    ("/a/%2e%2e/b", "/b"),
    ("/a/b/%2e%2e", "/a/"),
    ("/a/%2e", "/a/"),
    # %2F is a real slash, so it can build dot segments too
    ("/a%2fb", "/a/b"),
    ("/a%2Fb", "/a/b"),
    ("/a%2F..%2Fb", "/b"),
    ("/a/%2e%2e%2f%2e%2e%2fetc/passwd", "/etc/passwd"),
    ("/%2F%2Fapp.js", "/app.js"),
    ("/%2Fapp.js", "/app.js"),
    ("/a%2F", "/a/"),
    ("/a%2F%2E", "/a/"),
    ("/%2F..%2F..%2Fx", "/x"),
    # needless and lower-case escapes decode
    ("/%61pp.js", "/app.js"),
    ("/%41", "/A"),
    ("/hello%20world.txt", "/hello world.txt"),
    ("/%C3%A9", "/é"),
    ("/%c3%a9", "/é"),
    ("/%e6%97%a5%e6%9c%ac%e8%aa%9e.txt", "/日本語.txt"),
    ("/%F0%9F%98%80", "/😀"),
    # + is not a space in a path; spaces and other characters stay as sent
    ("/a+b.txt", "/a+b.txt"),
    ("/%2B", "/+"),
    ("/a b", "/a b"),
    ("/a@b:c;d=e&f,g$h!i~j*k'l(m)n", "/a@b:c;d=e&f,g$h!i~j*k'l(m)n"),
    # raw non-ASCII is taken as itself
    ("/日本語.txt", "/日本語.txt"),
    # a segment with a bad escape is kept exactly as sent
    ("/%", "/%"),
    ("/%2", "/%2"),
    ("/%zz", "/%zz"),
    ("/%g0", "/%g0"),
    ("/a%zz%20", "/a%zz%20"),
    ("/%2e%zz", "/%2e%zz"),
    ("/%%2e%2e", "/%%2e%2e"),
    ("/%zz%00", "/%zz%00"),
    ("/%zz%ff", "/%zz%ff"),
    ("/ok%20/%zz/x%41", "/ok /%zz/xA"),
    ("/%zz/../a", "/a"),
    # double encoding decodes once
    ("/%25", "/%"),
    ("/%252e%252e/", "/%2e%2e/"),
    ("/%252F", "/%2F"),
    # backslashes are ordinary characters
    ("/a\\b", "/a\\b"),
    ("/..\\..\\x", "/..\\..\\x"),
    ("/%5C..%5Cx", "/\\..\\x"),
    # dots that are not dot segments
    ("/...", "/..."),
    ("/.../a", "/.../a"),
    ("/..a", "/..a"),
    ("/a..", "/a.."),
    ("/.well-known/x", "/.well-known/x"),
    ("/%2e%2e%2e", "/..."),
    # query-ish and fragment-ish characters, when encoded, are part of the name
    ("/a%3Fb", "/a?b"),
    ("/a%23b", "/a#b"),
]

NOT_FOUND = [
    "/%00",
    "/a%00b",
    "/app.js%00",
    "/app.js%00.html",
    "/a\x00b",
    "/\x00",
    "/%ff",
    "/%FF",
    "/a%fe",
    "/%c3",
    "/%c3%28",
    "/%80",
    "/%ed%a0%80",
    "/%f8%88%80%80%80",
    "/%c0%af",
    "/%c0%ae%c0%ae/etc",
    "/%e0%80%af",
    "/%f4%90%80%80",
    "/ok/%ff/../x",
    "/\udcff",
    "/a\ud800",
    "app.js",
    "*",
    "http://example.com/app.js",
    "%2Fapp.js",
    "\\app.js",
    ".",
    "..",
]


@pytest.mark.parametrize(("raw", "decoded"), RESOLVED)
def test_resolves(raw: str, decoded: str) -> None:
    assert resolve_request_path(raw) == decoded


@pytest.mark.parametrize("raw", NOT_FOUND)
def test_unresolvable(raw: str) -> None:
    assert resolve_request_path(raw) is None


@pytest.mark.parametrize(
    ("raw", "decoded"),
    [
        ("/" + "a/" * 10_000, "/" + "a/" * 10_000),
        ("/" + "../" * 10_000 + "x", "/x"),
        ("/" + "%2e%2e/" * 10_000 + "x", "/x"),
        ("/" + "/" * 100_000 + "x", "/x"),
        ("/" + "a" * 100_000, "/" + "a" * 100_000),
        ("/" + "%41" * 30_000, "/" + "A" * 30_000),
    ],
    ids=["deep", "dotdot", "encoded-dotdot", "slashes", "long-name", "long-escapes"],
)
def test_overlong_paths(raw: str, decoded: str) -> None:
    assert resolve_request_path(raw) == decoded


@pytest.mark.parametrize(
    ("raw", "decoded"),
    [
        ("abc", "abc"),
        ("", ""),
        ("%2e", "."),
        ("%2F", "/"),
        ("%zz", "%zz"),
        ("%", "%"),
        ("a%2", "a%2"),
        ("%00", None),
        ("%ff", None),
        ("\x00", None),
    ],
)
def test_decode_segment(raw: str, decoded: str | None) -> None:
    assert decode_segment(raw) == decoded


CANONICAL = [
    ("/", "/"),
    ("/app.js", "/app.js"),
    ("/dir/", "/dir/"),
    ("/hello world.txt", "/hello%20world.txt"),
    ("/a+b@c.txt", "/a%2Bb%40c.txt"),
    ("/日本語.txt", "/%E6%97%A5%E6%9C%AC%E8%AA%9E.txt"),
    ("/é", "/%C3%A9"),
    ("/😀", "/%F0%9F%98%80"),
    ("/!~*'().txt", "/!~*'().txt"),
    ("/A-Z_a.z~0-9", "/A-Z_a.z~0-9"),
    ("/a%b", "/a%25b"),
    ("/%zz", "/%25zz"),
    ("/a?b#c", "/a%3Fb%23c"),
    ("/a:b;c=d&e,f$g", "/a%3Ab%3Bc%3Dd%26e%2Cf%24g"),
    ("/\\", "/%5C"),
    ('/"<>[]{}|^`', "/%22%3C%3E%5B%5D%7B%7D%7C%5E%60"),
    ("/\t\n\r", "/%09%0A%0D"),
    ("/\x7f", "/%7F"),
    ("/a/b c/d", "/a/b%20c/d"),
]


@pytest.mark.parametrize(("decoded", "encoded"), CANONICAL)
def test_canonical_path(decoded: str, encoded: str) -> None:
    assert canonical_path(decoded) == encoded


# --- properties -------------------------------------------------------------------------

TOKENS = [
    "/", "//", ".", "..", "%2e", "%2E", "%2e%2E", "%2f", "%2F", "%", "%2", "%zz", "%00",
    "%ff", "%c3", "%a9", "%25", "a", "é", "日", "\\", "+", " ", "%20", "?", "#", "\x00",
]  # fmt: skip
hostile_paths = st.lists(st.sampled_from(TOKENS), max_size=30).map("".join)
any_paths = st.one_of(hostile_paths, st.text(), hostile_paths.map(lambda p: "/" + p))


def _check_resolved(decoded: str | None) -> None:
    """Assert a resolved path is rooted, dot-free and NUL-free."""
    if decoded is None:
        return
    assert decoded.startswith("/")
    assert "\x00" not in decoded
    segments = decoded[1:].split("/")
    assert "." not in segments
    assert ".." not in segments
    assert "" not in segments[:-1]
    decoded.encode("utf-8")


@given(any_paths)
def test_resolution_never_raises_nor_escapes(raw: str) -> None:
    _check_resolved(resolve_request_path(raw))


@given(any_paths)
def test_resolution_is_stable_through_canonical(raw: str) -> None:
    decoded = resolve_request_path(raw)
    if decoded is not None:
        assert resolve_request_path(canonical_path(decoded)) == decoded


segment_text = st.text(
    st.characters(exclude_categories=["Cs"], exclude_characters="/\x00"), min_size=1
).filter(lambda s: s not in (".", ".."))
decoded_paths = st.builds(
    lambda segments, slash: "/" + "/".join(segments) + ("/" if slash and segments else ""),
    st.lists(segment_text, max_size=6),
    st.booleans(),
)


@given(decoded_paths)
def test_canonical_round_trips(decoded: str) -> None:
    encoded = canonical_path(decoded)
    assert encoded.isascii()
    assert resolve_request_path(encoded) == decoded
    assert canonical_path(resolve_request_path(encoded) or "") == encoded


_UNRESERVED = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.!~*'()")


def _encode_uri_component(text: str) -> str:
    """Reference encodeURIComponent, written from the ECMAScript definition."""
    return "".join(
        char if char in _UNRESERVED else "".join(f"%{byte:02X}" for byte in char.encode())
        for char in text
    )


@given(st.lists(segment_text, max_size=6))
def test_canonical_matches_encode_uri_component(segments: list[str]) -> None:
    decoded = "/" + "/".join(segments)
    assert canonical_path(decoded) == "/" + "/".join(map(_encode_uri_component, segments))
