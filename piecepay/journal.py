"""Journal entries: postings, transfers in TigerBeetle's two phases, and the hash chain."""

import functools
import importlib
import json
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from json.encoder import encode_basestring_ascii
from typing import Any, Literal

from piecepay.records import Record

Side = Literal["debit", "credit"]
Phase = Literal["pending", "posted"]
GENESIS_HASH = "0" * 64

# What entries record: movements of money (with postings) and facts that move none.
MONEY_KINDS = frozenset(
    {
        "top_up",
        "bill",
        "release",
        "reject",
        "reversal",
        "refund",
        "payout",
        "bonus",
        "funded_bonus",
        "fee",
        "funded_fee",
    }
)
# A resubmitted bill moves money only when it claims fewer pieces (it gives back part of its reservation).
SOMETIMES_MONEY_KINDS = frozenset({"resubmit"})
RECORD_KINDS = frozenset(
    {
        "checkpoint",
        "campaign_created",
        "campaign_paused",
        "campaign_resumed",
        "campaign_closed",
        "worker_added",
        "offer_created",
        "offer_accepted",
        "offer_declined",
        "offer_withdrawn",
        "milestone_opened",
        "contract_ended",
        "key_recorded",
        "revise",
        "campaign_edited",
        "worker_edited",
        "token_created",
        "token_revoked",
        "proof_added",
        "time_recorded",
    }
)
KINDS = MONEY_KINDS | SOMETIMES_MONEY_KINDS | RECORD_KINDS


class Posting(Record):
    """One line of an entry: an amount added to one of an account's four totals.

    A negative amount appears only in the pending phase, where it resolves (posts or
    voids) an earlier reservation.
    """

    account_id: int
    side: Side
    phase: Phase
    amount: int

    @property
    def total_column(self) -> str:
        """The account column this posting adds to, e.g. ``debits_pending``."""
        return f"{self.side}s_{self.phase}"


def transfer(debit_id: int, credit_id: int, amount: int, phase: Phase) -> list[Posting]:
    """Move ``amount`` from the debit account to the credit account."""
    return [Posting(debit_id, "debit", phase, amount), Posting(credit_id, "credit", phase, amount)]


def resolve_pending(debit_id: int, credit_id: int, reserved: int, posted: int) -> list[Posting]:
    """Resolve a reservation once: post ``posted`` of it and return the rest (void if 0)."""
    postings = transfer(debit_id, credit_id, -reserved, "pending")
    if posted:
        postings += transfer(debit_id, credit_id, posted, "posted")
    return postings


def imbalances(postings: Iterable[Posting], currency_of: Mapping[int, str]) -> dict[str, int]:
    """Debits less credits per currency, for the currencies where they do not cancel."""
    sums: dict[str, int] = {}
    for posting in postings:
        currency = currency_of[posting.account_id]
        signed = posting.amount if posting.side == "debit" else -posting.amount
        sums[currency] = sums.get(currency, 0) + signed
    return {currency: total for currency, total in sums.items() if total != 0}


def sealed_hash(
    prev_hash: str,
    fields: Mapping[str, object],
    postings: Iterable[Posting],
    accounts: Mapping[int, tuple[str, str]],
    facts: Mapping[str, object],
) -> str:
    """The SHA-256 that chains an entry to the one before it (the current form).

    It covers every recorded field, every posting with its account's name and currency,
    and ``facts``: the image of every row the entry's action created or changed (a
    bill's amount and note, a contract's rate, a key's result…). Changing any of them,
    renaming an account, or reordering entries breaks the chain from that entry on.
    """
    return sealed_digest(prev_hash, fields, postings, accounts, canonical_json(facts))


def sealed_digest(
    prev_hash: str,
    fields: Mapping[str, object],
    postings: Iterable[Posting],
    accounts: Mapping[int, tuple[str, str]],
    facts_text: str,
) -> str:
    """``sealed_hash`` with the facts given as their canonical text (as the entry stores
    them), so a writer serialises them once. The document's text is canonical_json of
    {"facts", "fields", "postings", "prev", "v"}: the same bytes, in its sorted key order."""
    posted = [[p.account_id, *accounts[p.account_id], p.side, p.phase, p.amount] for p in postings]
    rest = {"fields": dict(fields), "postings": posted, "prev": prev_hash, "v": 2}
    return sha256_hex(f'{{"facts":{facts_text},{canonical_json(rest)[1:]}')


# json.dumps(value, sort_keys=True, separators=(",", ":")) without building an encoder per call;
# json escapes all but ASCII.
CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"))


def canonical_json(value: object) -> str:
    """The one text a value hashes as: sorted keys, no spaces, ASCII only."""
    return CANONICAL.encode(value)


def entry_hash(prev_hash: str, fields: Mapping[str, object], postings: Iterable[Posting]) -> str:
    """The SHA-256 of an entry written before facts were sealed into the chain (schema 2 and
    earlier); such entries are checked with it, new ones are sealed with ``sealed_hash``.

    It covers every recorded field and posting, so changing any of them, or the
    order of entries, breaks the chain from that entry on.
    """
    document = {
        "prev": prev_hash,
        "fields": dict(sorted(fields.items())),
        "postings": [[p.account_id, p.side, p.phase, p.amount] for p in postings],
    }
    return sha256_hex(canonical_json(document))


def sha256_hex(text: str) -> str:
    """The SHA-256 of ``text`` (UTF-8) in hex.

    Importing hashlib loads OpenSSL, a few milliseconds of a command that seals one entry,
    so such a command hashes with the interpreter's built-in SHA-256. Where hashlib is
    loaded already (verify and bulk billing import it to hash thousands of entries), its
    faster SHA-256 is used. Both give the same digest.
    """
    hashlib = sys.modules.get("hashlib")
    digest = hashlib.sha256 if hashlib is not None else _builtin_sha256()
    return str(digest(text.encode()).hexdigest())


@functools.cache
def _builtin_sha256() -> Callable[[bytes], Any]:
    for module in ("_sha2", "_sha256"):  # CPython 3.12 and later; 3.11
        try:
            return importlib.import_module(module).sha256  # type: ignore[no-any-return]
        except (ImportError, AttributeError):
            continue
    import hashlib

    return hashlib.sha256


# ----------------------------------------------------------------------------- canonical text, built directly
# What verify hashes entry by entry. Each function returns exactly what ``canonical_json``
# returns for the same value (tests/test_journal.py proves it with Hypothesis), without
# building the document first: the sealed facts are taken as the text the entry stores.


# text, whole numbers and None, each by a C function: what json.dumps writes for text with
# ensure_ascii, for an int (a bool is not one), and for None
SCALAR_TEXT: dict[type, Callable[[Any], str]] = {
    str: encode_basestring_ascii,
    int: int.__repr__,
    type(None): "null".format,
}


def json_scalar(value: object) -> str:
    """``canonical_json(value)``: text, whole numbers and None directly, anything else through it."""
    return SCALAR_TEXT.get(type(value), canonical_json)(value)


def scalars_text(values: Iterable[object]) -> tuple[str, ...]:
    """``json_scalar`` of each value (one call for a row's values, not one per value)."""
    text = SCALAR_TEXT.get
    return tuple([text(type(value), canonical_json)(value) for value in values])


def posting_text(account_id: int, name: str, currency: str, side: str, phase: str, amount: int) -> str:
    """``canonical_json`` of one posting as ``sealed_hash`` lists it."""
    return account_text(account_id, name, currency) + posting_tail(side, phase, amount)


def account_text(account_id: int, name: str, currency: str) -> str:
    """The start of a posting's text that names its account (the same for all its postings)."""
    return f"[{json_scalar(account_id)},{json_scalar(name)},{json_scalar(currency)},"


def posting_tail(side: str, phase: str, amount: int) -> str:
    """The rest of a posting's text after its account."""
    return f"{json_scalar(side)},{json_scalar(phase)},{json_scalar(amount)}]"


def record_template(names: Sequence[str]) -> str:
    """A %-template of ``canonical_json`` of a mapping of ``names`` (in sorted order, as the
    text sorts them): fill it with ``json_scalar`` of each value, in that order."""
    assert list(names) == sorted(names), names
    keys = (encode_basestring_ascii(name).replace("%", "%%") for name in names)
    return "{" + ",".join(f"{key}:%s" for key in keys) + "}"


def sealed_text(prev_hash: str, fields: Sequence[object], postings: Sequence[str], facts: str) -> str:
    """``canonical_json`` of the document ``sealed_hash`` hashes, given ``fields`` as the values
    of ``hashed_fields`` in key order (actor, bill_id, contract_id, effective_date, id, kind,
    memo, recorded_at), each posting's text, and ``facts`` as ``canonical_json`` of the facts."""
    actor, bill_id, contract_id, effective_date, entry_id, kind, memo, recorded_at = scalars_text(fields)
    return "".join(
        (
            '{"facts":',
            facts,
            ',"fields":{"actor":',
            actor,
            ',"bill_id":',
            bill_id,
            ',"contract_id":',
            contract_id,
            ',"effective_date":',
            effective_date,
            ',"id":',
            entry_id,
            ',"kind":',
            kind,
            ',"memo":',
            memo,
            ',"recorded_at":',
            recorded_at,
            '},"postings":[',
            ",".join(postings),
            '],"prev":',
            json_scalar(prev_hash),
            ',"v":2}',
        )
    )
