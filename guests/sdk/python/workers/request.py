"""`Request`: an HTTP request as the worker sees it, or one it builds for `env.ASSETS`."""

from __future__ import annotations

import re
from urllib.parse import SplitResult, urlsplit

from .body import Body, BodyInit, BodyMixin, normalize
from .form import MultiDict, parse_query
from .headers import Headers, HeadersInit

_STANDARD_METHODS = {"DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"}
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


def _method(method: str) -> str:
    """Check a method; standard ones are upper-cased, others kept as written."""
    if not isinstance(method, str) or not _TOKEN.fullmatch(method):
        raise ValueError(f"invalid HTTP method: {method!r}")
    upper = method.upper()
    return upper if upper in _STANDARD_METHODS else method


class Request(BodyMixin):
    """An HTTP request: `Request(url, method="GET", headers=None, body=None)`.

    `url` may also be another Request, which is copied (its method, headers and body are
    kept unless given here).
    """

    __slots__ = ("_headers", "_method", "_url")

    def __init__(
        self,
        url: str | Request,
        method: str | None = None,
        headers: HeadersInit = None,
        body: BodyInit = None,
    ) -> None:
        source = url if isinstance(url, Request) else None
        if source is not None:
            url = source.url
            method = method or source.method
            headers = source.headers if headers is None else headers
            body = source.body if body is None else body
        if not isinstance(url, str):
            raise TypeError(f"url must be a str or a Request, not {type(url).__name__}")
        self._url = url
        self._method = _method(method or "GET")
        self._headers = Headers(headers)
        stored, content_type = normalize(body)
        if stored is not None and self._method in ("GET", "HEAD"):
            raise TypeError(f"a {self._method} request cannot have a body")
        if content_type:
            self._headers.setdefault("content-type", content_type)
        self._init_body(stored)

    @classmethod
    def _trusted(cls, method: str, url: str, headers: Headers, body: Body) -> Request:
        """Build from values the host already checked (the incoming request)."""
        request = cls.__new__(cls)
        request._method, request._url, request._headers = method, url, headers
        request._init_body(body)
        return request

    @property
    def method(self) -> str:
        """The request method, e.g. "GET"."""
        return self._method

    @property
    def url(self) -> str:
        """The URL; absolute for requests from the host (`http://host/path?query`)."""
        return self._url

    @property
    def headers(self) -> Headers:
        """The request headers (mutable)."""
        return self._headers

    @property
    def parsed_url(self) -> SplitResult:
        """The URL in parts: `.scheme`, `.netloc`, `.hostname`, `.port`, `.path`, `.query`."""
        return urlsplit(self._url)

    @property
    def path(self) -> str:
        """The URL's path (`/a/b`), as the URL writes it (still percent-encoded)."""
        return self.parsed_url.path or "/"

    @property
    def query(self) -> MultiDict:
        """The URL's query parameters: `request.query.get("page")`, `.get_all("tag")`."""
        return parse_query(self.parsed_url.query)

    def clone(self) -> Request:
        """A copy that can be read or sent on its own (a body still in the host is shared:
        it can be read any number of times)."""
        return Request._trusted(self._method, self._url, Headers(self._headers), self._body)

    def __repr__(self) -> str:
        return f"<Request {self._method} {self._url}>"
