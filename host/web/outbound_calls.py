"""A guest's outbound.fetch in WIT shapes: the request's body from its body table, the answer's
body inline when small, else as a body of the request (counted against its memory budget); a
refusal is answered as its message, which the SDKs raise as an error."""

from __future__ import annotations

from host.config import MIB, Settings
from host.errors import GuestBadResponse
from host.outbound import OutboundPolicy, OutboundRefused, fetch
from host.runtime.bodies import BodyTable
from host.runtime.values import WitFetched, WitFetchedResponse, WitRequest
from host.storage.deployments import Deployment

INLINE_BYTES = 64 * 1024


def policy_of(deployment: Deployment, settings: Settings) -> OutboundPolicy:
    """Where the deployment may go, with the host's time and size limits."""
    return OutboundPolicy(
        allowed_hosts=list(deployment.outbound_hosts),
        trusted_networks=settings.trusted_networks,
        timeout=settings.outbound_timeout_ms / 1000,
        max_bytes=settings.outbound_max_mb * MIB,
    )


def fetch_for_guest(
    policy: OutboundPolicy, bodies: BodyTable, request: WitRequest, seconds_left: float
) -> WitFetched:
    """Make the guest's request: its response, or why not."""
    body = request.body
    try:
        data = bodies.take(body) if isinstance(body, int) else (body or b"")
        got = fetch(policy, request.method, request.url, request.headers, data, seconds_left)
    except (OutboundRefused, GuestBadResponse) as error:  # GuestBadResponse: not its body
        return str(error)
    answer = got.body if len(got.body) <= INLINE_BYTES else bodies.add(got.body)
    return WitFetchedResponse(got.status, got.headers, answer or None)
