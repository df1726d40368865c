"""The asset binding's answer to one request, decided from the manifest alone.

No I/O here: the caller reads `AssetResponse.file` (its `encoding` form, maybe only its
`byte_range`) from storage when it is set. Methods are case-sensitive (RFC 9110): only
`GET` and `HEAD` are served. A path that cannot be resolved (NUL, invalid UTF-8) is a
plain 404 in every `not_found_handling` mode, and misses fall back to a file only for GET
and HEAD. HEAD answers exactly as GET would (Range included), without the file.

Order of evaluation:
1. `_redirects` rules, on the decoded path, for any method: a redirect answers at once;
   a rewrite (200) swaps the path to look up, and the lookup then follows `html_handling`
   redirects internally instead of sending them.
2. Asset lookup, `html_handling`, the canonical-URL redirect, `not_found_handling`.
3. For a file: If-None-Match (any representation's ETag; the 304 names the one matched),
   then Range/If-Range (identity bytes only), then `Accept-Encoding`. A request with
   `Authorization` gets the default Cache-Control made `private` (see `headers`). An answer
   sending a compressed representation also carries, from the same pass, the headers its
   identity form would have (`identity_headers`): the binding gives guests the plain file.
4. `_headers` rules matching the request's decoded path (and host) change every answer,
   as in the model (CORS and HSTS must reach redirects and errors too), except where the
   path cannot be resolved (NUL, invalid UTF-8: no path to match). What they may touch
   depends on the answer:
   - about a file (200, 206, 304, a `404-page` page): everything but `PROTECTED` names;
   - a redirect (canonical, `html_handling`, `_redirects`): not Content-Type,
     Cache-Control or ETag, so a redirect never carries them; a rule's Cache-Control is
     written for the files it names, and dropping it keeps a redirect from being cached
     under a file's policy (`immutable` would pin the move for a year);
   - a short plain-text answer (404 `Not Found`, 405, 416): not Content-Type or
     Cache-Control; the body stays the host's plain text, and a miss is never cached
     under the policy written for the file it lacks.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from host.assets.conditional import if_range_allows, matching_etag
from host.assets.encodings import IDENTITY, Representation, choose
from host.assets.headerrules import HeaderRules
from host.assets.headers import UNSATISFIABLE_BODY, Headers, for_authorized
from host.assets.html import Redirect, resolve_html
from host.assets.manifest import AssetEntry, Manifest
from host.assets.notfound import find_fallback
from host.assets.options import DEFAULT_OPTIONS, AssetOptions
from host.assets.paths import canonical_path, encode_query, resolve_request_path
from host.assets.ranges import ByteRange, Unsatisfiable, parse_range
from host.assets.redirectrules import RuleMatch

_SERVED_METHODS = frozenset({"GET", "HEAD"})
_HASHED = re.compile(r"\.[a-f0-9]{8,}\.\w+\Z", re.ASCII)
_VARY_ACCEPT = ("vary", "Accept")
_REDIRECT_FIXED = frozenset({"content-type", "cache-control", "etag"})
_TEXT_FIXED = frozenset({"content-type", "cache-control"})


@dataclass(frozen=True)
class AssetResponse:
    """Status, headers (lower-case names) and either a short text body or a manifest file.

    `file` is the pathname whose bytes form the body: its `encoding` representation
    ("" identity, "br", "gzip"), or only `byte_range` of its identity bytes. When `encoding`
    is a compressed one, `identity_headers` are those of the same answer sending the identity
    bytes instead (as a request accepting no encoding would get); otherwise they are None.
    """

    status: int
    headers: Headers
    body: bytes = b""
    file: str | None = None
    encoding: str = IDENTITY
    byte_range: ByteRange | None = None
    identity_headers: Headers | None = None


def _text(
    status: int, message: str, *extra: tuple[str, str]
) -> tuple[AssetResponse, AssetResponse]:
    """A plain-text answer, as (for GET and others, for HEAD)."""
    body = message.encode("utf-8")
    headers = (
        ("content-type", "text/plain; charset=utf-8"),
        ("content-length", str(len(body))),
        ("x-content-type-options", "nosniff"),
        *extra,
    )
    return AssetResponse(status, headers, body), AssetResponse(status, headers)


_NO_ASSETS = _text(404, "No assets found")
_NOT_FOUND = _text(404, "Not Found")
_NOT_FOUND_VARY = _text(404, "Not Found", _VARY_ACCEPT)
_METHOD_NOT_ALLOWED = _text(405, "Method Not Allowed", ("allow", "GET, HEAD"))


@dataclass(frozen=True)
class _Ask:
    """One request, as the functions below need it."""

    method: str
    path: str
    raw_path: str
    query: str
    headers: Mapping[str, str]
    options: AssetOptions
    rules: HeaderRules
    host: str

    @property
    def head(self) -> bool:
        """Whether the answer carries no body."""
        return self.method == "HEAD"

    def custom(self, headers: Headers) -> Headers:
        """Headers of an answer about a file, made private if need be, then changed by rules."""
        if "authorization" in self.headers:
            headers = for_authorized(headers)
        return self.rules.apply(headers, self.path, self.host) if self.rules else headers

    def plain(self, answers: tuple[AssetResponse, AssetResponse]) -> AssetResponse:
        """A short plain-text answer (for HEAD without its body), changed by rules."""
        return self.changed(answers[self.head], _TEXT_FIXED)

    def changed(self, answer: AssetResponse, fixed: frozenset[str]) -> AssetResponse:
        """An answer with the `_headers` rules applied to all but its `fixed` fields."""
        if not self.rules:
            return answer
        headers = self.rules.apply(answer.headers, self.path, self.host, fixed)
        return replace(answer, headers=headers)


def handle_asset_request(
    manifest: Manifest | None,
    method: str,
    raw_path: str,
    query: str,
    headers: Mapping[str, str],
    options: AssetOptions = DEFAULT_OPTIONS,
    host: str = "",
) -> AssetResponse:
    """Answer a request for the raw (still percent-encoded) `raw_path` from `manifest`.

    `headers` maps lower-case names to values; `host` is the request's host name, used
    only by `_headers` rules written as `https://host/…` URLs.
    """
    head = method == "HEAD"
    if manifest is None:
        return _NO_ASSETS[head]
    path = resolve_request_path(raw_path)
    if path is None:
        return _NOT_FOUND[head]
    ask = _Ask(method, path, raw_path, query, headers, options, manifest.header_rules, host)
    rule = manifest.redirect_rules.match(path) if manifest.redirect_rules else None
    if rule is not None and not rule.is_rewrite:
        return ask.changed(_rule_redirect(rule, query), _REDIRECT_FIXED)
    return _answer(manifest, ask, rule)


def _answer(manifest: Manifest, ask: _Ask, rewrite: RuleMatch | None) -> AssetResponse:
    """Look up the (maybe rewritten) path and answer with a file, a redirect or a miss."""
    target = ask.path if rewrite is None else rewrite.rewrite_path()
    if target is None:
        return ask.plain(_NOT_FOUND)
    options = ask.options
    found = resolve_html(target, manifest.files.__contains__, options.html_handling)
    if found is None:
        return _miss(manifest, ask, target)
    if ask.method not in _SERVED_METHODS:
        return ask.plain(_METHOD_NOT_ALLOWED)
    if rewrite is None and isinstance(found, Redirect):
        return ask.changed(redirect(found.location, ask.query), _REDIRECT_FIXED)
    if rewrite is None and canonical_path(ask.path) != (ask.raw_path or "/"):
        return ask.changed(redirect(ask.path, ask.query), _REDIRECT_FIXED)
    immutable = _HASHED.search(ask.path) is not None
    return _serve(ask, manifest.files[found.pathname], found.pathname, immutable)


def redirect(decoded_path: str, query: str) -> AssetResponse:
    """307 to the canonical form of a decoded path, keeping the query, dropping a fragment."""
    location = canonical_path(decoded_path)
    encoded = encode_query(query)
    if encoded:
        location += "?" + encoded
    return AssetResponse(307, (("location", location), ("content-length", "0")))


def _rule_redirect(rule: RuleMatch, query: str) -> AssetResponse:
    """The redirect a `_redirects` rule asks for."""
    return AssetResponse(rule.status, (("location", rule.location(query)), ("content-length", "0")))


def _serve(ask: _Ask, entry: AssetEntry, pathname: str, immutable: bool) -> AssetResponse:
    """304 for a known ETag, else a range (206/416) or the chosen representation (200)."""
    headers = ask.headers
    ranged = "range" in headers
    chosen = entry.representations[0] if ranged else _negotiate(entry, headers)
    tag = matching_etag(headers.get("if-none-match"), (chosen.etag, *entry.etags))
    if tag is not None:
        return AssetResponse(304, ask.custom(entry.headers.for_not_modified(immutable, tag)))
    if ranged:
        partial = _partial(ask, entry, pathname, immutable)
        if partial is not None:
            return partial
    return _send(ask, 200, functools.partial(entry.headers.for_ok, immutable), chosen, pathname)


def _send(
    ask: _Ask,
    status: int,
    headers_for: Callable[[str], Headers],
    chosen: Representation,
    pathname: str,
) -> AssetResponse:
    """A 200 or 404-page answer sending `chosen`, with the identity headers if it is compressed."""
    headers = ask.custom(headers_for(chosen.encoding))
    identity = ask.custom(headers_for(IDENTITY)) if chosen.encoding else None
    file = None if ask.head else pathname
    return AssetResponse(
        status, headers, file=file, encoding=chosen.encoding, identity_headers=identity
    )


def _negotiate(entry: AssetEntry, headers: Mapping[str, str]) -> Representation:
    """The representation `Accept-Encoding` picks."""
    return choose(headers.get("accept-encoding"), entry.representations)


def _partial(ask: _Ask, entry: AssetEntry, pathname: str, immutable: bool) -> AssetResponse | None:
    """206 or 416 for a Range the request may have; None to send the whole file."""
    if not if_range_allows(ask.headers.get("if-range"), entry.etag):
        return None
    answer = parse_range(ask.headers.get("range"), entry.size)
    if answer is None:
        return None
    if isinstance(answer, Unsatisfiable):
        body = b"" if ask.head else UNSATISFIABLE_BODY
        return ask.changed(AssetResponse(416, entry.headers.unsatisfiable, body), _TEXT_FIXED)
    partial = ask.custom(entry.headers.for_partial(immutable, answer))
    file = None if ask.head else pathname
    return AssetResponse(206, partial, file=file, byte_range=answer)


def _miss(manifest: Manifest, ask: _Ask, path: str) -> AssetResponse:
    """Answer for a path with no file: a fallback file, or a plain 404."""
    mode = ask.options.not_found_handling
    plain = _NOT_FOUND_VARY if mode == "single-page-application" else _NOT_FOUND
    if ask.method not in _SERVED_METHODS:
        return ask.plain(plain)
    contains = manifest.files.__contains__
    fallback = find_fallback(path, contains, mode, ask.headers.get("accept", ""))
    if fallback is None:
        return ask.plain(plain)
    entry = manifest.files[fallback.pathname]
    if fallback.status == 404:
        chosen = _negotiate(entry, ask.headers)
        page = entry.headers.for_not_found_page
        return _send(ask, 404, page, chosen, fallback.pathname)
    served = _serve(ask, entry, fallback.pathname, False)
    identity = served.identity_headers
    return replace(
        served,
        headers=_vary_also(served.headers, "Accept"),
        identity_headers=None if identity is None else _vary_also(identity, "Accept"),
    )


def _vary_also(headers: Headers, name: str) -> Headers:
    """Headers with `name` added to Vary (one field: `Accept, Accept-Encoding`)."""
    for index, (field, value) in enumerate(headers):
        if field == "vary":
            return (*headers[:index], ("vary", f"{name}, {value}"), *headers[index + 1 :])
    return (*headers, ("vary", name))
