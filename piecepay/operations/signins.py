"""Signing in to a served ledger's web pages: a party gives their token once (or opens a
one-time link, ``piecepay token link``) and their browser holds a session from then on.

A session's and a link's secrets are random, shown once, and kept only as their SHA-256,
as a token's are. A session stands for its token: revoking the token ends every session
made from it, and a session lasts at most ``SESSION_HOURS``. A link is used once, within
its hours, by whoever opens it first.
"""

from __future__ import annotations

from datetime import timedelta

from piecepay import rules
from piecepay.errors import Unauthenticated
from piecepay.models import Token
from piecepay.operations.tokens import digest, find_token
from piecepay.records import Record
from piecepay.session import Session

SESSION_PREFIX = "ps_"  # a browser session's secret
LINK_PREFIX = "pl_"  # a one-time sign-in link's code
SESSION_HOURS = 12
LINK_HOURS = 24
MAX_LINK_HOURS = 24 * 7


class SignedIn(Record):
    """A new session: its secret (for the browser's cookie, never shown elsewhere) and token."""

    secret: str
    token: Token


def _until(s: Session, hours: int) -> str:
    return (s.now + timedelta(hours=hours)).isoformat(timespec="microseconds")


def _new(s: Session, token: Token, kind: str, prefix: str, hours: int) -> str:
    import secrets

    secret = prefix + secrets.token_urlsafe(32)
    s.store.insert_sign_in(token.id, kind, digest(secret), s.recorded_at, _until(s, hours))
    return secret


def sign_in(s: Session, token_secret: str) -> SignedIn:
    """A session for the usable token whose secret this is."""
    from piecepay.operations.tokens import authenticate

    with s.store.write():
        token = authenticate(s, token_secret)
        s.store.end_sign_ins(s.recorded_at)
        return SignedIn(_new(s, token, "session", SESSION_PREFIX, SESSION_HOURS), token)


def make_link(s: Session, token_id: int, hours: int = LINK_HOURS) -> str:
    """A one-time sign-in code for a usable token, good for ``hours``."""
    with s.store.write():
        token = rules.check_token_usable(find_token(s, token_id), s.today)
        rules.check_link_hours(hours, MAX_LINK_HOURS)
        return _new(s, token, "link", LINK_PREFIX, hours)


def use_link(s: Session, code: str) -> SignedIn:
    """A session for the token of a one-time link not used yet (and the link used up)."""
    with s.store.write():
        found = s.store.sign_in("link", digest(code), s.recorded_at) if code.startswith(LINK_PREFIX) else None
        if found is None or not s.store.use_sign_in(digest(code), s.recorded_at):
            raise Unauthenticated("this sign-in link is used, expired or wrong; ask for a new one", "link_unusable")
        token = rules.check_token_usable(s.store.token(found), s.today)
        return SignedIn(_new(s, token, "session", SESSION_PREFIX, SESSION_HOURS), token)


def session_token(s: Session, secret: str) -> Token:
    """The usable token a browser session stands for."""
    found = s.store.sign_in("session", digest(secret), s.recorded_at)
    if found is None:
        raise Unauthenticated("the session has ended; sign in again", "session_ended")
    return rules.check_token_usable(s.store.token(found), s.today)


def sign_out(s: Session, secret: str) -> None:
    """End a browser's session."""
    with s.store.write():
        s.store.end_sign_ins(s.recorded_at, digest(secret))
