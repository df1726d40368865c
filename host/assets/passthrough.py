"""Pass-through of asset bodies that have a compressed variant.

The asset binding hands guests the plain file, so a guest that reads an asset gets its real
bytes, and attaches to that body the variant (br, gzip) the client accepts. When the guest
returns the body untouched (the ETag it was given, no Content-Encoding of its own), the host
sends the variant in its place.
"""

from __future__ import annotations

from dataclasses import dataclass

from host.assets.headers import Headers
from host.errors import GuestBadResponse, GuestTrapped
from host.runtime.bodies import BodyTable, StoredBytes
from host.runtime.values import WitResponse


@dataclass(frozen=True)
class Variant:
    """The compressed form of a plain asset body, attached to that body in the body table.

    `plain_etag` is the plain body's ETag; `headers` (content-encoding, etag, content-length)
    describe the variant, whose bytes `stored` gives.
    """

    plain_etag: str
    headers: Headers
    stored: StoredBytes


def prefer_variant(answer: WitResponse, bodies: BodyTable) -> WitResponse:
    """The answer to send: with the attached variant if the guest passed the body through."""
    variant = _attached_variant(answer, bodies)
    if variant is None:
        return answer
    sent = {name.lower(): value for name, value in answer.headers}
    if sent.get("etag") != variant.plain_etag or "content-encoding" in sent:
        return answer
    replaced = {name for name, _ in variant.headers}
    kept = [(name, value) for name, value in answer.headers if name.lower() not in replaced]
    handle = bodies.add_stored(variant.stored)
    return WitResponse(answer.status, kept + list(variant.headers), handle)


def _attached_variant(answer: WitResponse, bodies: BodyTable) -> Variant | None:
    """The variant attached to the answer's body handle, if it has one."""
    if not isinstance(answer.body, int):
        return None
    try:
        attached = bodies.attachment(answer.body)
    except GuestTrapped as error:
        raise GuestBadResponse(str(error)) from None
    return attached if isinstance(attached, Variant) else None
