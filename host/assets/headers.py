"""Response header sets of one file, computed once when its manifest entry is made.

A file has an identity representation and maybe compressed ones (see `encodings`). Every
answer about a file that has compressed variants carries `Vary: Accept-Encoding`: the 200s
(identity included), 304s, 206s and 416s, so that no cache hands one client's
representation to another. Only 206 answers need per-request values (the range).

A request carrying `Authorization` gets `private` in place of `public` in the default
Cache-Control (`for_authorized`): RFC 9111 section 3.5 lets a shared cache reuse such an
answer only when it says `public` (or `must-revalidate`, `s-maxage`), and the model sends
no default Cache-Control then. `private, max-age=0, must-revalidate` keeps the browser's
revalidation and `private, max-age=31536000, immutable` keeps hashed names immutable for
the one user, while no shared cache stores what an authorized request was given.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from host.assets.encodings import IDENTITY, Representation
from host.assets.ranges import ByteRange, unsatisfied_content_range

Headers = tuple[tuple[str, str], ...]

REVALIDATE = "public, max-age=0, must-revalidate"
IMMUTABLE = "public, max-age=31536000, immutable"
PRIVATE_REVALIDATE = "private, max-age=0, must-revalidate"
PRIVATE_IMMUTABLE = "private, max-age=31536000, immutable"
TEXT = "text/plain; charset=utf-8"
VARY_ENCODING = "Accept-Encoding"
UNSATISFIABLE_BODY = b"Range Not Satisfiable"

_NOSNIFF = ("x-content-type-options", "nosniff")
_RANGES = ("accept-ranges", "bytes")
_CACHE = {False: REVALIDATE, True: IMMUTABLE}
_PRIVATE = {REVALIDATE: PRIVATE_REVALIDATE, IMMUTABLE: PRIVATE_IMMUTABLE}


@dataclass(frozen=True)
class FileHeaders:
    """Every header tuple a request for one file can need, ready to send."""

    ok: Mapping[tuple[str, bool], Headers]
    not_modified: Mapping[tuple[str, bool], Headers]
    not_found_page: Mapping[str, Headers]
    partial: Mapping[bool, tuple[Headers, Headers]]
    unsatisfiable: Headers

    def for_ok(self, immutable: bool, encoding: str = IDENTITY) -> Headers:
        """Headers of a 200 answer sending the representation with `encoding`."""
        return self.ok[encoding, immutable]

    def for_not_modified(self, immutable: bool, etag: str | None = None) -> Headers:
        """Headers of a 304 answer for the representation with `etag` (default: identity)."""
        if etag is None:
            etag = next(iter(self.not_modified))[0]
        return self.not_modified[etag, immutable]

    def for_not_found_page(self, encoding: str = IDENTITY) -> Headers:
        """Headers of a 404 whose body is this file."""
        return self.not_found_page[encoding]

    def for_partial(self, immutable: bool, byte_range: ByteRange) -> Headers:
        """Headers of a 206 answer sending `byte_range` of the identity bytes."""
        before, after = self.partial[immutable]
        middle = (
            ("content-range", byte_range.content_range),
            ("content-length", str(byte_range.length)),
        )
        return before + middle + after


def for_authorized(headers: Headers) -> Headers:
    """Headers of an answer to a request with `Authorization`: the default caching made private."""
    return tuple(
        (name, _PRIVATE.get(value, value)) if name == "cache-control" else (name, value)
        for name, value in headers
    )


def _vary(varies: bool) -> Headers:
    """The Vary field, for files with compressed variants."""
    return (("vary", VARY_ENCODING),) if varies else ()


def _coding(rep: Representation) -> Headers:
    """The Content-Encoding field of a compressed representation."""
    return (("content-encoding", rep.encoding),) if rep.encoding else ()


def _ok(content_type: str, rep: Representation, cache: str, varies: bool) -> Headers:
    """Headers of a full 200 answer."""
    return (
        ("content-type", content_type),
        ("etag", rep.etag),
        ("cache-control", cache),
        *_coding(rep),
        ("content-length", str(rep.size)),
        _RANGES,
        _NOSNIFF,
        *_vary(varies),
    )


def _not_modified(content_type: str, rep: Representation, cache: str, varies: bool) -> Headers:
    """Headers of a 304 answer: validator, type and caching only."""
    etag = ("etag", rep.etag)
    return (etag, ("content-type", content_type), ("cache-control", cache), *_vary(varies))


def _not_found_page(content_type: str, rep: Representation, varies: bool) -> Headers:
    """Headers of a 404 whose body is a file: no validator, no ranges."""
    return (
        ("content-type", content_type),
        ("cache-control", REVALIDATE),
        *_coding(rep),
        ("content-length", str(rep.size)),
        _NOSNIFF,
        *_vary(varies),
    )


def _partial(
    content_type: str, rep: Representation, cache: str, varies: bool
) -> tuple[Headers, Headers]:
    """Headers of a 206 answer around its Content-Range and Content-Length."""
    before = (("content-type", content_type), ("etag", rep.etag), ("cache-control", cache))
    return before, (_RANGES, _NOSNIFF, *_vary(varies))


def _unsatisfiable(size: int, varies: bool) -> Headers:
    """Headers of a 416 answer (its body is a short text)."""
    return (
        ("content-type", TEXT),
        ("content-length", str(len(UNSATISFIABLE_BODY))),
        ("content-range", unsatisfied_content_range(size)),
        _RANGES,
        _NOSNIFF,
        *_vary(varies),
    )


def file_headers(content_type: str, reps: tuple[Representation, ...]) -> FileHeaders:
    """Build every header set of a file; `reps[0]` is its identity representation."""
    identity, varies = reps[0], len(reps) > 1
    flags = (False, True)
    return FileHeaders(
        ok={(r.encoding, i): _ok(content_type, r, _CACHE[i], varies) for r in reps for i in flags},
        not_modified={
            (r.etag, i): _not_modified(content_type, r, _CACHE[i], varies)
            for r in reps
            for i in flags
        },
        not_found_page={r.encoding: _not_found_page(content_type, r, varies) for r in reps},
        partial={i: _partial(content_type, identity, _CACHE[i], varies) for i in flags},
        unsatisfiable=_unsatisfiable(identity.size, varies),
    )
