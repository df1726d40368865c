"""The pass-through decision: the attached variant goes out only for an untouched body."""

from __future__ import annotations

import pytest

from host.assets.passthrough import Variant, prefer_variant
from host.errors import GuestBadResponse
from host.runtime.bodies import BodyTable
from host.runtime.values import WitResponse
from tests.runtime.inline_bytes import Inline

PLAIN = b"plain text " * 10
PACKED = b"\x1f\x8bpacked"
VARIANT_HEADERS = (
    ("content-encoding", "gzip"),
    ("etag", '"gzip-tag"'),
    ("content-length", str(len(PACKED))),
)
PLAIN_HEADERS = [
    ("content-type", "text/plain; charset=utf-8"),
    ("etag", '"plain-tag"'),
    ("content-length", str(len(PLAIN))),
    ("vary", "Accept-Encoding"),
]


def guest_got(bodies: BodyTable) -> int:
    """The handle of a plain body with the gzip variant attached, as the binding makes it."""
    variant = Variant('"plain-tag"', VARIANT_HEADERS, Inline(PACKED))
    return bodies.add_stored(Inline(PLAIN), variant)


def test_an_untouched_body_goes_out_as_the_variant() -> None:
    bodies = BodyTable(1024)
    handle = guest_got(bodies)
    sent = prefer_variant(WitResponse(200, PLAIN_HEADERS, handle), bodies)
    assert sent.status == 200
    assert sent.headers == [
        ("content-type", "text/plain; charset=utf-8"),
        ("vary", "Accept-Encoding"),
        *VARIANT_HEADERS,
    ]
    assert isinstance(sent.body, int) and sent.body != handle
    assert bodies.take(sent.body) == PACKED
    assert bodies.take(handle) == PLAIN


def test_status_and_other_headers_may_change_and_names_are_case_blind() -> None:
    bodies = BodyTable(1024)
    handle = guest_got(bodies)
    headers = [("ETag", '"plain-tag"'), ("Content-Length", "999"), ("X-Extra", "1")]
    sent = prefer_variant(WitResponse(404, headers, handle), bodies)
    assert sent.status == 404
    assert sent.headers == [("X-Extra", "1"), *VARIANT_HEADERS]


@pytest.mark.parametrize(
    "headers",
    [
        [h for h in PLAIN_HEADERS if h[0] != "etag"],
        [("etag", '"the-guest-own"') if h[0] == "etag" else h for h in PLAIN_HEADERS],
        [*PLAIN_HEADERS, ("content-encoding", "identity")],
        [*PLAIN_HEADERS, ("Content-Encoding", "gzip")],
    ],
)
def test_a_changed_answer_is_sent_as_the_guest_made_it(headers: list[tuple[str, str]]) -> None:
    bodies = BodyTable(1024)
    answer = WitResponse(200, headers, guest_got(bodies))
    assert prefer_variant(answer, bodies) is answer


@pytest.mark.parametrize("body", [None, PLAIN])
def test_inline_bodies_have_no_variant(body: bytes | None) -> None:
    answer = WitResponse(200, PLAIN_HEADERS, body)
    assert prefer_variant(answer, BodyTable(1024)) is answer


def test_bodies_without_a_variant_are_kept() -> None:
    bodies = BodyTable(1024)
    for handle in (bodies.add(PLAIN), bodies.add_stored(Inline(PLAIN), object())):
        answer = WitResponse(200, PLAIN_HEADERS, handle)
        assert prefer_variant(answer, bodies) is answer


def test_a_handle_that_is_not_the_guest_own_is_a_bad_response() -> None:
    with pytest.raises(GuestBadResponse):
        prefer_variant(WitResponse(200, PLAIN_HEADERS, 7), BodyTable(1024, first_handle=8))
