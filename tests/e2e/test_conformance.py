"""One behaviour for both languages: hello-py and hello-js, deployed with the same files and
options, give the same answer (status, headers, body) to every request of a corpus of asset
requests and hostile targets, sent as raw bytes over a socket. Each answer is also checked
against what the request should get, so that both agreeing on a wrong answer fails too."""

from __future__ import annotations

import http.client
import json
import socket
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import Host

# Headers that differ between any two answers, whoever sends them.
VOLATILE = frozenset({"date", "server", "x-request-id"})  # x-request-id: new per request
SITE_FILES = {
    "index.html": "<!doctype html><title>home</title>" + "<p>home</p>" * 200,
    "about.html": "<!doctype html><title>about</title>",
    "docs/index.html": "<!doctype html><title>docs</title>",
    "docs/guide.html": "<!doctype html><title>guide</title>",
    "a b.txt": "spaced",
    "café.txt": "accented",
    "x^y.txt": "caret",
    "404.html": "<!doctype html><title>lost</title>",
    "app.js": "console.log('app');\n" * 300,
    "_redirects": "/old-page /about 301\n/docs/old/* /docs/:splat 302\n",
    "_headers": "/*\n  X-Frame-Options: DENY\n/app.js\n  X-Served-By: wasmhost\n",
}


@dataclass(frozen=True)
class Case:
    """One request: its target (as raw bytes), method, extra headers, and the status due."""

    target: bytes
    status: int
    method: str = "GET"
    headers: tuple[tuple[str, str], ...] = ()
    body_has: bytes = b""


CASES = [
    Case(b"/", 200, body_has=b"<title>home"),
    Case(b"/index.html", 307),
    Case(b"/about", 200, body_has=b"<title>about"),
    Case(b"/about.html", 307),
    Case(b"/about/", 307),
    Case(b"/docs", 307),
    Case(b"/docs/", 200, body_has=b"<title>docs"),
    Case(b"/docs/guide", 200, body_has=b"<title>guide"),
    Case(b"/docs/../about", 200, body_has=b"<title>about"),
    Case(b"/docs/./guide", 200, body_has=b"<title>guide"),
    Case(b"/%2e%2e/about", 200, body_has=b"<title>about"),
    Case(b"/docs/%2E%2e/about", 200, body_has=b"<title>about"),
    Case(b"/docs\\guide", 200, body_has=b"<title>guide"),
    Case(b"/docs/..\\about", 200, body_has=b"<title>about"),
    Case(b"/../../../etc/passwd", 404, body_has=b"<title>lost"),
    Case(b"/a%20b.txt", 200, body_has=b"spaced"),
    Case(b"/a b.txt", 400),  # a space in the target: the server refuses the request line
    Case(b"/caf%C3%A9.txt", 200, body_has=b"accented"),
    Case("/café.txt".encode(), 400),  # raw UTF-8 in the target: refused by the server too
    Case(b"/x^y.txt", 307),  # to /x%5Ey.txt, the file's canonical URL (as encodeURI writes it)
    Case(b"/x%5Ey.txt", 200, body_has=b"caret"),
    Case(b"/missing", 404, body_has=b"<title>lost"),
    Case(b"/missing?x=<script>", 404),
    Case(b"/old-page", 301),
    Case(b"/docs/old/guide", 302),
    Case(b"/app.js", 200, headers=(("accept-encoding", "gzip"),)),
    Case(b"/app.js", 200, headers=(("accept-encoding", "br, gzip"),)),
    Case(b"/app.js", 206, headers=(("range", "bytes=0-9"),)),
    Case(b"/app.js", 416, headers=(("range", "bytes=999999-"),)),
    Case(b"/", 200, method="HEAD"),
    Case(b"/", 405, method="POST"),
    Case(b"/api/hello", 200, body_has=b'{"hello":"world"}'),
    Case(b"/api/hello?x=1#frag", 200, body_has=b'{"hello":"world"}'),
    Case(b"/api/../api/hello", 200, body_has=b'{"hello":"world"}'),
    Case(b"/api/bytes?size=%35", 200, body_has=b"\0" * 5),
    Case(b"/api/bytes?size=5&size=7", 200, body_has=b"\0" * 5),
    Case(b"/api/bytes?size=x", 400),
]


@pytest.fixture(scope="module")
def pair(
    host: Host, hello_py: Path, hello_js: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, str]:
    """hello-py and hello-js deployed with the same files and options."""
    public = tmp_path_factory.mktemp("conformance")
    for name, text in SITE_FILES.items():
        (public / name).parent.mkdir(parents=True, exist_ok=True)
        (public / name).write_text(text)
    options = ("--not-found-handling", "404-page")
    host.deploy("same-py", hello_py, public, *options)
    host.deploy("same-js", hello_js, public, *options)
    return "same-py", "same-js"


def ask(host: Host, project: str, case: Case) -> tuple[int, list[tuple[str, str]], bytes]:
    """Send the case as raw bytes; the answer's status, headers (but volatile ones), body."""
    head = f"{case.method} ".encode() + case.target + b" HTTP/1.1\r\n"
    fields = [("host", f"{project}.localhost:{host.port}"), ("connection", "close"), *case.headers]
    head += b"".join(f"{name}: {value}\r\n".encode() for name, value in fields)
    with socket.create_connection(("127.0.0.1", host.port), timeout=60) as sock:
        sock.sendall(head + b"\r\n")
        response = http.client.HTTPResponse(sock, method=case.method)
        response.begin()
        body = response.read()
    headers = sorted(
        (name.lower(), value.replace(project, "PROJECT"))
        for name, value in response.getheaders()
        if name.lower() not in VOLATILE
    )
    return response.status, headers, body.replace(project.encode(), b"PROJECT")


@pytest.mark.parametrize("case", CASES, ids=lambda case: f"{case.method} {case.target!r}")
def test_both_languages_give_the_same_answer(host: Host, pair: tuple[str, str], case: Case) -> None:
    python, javascript = (ask(host, project, case) for project in pair)
    assert python == javascript
    status, _, body = python
    assert status == case.status
    assert case.body_has in body


# The bindings: the same operations through misbehave-py and misbehave-js (their /kv and /env
# routes speak one protocol) give the same results.
KV_SCRIPT: list[dict[str, object]] = [
    {"op": "put", "key": "a", "value": "héllo", "options": {"metadata": {"n": 1}}},
    {"op": "put", "key": "b/1", "value": '{"x": [1, 2.5, null]}'},
    {"op": "put", "key": "b/2", "value": "two", "options": {"expiration": 4102444800}},
    {"op": "get", "key": "a"},
    {"op": "get", "key": "b/1", "type": "json"},
    {"op": "get", "key": "missing"},
    {"op": "list", "options": {"prefix": "b/"}},
    {"op": "list", "options": {"limit": 1}},
    {"op": "delete", "key": "a"},
    {"op": "get", "key": "a"},
    {"op": "put", "key": "k" * 600, "value": "v"},
    {"op": "get", "key": ""},
    {"op": "list", "options": {"limit": 0}},
    {"op": "get", "key": "x", "binding": "NOPE"},
]


@pytest.fixture(scope="module")
def bound_pair(host: Host, misbehave_py: Path, misbehave_js: Path) -> tuple[str, str]:
    """misbehave-py and misbehave-js with the same variables and KV namespace."""
    for project, worker in (("bound-py", misbehave_py), ("bound-js", misbehave_js)):
        host.deploy(project, worker, None, "--kv", "NOTES", "--var", "MODE=test", "--var", "N=1")
    return "bound-py", "bound-js"


def run_script(host: Host, project: str) -> list[object]:
    """Each KV operation's answer (without Workers' `cacheStatus`, which only JS reports)."""
    answers: list[object] = []
    for asked in KV_SCRIPT:
        reply = host.request(project, "/kv", "POST", body=json.dumps(asked).encode())
        answer = json.loads(reply.body)
        if isinstance(answer.get("result"), dict):
            answer["result"].pop("cacheStatus", None)
        answers.append(answer)
    answers.append(json.loads(host.get(project, "/env").body))
    return answers


def test_both_languages_give_the_same_binding_results(
    host: Host, bound_pair: tuple[str, str]
) -> None:
    python, javascript = (run_script(host, project) for project in bound_pair)
    for asked, py, js in zip([*KV_SCRIPT, "env"], python, javascript, strict=True):
        assert py == js, asked
    assert python[3] == {"result": {"value": "héllo", "metadata": {"n": 1}}}
    assert python[-1] == {"MODE": "test", "N": "1"}
