"""Postings, two-phase transfers and the hash chain, without a database."""

from __future__ import annotations

from piecepay.journal import GENESIS_HASH, Posting, entry_hash, imbalances, resolve_pending, transfer

CURRENCY = {1: "USD", 2: "USD", 3: "JPY", 4: "JPY"}


def test_transfer_moves_from_debit_to_credit_and_balances() -> None:
    postings = transfer(1, 2, 2500, "pending")
    assert [(p.account_id, p.total_column, p.amount) for p in postings] == [
        (1, "debits_pending", 2500),
        (2, "credits_pending", 2500),
    ]
    assert imbalances(postings, CURRENCY) == {}


def test_partial_release_returns_the_rest_and_still_balances() -> None:
    postings = resolve_pending(1, 2, reserved=2500, posted=2000)
    columns = {(p.account_id, p.total_column): p.amount for p in postings}
    assert columns == {
        (1, "debits_pending"): -2500,
        (2, "credits_pending"): -2500,
        (1, "debits_posted"): 2000,
        (2, "credits_posted"): 2000,
    }
    assert imbalances(postings, CURRENCY) == {}


def test_void_posts_nothing() -> None:
    postings = resolve_pending(1, 2, reserved=700, posted=0)
    assert all(p.phase == "pending" for p in postings)
    assert sum(p.amount for p in postings) == -1400


def test_imbalance_is_reported_per_currency() -> None:
    postings = [*transfer(1, 2, 100), Posting(3, "debit", "posted", 5), Posting(4, "credit", "posted", 4)]
    assert imbalances(postings, CURRENCY) == {"JPY": 1}


def test_hash_covers_fields_postings_and_the_previous_hash() -> None:
    fields = {"id": 1, "kind": "top_up", "memo": "m"}
    postings = transfer(1, 2, 100)
    base = entry_hash(GENESIS_HASH, fields, postings)
    assert len(base) == 64 and base == entry_hash(GENESIS_HASH, dict(reversed(fields.items())), postings)
    assert entry_hash("1" * 64, fields, postings) != base
    assert entry_hash(GENESIS_HASH, {**fields, "memo": "n"}, postings) != base
    assert entry_hash(GENESIS_HASH, fields, transfer(1, 2, 101)) != base
