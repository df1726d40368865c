"""Sessions of the control page: a signed cookie, and a CSRF token bound to it.

Logging in with the host's token gives a cookie `wasmhost_session` = `EXPIRES.NONCE.MAC`, the
MAC an HMAC under a key derived from a secret kept in the database and the token itself: every
worker and host of the database accepts it, and changing the token ends every session. The
cookie is `HttpOnly` (no script reads it), `SameSite=Strict` (no other site's page sends it)
and `Secure` over HTTPS. Each form carries a CSRF token, an HMAC of the session's nonce, which
a POST must send back.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

COOKIE = "wasmhost_session"
LIFETIME_SECONDS = 12 * 3600


@dataclass(frozen=True)
class Session:
    """A valid session: its nonce (what CSRF tokens are bound to) and when it ends."""

    nonce: str
    expires: int


class SessionKeys:
    """Makes and checks session cookies and CSRF tokens for one token."""

    def __init__(self, secret: bytes, token: str) -> None:
        self._key = hmac.new(secret, b"control-session:" + token.encode(), hashlib.sha256).digest()

    def new_cookie(self, now: float | None = None) -> str:
        """The value of a fresh session cookie."""
        expires = int(now if now is not None else time.time()) + LIFETIME_SECONDS
        payload = f"{expires}.{secrets.token_hex(16)}"
        return f"{payload}.{self._mac('session', payload)}"

    def session(self, cookie: str | None, now: float | None = None) -> Session | None:
        """The session a cookie value stands for, or None if it is forged, altered or expired."""
        expires, _, rest = (cookie or "").partition(".")
        nonce, _, mac = rest.partition(".")
        if not (expires.isascii() and expires.isdigit() and nonce and mac):
            return None
        if not hmac.compare_digest(mac, self._mac("session", f"{expires}.{nonce}")):
            return None
        if int(expires) <= (now if now is not None else time.time()):
            return None
        return Session(nonce, int(expires))

    def csrf_token(self, session: Session) -> str:
        """The token forms of this session carry."""
        return self._mac("csrf", session.nonce)

    def check_csrf(self, session: Session, sent: str | None) -> bool:
        """Whether a form sent this session's CSRF token."""
        return hmac.compare_digest(self.csrf_token(session), sent or "")

    def _mac(self, purpose: str, text: str) -> str:
        """An HMAC of `text` for one purpose, as hex."""
        return hmac.new(self._key, f"{purpose}:{text}".encode(), hashlib.sha256).hexdigest()
