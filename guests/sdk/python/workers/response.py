"""`Response`: what a worker returns, and what `env.ASSETS.fetch()` gives back."""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

from .body import Body, BodyInit, BodyMixin, normalize
from .headers import Headers, HeadersInit
from .json_text import stringify

NULL_BODY_STATUSES = frozenset({101, 103, 204, 205, 304})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
JSON_TYPE = "application/json"


class _ClassOrInstance:
    """One name, two methods: `Response.json(data)` builds, `await response.json()` reads."""

    def __init__(self, on_class: Callable[..., Any], on_instance: Callable[..., Any]) -> None:
        self._on_class = on_class
        self._on_instance = on_instance
        self.__doc__ = on_class.__doc__

    def __get__(self, obj: object, owner: type) -> Callable[..., Any]:
        if obj is None:
            return types.MethodType(self._on_class, owner)
        return types.MethodType(self._on_instance, obj)


def _status(status: int) -> int:
    """Check a status code (200-599, as the Fetch API requires)."""
    if not isinstance(status, int) or isinstance(status, bool):
        raise TypeError(f"status must be an int, not {type(status).__name__}")
    if not 200 <= status <= 599:
        raise ValueError(f"status must be in the range 200-599, got {status}")
    return status


def _build_json(
    cls: type[Response], data: Any, status: int = 200, headers: HeadersInit = None
) -> Response:
    """A response whose body is `data` as JSON, written as `JSON.stringify` writes it, with
    content-type application/json."""
    merged = Headers(headers)
    merged.setdefault("content-type", JSON_TYPE)
    text = stringify(data).encode("utf-8", "backslashreplace")  # a lone surrogate as \udXXX
    return cls(text, status=status, headers=merged)


class Response(BodyMixin):
    """An HTTP response: `Response(body=None, status=200, headers=None)`.

    `body` is str (sent as UTF-8, text/plain unless a content-type is given), bytes, None,
    or a HostBody such as `other_response.body`, which is passed back to the host untouched.
    """

    __slots__ = ("_headers", "_status")

    def __init__(self, body: BodyInit = None, status: int = 200, headers: HeadersInit = None):
        self._status = _status(status)
        self._headers = Headers(headers)
        stored, content_type = normalize(body)
        if stored is not None and self._status in NULL_BODY_STATUSES:
            raise TypeError(f"a response with status {status} cannot have a body")
        if content_type:
            self._headers.setdefault("content-type", content_type)
        self._init_body(stored)

    @classmethod
    def _trusted(cls, status: int, headers: Headers, body: Body) -> Response:
        """Build from values the host already checked (an asset response)."""
        response = cls.__new__(cls)
        response._status, response._headers = status, headers
        response._init_body(body)
        return response

    json = _ClassOrInstance(_build_json, BodyMixin.json)

    @classmethod
    def redirect(cls, url: str, status: int = 302) -> Response:
        """A redirect to `url` (status 301, 302, 303, 307 or 308) with an empty body."""
        if status not in REDIRECT_STATUSES:
            raise ValueError(
                f"redirect status must be one of 301, 302, 303, 307, 308; got {status}"
            )
        return cls(None, status=status, headers={"location": url})

    @property
    def status(self) -> int:
        """The status code."""
        return self._status

    @property
    def ok(self) -> bool:
        """True for a 2xx status."""
        return 200 <= self._status <= 299

    @property
    def headers(self) -> Headers:
        """The response headers (mutable)."""
        return self._headers

    def clone(self) -> Response:
        """A copy that can be read or sent on its own (a body still in the host is shared)."""
        return Response._trusted(self._status, Headers(self._headers), self._body)

    def __repr__(self) -> str:
        return f"<Response {self._status}>"
