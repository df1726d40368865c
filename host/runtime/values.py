"""WIT values: the request and response records as wasmtime-py passes them.

wasmtime-py lowers a record from any object with the right attributes, and represents
our `body` variant untagged (its cases have distinct Python types): `empty` is None,
`bytes` is `bytes`, `host` is an `int` handle. `Variant` objects are accepted as well.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wasmtime.component import Record, Variant

Headers = list[tuple[str, str]]
Body = None | bytes | int


@dataclass(slots=True)
class WitRequest:
    """The `request` record."""

    method: str
    url: str
    headers: Headers
    body: Body


@dataclass(slots=True)
class WitResponse:
    """The `response` record."""

    status: int
    headers: Headers
    body: Body


@dataclass
class WitEntry(Record):
    """The kv `entry` record (a Record: it is a case of the `got` variant)."""

    value: Body
    metadata: str | None
    expiration: int | None


@dataclass
class WitListedKey(Record):
    """The kv `listed-key` record."""

    name: str
    expiration: int | None
    metadata: str | None


@dataclass
class WitKeyPage(Record):
    """The kv `key-page` record (a case of the `listing` variant)."""

    keys: list[WitListedKey]
    complete: bool
    cursor: str | None


@dataclass
class WitFetchedResponse(Record):
    """The `response` record as a case of outbound's `fetched` variant."""

    status: int
    headers: Headers
    body: Body


# outbound `fetched`: a response, or why the request failed.
WitFetched = WitFetchedResponse | str
# kv `got`: missing (None), found (a WitEntry) or failed (why); `listing`: a page or why not.
WitGot = None | WitEntry | str
WitListing = WitKeyPage | str


def body_from_wit(value: Any) -> Body:
    """Normalise a lifted `body` variant to None, bytes or an int handle."""
    if isinstance(value, Variant):
        return None if value.tag == "empty" else value.payload
    if value is None or isinstance(value, bytes | int):
        return value
    raise TypeError(f"not a body variant: {type(value).__name__}")


def request_from_wit(value: Any) -> WitRequest:
    """A lifted `request` record as a WitRequest."""
    return WitRequest(value.method, value.url, list(value.headers), body_from_wit(value.body))


def response_from_wit(value: Any) -> WitResponse:
    """A lifted `response` record as a WitResponse."""
    return WitResponse(value.status, list(value.headers), body_from_wit(value.body))
