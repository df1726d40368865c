"""URL patterns of `_headers` and `_redirects` (spec: Beyond the model, `:placeholder`, `*`)."""

from __future__ import annotations

import contextlib
import re
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from host.assets.patterns import (
    Pattern,
    PatternError,
    PatternIndex,
    parse_pattern,
    split_path,
    substitute,
)

MATCHES: list[tuple[str, str, dict[str, str] | None]] = [
    # literal
    ("/", "/", {}),
    ("/", "/a", None),
    ("/a", "/a", {}),
    ("/a", "/a/", None),
    ("/a/", "/a/", {}),
    ("/a/", "/a", None),
    ("/a", "/A", None),
    ("/a/b", "/a/b", {}),
    ("/a b", "/a b", {}),
    ("/a%20b", "/a b", {}),
    ("/%61", "/a", {}),
    ("/a%2Fb", "/a/b", {}),
    ("/日本語", "/日本語", {}),
    ("/%E6%97%A5", "/日", {}),
    ("/100%", "/100%", {}),
    ("/%zz", "/%zz", {}),
    ("/a%3Ab", "/a:b", {}),
    ("/a%2A", "/a*", {}),
    ("/a%2A", "/ab", None),
    ("/page#frag", "/page", {}),
    # splat
    ("/*", "/", {"splat": ""}),
    ("/*", "/a", {"splat": "a"}),
    ("/*", "/a/b/c", {"splat": "a/b/c"}),
    ("/*", "/a/", {"splat": "a/"}),
    ("/blog/*", "/blog/", {"splat": ""}),
    ("/blog/*", "/blog/x", {"splat": "x"}),
    ("/blog/*", "/blog/x/y", {"splat": "x/y"}),
    ("/blog/*", "/blog", None),
    ("/blog/*", "/blogs/x", None),
    ("/blog*", "/blog", {"splat": ""}),
    ("/blog*", "/blogs/x", {"splat": "s/x"}),
    ("/*.jpg", "/a.jpg", {"splat": "a"}),
    ("/*.jpg", "/a/b.jpg", {"splat": "a/b"}),
    ("/*.jpg", "/.jpg", {"splat": ""}),
    ("/*.jpg", "/a.png", None),
    ("/*.jpg", "/a.jpg/", None),
    ("/a*b/c", "/ax/yb/c", {"splat": "x/y"}),
    ("/a*b/c", "/ab/c", {"splat": ""}),
    ("/ab*ba", "/aba", None),
    ("/ab*ba", "/abba", {"splat": ""}),
    ("/*/edit", "/x/y/edit", {"splat": "x/y"}),
    ("/*/edit", "/edit", None),
    ("/*/edit", "//edit", {"splat": ""}),
    ("/a/*/z", "/a/z", None),
    ("/a/*/z", "/a/m/z", {"splat": "m"}),
    ("/a/*/z", "/a/m/n/z", {"splat": "m/n"}),
    ("/x/*", "/x/a b", {"splat": "a%20b"}),
    ("/x/*", "/x/日", {"splat": "%E6%97%A5"}),
    ("/x/*", "/x/a?b#c", {"splat": "a%3Fb%23c"}),
    ("/x/*", "/x/a\r\nb", {"splat": "a%0D%0Ab"}),
    ("/x/*", "/x/a+b@c", {"splat": "a%2Bb%40c"}),
    ("/x/*", "/x/(a)!*'~", {"splat": "(a)!*'~"}),
    # placeholders
    ("/:id", "/42", {"id": "42"}),
    ("/:id", "/", None),
    ("/:id", "/42/", None),
    ("/:id", "/a/b", None),
    ("/users/:id", "/users/7", {"id": "7"}),
    ("/users/:id", "/users/", None),
    ("/users/:id/edit", "/users/7/edit", {"id": "7"}),
    ("/blog/:year/:month/:slug", "/blog/2024/05/hi", {"year": "2024", "month": "05", "slug": "hi"}),
    ("/:slug.html", "/a.html", {"slug": "a"}),
    ("/:slug.html", "/.html", None),
    ("/:slug.html", "/a.b.html", {"slug": "a.b"}),
    ("/p-:id", "/p-1", {"id": "1"}),
    ("/p-:id", "/p-", None),
    ("/p-:id-x", "/p-1-x", {"id": "1"}),
    ("/p-:id-x", "/p--x", None),
    ("/:a/:b", "/1/2", {"a": "1", "b": "2"}),
    ("/:id_2/:id", "/x/y", {"id_2": "x", "id": "y"}),
    ("/:Name", "/v", {"Name": "v"}),
    ("/:n", "/a b", {"n": "a%20b"}),
    ("/:splat", "/x", {"splat": "x"}),
    ("/:splat", "/x/y", None),
    ("/:a/*", "/1/2/3", {"a": "1", "splat": "2/3"}),
    ("/*/:a", "/1/2/3", {"splat": "1/2", "a": "3"}),
    ("/*/:a.json", "/1/2/x.json", {"splat": "1/2", "a": "x"}),
    # a colon that does not start a placeholder is literal
    ("/a:", "/a:", {}),
    ("/a:1", "/a:1", {}),
    ("/:1", "/:1", {}),
    ("/:_x", "/:_x", {}),
    ("/a::b", "/a:x", {"b": "x"}),
]


@pytest.mark.parametrize(("pattern", "path", "expected"), MATCHES)
def test_match(pattern: str, path: str, expected: dict[str, str] | None) -> None:
    assert parse_pattern(pattern).match(split_path(path)) == expected


HOSTS: list[tuple[str, str, str, dict[str, str] | None]] = [
    ("https://example.com/*", "example.com", "/a", {"splat": "a"}),
    ("https://example.com/*", "EXAMPLE.com", "/a", {"splat": "a"}),
    ("https://Example.COM/x", "example.com", "/x", {}),
    ("https://example.com/*", "other.com", "/a", None),
    ("https://example.com/*", "", "/a", None),
    ("https://example.com", "example.com", "/", {}),
    ("https://example.com", "example.com", "/a", None),
    ("https://:sub.example.com/*", "foo.example.com", "/a", {"sub": "foo", "splat": "a"}),
    ("https://:sub.example.com/*", "example.com", "/a", None),
    ("https://:sub.example.com/*", "a.b.example.com", "/a", None),
    (
        "https://:v.:p.workers.dev/*",
        "v1.proj.workers.dev",
        "/",
        {"v": "v1", "p": "proj", "splat": ""},
    ),
    ("https://*.example.com/x", "a.b.example.com", "/x", {"splat": "a.b"}),
    ("https://*.example.com/x", "example.com", "/x", None),
    ("https://app-:id.example.com/", "app-7.example.com", "/", {"id": "7"}),
]


@pytest.mark.parametrize(("pattern", "host", "path", "expected"), HOSTS)
def test_match_with_host(
    pattern: str, host: str, path: str, expected: dict[str, str] | None
) -> None:
    parsed = parse_pattern(pattern, allow_host=True)
    assert parsed.match(split_path(path), host) == expected


INVALID: list[tuple[str, bool, str]] = [
    ("", False, "start with '/'"),
    ("a", False, "start with '/'"),
    ("*", False, "start with '/'"),
    (":id", False, "start with '/'"),
    ("https://example.com/", False, "only paths"),
    ("http://example.com/", True, "https://"),
    ("ftp://example.com/", True, "https://"),
    ("//example.com/", True, "empty segment"),
    ("example.com/a", True, "start with '/' or 'https://'"),
    ("https://", True, "no host"),
    ("https:///a", True, "no host"),
    ("https://example.com:8080/", True, "ports"),
    ("https://example.com:/", True, "ports"),
    ("https://exa%6Dple.com/", True, "bad host"),
    ("https://a..b/", True, "empty label"),
    ("https://:a-:b.com/", True, "at most one placeholder"),
    ("https://*.*.com/", True, "at most one '*'"),
    ("https://*.com/*", True, "at most one '*'"),
    ("/a?b=1", False, "query"),
    ("/?", False, "query"),
    ("/a//b", False, "empty segment"),
    ("//a", False, "empty segment"),
    ("/a/../b", False, "'..'"),
    ("/./a", False, "'.'"),
    ("/%2e%2e/a", False, "'..'"),
    ("/a/%2E", False, "'.'"),
    ("/a%2F%2Fb", False, "empty segment"),
    ("/%00", False, "NUL"),
    ("/a%00b", False, "NUL"),
    ("/%ff", False, "invalid UTF-8"),
    ("/%c0%af", False, "invalid UTF-8"),
    ("/*/*", False, "at most one '*'"),
    ("/**", False, "at most one placeholder"),
    ("/:a:b", False, "at most one placeholder"),
    ("/:a-:b", False, "at most one placeholder"),
    ("/:a*", False, "at most one placeholder"),
    ("/x*:a", False, "at most one placeholder"),
    ("/:id/:id", False, "more than once"),
    ("/:splat/*", False, "more than once"),
]


@pytest.mark.parametrize(("text", "allow_host", "reason"), INVALID)
def test_invalid_patterns(text: str, allow_host: bool, reason: str) -> None:
    with pytest.raises(PatternError, match=re.escape(reason)):
        parse_pattern(text, allow_host=allow_host)


LITERAL = [
    ("/", "/"),
    ("/a", "/a"),
    ("/a/", "/a/"),
    ("/a%20b", "/a b"),
    ("/a%2Fb", "/a/b"),
    ("/x#frag", "/x"),
    ("/:id", None),
    ("/*", None),
    ("/a:", "/a:"),
]


@pytest.mark.parametrize(("text", "literal"), LITERAL)
def test_literal_path(text: str, literal: str | None) -> None:
    assert parse_pattern(text).literal_path == literal


def test_url_pattern_is_never_literal() -> None:
    assert parse_pattern("https://example.com/a", allow_host=True).literal_path is None


SUBSTITUTE = [
    ("/news/:year/:slug", {"year": "2024", "slug": "hi"}, "/news/2024/hi"),
    ("/:splat", {"splat": "a/b"}, "/a/b"),
    ("/:id_2-:id", {"id": "1", "id_2": "2"}, "/2-1"),
    ("/:unknown", {"id": "1"}, "/:unknown"),
    ("/wiki/Special:Search", {"Search": "x"}, "/wiki/Specialx"),
    ("https://example.com:8080/:id", {"id": "1"}, "https://example.com:8080/1"),
    ("/:id:id", {"id": "1"}, "/11"),
    ("/?a=:a&b=:b", {"a": "x"}, "/?a=x&b=:b"),
    ("/:a", {}, "/:a"),
    ("/:a", {"a": ":b", "b": "no"}, "/:b"),
]


@pytest.mark.parametrize(("template", "captures", "expected"), SUBSTITUTE)
def test_substitute(template: str, captures: dict[str, str], expected: str) -> None:
    assert substitute(template, captures) == expected


def test_hostile_paths_match_in_linear_time() -> None:
    patterns = [parse_pattern(p) for p in ["/*/:a/:b/:c.html", "/:a.html", "/x*y/z"]]
    segment = "a" * 200_000
    paths = [split_path("/" + "a/" * 50_000 + "b"), split_path("/" + segment), [segment] * 3]
    started = time.perf_counter()
    for pattern in patterns:
        for path in paths:
            pattern.match(path)
    assert time.perf_counter() - started < 1.0


TOKENS = ["/", "a", "b", ":x", ":y", "*", ".", "%20", "%2F", "-", "html", "日"]
patterns = st.lists(st.sampled_from(TOKENS), max_size=8).map(lambda t: "/" + "".join(t))
paths = st.lists(st.sampled_from(["a", "b", ".html", "-", " ", "日", "/"]), max_size=10)


@given(patterns, paths.map(lambda t: "/" + "".join(t)))
def test_match_never_raises_and_captures_are_encoded(pattern: str, path: str) -> None:
    try:
        parsed = parse_pattern(pattern)
    except PatternError:
        return
    captures = parsed.match(split_path(path))
    if captures is not None:
        for value in captures.values():
            assert value.isascii()
            assert " " not in value


def _parsed(texts: list[str]) -> list[Pattern]:
    """The patterns among `texts` that parse."""
    parsed = []
    for text in texts:
        with contextlib.suppress(PatternError):
            parsed.append(parse_pattern(text))
    return parsed


@given(st.lists(patterns, max_size=12), paths.map(lambda t: "/" + "".join(t)))
def test_index_keeps_every_match_in_order(texts: list[str], path: str) -> None:
    parsed = _parsed(texts)
    segments = split_path(path)
    index = PatternIndex(parsed, lambda pattern: pattern)
    everything = [p for p in parsed if p.match(segments) is not None]
    narrowed = [p for p in index.candidates(segments) if p.match(segments) is not None]
    assert narrowed == everything


def test_index_narrows_by_first_segment() -> None:
    parsed = [parse_pattern(t) for t in ["/a/*", "/*", "/b", "/a/x", "/:id", "/"]]
    index = PatternIndex(parsed, lambda pattern: pattern)
    texts = [p.text for p in index.candidates(split_path("/a/x"))]
    assert texts == ["/a/*", "/*", "/a/x", "/:id"]
    assert [p.text for p in index.candidates(split_path("/"))] == ["/*", "/:id", "/"]
    assert [p.text for p in index.candidates(split_path("/zzz"))] == ["/*", "/:id"]
