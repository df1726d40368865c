"""One request's lifetime: the host its bodies talk to, and whether the request is over.

A warm instance serves many requests in turn, and the worker's module-level state lives on
between them; a host body does not: it belongs to the request that made it. Each HostBody and
each request's `env.ASSETS` carry their request's scope, so one kept in module state fails
with a clear error in a later request instead of naming another request's body.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .host import Host


class RequestEndedError(RuntimeError):
    """Something that belongs to a request that has ended was used in a later request."""


class RequestScope:
    """The request being served: the host its bodies are read through, until it ends."""

    __slots__ = ("_ended", "_host")

    def __init__(self, host: Host) -> None:
        self._host = host
        self._ended = False

    def end(self) -> None:
        """Mark the request answered: what belongs to it can no longer reach the host."""
        self._ended = True

    def host(self, subject: str, advice: str) -> Host:
        """The host, while the request runs; afterwards a RequestEndedError about `subject`."""
        if self._ended:
            raise RequestEndedError(
                f"{subject} belongs to an earlier request, which has ended: {advice}"
            )
        return self._host
