"""Message bodies: inline bytes, or a handle to a body that stays in the host."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, TypeAlias

from .form import MultiDict, parse_form

if TYPE_CHECKING:
    from .host import Host
    from .scope import RequestScope

READ_CHUNK = 256 * 1024
TEXT_PLAIN = "text/plain;charset=UTF-8"
KEEP_THE_BYTES = (
    "a body that stays in the host (the incoming request's, an asset's) lives only as long as "
    "its request, while module-level state lives on. Read it during its own request "
    "(`data = await response.bytes()`) and keep the bytes instead."
)


class HostBody:
    """A body kept in the host's per-request table, named by a handle and read on demand.

    Passing one to `Response(...)` or `Request(...)` hands the same handle back to the
    host, so the bytes never enter the guest. It belongs to the request it came with: read
    or sent in a later request (kept in module state), it raises RequestEndedError.
    """

    __slots__ = ("handle", "scope")

    def __init__(self, handle: int, scope: RequestScope) -> None:
        self.handle = handle
        self.scope = scope

    def host(self) -> Host:
        """The host to read or send this body through; RequestEndedError once its request ended."""
        return self.scope.host("this body", KEEP_THE_BYTES)

    def live_handle(self) -> int:
        """The handle, to send back to the host; RequestEndedError once its request ended."""
        self.host()
        return self.handle

    def size(self) -> int | None:
        """Total size in bytes, if the host knows it."""
        return self.host().body_size(self.handle)

    def read(self) -> bytes:
        """Pull the whole body into the guest, in chunks."""
        api = self.host()
        size = api.body_size(self.handle)
        chunks: list[bytes] = []
        offset = 0
        while size is None or offset < size:
            want = READ_CHUNK if size is None else min(READ_CHUNK, size - offset)
            chunk = api.body_read(self.handle, offset, want)
            if not chunk:
                break
            chunks.append(chunk)
            offset += len(chunk)
        return b"".join(chunks)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, HostBody):
            return False
        return other.handle == self.handle and other.scope is self.scope

    def __hash__(self) -> int:
        return hash(("HostBody", self.handle))

    def __repr__(self) -> str:
        return f"HostBody({self.handle})"


BodyInit: TypeAlias = str | bytes | bytearray | memoryview | HostBody | None
Body: TypeAlias = bytes | HostBody | None


def normalize(body: BodyInit) -> tuple[Body, str | None]:
    """Turn a user-supplied body into its stored form plus a default content type."""
    if body is None or isinstance(body, HostBody):
        return body, None
    if isinstance(body, str):
        return body.encode("utf-8"), TEXT_PLAIN
    if isinstance(body, bytes | bytearray | memoryview):
        return bytes(body), None
    hint = " (pass its .body)" if hasattr(body, "headers") else ""
    raise TypeError(
        f"a body must be str, bytes, a HostBody or None, not {type(body).__name__}{hint}; "
        "for JSON use Response.json(data)"
    )


class BodyMixin:
    """The body-reading half of Request and Response (`await msg.text()` and friends)."""

    __slots__ = ("_body", "_cache")

    def _init_body(self, body: Body) -> None:
        """Store the normalized body."""
        self._body = body
        self._cache = body if isinstance(body, bytes) else None

    @property
    def body(self) -> Body:
        """The body as given: bytes, a HostBody (still in the host), or None."""
        return self._body

    def _read(self) -> bytes:
        """The body's bytes, pulled from the host once and then cached."""
        if self._cache is None:
            self._cache = self._body.read() if isinstance(self._body, HostBody) else b""
        return self._cache

    async def text(self) -> str:
        """The body decoded as UTF-8 (a leading BOM dropped, bad bytes replaced)."""
        text = self._read().decode("utf-8", errors="replace")  # no utf-8-sig codec in the guest
        return text[1:] if text.startswith("\ufeff") else text

    async def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self._read())

    async def bytes(self) -> bytes:
        """The body's raw bytes."""
        return self._read()

    async def form_data(self) -> MultiDict:
        """The body as a form (urlencoded or multipart/form-data): names to str or File."""
        headers = getattr(self, "headers", None)
        content_type = headers.get("content-type") if headers is not None else None
        return parse_form(content_type or "", self._read())
