"""Outbound requests: the host fetches for a guest, only where its project may go.

A project's deployment lists the hosts it may reach (`outbound_hosts`: `api.example.com`, or
`*.example.com` for its subdomains); everything else is refused with a message the guest sees.
The host name is resolved here, once, and every address it resolves to must be public (not
loopback, private, link-local, multicast or reserved) unless the operator trusts its network
(`outbound_trusted_networks`); the connection then goes to the checked address, so a name that
resolves differently a moment later (DNS rebinding) cannot send it elsewhere. HTTPS is checked
against the host name. Redirects are not followed (the guest gets the 3xx). The call ends at
the request's wall-clock limit or `outbound_timeout_ms`, whichever comes first, and a response
body past `outbound_max_mb` is refused.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import re
import socket
import ssl
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from host.errors import DeployError, WasmhostError

Headers = list[tuple[str, str]]
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer",
     "upgrade", "host", "content-length"}
)  # fmt: skip
DEFAULT_PORTS = {"http": 80, "https": 443}
READ_BYTES = 256 * 1024
HOST_PATTERN = re.compile(
    r"(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
)
MAX_HOSTS = 100
# IPv6 addresses that stand for IPv4 ones through a gateway or translator: a name answering
# with one could reach a private IPv4 address behind it.
EMBEDDING_IPV4 = [
    ipaddress.ip_network(prefix)
    for prefix in ("64:ff9b::/96", "64:ff9b:1::/48", "2002::/16", "2001::/32", "::/96",
                   "::ffff:0:0:0/96", "fec0::/10")
]  # fmt: skip


class OutboundRefused(WasmhostError):
    """The host will not make (or finish) this outbound request; the message says why."""


@dataclass(frozen=True)
class OutboundPolicy:
    """Where a deployment may go, and how long and how much the host fetches for it."""

    allowed_hosts: Sequence[str]
    trusted_networks: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network] = ()
    timeout: float = 10.0
    max_bytes: int = 16 * 1024 * 1024


@dataclass(frozen=True)
class Fetched:
    """An outbound response, read whole."""

    status: int
    headers: Headers
    body: bytes


def fetch(
    policy: OutboundPolicy,
    method: str,
    url: str,
    headers: Headers,
    body: bytes,
    seconds_left: float,
) -> Fetched:
    """Make the request if the policy allows it; OutboundRefused with the reason otherwise."""
    try:
        return _fetch(policy, method, url, headers, body, seconds_left)
    except (ValueError, UnicodeError) as error:  # a port, name or header no request can carry
        raise OutboundRefused(f"the request to {url!r} cannot be made: {error}") from None


def _fetch(
    policy: OutboundPolicy,
    method: str,
    url: str,
    headers: Headers,
    body: bytes,
    seconds_left: float,
) -> Fetched:
    """`fetch`, raising ValueError or UnicodeError for input it cannot send."""
    parts = urlsplit(url)
    scheme, host = parts.scheme, (parts.hostname or "")
    if scheme not in DEFAULT_PORTS:
        raise OutboundRefused(f"only http and https URLs can be fetched, not {url!r}")
    if not allowed(host, policy.allowed_hosts):
        listed = ", ".join(policy.allowed_hosts)
        raise OutboundRefused(
            f"outbound requests to {host} are not enabled for this project"
            f" ({'it may reach ' + listed if listed else 'it may reach no host'};"
            " add the host to outbound_hosts in its config)"
        )
    timeout = min(policy.timeout, seconds_left)
    if timeout <= 0:
        raise OutboundRefused("no time is left in this request for an outbound request")
    deadline = time.monotonic() + timeout
    port = parts.port or DEFAULT_PORTS[scheme]
    address = checked_address(host, port, policy.trusted_networks, timeout)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise OutboundRefused(f"{host} did not answer within {timeout:.1f} s")
    connection = _connection(scheme, host, address, port, remaining)
    try:
        connection.connect()
    except OSError as error:
        connection.close()
        raise OutboundRefused(f"cannot connect to {host}: {error}") from None
    watchdog = _Watchdog(connection.sock, deadline - time.monotonic())
    try:
        return _exchange(connection, method, target, host, port, headers, body, policy)
    except (OSError, http.client.HTTPException, OutboundRefused) as error:
        if watchdog.fired:  # the socket was shut at the deadline: whatever failed, that is why
            raise OutboundRefused(f"{host} did not answer within {timeout:.1f} s") from None
        if isinstance(error, OutboundRefused):
            raise
        raise OutboundRefused(f"the request to {host} failed: {error}") from None
    finally:
        watchdog.cancel()
        connection.close()


class _Watchdog:
    """Ends a connection's socket at the call's deadline, whatever it is waiting for (a server
    that sends a byte now and then resets every socket timeout, not this)."""

    def __init__(self, sock: socket.socket, seconds: float) -> None:
        self.fired = False
        self._sock = sock  # the response may outlive the connection's own reference to it
        self._timer = threading.Timer(max(0.0, seconds), self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        """Shut the socket: any read or write in progress fails at once."""
        self.fired = True
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)

    def cancel(self) -> None:
        """The call ended in time."""
        self._timer.cancel()


def check_hosts(patterns: object) -> list[str]:
    """A deployment's `outbound_hosts`, checked: host names, `*.` for subdomains."""
    if not isinstance(patterns, list | tuple) or len(patterns) > MAX_HOSTS:
        raise DeployError(f"outbound_hosts must be a list of at most {MAX_HOSTS} host names")
    for pattern in patterns:
        if not isinstance(pattern, str) or HOST_PATTERN.fullmatch(pattern.lower()) is None:
            raise DeployError(
                f"outbound host {pattern!r} is not a host name (write api.example.com, or"
                " *.example.com for its subdomains)"
            )
    return [p.lower() for p in patterns]


def allowed(host: str, patterns: Sequence[str]) -> bool:
    """Whether `host` is one of `patterns` (`*.example.com` matches its subdomains)."""
    host = host.lower().rstrip(".")
    for pattern in patterns:
        pattern = pattern.lower().rstrip(".")
        if pattern.startswith("*.") and host.endswith(pattern[1:]) and host != pattern[2:]:
            return True
        if host == pattern:
            return True
    return False


def checked_address(
    host: str,
    port: int,
    trusted: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network],
    timeout: float = 10.0,
) -> str:
    """The address to connect to: `host` resolved once (within `timeout`), every answer
    public (or trusted)."""
    addresses = [str(info[4][0]) for info in _resolve(host, port, timeout)]
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if not reachable(ip, trusted):
            raise OutboundRefused(
                f"{host} resolves to {address}, a private or reserved address: not reachable"
                " from a guest"
            )
    return addresses[0]


def reachable(
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address,
    trusted: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network],
) -> bool:
    """Whether a guest may connect to `ip`: public, and not an IPv6 form that carries an IPv4
    address to a gateway (NAT64, 6to4, Teredo, …), unless the operator trusts its network."""
    if any(ip in network for network in trusted):
        return True
    if not ip.is_global:
        return False
    return not (ip.version == 6 and any(ip in prefix for prefix in EMBEDDING_IPV4))


def _resolve(host: str, port: int, timeout: float) -> list[Any]:
    """getaddrinfo, given up on after `timeout` (it has no timeout of its own)."""
    found: list[Any] = []
    failure: list[OSError] = []

    def lookup() -> None:
        try:
            found.extend(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except (OSError, UnicodeError) as error:
            failure.append(OSError(str(error)))

    thread = threading.Thread(target=lookup, name="wasmhost-resolve", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise OutboundRefused(f"cannot resolve {host}: no answer within {timeout:.1f} s")
    if failure or not found:
        raise OutboundRefused(f"cannot resolve {host}: {failure[0] if failure else 'no address'}")
    return found


def _connection(
    scheme: str, host: str, address: str, port: int, timeout: float
) -> http.client.HTTPConnection:
    """A connection to the checked `address`, speaking TLS for `host` when https."""
    if scheme == "http":
        return http.client.HTTPConnection(address, port, timeout=timeout)
    return _PinnedHTTPS(host, address, port, timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to a checked address, with the certificate checked against the host name."""

    def __init__(self, host: str, address: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        """Connect to the checked address, then speak TLS for the host name."""
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)  # type: ignore[attr-defined]


def _exchange(
    connection: http.client.HTTPConnection,
    method: str,
    target: str,
    host: str,
    port: int,
    headers: Headers,
    body: bytes,
    policy: OutboundPolicy,
) -> Fetched:
    """Send the request and read the response, its body capped."""
    connection.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
    default_port = port in DEFAULT_PORTS.values()
    connection.putheader("Host", host if default_port else f"{host}:{port}")
    for name, value in headers:
        if name.lower() not in HOP_BY_HOP:
            connection.putheader(name, value)
    if body or method not in ("GET", "HEAD"):
        connection.putheader("Content-Length", str(len(body)))
    connection.endheaders(body or None)
    response = connection.getresponse()
    data = bytearray()
    while chunk := response.read(READ_BYTES):
        data += chunk
        if len(data) > policy.max_bytes:
            raise OutboundRefused(
                f"the response from {host} is larger than {policy.max_bytes} bytes"
                " (outbound_max_mb)"
            )
    if response.length:  # the server closed before sending all it announced
        raise OutboundRefused(f"the response from {host} ended {response.length} bytes early")
    kept = [(n.lower(), v) for n, v in response.getheaders() if n.lower() not in HOP_BY_HOP]
    return Fetched(response.status, kept, bytes(data))
