"""The seam between the SDK and the host, implemented by the Bridge over the WIT imports.

Bodies and `env.ASSETS` reach it through their request's scope, never through a global.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from .request import Request
    from .response import Response
    from .scope import RequestScope


class Host(Protocol):
    """What the SDK needs from the host (the WIT imports, in SDK terms)."""

    def body_size(self, handle: int) -> int | None:
        """Total size of a host body, if known."""
        ...

    def body_read(self, handle: int, offset: int, max_bytes: int) -> bytes:
        """Up to `max_bytes` of a host body from `offset`; empty at the end."""
        ...

    def body_create(self) -> int:
        """A new empty host body for this request."""
        ...

    def body_append(self, handle: int, chunk: bytes) -> None:
        """Append bytes to a host body made with `body_create`."""
        ...

    def assets_fetch(self, request: Request, scope: RequestScope) -> Response:
        """Ask the asset binding for a response whose body belongs to `scope`'s request."""
        ...
