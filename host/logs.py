"""Log text that cannot drive a terminal: control characters escaped in every record.

Guests choose what they print and clients choose request paths (which Falcon percent-decodes,
so `%1b` becomes ESC). Written raw, such text could move the cursor, rewrite earlier lines,
change a terminal's title or forge a whole log line. `EscapeControls`, a filter for a log
handler, escapes C0 and C1 controls (newlines too), DEL, line and paragraph separators, bidi
overrides and lone surrogates in the final message, keeping printable Unicode; tracebacks keep
their line breaks. `install()` puts it on every handler of the root logger.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

CONTROLS = re.compile(
    "[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)  # fmt: skip
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escape_controls(text: str, keep: str = "") -> str:
    """`text` with each control character (except those in `keep`) as a visible escape."""
    if CONTROLS.search(text) is None:
        return text
    return CONTROLS.sub(lambda match: _escape(match.group(), keep), text)


def _escape(char: str, keep: str) -> str:
    """One control character as `\\n`, `\\x1b` or `\\u202e` (or itself, if kept)."""
    if char in keep:
        return char
    if char in NAMED:
        return NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


class EscapeControls(logging.Filter):
    """A handler filter that escapes control characters in each record's message and traceback."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        """Replace the record's message by its escaped text; never drops a record."""
        message = record.getMessage()
        escaped = escape_controls(message)
        if escaped != message or record.args:
            record.msg, record.args = escaped, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = escape_controls(record.exc_text, keep="\n")
        if record.stack_info:
            record.stack_info = escape_controls(record.stack_info, keep="\n")
        return True


def install(logger: logging.Logger | None = None) -> None:
    """Add `EscapeControls` to each handler of `logger` (the root logger) that lacks it."""
    for handler in (logger or logging.getLogger()).handlers:
        if not any(isinstance(f, EscapeControls) for f in handler.filters):
            handler.addFilter(EscapeControls())


class JsonLines(logging.Formatter):
    """One JSON object per record: time, level, logger, message and the record's `fields`."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON (its traceback, if any, under `exception`)."""
        entry: dict[str, Any] = {
            "time": self.formatTime(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **{
                name: escape_controls(value) if isinstance(value, str) else value
                for name, value in getattr(record, "fields", {}).items()
            },
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False, default=str)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        """UTC, ISO 8601, milliseconds: `2026-12-01T09:30:00.123Z`."""
        moment = datetime.fromtimestamp(record.created, UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def configure(level: str = "info", format: str = "text") -> None:
    """Log records to stderr at `level` and up, as text lines or JSON lines, controls escaped."""
    handler = logging.StreamHandler(sys.stderr)
    if format == "json":
        handler.setFormatter(JsonLines())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # The records never show the caller's file: not looking it up saves a stack walk per record
    # (an access line per request), as logging's own docs suggest.
    logging._srcfile = None
    install()  # guest output and request paths never put terminal escapes in the log
    # waitress warns once per request queued behind busy threads: under load that is a log
    # line (and its cost) per request, when the server can least afford it.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
