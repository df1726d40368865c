"""Translating between the HTTP request/response and the WIT records a guest sees."""

from __future__ import annotations

import re
from contextlib import ExitStack
from urllib.parse import quote, urlsplit

import falcon

from host.assets.passthrough import prefer_variant
from host.config import MIB
from host.errors import GuestBadResponse, GuestTrapped, RequestTooLarge
from host.runtime.bodies import BodyStream, BodyTable
from host.runtime.values import WitRequest, WitResponse
from host.web.cookies import confine_cookie
from host.web.url_normalize import normalized_url

TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
BAD_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
DIGITS = re.compile(r"[0-9]+")  # str.isdigit() also takes "²", which servers cannot parse
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer",
     "upgrade", "proxy-authenticate", "proxy-authorization"}
)  # fmt: skip
# Fields a reverse proxy in front of the host acts on (serve a file or an internal location,
# change its limits): a tenant must not be able to send them.
PROXY_DIRECTIVES = frozenset(
    {"x-sendfile", "x-sendfile2", "x-sendfile-type", "x-lighttpd-send-file",
     "x-lighttpd-send-tempfile", "x-litespeed-location", "x-reproxy-url"}
)  # fmt: skip
PROXY_DIRECTIVE_PREFIXES = ("x-accel-",)  # nginx: X-Accel-Redirect, -Limit-Rate, -Buffering, …
BODILESS = frozenset({204, 304})
# Fields that must appear once: a repeated one from the guest replaces the earlier value.
SINGLETONS = frozenset(
    {"content-type", "location", "etag", "last-modified", "content-encoding", "content-range",
     "content-location", "content-disposition", "date", "expires", "age", "retry-after",
     "server"}
)  # fmt: skip
MAX_HEADERS = 200
MAX_HEADER_BYTES = 64 * 1024
# A stored body larger than this is streamed from storage in chunks; smaller ones are sent whole.
STREAM_ABOVE_BYTES = 1 * MIB


def raw_target(env: dict[str, object]) -> str:
    """The request target as the client sent it (still percent-encoded), path plus query."""
    raw = env.get("REQUEST_URI") or env.get("RAW_URI")
    query = str(env.get("QUERY_STRING") or "")
    if isinstance(raw, str) and raw:
        if not raw.startswith("/"):
            parts = urlsplit(raw)
            raw = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        if query and "?" not in raw:  # a server that keeps the query out of its raw URI
            raw += f"?{query}"
        return raw
    path = str(env.get("PATH_INFO") or "/").encode("latin-1").decode("utf-8", "surrogateescape")
    return quote(path, safe="/%:@!$&'()*+,;=~-._", errors="surrogateescape") + (
        f"?{query}" if query else ""
    )


def request_headers(env: dict[str, object]) -> list[tuple[str, str]]:
    """The request's header fields with lower-case names."""
    headers = []
    for key, value in env.items():
        if key.startswith("HTTP_"):
            headers.append((key[5:].lower().replace("_", "-"), str(value)))
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
            headers.append((key.lower().replace("_", "-"), str(value)))
    return headers


def to_wit_request(req: falcon.Request, host: str, bodies: BodyTable, max_body: int) -> WitRequest:
    """The WIT request for `req` (sent to `host`), its URL normalized as a WHATWG URL parser
    would; a body goes into the body table."""
    env = req.env
    url = normalized_url(req.scheme, host, raw_target(env))
    return WitRequest(req.method, url, request_headers(env), _body(req, bodies, max_body))


def _body(req: falcon.Request, bodies: BodyTable, max_body: int) -> int | None:
    """A handle to the request body, or None if it has none."""
    if req.content_length is not None and req.content_length > max_body:
        raise RequestTooLarge(f"request body larger than {max_body} bytes (max_request_mb)")
    data = req.bounded_stream.read(max_body + 1)
    if len(data) > max_body:
        raise RequestTooLarge(f"request body larger than {max_body} bytes (max_request_mb)")
    return bodies.add(data) if data else None


def write_response(
    req: falcon.Request,
    resp: falcon.Response,
    answer: WitResponse,
    bodies: BodyTable,
    site: str,
    held: ExitStack | None = None,
) -> None:
    """Copy the guest's answer onto the Falcon response, refusing anything unsendable.

    A body is read from the body table only when it is sent: not for HEAD, 204 or 304.
    `held` holds what the request keeps while its body is sent (its project's slot): given it,
    a stored body larger than `STREAM_ABOVE_BYTES` not loaded into memory yet goes out as
    `resp.stream`, which takes `held` over and releases it when the WSGI server closes the
    stream. Otherwise `held` stays with the caller.
    """
    if not isinstance(answer.status, int) or not 200 <= answer.status <= 599:
        raise GuestBadResponse(f"status {answer.status!r} is not between 200 and 599")
    answer = prefer_variant(answer, bodies)
    resp.status = answer.status
    length = _write_headers(resp, answer.headers, site)
    if answer.status in BODILESS:
        if length is not None and answer.status == 304:
            resp.set_header("content-length", length)
    elif req.method == "HEAD":
        resp.set_header("content-length", length or str(_body_size(answer.body, bodies)))
    else:
        _write_body(resp, answer.body, bodies, held)


def _write_body(
    resp: falcon.Response, body: bytes | int | None, bodies: BodyTable, held: ExitStack | None
) -> None:
    """Send the body as `resp.data`, or a large stored one as a stream that releases `held`."""
    if held is None or (stream := _large_stream(body, bodies)) is None:
        resp.data = _body_bytes(body, bodies)
        return
    stream.call_on_close(held.pop_all().close)
    resp.stream = stream
    resp.content_length = stream.size


def _large_stream(body: bytes | int | None, bodies: BodyTable) -> BodyStream | None:
    """A stored body above `STREAM_ABOVE_BYTES` not loaded yet, as a stream; else None."""
    if not isinstance(body, int) or _body_size(body, bodies) <= STREAM_ABOVE_BYTES:
        return None
    return bodies.stream(body)


def _write_headers(resp: falcon.Response, headers: list[tuple[str, str]], site: str) -> str | None:
    """Set valid end-to-end headers; return the guest's Content-Length (used for HEAD)."""
    if len(headers) > MAX_HEADERS or sum(len(n) + len(v) for n, v in headers) > MAX_HEADER_BYTES:
        raise GuestBadResponse("too many or too large response headers")
    fields = [(_checked_name(name, value), value) for name, value in headers]
    dropped = HOP_BY_HOP | _connection_options(fields)
    length = None
    for name, value in fields:
        if name in dropped or _proxy_directive(name):
            continue
        if name == "content-length":
            length = value.strip() if DIGITS.fullmatch(value.strip()) else None
        elif name == "set-cookie":
            resp.append_header(name, confine_cookie(value, site))
        elif name in SINGLETONS:
            resp.set_header(name, value)
        else:
            resp.append_header(name, value)
    return length


def _checked_name(name: str, value: str) -> str:
    """The field name lower-cased; GuestBadResponse if the name or value cannot be sent."""
    name = name.lower()
    if not TOKEN.fullmatch(name) or BAD_VALUE.search(value) or not _latin1(value):
        raise GuestBadResponse(f"invalid response header {name!r}")
    return name


def _connection_options(fields: list[tuple[str, str]]) -> frozenset[str]:
    """The field names the guest's Connection headers list: hop-by-hop, so never forwarded."""
    return frozenset(
        option.strip().lower()
        for name, value in fields
        if name == "connection"
        for option in value.split(",")
    )


def _proxy_directive(name: str) -> bool:
    """Whether a reverse proxy in front of the host would act on this field."""
    return name in PROXY_DIRECTIVES or name.startswith(PROXY_DIRECTIVE_PREFIXES)


def _latin1(value: str) -> bool:
    """Whether a header value can go on the wire as WSGI requires (ISO-8859-1)."""
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


def _body_size(body: bytes | int | None, bodies: BodyTable) -> int:
    """The length of a response body, without reading a stored one."""
    if body is None:
        return 0
    if isinstance(body, bytes):
        return len(body)
    try:
        return bodies.size(body)
    except GuestTrapped as error:
        raise GuestBadResponse(str(error)) from None


def _body_bytes(body: bytes | int | None, bodies: BodyTable) -> bytes:
    """The bytes of a response body: inline, or taken from the body table."""
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    return bodies.take(body)
