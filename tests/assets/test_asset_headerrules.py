"""`_headers` parsing and applying (spec: Beyond the model, `_headers` files)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from host.assets.headerrules import (
    MAX_LINE,
    MAX_RULES,
    PROTECTED,
    HeaderRules,
    RuleError,
    parse_headers_file,
)
from host.assets.rulefiles import InvalidRuleFile
from host.errors import DeployError

DOCS_EXAMPLE = """\
# This is a comment
/secure/page
  X-Frame-Options: DENY
  X-Content-Type-Options: nosniff
  Referrer-Policy: no-referrer

/static/*
  Access-Control-Allow-Origin: *
  X-Robots-Tag: nosnippet

https://myworker.mysubdomain.workers.dev/*
  X-Robots-Tag: noindex
"""


def summary(rules: HeaderRules) -> list[tuple[str, list[tuple[str, str]], list[str], int]]:
    """Rules as plain data."""
    return [(r.pattern.text, list(r.set), list(r.unset), r.line) for r in rules.rules]


def test_docs_example_parses() -> None:
    assert summary(parse_headers_file(DOCS_EXAMPLE)) == [
        (
            "/secure/page",
            [
                ("x-frame-options", "DENY"),
                ("x-content-type-options", "nosniff"),
                ("referrer-policy", "no-referrer"),
            ],
            [],
            2,
        ),
        (
            "/static/*",
            [("access-control-allow-origin", "*"), ("x-robots-tag", "nosnippet")],
            [],
            7,
        ),
        ("https://myworker.mysubdomain.workers.dev/*", [("x-robots-tag", "noindex")], [], 11),
    ]


DOCS_TABLE = [
    (
        "custom.domain",
        "/secure/page",
        {
            "x-frame-options": "DENY",
            "x-content-type-options": "nosniff",
            "referrer-policy": "no-referrer",
        },
    ),
    (
        "custom.domain",
        "/static/image.jpg",
        {"access-control-allow-origin": "*", "x-robots-tag": "nosnippet"},
    ),
    ("myworker.mysubdomain.workers.dev", "/home", {"x-robots-tag": "noindex"}),
    (
        "myworker.mysubdomain.workers.dev",
        "/secure/page",
        {
            "x-frame-options": "DENY",
            "x-content-type-options": "nosniff",
            "referrer-policy": "no-referrer",
            "x-robots-tag": "noindex",
        },
    ),
    (
        "myworker.mysubdomain.workers.dev",
        "/static/styles.css",
        {"access-control-allow-origin": "*", "x-robots-tag": "nosnippet, noindex"},
    ),
    ("custom.domain", "/other", {}),
]


@pytest.mark.parametrize(("host", "path", "expected"), DOCS_TABLE)
def test_docs_table(host: str, path: str, expected: dict[str, str]) -> None:
    rules = parse_headers_file(DOCS_EXAMPLE)
    assert dict(rules.apply((), path, host)) == expected


PARSED = [
    # spacing, tabs, CRLF, BOM-free text, comments anywhere
    ("/a\n\tX-A: 1\n", [("/a", [("x-a", "1")], [])]),
    ("/a\r\n  X-A: 1\r\n", [("/a", [("x-a", "1")], [])]),
    ("/a\nX-A: 1", [("/a", [("x-a", "1")], [])]),
    ("  /a  \n  X-A:   1  \n", [("/a", [("x-a", "1")], [])]),
    ("/a\n# c\n  X-A: 1\n\n\n  # d\n  X-B: 2", [("/a", [("x-a", "1"), ("x-b", "2")], [])]),
    # values with colons, repeated names joined, Set-Cookie kept apart
    (
        "/a\n  Link: <https://x/y>; rel=preload",
        [("/a", [("link", "<https://x/y>; rel=preload")], [])],
    ),
    ("/a\n  X-A: 1\n  x-a: 2", [("/a", [("x-a", "1, 2")], [])]),
    (
        "/a\n  Set-Cookie: a=1\n  Set-Cookie: b=2",
        [("/a", [("set-cookie", "a=1"), ("set-cookie", "b=2")], [])],
    ),
    # detach
    ("/a\n  ! X-Content-Type-Options", [("/a", [], ["x-content-type-options"])]),
    ("/a\n  !   Cache-Control  ", [("/a", [], ["cache-control"])]),
    ("/a\n  ! A\n  B: 1", [("/a", [("b", "1")], ["a"])]),
    # placeholders stay in values until a request fills them in
    (
        '/movies/:title\n  x-movie-name: You are watching ":title"',
        [("/movies/:title", [("x-movie-name", 'You are watching ":title"')], [])],
    ),
    # a pattern with spaces, an encoded one, an absolute URL
    ("/a b\n  X: 1", [("/a b", [("x", "1")], [])]),
    ("https://:project.pages.dev/*\n  X: 1", [("https://:project.pages.dev/*", [("x", "1")], [])]),
    ("", []),
    ("# only a comment\n\n", []),
]


@pytest.mark.parametrize(("text", "expected"), PARSED)
def test_parse(text: str, expected: list[tuple[str, list[tuple[str, str]], list[str]]]) -> None:
    assert [(p, s, u) for p, s, u, _ in summary(parse_headers_file(text))] == expected


ERRORS = [
    ("X-A: 1\n", "line 1: expected a path"),
    ("  ! X-A\n/a\n  X: 1", "line 1: expected a path"),
    ("/a\n", "line 1: the rule has no headers"),
    ("/a\n/b\n  X: 1", "line 1: the rule has no headers"),
    ("/a\n  nonsense\n", "line 2: expected 'Name: value' or '! Name'"),
    ("/a\n  !X-A\n", "line 2: expected 'Name: value'"),
    ("/a\n  X A: 1\n", "line 2: 'X A' is not a valid header name"),
    ("/a\n  : 1\n", "line 2: '' is not a valid header name"),
    ("/a\n  X-A:\n", "line 2: no value for X-A"),
    ("/a\n  X-A:    \n", "line 2: no value for X-A"),
    ("/a\n  X(A): 1\n", "not a valid header name"),
    ("/a\n  Ünï: 1\n", "not a valid header name"),
    ("/a\n  ! X A\n", "not a valid header name"),
    ("/a\n  ! X-A: 1\n", "not a valid header name"),
    ("/a\n  X-A: caf\u00e9\u2603\n", "not ISO-8859-1"),
    ("/a\n  X-A: a\x00b\n", "control character"),
    ("/a\n  X-A: a\x1bb\n", "control character"),
    ("/a\n  X-A: a\rb\n", "control character"),
    ("/a\n  X-A: a\x7fb\n", "control character"),
    ("/a\n  Content-Length: 5\n", "Content-Length is set by the host"),
    ("/a\n  content-encoding: gzip\n", "set by the host"),
    ("/a\n  ETag: \"x\"\n", "set by the host"),
    ("/a\n  Vary: Origin\n", "set by the host"),
    ("/a\n  ! Vary\n", "set by the host"),
    ("/a\n  Location: /x\n", "set by the host"),
    ("/a\n  Transfer-Encoding: chunked\n", "set by the host"),
    ("/a\n  Connection: close\n", "set by the host"),
    ("/a\n  Content-Range: bytes 0-1/2\n", "set by the host"),
    ("http://example.com/*\n  X: 1\n", "line 1: "),
    ("https://example.com:8443/*\n  X: 1\n", "ports are not supported"),
    ("/a?x=1\n  X: 1\n", "query strings"),
    ("/a//b\n  X: 1\n", "empty segment"),
    ("/:a-:b\n  X: 1\n", "at most one placeholder"),
    ("/*/*\n  X: 1\n", "at most one '*'"),
    ("/%00\n  X: 1\n", "NUL"),
    ("/a\n  X: " + "v" * MAX_LINE + "\n", "line 2: longer than 2000 characters"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "message"), ERRORS)
def test_errors(text: str, message: str) -> None:
    with pytest.raises(InvalidRuleFile, match=re.escape(message)):
        parse_headers_file(text)


def test_error_names_the_file_and_counts_problems() -> None:
    with pytest.raises(InvalidRuleFile) as caught:
        parse_headers_file("/a\n  bad\n/b\n  X Y: 1\n")
    assert str(caught.value).startswith("_headers: 2 problems:\n  line 2: ")
    assert isinstance(caught.value, DeployError)


def test_many_problems_are_capped_in_the_message() -> None:
    text = "/a\n" + "  bad\n" * 50  # 50 bad lines, no "no headers" noise on top
    with pytest.raises(InvalidRuleFile, match=r"(?s)50 problems:.*… and 30 more") as caught:
        parse_headers_file(text)
    assert str(caught.value).count("\n") == 21


def test_line_length_limit_is_exact() -> None:
    value = "v" * (MAX_LINE - len("  X: "))
    assert parse_headers_file(f"/a\n  X: {value}\n")
    with pytest.raises(InvalidRuleFile, match="line 2: longer"):
        parse_headers_file(f"/a\n  X: {value}v\n")


def test_rule_limit_is_exact() -> None:
    rules = "".join(f"/p{i}\n  X: {i}\n" for i in range(MAX_RULES))
    assert len(parse_headers_file(rules).rules) == MAX_RULES
    with pytest.raises(InvalidRuleFile, match=f"line {2 * MAX_RULES + 1}: more than 100 rules"):
        parse_headers_file(rules + "/extra\n  X: 1\n")


def test_total_header_limits() -> None:
    names = "".join(f"  X-{i}: v\n" for i in range(101))
    with pytest.raises(InvalidRuleFile, match="more than 100 different headers"):
        parse_headers_file("/a\n" + names)
    big = "".join(f"/p{i}\n  X: {'v' * 1900}\n" for i in range(30))
    with pytest.raises(InvalidRuleFile, match="bytes of headers in total"):
        parse_headers_file(big)


def test_every_protected_name_is_refused_both_ways() -> None:
    for name in PROTECTED:
        with pytest.raises(InvalidRuleFile):
            parse_headers_file(f"/a\n  {name}: x\n")
        with pytest.raises(InvalidRuleFile):
            parse_headers_file(f"/a\n  ! {name}\n")


BASE = (
    ("content-type", "text/html; charset=utf-8"),
    ("etag", '"e"'),
    ("cache-control", "public, max-age=0, must-revalidate"),
    ("content-length", "5"),
    ("x-content-type-options", "nosniff"),
)

APPLY = [
    # set replaces a default header, in place of it (moved to the end)
    (
        "/*\n  Cache-Control: no-store",
        "/a",
        (*BASE[:2], BASE[3], BASE[4], ("cache-control", "no-store")),
    ),
    # detach removes
    ("/*\n  ! X-Content-Type-Options", "/a", BASE[:4]),
    ("/*\n  ! Cache-Control\n  ! X-Content-Type-Options", "/a", (BASE[0], BASE[1], BASE[3])),
    # detaching what is not there is fine
    ("/*\n  ! X-Nope", "/a", BASE),
    # no match: untouched
    ("/b\n  X: 1", "/a", BASE),
    # later rules add, a later detach removes what earlier rules set
    ("/*\n  X: 1\n/a\n  X: 2", "/a", (*BASE, ("x", "1, 2"))),
    ("/*\n  X: 1\n/a\n  ! X", "/a", BASE),
    ("/*\n  X: 1\n/a\n  ! X\n  X: 2", "/a", (*BASE, ("x", "2"))),
    ("/a\n  ! X\n  X: 2", "/a", (*BASE, ("x", "2"))),
    # Set-Cookie lines stay separate
    (
        "/*\n  Set-Cookie: a=1\n/a\n  Set-Cookie: b=2",
        "/a",
        (*BASE, ("set-cookie", "a=1"), ("set-cookie", "b=2")),
    ),
    # placeholders and splat fill values, percent-encoded
    ("/movies/:title\n  X-Movie: :title!", "/movies/Up Side", (*BASE, ("x-movie", "Up%20Side!"))),
    ("/static/*\n  Link: </x/:splat>", "/static/a/b", (*BASE, ("link", "</x/a/b>"))),
    ("/s/*\n  X: :splat", "/s/a\r\nX-Evil: 1", (*BASE, ("x", "a%0D%0AX-Evil%3A%201"))),
    ("/s/*\n  X: :nope", "/s/a", (*BASE, ("x", ":nope"))),
]


@pytest.mark.parametrize(("text", "path", "expected"), APPLY)
def test_apply(text: str, path: str, expected: tuple[tuple[str, str], ...]) -> None:
    assert parse_headers_file(text).apply(BASE, path) == expected


FIXED = frozenset({"content-type", "cache-control"})
APPLY_FIXED = [
    # fixed names are neither set nor removed; the others change as usual
    ("/*\n  Cache-Control: no-store\n  X-A: 1", (*BASE, ("x-a", "1"))),
    ("/*\n  ! Cache-Control\n  ! Content-Type", BASE),
    ("/*\n  Content-Type: text/html\n  ! X-Content-Type-Options", BASE[:4]),
    ("/*\n  X-A: 1\n/a\n  Cache-Control: no-store\n  X-A: 2", (*BASE, ("x-a", "1, 2"))),
]


@pytest.mark.parametrize(("text", "expected"), APPLY_FIXED)
def test_apply_leaves_fixed_names_alone(text: str, expected: tuple[tuple[str, str], ...]) -> None:
    assert parse_headers_file(text).apply(BASE, "/a", "", FIXED) == expected


def test_apply_uses_the_host_for_url_rules() -> None:
    rules = parse_headers_file("https://:sub.example.com/*\n  X-Sub: :sub\n")
    assert rules.apply((), "/a", "shop.example.com") == (("x-sub", "shop"),)
    assert rules.apply((), "/a", "example.org") == ()


def test_no_rules_returns_the_same_tuple() -> None:
    assert HeaderRules().apply(BASE, "/a") is BASE
    assert not HeaderRules()


def test_json_round_trip() -> None:
    rules = parse_headers_file(DOCS_EXAMPLE + "/x/:id\n  ! Cache-Control\n  X-Id: :id\n")
    assert HeaderRules.from_json(rules.to_json()) == rules


BAD_JSON: list[object] = [
    None,
    {},
    [1],
    [{"line": 1, "pattern": "/a", "set": [["x", "1"]]}],
    [{"line": "1", "pattern": "/a", "set": [["x", "1"]], "unset": []}],
    [{"line": 1, "pattern": "a", "set": [["x", "1"]], "unset": []}],
    [{"line": 1, "pattern": "/a", "set": [["X", "1"]], "unset": []}],
    [{"line": 1, "pattern": "/a", "set": [["x", "1", "2"]], "unset": []}],
    [{"line": 1, "pattern": "/a", "set": [["x", "a\nb"]], "unset": []}],
    [{"line": 1, "pattern": "/a", "set": [["etag", "1"]], "unset": []}],
    [{"line": 1, "pattern": "/a", "set": [], "unset": ["Vary"]}],
    [{"line": 1, "pattern": "/a", "set": [], "unset": [1]}],
    [{"line": 1, "pattern": "/a", "set": [], "unset": []}],
]


@pytest.mark.parametrize("raw", BAD_JSON)
def test_from_json_refuses_bad_rules(raw: object) -> None:
    with pytest.raises(RuleError):
        HeaderRules.from_json(raw)


@given(st.text(max_size=300))
def test_parse_either_works_or_raises_a_deploy_error(text: str) -> None:
    try:
        rules = parse_headers_file(text)
    except InvalidRuleFile:
        return
    assert HeaderRules.from_json(rules.to_json()) == rules
    for name, value in rules.apply(BASE, "/a/b"):
        value.encode("latin-1")
        assert "\n" not in value and "\r" not in value
        assert name == name.lower()
