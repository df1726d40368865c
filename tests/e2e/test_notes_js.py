"""The notes-js example over real HTTP: JSON in and out, assets read and transformed, headers,
status codes, and a bug that becomes a 500 with its stack in the log."""

import json
import time
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, Host

PUBLIC = EXAMPLES / "notes-js" / "public"
JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def notes(host: Host, notes_js: Path) -> str:
    """notes-js deployed as `notes` with its site and its 404 page."""
    host.deploy("notes", notes_js, PUBLIC, "--not-found-handling", "404-page")
    return "notes"


def post_json(host: Host, project: str, path: str, data: object, **headers: str) -> object:
    """POST `data` as JSON; returns the reply."""
    body = data if isinstance(data, bytes) else json.dumps(data).encode()
    return host.request(project, path, "POST", {**JSON, **headers}, body)


def test_static_files_pass_through_with_an_added_header(host: Host, notes: str) -> None:
    reply = host.get(notes, "/")
    assert reply.status == 200
    assert reply.body == (PUBLIC / "index.html").read_bytes()
    assert reply.header("x-served-by") == "notes-js"
    assert reply.header("etag") is not None
    assert host.get(notes, "/", if_none_match=reply.header("etag") or "").status == 304


def test_missing_pages_get_the_404_page(host: Host, notes: str) -> None:
    reply = host.get(notes, "/no/such/page")
    assert reply.status == 404
    assert reply.body == (PUBLIC / "404.html").read_bytes()
    assert reply.header("x-served-by") == "notes-js"


def test_note_page_is_rendered_into_the_template(host: Host, notes: str) -> None:
    reply = host.get(notes, "/notes/welcome")
    assert reply.status == 200
    assert reply.header("content-type") == "text/html; charset=utf-8"
    assert reply.header("cache-control") == "no-cache"
    assert "<title>Welcome · notes-js</title>" in reply.text
    assert "<h1>Welcome</h1>" in reply.text
    assert "<li>Static files are served straight from the assets.</li>" in reply.text
    assert "{{" not in reply.text


def test_note_as_json(host: Host, notes: str) -> None:
    reply = host.get(notes, "/api/notes/markdown")
    assert reply.status == 200
    assert reply.header("content-type") == "application/json"
    note = json.loads(reply.body)
    assert (note["name"], note["title"]) == ("markdown", "What the renderer understands")
    assert "<ol><li>one</li><li>two</li></ol>" in note["html"]
    assert "<pre><code>const answer = 42;</code></pre>" in note["html"]
    assert note["words"] > 20


@pytest.mark.parametrize(
    "path", ["/api/notes/nope", "/notes/nope", "/api/notes/Bad_Name", "/api/notes/a%2Fb"]
)
def test_missing_note_is_a_json_404(host: Host, notes: str, path: str) -> None:
    reply = host.get(notes, path)
    assert reply.status == 404
    assert "error" in json.loads(reply.body)


def test_preview_renders_posted_markdown(host: Host, notes: str) -> None:
    reply = post_json(host, notes, "/api/preview", {"markdown": "# Hi <there>\n\n*yes* `x`"})
    assert reply.status == 200  # type: ignore[attr-defined]
    assert json.loads(reply.body) == {  # type: ignore[attr-defined]
        "title": "Hi <there>",
        "words": 4,
        "html": "<h1>Hi &lt;there&gt;</h1>\n<p><em>yes</em> <code>x</code></p>",
    }


@pytest.mark.parametrize(
    ("body", "headers", "status", "error"),
    [
        (b"{not json", {}, 400, "the body is not valid JSON"),
        (b"[1, 2]", {}, 400, "the body must be a JSON object"),
        (b'{"markdown": 5}', {}, 400, '"markdown" must be a string'),
        (b'{"markdown": "x"}', {"content-type": "text/plain"}, 415, "send the body as"),
        (b'{"markdown": "```\\nopen"}', {}, 422, "a code block (```) is never closed"),
        (b'{"markdown": "' + b"x" * 70_000 + b'"}', {}, 413, "larger than 65536 bytes"),
    ],
)
def test_preview_refuses_bad_input(
    host: Host, notes: str, body: bytes, headers: dict[str, str], status: int, error: str
) -> None:
    reply = post_json(host, notes, "/api/preview", body, **headers)
    assert reply.status == status  # type: ignore[attr-defined]
    assert reply.header("content-type") == "application/json"  # type: ignore[attr-defined]
    assert error in json.loads(reply.body)["error"]  # type: ignore[attr-defined]


def test_preview_wants_post(host: Host, notes: str) -> None:
    reply = host.get(notes, "/api/preview")
    assert reply.status == 405
    assert json.loads(reply.body) == {"error": "use POST with a JSON body"}


def test_a_bug_is_a_500_and_its_stack_goes_to_the_log(host: Host, notes: str) -> None:
    reply = host.get(notes, "/notes/unfinished")
    assert reply.status == 500
    assert reply.text.strip() == "Worker threw an exception"
    assert b"code block" not in reply.body
    deadline = time.monotonic() + 10
    while "never closed" not in host.log_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    log = host.log_text()
    assert "[notes] stderr: Uncaught error in fetch(): SyntaxError: a code block" in log
    assert "[notes] stderr:     render@lib/markdown.js:" in log
    assert "[notes] stderr:     route@worker.js:" in log


def test_requests_are_logged_through_wait_until(host: Host, notes: str) -> None:
    host.get(notes, "/api/notes/welcome")
    assert "[notes] stdout: GET /api/notes/welcome -> 200" in host.log_text()
