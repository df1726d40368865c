"""Progress of long CLI steps on stderr: what is being done, seconds counted on a terminal,
and how long it took. Steps done within a moment say nothing.

`Progress().step("compiling the worker (12.2 MB)")`: once the step has run for half a second,
`compiling the worker (12.2 MB)…` is printed; on a terminal that line then counts the seconds
(`… 4 s`). When the step ends, `compiling the worker (12.2 MB): 17.2 s` follows (replacing the
counting line on a terminal), or `… stopped after 3.0 s` if it failed. Off a terminal (a pipe,
a log file) nothing is rewritten, so logs stay readable. `QUIET` reports nothing.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

MOMENT_SECONDS = 0.5  # steps shorter than this are not reported
TICK_SECONDS = 1.0
CLEAR_LINE = "\r\x1b[2K"


class Progress:
    """Reports steps to a stream (stderr by default)."""

    def __init__(self, stream: TextIO | None = None, enabled: bool = True) -> None:
        self._stream = stream
        self._enabled = enabled

    @contextmanager
    def step(self, doing: str) -> Iterator[None]:
        """Say what the block does and how long it took, if it takes more than a moment."""
        if not self._enabled:
            yield
            return
        reporter = _Reporter(self._stream or sys.stderr, doing)
        try:
            yield
        except BaseException:
            reporter.end("… stopped after {:.1f} s")
            raise
        reporter.end(": {:.1f} s")


class _Reporter(threading.Thread):
    """Announces a step after a moment and, on a terminal, rewrites it once a second."""

    def __init__(self, stream: TextIO, doing: str) -> None:
        super().__init__(daemon=True)
        self._stream = stream
        self._doing = doing
        self._live = stream.isatty()
        self._began = time.monotonic()
        self._done = threading.Event()
        self._announced = False
        self.start()

    def run(self) -> None:
        """Wait a moment; then announce the step and, on a terminal, count its seconds."""
        if self._done.wait(MOMENT_SECONDS):
            return
        self._announced = True
        self._write(f"{self._doing}…" if self._live else f"{self._doing}…\n")
        while self._live and not self._done.wait(TICK_SECONDS):
            self._write(f"{CLEAR_LINE}{self._doing}… {self._seconds():.0f} s")

    def end(self, outcome: str) -> None:
        """Stop, and write the outcome (with the seconds) if the step was announced."""
        self._done.set()
        self.join()
        if self._announced:
            line = f"{self._doing}{outcome.format(self._seconds())}\n"
            self._write(CLEAR_LINE + line if self._live else line)

    def _seconds(self) -> float:
        """Seconds since the step started."""
        return time.monotonic() - self._began

    def _write(self, text: str) -> None:
        """Write and flush."""
        self._stream.write(text)
        self._stream.flush()


QUIET = Progress(enabled=False)
