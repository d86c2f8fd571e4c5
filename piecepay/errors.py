"""The error tree: every failure a user can meet, with its exit code, the HTTP status a
served ledger answers it with, and a fact-like code."""

from __future__ import annotations


class PiecepayError(Exception):
    """Base of every error piecepay reports to a user; one line, one exit code."""

    exit_code = 2
    http_status = 400
    code = "error"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class BadInput(PiecepayError):
    """The request is malformed: a bad amount, count, date or option (exit 2)."""

    exit_code = 2
    http_status = 400
    code = "bad_input"


class TooLarge(BadInput):
    """A request or an uploaded file larger than its limit (exit 2, HTTP 413)."""

    http_status = 413
    code = "too_large"


class RuleRefused(PiecepayError):
    """A rule of the ledger refused the request: a cap, the escrow, a state (exit 1)."""

    exit_code = 1
    http_status = 409
    code = "refused"


class NotFound(PiecepayError):
    """A reference names nothing that exists (exit 3)."""

    exit_code = 3
    http_status = 404
    code = "not_found"


class KeyConflict(PiecepayError):
    """An idempotency key was reused with a different request (exit 4)."""

    exit_code = 4
    http_status = 422
    code = "key_reused_with_different_request"


class StorageError(PiecepayError):
    """The ledger file cannot be used: locked, read-only, corrupt, newer schema (exit 5)."""

    exit_code = 5
    http_status = 503
    code = "storage_error"


class NotAllowed(PiecepayError):
    """The token's holder may not do this: a worker releasing, a reviewer billing (exit 6, HTTP 403).
    What lies outside a token's scope is not found (404), so nobody learns it exists."""

    exit_code = 6
    http_status = 403
    code = "forbidden"


class Unauthenticated(NotAllowed):
    """No token, or one that is wrong, revoked or expired (exit 6, HTTP 401)."""

    http_status = 401
    code = "unauthenticated"


def known(exc: BaseException) -> PiecepayError | None:
    """``exc`` as the error a user is told of: itself, a database's own error as a storage
    error, or None for a failure piecepay did not foresee (a bug, reported as such)."""
    if isinstance(exc, PiecepayError):
        return exc
    import sqlite3

    if isinstance(exc, sqlite3.Error):
        from piecepay.store.connection import storage_error

        return storage_error(exc)
    return None


def from_http(status: int, code: str | None, message: str) -> PiecepayError:
    """The error a served ledger answered with HTTP ``status``, as the command line's own:
    the class whose ``http_status`` that is, so it ends with the same exit code; a status no
    class has is a storage error from a server (5xx) and bad input otherwise."""
    for kind in (BadInput, Unauthenticated, NotAllowed, NotFound, RuleRefused, KeyConflict, StorageError):
        if kind.http_status == status:
            return kind(message, code)
    return StorageError(message, code) if status >= 500 else BadInput(message, code)
