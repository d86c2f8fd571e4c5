"""Tokens: how the parties of a served ledger prove who they are. A token is printed once,
when it is made; the ledger keeps only the SHA-256 of its secret, with the token's name (the
actor its requests are recorded under), role, worker, campaigns and last day. Making and
revoking one are entries of the journal, and its row is a fact sealed into the chain."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from piecepay import rules
from piecepay.errors import NotFound, Unauthenticated
from piecepay.journal import sha256_hex
from piecepay.models import Token, TokenRole
from piecepay.records import Record
from piecepay.session import Session

PREFIX = "pp_"  # every secret starts so, to be told apart from other credentials at a glance


class NewToken(Record):
    """A token just made, with its secret: the one time it is shown."""

    token: Token
    secret: str


def digest(secret: str) -> str:
    """What the ledger keeps of a secret: its SHA-256 in hex. A secret holds 256 random bits,
    so a fast hash is enough: there is nothing to guess."""
    return sha256_hex(secret)


def create_token(
    s: Session,
    role: TokenRole,
    worker_ref: str | None = None,
    campaign_refs: Sequence[str] = (),
    expires_on: date | None = None,
    name: str | None = None,
) -> NewToken:
    """Make a token for a party and record it (never its secret) in a ``token_created`` entry."""
    import secrets

    with s.store.write():
        worker = s.store.find_worker(worker_ref) if worker_ref is not None else None
        campaigns = [s.store.find_campaign(ref) for ref in dict.fromkeys(campaign_refs)]
        given = name or _default_name(s, role, worker.handle if worker else None)
        rules.check_token_terms(role, worker_ref, len(campaigns), s.store.token_name_taken(given), given)
        rules.check_token_expiry(expires_on, s.today)
        secret = PREFIX + secrets.token_urlsafe(32)
        token = s.store.insert_token(
            given,
            role,
            worker.id if worker else None,
            [c.id for c in campaigns],
            expires_on,
            digest(secret),
            s.recorded_at,
        )
        s.record("token_created", f"token {token.id} created: {describe(token)}")
        return NewToken(token, secret)


def _default_name(s: Session, role: TokenRole, handle: str | None) -> str:
    """A worker's handle, or the role, with a number after it if that name is taken."""
    base = handle if handle is not None else str(role)
    name, number = base, 1
    while s.store.token_name_taken(name):
        number += 1
        name = f"{base}-{number}"
    return name


def describe(token: Token) -> str:
    """A token's terms in words: 'ana (worker ana; campaigns photos; until 2026-12-31)'."""
    terms = [f"{token.role} {token.worker_handle}" if token.worker_handle else str(token.role)]
    if token.campaign_slugs:
        terms.append("campaigns " + ", ".join(token.campaign_slugs))
    if token.expires_on is not None:
        terms.append(f"until {token.expires_on.isoformat()}")
    return f"{token.name} ({'; '.join(terms)})"


def authenticate(s: Session, secret: str | None) -> Token:
    """The usable token whose secret this is, or that the browser session whose secret this is
    stands for (refused as unauthenticated otherwise)."""
    if not secret:
        raise Unauthenticated("no token: send 'Authorization: Bearer TOKEN'", "token_missing")
    if not secret.startswith(PREFIX):
        from piecepay.operations.signins import SESSION_PREFIX, session_token

        if secret.startswith(SESSION_PREFIX):  # a browser's session, which stands for its token
            return session_token(s, secret)
    return rules.check_token_usable(s.store.token_by_digest(digest(secret)), s.today)


def tokens(s: Session) -> list[Token]:
    return s.store.tokens()


def find_token(s: Session, token_id: int) -> Token:
    found = s.store.token(token_id)
    if found is None:
        raise NotFound(f"no token '{token_id}' (see 'piecepay token list')", "token_not_found")
    return found


def revoke_token(s: Session, token_id: int) -> Token:
    """Revoke a token from today on, in a ``token_revoked`` entry; a revoked token is refused."""
    with s.store.write():
        token = find_token(s, token_id)
        rules.check_revocable(token)
        s.store.revoke_token(token.id, s.today)
        s.record("token_revoked", f"token {token.id} revoked: {describe(token)}")
        return find_token(s, token_id)
