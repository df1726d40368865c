"""Control characters from guests and clients reach the log escaped, never raw."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import falcon
import falcon.testing
import pytest

from host import errors, logs
from host.logs import EscapeControls, escape_controls
from host.runtime.output import GuestOutput
from host.web import errors as web_errors


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("plain text, ünïcödé ✓ 日本", "plain text, ünïcödé ✓ 日本"),
        ("\x1b[2J\x1b]0;owned\x07", "\\x1b[2J\\x1b]0;owned\\x07"),
        ("line\nforged WARNING\r\tx", "line\\nforged WARNING\\r\\tx"),
        ("\x00\x7f\x85\x9b", "\\x00\\x7f\\x85\\x9b"),
        ("a\u2028b\u202ec\u2066d", "a\\u2028b\\u202ec\\u2066d"),
        ("lone \udcff surrogate", "lone \\udcff surrogate"),
        ("already \\x1b escaped", "already \\x1b escaped"),
    ],
)
def test_escape_controls(text: str, escaped: str) -> None:
    assert escape_controls(text) == escaped
    assert escape_controls(escaped) == escaped


def test_escape_controls_keeps_what_it_is_told_to() -> None:
    assert escape_controls("a\nb\x1bc", keep="\n") == "a\nb\\x1bc"


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """What `wasmhost` loggers write through a handler given the filter by `logs.install`."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger = logging.getLogger("wasmhost")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    logs.install(logger)
    logs.install(logger)  # twice: still one filter
    assert sum(isinstance(f, EscapeControls) for f in handler.filters) == 1
    try:
        yield stream
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def test_the_filter_escapes_the_formatted_message(captured: io.StringIO) -> None:
    logging.getLogger("wasmhost.test").warning("[%s] got %r then %s", "p", "\x1b", "\x1b[31mred")
    assert captured.getvalue() == "WARNING [p] got '\\x1b' then \\x1b[31mred\n"


def test_the_filter_escapes_a_traceback_but_keeps_its_lines(captured: io.StringIO) -> None:
    try:
        raise RuntimeError("bad \x1b[2J news")
    except RuntimeError:
        logging.getLogger("wasmhost.test").exception("failed \x1b")
    text = captured.getvalue()
    assert "\x1b" not in text
    assert text.startswith("ERROR failed \\x1b\nTraceback (most recent call last):\n")
    assert text.endswith("RuntimeError: bad \\x1b[2J news\n")


def raising(error: Exception) -> falcon.App[Any, Any]:
    """An app whose every path raises `error`, errors mapped as the host maps them."""

    def sink(req: falcon.Request, resp: falcon.Response, **_: str) -> None:
        """Raise the error."""
        req.env["wasmhost.project"] = "demo"
        raise error

    app = falcon.App(media_type=falcon.MEDIA_TEXT)
    app.add_sink(sink, prefix="/")
    web_errors.install(app)
    return app


@pytest.mark.parametrize(
    ("error", "status"),
    [(errors.GuestTrapped("trap \x1b[5m"), 500), (RuntimeError("bug \x1b[5m"), 500)],
)
def test_a_request_path_in_the_log_is_escaped(
    captured: io.StringIO, error: Exception, status: int
) -> None:
    client = falcon.testing.TestClient(raising(error))
    result = client.simulate_get("/%1b]0;owned%07/%1b[2J%0aINFO forged")
    assert result.status_code == status
    text = captured.getvalue()
    assert "GET /\\x1b]0;owned\\x07/\\x1b[2J\\nINFO forged" in text
    assert "[5m" in text
    assert "\x1b" not in text and "\x07" not in text
    assert "\nINFO forged" not in text


def test_guest_output_is_escaped_without_the_filter(caplog: pytest.LogCaptureFixture) -> None:
    output = GuestOutput("demo", 4096, "r1")
    output.write("stdout", b"\x1b[2Jcleared\x1b]0;title\x07 \xc2\x9b6n\nnext\rline\n")
    output.write("stderr", "\u202eevil\x00".encode())
    with caplog.at_level(logging.INFO, logger="wasmhost.guest"):
        output.flush()
    assert caplog.messages == [
        "r1 [demo] stdout: \\x1b[2Jcleared\\x1b]0;title\\x07 \\x9b6n",
        "r1 [demo] stdout: next",
        "r1 [demo] stdout: line",
        "r1 [demo] stderr: \\u202eevil\\x00",
    ]


def test_json_lines_escape_controls_in_fields_too() -> None:
    record = logging.LogRecord("wasmhost.access", logging.INFO, "", 0, "line", (), None)
    record.fields = {"path": "/\x1b[2J\u202e\x85", "status": 200}
    entry = json.loads(logs.JsonLines().format(record))
    assert entry["path"] == "/\\x1b[2J\\u202e\\x85" and entry["status"] == 200
    assert entry["level"] == "info" and entry["time"].endswith("Z")
