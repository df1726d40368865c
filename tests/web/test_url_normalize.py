"""Request URLs normalized as a WHATWG URL parser does: compared with Node's `URL` (the parser
family workerd uses) over a corpus of hostile request targets, and idempotent."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from hypothesis import given
from hypothesis import strategies as st

from host.web.url_normalize import normalized_host, normalized_target, normalized_url

# Request targets as a server decodes them (latin-1: one character per byte sent).
CORPUS = [
    "/", "", "?", "/?", "/a", "/a/", "//a", "/a//b", "/./a", "/a/.", "/a/./", "/a/..",
    "/a/../", "/../a", "/../../..", "/docs/../", "/%2e%2e/", "/%2E%2e/x", "/a/%2e/b",
    "/a/.%2e/b", "/a/%2e./b", "/a\\b", "/a\\..\\b", "\\a", "/a b", "/a\tb", '/a"b', "/a<b>",
    "/a`b", "/a{b}", "/a|b", "/a^b", "/a[b]", "/a%zz", "/a%2fb", "/a%2F..%2Fb", "/a?b=c d",
    "/a?b='c'",
    "/a?b=\"c\"", "/a?<x>", "/a?x#y", "/a#frag", "/a?b=%zz&c", "/caf\xc3\xa9",
    "/caf\xc3\xa9?q=\xc3\xa9", "/a\x7fb", "/a\x01b", "/...", "/..../x", "/.a/..b",
    "/a/b/c/../../d", "/a;b=c", "/a:b@c", "/~user/", "/a!$&()*+,=", "/%", "/%%",
    "/a/..%2f", "/a?x=1&x=2", "/a??b", "/a?b?c",
]  # fmt: skip
NO_NODE = "Node.js is not on PATH (scripts/setup installs it): nothing to compare with"


def node_hrefs(targets: list[str]) -> list[str]:
    """What Node's WHATWG `URL` makes of `http://demo.localhost:8080` + each target (each byte
    sent as itself, so non-ASCII bytes are given to Node as UTF-8 code points)."""
    script = (
        "const targets = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "console.log(JSON.stringify(targets.map("
        "t => { const u = new URL('http://demo.localhost:8080' + t); u.hash = ''; return u.href; }"
        ")));"
    )
    sent = [t.encode("latin-1").decode("utf-8", "replace") for t in targets]
    result = subprocess.run(
        ["node", "-e", script], input=json.dumps(sent), capture_output=True, text=True, check=True
    )
    return list(json.loads(result.stdout))


def test_the_corpus_normalizes_as_node_does() -> None:
    if shutil.which("node") is None:
        pytest.skip(NO_NODE)
    ours = [normalized_url("http", "demo.localhost:8080", t) for t in CORPUS]
    for target, mine, theirs in zip(CORPUS, ours, node_hrefs(CORPUS), strict=True):
        assert mine == theirs, f"target {target!r}"


@pytest.mark.parametrize(
    ("scheme", "host", "expected"),
    [
        ("http", "Demo.LocalHost:80", "demo.localhost"),
        ("http", "demo.localhost:8080", "demo.localhost:8080"),
        ("https", "demo.localhost:443", "demo.localhost"),
        ("https", "demo.localhost:80", "demo.localhost:80"),
        ("http", "demo.localhost", "demo.localhost"),
        ("http", "demo.localhost:080", "demo.localhost"),
        ("http", "demo.localhost:08080", "demo.localhost:8080"),
    ],
)
def test_the_host_is_lower_case_without_its_default_port(
    scheme: str, host: str, expected: str
) -> None:
    assert normalized_host(scheme, host) == expected


@given(st.text(alphabet=st.characters(max_codepoint=0xFF), max_size=40))
def test_normalizing_twice_changes_nothing(target: str) -> None:
    once = normalized_target("/" + target)
    assert once.isascii() and once.startswith("/")
    assert normalized_target(once) == once


@pytest.mark.parametrize("port", ["65536", "99999", "\uff18\uff10"])
def test_a_port_no_url_can_have_is_a_bad_request(port: str) -> None:
    from host.errors import BadRequest

    with pytest.raises(BadRequest, match="is not a port number"):
        normalized_host("http", f"demo.localhost:{port}")
