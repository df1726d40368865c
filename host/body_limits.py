"""Request body limits inside waitress, chosen for each request once its headers are parsed.

Waitress reads a request's whole body before the app sees the request, up to one limit for
every request (`max_request_body_size`). Here a policy looks at each request's head (method,
path, headers) and picks its own limit:

- `BodyLimit(max_bytes, setting)`: a body over `max_bytes` gets `413` and is read no further:
  at once when its Content-Length says so, as soon as a chunked body passes the limit. The
  connection is then closed.
- `SKIP_BODY`: the app gets the request at once, without its body (Content-Length 0), so it
  can refuse it from the headers alone (a wrong token, say); the body is then discarded as
  it arrives, never kept, so a client still sending it gets the answer (and keeps its
  connection unless either side closes it: then it closes once the body is in). A chunked
  body, or one announced with `Expect: 100-continue`, cannot be skipped safely: the
  connection is closed after the answer instead.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import BaseWSGIServer
from waitress.utilities import RequestEntityTooLarge

CHUNK_FRAMING_BYTES = 64 * 1024  # framing (sizes, extensions) a chunked body may add at least


@dataclass(frozen=True)
class RequestHead:
    """What a policy knows of a request: its method, decoded path and headers.

    Header names are waitress's: upper case with `_` for `-` (`HOST`, `AUTHORIZATION`).
    """

    method: str
    path: str
    headers: Mapping[str, str]

    def header(self, name: str) -> str:
        """One header's value ('' if absent), by its usual name (`Host`)."""
        return self.headers.get(name.upper().replace("-", "_"), "")


@dataclass(frozen=True)
class BodyLimit:
    """How much body one request may send; `setting` is named in the 413 answer."""

    max_bytes: int
    setting: str
    skip: bool = False

    def too_large(self) -> str:
        """The 413 answer's text."""
        return f"request body larger than {self.max_bytes} bytes ({self.setting})"


SKIP_BODY = BodyLimit(0, "no body accepted", skip=True)

BodyPolicy = Callable[[RequestHead], BodyLimit]


def limit_bodies(sockets: Mapping[int, Any], policy: BodyPolicy) -> None:
    """Make the waitress servers in `sockets` (a loop's map) parse requests under `policy`."""
    for dispatcher in sockets.values():
        if isinstance(dispatcher, BaseWSGIServer):
            dispatcher.channel_class = functools.partial(BodyLimitedChannel, policy=policy)


@dataclass
class _Connection:
    """What one connection's parsers share: bytes of a skipped body still to discard."""

    skip: int = 0


class BodyLimitedChannel(HTTPChannel):  # type: ignore[misc]
    """A waitress connection whose requests are parsed by `BodyLimitedParser`."""

    def __init__(self, *args: Any, policy: BodyPolicy, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._policy = policy
        self._connection = _Connection()

    def parser_class(self, adj: Any) -> BodyLimitedParser:
        """A parser for the connection's next request."""
        return BodyLimitedParser(adj, self._policy, self._connection)

    def draining(self) -> bool:
        """Whether the connection is to close, but only once the skipped body has come in.

        Closing with unread bytes would reset the connection, and a client still sending
        its body might never read the answer.
        """
        return bool(
            self._connection.skip
            and self.close_when_flushed
            and not self.will_close
            and not self.requests
            and not self.total_outbufs_len
        )

    def readable(self) -> bool:
        """Read when waitress would, or while draining a skipped body."""
        return self.draining() or bool(super().readable())

    def writable(self) -> bool:
        """Not while draining: waitress would close the connection."""
        return not self.draining() and bool(super().writable())

    def received(self, data: bytes) -> bool:
        """Discard what is left of a skipped body while draining; else as waitress does."""
        if self.draining():
            self._connection.skip -= min(len(data), self._connection.skip)
            return True
        return bool(super().received(data))


class BodyLimitedParser(HTTPRequestParser):  # type: ignore[misc]
    """Waitress's request parser, with the body limit the policy picks from the head."""

    # waitress's own attributes, as this class uses them
    body_rcv: Any
    chunked: bool
    content_length: int
    completed: bool
    expect_continue: bool
    headers: dict[str, str]

    def __init__(self, adj: Any, policy: BodyPolicy, connection: _Connection) -> None:
        super().__init__(adj)
        self._policy = policy
        self._connection = connection
        self._limit: BodyLimit | None = None

    def received(self, data: bytes) -> int:
        """Consume `data`: first what is left of a skipped body, then this request."""
        if self._connection.skip:
            taken = min(len(data), self._connection.skip)
            self._connection.skip -= taken
            return taken
        consumed: int = super().received(data)
        if self.error is not None or not self.headers_finished or self.empty:
            return consumed
        if self._limit is None:
            if self.chunked or self.content_length:
                self._limit = self._policy(RequestHead(self.command, self.path, self.headers))
                self._check_head(self._limit)
        elif self.chunked:
            self._check_chunked(self._limit)
        return consumed

    def _check_head(self, limit: BodyLimit) -> None:
        """Just after the headers: refuse or skip the body the request announces."""
        if limit.skip:
            self._skip_body()
        elif not self.chunked and self.content_length > limit.max_bytes:
            self._refuse(limit.too_large())

    def _check_chunked(self, limit: BodyLimit) -> None:
        """While a chunked body arrives: refuse it once it passes the limit."""
        if len(self.body_rcv) > limit.max_bytes:
            self._refuse(limit.too_large())
        elif self.body_bytes_received > 2 * limit.max_bytes + CHUNK_FRAMING_BYTES:
            self._refuse(f"chunked request body framed in too many bytes ({limit.setting})")

    def _refuse(self, message: str) -> None:
        """Answer 413 now; the connection closes after it."""
        self.error = RequestEntityTooLarge(message)
        self.completed = True
        self.expect_continue = False

    def _skip_body(self) -> None:
        """Hand the request over without its body; discard the body as it comes (or close)."""
        if self.chunked or self.expect_continue:
            self.headers["CONNECTION"] = "close"
        else:
            self._connection.skip = self.content_length
        self.body_rcv.getbuf().close()
        self.body_rcv = None
        self.chunked = False
        self.content_length = 0
        self.headers["CONTENT_LENGTH"] = "0"
        self.expect_continue = False
        self.completed = True
