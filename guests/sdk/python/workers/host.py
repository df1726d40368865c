"""The seam between the SDK and the host: installed by the guest glue, faked in tests."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from .request import Request
    from .response import Response


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

    def assets_fetch(self, request: Request) -> Response:
        """Ask the asset binding for a response."""
        ...


_installed: Host | None = None


def install(host: Host | None) -> None:
    """Make `host` the one the SDK talks to (None removes it)."""
    global _installed
    _installed = host


def current() -> Host:
    """The installed host; fails clearly outside a guest."""
    if _installed is None:
        raise RuntimeError(
            "no host is installed: host bodies and env.ASSETS only work inside a wasmhost guest"
        )
    return _installed
