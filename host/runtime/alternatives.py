"""Pass-through of stored bodies that have a compressed form.

The asset binding hands guests the plain file, so a guest that reads an asset gets its real
bytes, and registers the variant (gzip, br) the client accepts as an `Alternative`. When the
guest returns that body untouched, with the headers it was given, the host sends the variant.
"""

from __future__ import annotations

from host.errors import GuestBadResponse, GuestTrapped
from host.runtime.bodies import BodyTable
from host.runtime.values import WitResponse


def prefer_alternative(answer: WitResponse, bodies: BodyTable) -> WitResponse:
    """The answer to send: with the body's alternative form if the guest passed it through."""
    if not isinstance(answer.body, int):
        return answer
    try:
        alternative = bodies.alternative(answer.body)
    except GuestTrapped as error:
        raise GuestBadResponse(str(error)) from None
    sent = {name.lower(): value for name, value in answer.headers}
    if alternative is None or sent.get("etag") != alternative.etag or "content-encoding" in sent:
        return answer
    replaced = {name for name, _ in alternative.headers}
    kept = [(name, value) for name, value in answer.headers if name.lower() not in replaced]
    handle = bodies.add_lazy(alternative.load, alternative.size)
    return WitResponse(answer.status, kept + list(alternative.headers), handle)
