"""`_redirects` parsing and matching (spec: Beyond the model, `_redirects` files)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from host.assets.redirectrules import (
    MAX_DYNAMIC,
    MAX_LINE,
    MAX_STATIC,
    RedirectRules,
    RuleError,
    RuleMatch,
    html_aliases,
    parse_redirects_file,
)
from host.assets.rulefiles import InvalidRuleFile

DOCS_EXAMPLE = """\
/home301 / 301
/home302 / 302
/querystrings /?query=string 301
/twitch https://twitch.tv
/trailing /trailing/ 301
/notrailing/ /nottrailing 301
/page/ /page2/#fragment 301
/blog/* https://blog.my.domain/:splat
/products/:code/:name /products?code=:code&name=:name
"""

DOCS_CASES = [
    ("/home301", "", 301, "/"),
    ("/home302", "", 302, "/"),
    ("/home302", "a=1", 302, "/?a=1"),
    ("/querystrings", "", 301, "/?query=string"),
    ("/querystrings", "other=1", 301, "/?query=string"),
    ("/twitch", "", 302, "https://twitch.tv"),
    ("/twitch", "x=1", 302, "https://twitch.tv?x=1"),
    ("/trailing", "", 301, "/trailing/"),
    ("/notrailing/", "", 301, "/nottrailing"),
    ("/page/", "", 301, "/page2/#fragment"),
    ("/page/", "q=1", 301, "/page2/?q=1#fragment"),
    ("/blog/", "", 302, "https://blog.my.domain/"),
    ("/blog/a/b c", "", 302, "https://blog.my.domain/a/b%20c"),
    ("/products/42/shoe", "", 302, "/products?code=42&name=shoe"),
    ("/products/42/shoe", "x=1", 302, "/products?code=42&name=shoe"),
]


@pytest.mark.parametrize(("path", "query", "status", "location"), DOCS_CASES)
def test_docs_example(path: str, query: str, status: int, location: str) -> None:
    found = parse_redirects_file(DOCS_EXAMPLE).match(path)
    assert found is not None
    assert (found.status, found.location(query)) == (status, location)


@pytest.mark.parametrize(
    "path", ["/", "/home", "/home301/", "/trailing/", "/blog", "/products/42", "/products/4/2/x"]
)
def test_docs_example_misses(path: str) -> None:
    assert parse_redirects_file(DOCS_EXAMPLE).match(path) is None


MATCHES = [
    # first match wins, statics and dynamics in file order
    ("/a /one\n/a /two", "/a", "/one"),
    ("/a/* /one\n/a/b /two", "/a/b", "/one"),
    ("/a/b /one\n/a/* /two", "/a/b", "/one"),
    ("/a/* /one/:splat\n/a/* /two", "/a/x", "/one/x"),
    # decoded matching: encoded and raw spellings are one rule
    ("/a%20b /x", "/a b", "/x"),
    ("/日本 /x", "/日本", "/x"),
    # placeholders and splats into the destination, encoded
    ("/u/:id /users/:id", "/u/a b", "/users/a%20b"),
    ("/u/:id /users/:id", "/u/日", "/users/%E6%97%A5"),
    ("/u/:id /users/:id", "/u/?#", "/users/%3F%23"),
    ("/old/* /new/:splat", "/old/a/b", "/new/a/b"),
    ("/old/* /new/:splat", "/old/", "/new/"),
    ("/old/* /new/:unknown", "/old/x", "/new/:unknown"),
    ("/old/* /new?from=:splat", "/old/x/y", "/new?from=x/y"),
    # runs of slashes collapse in relative destinations (no //host open redirects)
    ("/x/* /:splat", "/x/a", "/a"),
    ("/x/* //evil.example/:splat", "/x/a", "/evil.example/a"),
    ("/x /a//b///c", "/x", "/a/b/c"),
    ("/x /a?u=http://y", "/x", "/a?u=http://y"),
    ("/x https://a.example//b", "/x", "https://a.example//b"),
    # destinations keep what they say, non-ASCII and backslashes percent-encoded
    ("/x /ü", "/x", "/%C3%BC"),
    ("/x /a\\b", "/x", "/a%5Cb"),
    ("/x /a%20b", "/x", "/a%20b"),
    # inline comments from the third token on
    ("/a /b # moved", "/a", "/b"),
    ("/a /b 301 # moved", "/a", "/b"),
    ("/a /b#frag", "/a", "/b#frag"),
]


@pytest.mark.parametrize(("text", "path", "location"), MATCHES)
def test_match(text: str, path: str, location: str) -> None:
    found = parse_redirects_file(text).match(path)
    assert found is not None
    assert found.location("") == location


STATUSES = [
    ("/a /b", 302),
    ("/a /b 301", 301),
    ("/a /b 302", 302),
    ("/a /b 303", 303),
    ("/a /b 307", 307),
    ("/a /b 308", 308),
    ("/a /b 200", 200),
]


@pytest.mark.parametrize(("text", "status"), STATUSES)
def test_statuses(text: str, status: int) -> None:
    found = parse_redirects_file(text).match("/a")
    assert found is not None
    assert found.status == status
    assert found.is_rewrite is (status == 200)


ERRORS = [
    ("/a", "line 1: expected 'source destination [status]', got 1 parts"),
    ("/a /b 301 extra", "got 4 parts"),
    ("/a /b 301 extra # c", "got 4 parts"),
    ("/a /b 404", "status must be 200, 301, 302, 303, 307 or 308, not 404"),
    ("/a /b 300", "not 300"),
    ("/a /b 30", "not 30"),
    ("/a /b 3010", "not 3010"),
    ("/a /b abc", "not abc"),
    ("/a /b ٣٠١", "not ٣٠١"),
    ("/a /b +301", "not +301"),
    ("a /b", "must start with '/'"),
    ("https://x.example/a /b", "only paths"),
    ("/a?x=1 /b", "query strings"),
    ("/a//b /c", "empty segment"),
    ("/a/../b /c", "'..'"),
    ("/:a-:b /c", "at most one placeholder"),
    ("/*/* /c", "at most one '*'"),
    ("/:x/:x /c", "more than once"),
    ("/%00 /c", "NUL"),
    ("/a b", "must start with '/' or 'https://'"),
    ("/a http://example.com", "must start with '/' or 'https://'"),
    ("/a ftp://example.com", "must start with '/' or 'https://'"),
    ("/a https:///x", "no host name"),
    ("/a https://example.com 200", "a rewrite (200) must point to a path"),
    ("/a /b\x00 301", "control character"),
    ("/a /b\x1b", "control character"),
    # loops
    ("/* /index.html 301", "infinite loop"),
    ("/a /a 301", "redirect loop"),
    ("/a /a?x=1 301", "redirect loop"),
    ("/a /a#top 301", "redirect loop"),
    ("/a //a 301", "redirect loop"),
    ("/a/* /a/b", "redirect loop"),
    ("/ /index.html 301", "infinite loop"),
    ("/ /index 301", "infinite loop"),
    ("/docs/ /docs/index.html", "infinite loop"),
    ("/about /about.html 301", "redirect loop"),
    ("/x" + "/y" * 600 + " /z", "line 1: longer than 1000 characters"),
]


@pytest.mark.parametrize(("text", "message"), ERRORS)
def test_errors(text: str, message: str) -> None:
    with pytest.raises(InvalidRuleFile, match=re.escape(message)):
        parse_redirects_file(text)


ALLOWED = [
    "/* / 200",  # a rewrite is not matched again (but this one does answer every path)
    "/spa/* /app.html 200",
    "/index /index.html 200",
    "/index.html / 301",
    "/a /b 301",
    "/a/* /b/:splat 301",
    "/a https://example.com/a 301",
    "/a/:x /a/:x/ 301",  # placeholders in the destination: not checked
    "/old/ /new/ 301",
]


@pytest.mark.parametrize("text", ALLOWED)
def test_allowed(text: str) -> None:
    assert parse_redirects_file(text)


LOOPS_BY_MODE = [
    ("/ /index.html 301", "auto-trailing-slash", True),
    ("/ /index.html 301", "none", False),
    ("/about /about.html 301", "auto-trailing-slash", True),
    ("/about /about.html 301", "drop-trailing-slash", True),
    ("/about /about.html 301", "force-trailing-slash", False),
    ("/about/ /about.html 301", "force-trailing-slash", True),
    ("/docs /docs/index.html 301", "drop-trailing-slash", True),
    ("/docs /docs/index.html 301", "auto-trailing-slash", False),
]


@pytest.mark.parametrize(("text", "mode", "loops"), LOOPS_BY_MODE)
def test_loops_depend_on_html_handling(text: str, mode: str, loops: bool) -> None:
    if loops:
        with pytest.raises(InvalidRuleFile, match="loop"):
            parse_redirects_file(text, mode)
    else:
        assert parse_redirects_file(text, mode)


INDEX_RULES = [
    # (rule, html_handling, refused): the rules Cloudflare drops as infinite loops
    ("/* /index.html 200", "auto-trailing-slash", True),
    ("/* /index.html 200", "none", True),
    ("/* /index 200", "auto-trailing-slash", True),
    ("/* /index.html 301", "drop-trailing-slash", True),
    ("/* /index.html", "force-trailing-slash", True),
    ("/app/* /app/index.html 200", "auto-trailing-slash", True),
    ("/* /foo/index.html 302", "auto-trailing-slash", True),
    ("/* /index.html?v=1 200", "auto-trailing-slash", True),  # the model looks at the raw text
    ("/* /index.html#top 200", "auto-trailing-slash", True),
    ("/ /index.html 200", "auto-trailing-slash", True),
    ("/ /index 200", "force-trailing-slash", True),
    ("/ /index.html 200", "drop-trailing-slash", True),
    ("/old/ /new/index.html 301", "auto-trailing-slash", True),
    ("/ /index.html 200", "none", False),
    ("/ /index 200", "none", False),
    ("/old/ /new/index.html 301", "none", False),
    ("/* https://example.com/index.html 301", "auto-trailing-slash", False),
    ("/* / 200", "auto-trailing-slash", False),
    ("/index /index.html 200", "auto-trailing-slash", False),
    ("/* /index.htm 200", "auto-trailing-slash", False),
    ("/* /app/index.js 200", "auto-trailing-slash", False),
    ("/*/x /index.html 200", "auto-trailing-slash", False),
]


@pytest.mark.parametrize(("text", "mode", "refused"), INDEX_RULES)
def test_rules_to_an_index_page(text: str, mode: str, refused: bool) -> None:
    if not refused:
        assert parse_redirects_file(text, mode)
        return
    with pytest.raises(InvalidRuleFile) as caught:
        parse_redirects_file("# spa\n" + text, mode)
    message = str(caught.value)
    assert "line 2: " in message and "infinite loop" in message
    assert "--not-found-handling single-page-application" in message


ALIASES = [
    ("/a/index.html", "auto-trailing-slash", ["/a/"]),
    ("/a/index", "auto-trailing-slash", ["/a/"]),
    ("/a.html", "auto-trailing-slash", ["/a"]),
    ("/index.html", "auto-trailing-slash", ["/"]),
    ("/a", "auto-trailing-slash", []),
    ("/a/index.html", "force-trailing-slash", ["/a/"]),
    ("/a.html", "force-trailing-slash", ["/a/"]),
    ("/a/index.html", "drop-trailing-slash", ["/a"]),
    ("/index.html", "drop-trailing-slash", ["/"]),
    ("/a.html", "none", []),
]


@pytest.mark.parametrize(("path", "mode", "aliases"), ALIASES)
def test_html_aliases(path: str, mode: str, aliases: list[str]) -> None:
    assert html_aliases(path, mode) == aliases


def test_limits_are_exact() -> None:
    statics = "".join(f"/s{i} /t\n" for i in range(MAX_STATIC))
    dynamics = "".join(f"/d{i}/* /t\n" for i in range(MAX_DYNAMIC))
    rules = parse_redirects_file(statics + dynamics)
    assert len(rules.rules) == MAX_STATIC + MAX_DYNAMIC
    with pytest.raises(InvalidRuleFile, match=f"line {MAX_STATIC + 1}: more than 2000 static"):
        parse_redirects_file(statics + "/one-more /t\n")
    with pytest.raises(InvalidRuleFile, match=f"line {MAX_DYNAMIC + 1}: more than 100 dynamic"):
        parse_redirects_file(dynamics + "/one-more/* /t\n")


def test_statics_after_a_dynamic_count_as_dynamic() -> None:
    text = "/d/* /t\n" + "".join(f"/s{i} /t\n" for i in range(MAX_DYNAMIC))
    with pytest.raises(InvalidRuleFile, match="more than 100 dynamic"):
        parse_redirects_file(text)


def test_line_length_limit_is_exact() -> None:
    source = "/" + "a" * (MAX_LINE - len("/ /b"))
    assert parse_redirects_file(f"{source} /b")
    with pytest.raises(InvalidRuleFile, match="longer than 1000"):
        parse_redirects_file(f"{source}a /b")


def test_comments_and_blank_lines() -> None:
    text = "# header\n\n   \n\t# indented comment\n/a /b\r\n\n# /c /d\n"
    rules = parse_redirects_file(text)
    assert [(r.source.text, r.destination, r.line) for r in rules.rules] == [("/a", "/b", 5)]


def test_problems_are_listed_with_line_numbers() -> None:
    with pytest.raises(InvalidRuleFile) as caught:
        parse_redirects_file("/ok /fine\n/bad\n/a /b 999\n")
    message = str(caught.value)
    assert message.startswith("_redirects: 2 problems:")
    assert "line 2: " in message and "line 3: " in message


LOCATIONS = [
    ("/b", "", "/b"),
    ("/b", "x=1", "/b?x=1"),
    ("/b", "x=1#f", "/b?x=1"),
    ("/b", "a b", "/b?a%20b"),
    ("/b", "\r\nX: y", "/b?%0D%0AX:%20y"),
    ("/b?own=1", "x=1", "/b?own=1"),
    ("/b?", "x=1", "/b?"),
    ("/b#f", "x=1", "/b?x=1#f"),
    ("/b?own#f", "x=1", "/b?own#f"),
    ("//b//c", "", "/b/c"),
    ("https://e.example//x", "q", "https://e.example//x?q"),
]


@pytest.mark.parametrize(("target", "query", "location"), LOCATIONS)
def test_location(target: str, query: str, location: str) -> None:
    assert RuleMatch(301, target).location(query) == location


REWRITES = [
    ("/index.html", "/index.html"),
    ("/a%20b.html?x=1#f", "/a b.html"),
    ("/a/../b", "/b"),
    ("/%00", None),
    ("/%ff", None),
]


@pytest.mark.parametrize(("target", "path"), REWRITES)
def test_rewrite_path(target: str, path: str | None) -> None:
    assert RuleMatch(200, target).rewrite_path() == path


def test_json_round_trip() -> None:
    rules = parse_redirects_file(DOCS_EXAMPLE + "/x /ü 307\n/spa/* / 200\n")
    assert RedirectRules.from_json(rules.to_json()) == rules


BAD_JSON: list[object] = [
    None,
    {},
    [1],
    [{"from": "/a", "to": "/b", "status": 301}],
    [{"from": "/a", "to": "/b", "status": "301", "line": 1}],
    [{"from": "/a", "to": "/b", "status": 404, "line": 1}],
    [{"from": "a", "to": "/b", "status": 301, "line": 1}],
    [{"from": "/a", "to": "b", "status": 301, "line": 1}],
    [{"from": "/a", "to": "/ü", "status": 301, "line": 1}],
    [{"from": "/a", "to": "https://x", "status": 200, "line": 1}],
    [{"from": "/a", "to": "/b c", "status": 301, "line": 1}],
    [{"from": "/a", "to": "/\ud800", "status": 301, "line": 1}],
]


@pytest.mark.parametrize("raw", BAD_JSON)
def test_from_json_refuses_bad_rules(raw: object) -> None:
    with pytest.raises(RuleError):
        RedirectRules.from_json(raw)


@given(st.text(max_size=200))
def test_parse_either_works_or_raises_a_deploy_error(text: str) -> None:
    try:
        rules = parse_redirects_file(text)
    except InvalidRuleFile:
        return
    assert RedirectRules.from_json(rules.to_json()) == rules


SEGMENTS = st.sampled_from(["a", "b", "日", " ", "?", "#", "%", "\\", "\r\n", ":x", "//"])


@given(
    st.lists(SEGMENTS, max_size=6).map(lambda parts: "/" + "/".join(parts)), st.text(max_size=20)
)
def test_locations_are_sendable_and_never_protocol_relative(path: str, query: str) -> None:
    rules = parse_redirects_file("/* /to/:splat 301\n")
    found = rules.match(path)
    assert found is not None
    location = found.location(query)
    assert location.startswith("/") and not location.startswith("//")
    assert location.isascii() and location.isprintable() and " " not in location
    assert "\\" not in location.partition("?")[0]
