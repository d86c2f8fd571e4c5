"""The error tree: every failure a user can meet, with its exit code and a fact-like code."""

from __future__ import annotations


class PiecepayError(Exception):
    """Base of every error piecepay reports to a user; one line, one exit code."""

    exit_code = 2
    code = "error"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class BadInput(PiecepayError):
    """The request is malformed: a bad amount, count, date or option (exit 2)."""

    exit_code = 2
    code = "bad_input"


class RuleRefused(PiecepayError):
    """A rule of the ledger refused the request: a cap, the escrow, a state (exit 1)."""

    exit_code = 1
    code = "refused"


class NotFound(PiecepayError):
    """A reference names nothing that exists (exit 3)."""

    exit_code = 3
    code = "not_found"


class KeyConflict(PiecepayError):
    """An idempotency key was reused with a different request (exit 4)."""

    exit_code = 4
    code = "key_reused_with_different_request"


class StorageError(PiecepayError):
    """The ledger file cannot be used: locked, read-only, corrupt, newer schema (exit 5)."""

    exit_code = 5
    code = "storage_error"
