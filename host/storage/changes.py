"""Commits made anywhere, as a number that grows: PostgreSQL's LISTEN/NOTIFY, one connection
per store and process.

Every batch a store commits sends `NOTIFY` on the store's channel (delivered when it commits);
a thread here listens and counts. A cache keyed by the count is thus dropped once anything
changed on any host, and costs no query per request. While the feed is not listening (before
it connected, after the connection dropped) nothing can be known, so every `token()` is new
and callers read the database each time; when it listens again, the count moves once more.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable

import psycopg
from psycopg import sql

log = logging.getLogger("wasmhost.storage")

WAIT_SECONDS = 1.0  # how long one wait for notifications lasts (the stop flag is read between)
CHECK_EVERY = 10  # waits between checks that the connection is alive
RETRY_SECONDS = 0.5  # pause before reconnecting


class ChangeFeed:
    """`token()`: a number that changes once a commit was announced on `channel` (numbers are
    never reused, so a changed one is always a different one)."""

    def __init__(self, url: str, channel: str, redact: Callable[[str], str]) -> None:
        self._url = url
        self._redact = redact  # takes the password out of error messages
        self._channel = channel
        self._counter = itertools.count(1)  # thread-safe increments
        self._count = 0
        self._listening = False
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def token(self) -> int:
        """The announcements counted so far; a new number each time while not listening."""
        if self._thread is None:
            self._start()
        if not self._listening:
            return self._bump()
        return self._count

    def stop(self) -> None:
        """Stop listening (the thread ends within a wait)."""
        self._stopped.set()

    def _bump(self) -> int:
        """Count one change."""
        self._count = next(self._counter)
        return self._count

    def _start(self) -> None:
        """Start listening, in the process that asks first (never across a fork)."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="wasmhost-changes", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        """Listen until stopped, reconnecting after a failure."""
        while not self._stopped.is_set():
            try:
                self._listen()
            except psycopg.Error as error:
                if self._listening and not self._stopped.is_set():
                    reason = self._redact(str(error))
                    log.warning("change feed lost its connection (%s); reconnecting", reason)
            self._listening = False
            self._stopped.wait(RETRY_SECONDS)

    def _listen(self) -> None:
        """One connection's life: LISTEN, then count what arrives."""
        with psycopg.connect(
            self._url,
            autocommit=True,
            connect_timeout=10,
            keepalives=1,  # a server gone without a word is noticed in about 25 s
            keepalives_idle=10,
            keepalives_interval=5,
        ) as conn:
            conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self._channel)))
            self._bump()  # whatever was cached while not listening is stale
            self._listening = True
            waits = 0
            while not self._stopped.is_set():
                for _ in conn.notifies(timeout=WAIT_SECONDS):
                    self._bump()
                waits += 1
                if waits % CHECK_EVERY == 0:
                    conn.execute("SELECT 1")  # raises if the server went away unnoticed
                    self._bump()  # one arriving during the check might not be counted
