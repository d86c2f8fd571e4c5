"""Postings, two-phase transfers and the hash chain, without a database."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from piecepay.journal import (
    GENESIS_HASH,
    Posting,
    canonical_json,
    entry_hash,
    imbalances,
    json_scalar,
    posting_text,
    record_template,
    resolve_pending,
    scalars_text,
    sealed_digest,
    sealed_hash,
    sealed_text,
    transfer,
)

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
    postings = [*transfer(1, 2, 100, "posted"), Posting(3, "debit", "posted", 5), Posting(4, "credit", "posted", 4)]
    assert imbalances(postings, CURRENCY) == {"JPY": 1}


def test_hash_covers_fields_postings_and_the_previous_hash() -> None:
    fields = {"id": 1, "kind": "top_up", "memo": "m"}
    postings = transfer(1, 2, 100, "posted")
    base = entry_hash(GENESIS_HASH, fields, postings)
    assert len(base) == 64 and base == entry_hash(GENESIS_HASH, dict(reversed(fields.items())), postings)
    assert entry_hash("1" * 64, fields, postings) != base
    assert entry_hash(GENESIS_HASH, {**fields, "memo": "n"}, postings) != base
    assert entry_hash(GENESIS_HASH, fields, transfer(1, 2, 101, "posted")) != base


# --------------------------------------------------------------------------- exact forms


def test_transfers_are_posted_or_pending_as_said() -> None:
    assert transfer(1, 2, 100, "posted") == [Posting(1, "debit", "posted", 100), Posting(2, "credit", "posted", 100)]
    assert [p.total_column for p in transfer(3, 4, 5, "posted")] == ["debits_posted", "credits_posted"]
    assert transfer(1, 2, 7, "pending") == [Posting(1, "debit", "pending", 7), Posting(2, "credit", "pending", 7)]


def test_resolve_pending_voids_first_then_posts() -> None:
    assert resolve_pending(1, 2, reserved=3, posted=1) == [
        Posting(1, "debit", "pending", -3),
        Posting(2, "credit", "pending", -3),
        Posting(1, "debit", "posted", 1),
        Posting(2, "credit", "posted", 1),
    ]
    assert resolve_pending(1, 2, reserved=3, posted=3)[2:] == transfer(1, 2, 3, "posted")


def test_imbalances_sign_debits_up_and_credits_down() -> None:
    assert imbalances([Posting(1, "debit", "posted", 5)], CURRENCY) == {"USD": 5}
    assert imbalances([Posting(1, "credit", "pending", 5)], CURRENCY) == {"USD": -5}
    assert imbalances([Posting(1, "debit", "posted", 2), Posting(2, "debit", "posted", 3)], CURRENCY) == {"USD": 5}
    assert imbalances([], CURRENCY) == {}
    assert imbalances([Posting(3, "debit", "posted", 1), Posting(4, "credit", "posted", 1)], CURRENCY) == {}


def test_canonical_json_is_sorted_compact_and_ascii() -> None:
    assert canonical_json({"b": 1, "a": [1, "é", None]}) == '{"a":[1,"\\u00e9",null],"b":1}'


FIELDS = {"kind": "top_up", "id": 1, "memo": "m"}
ACCOUNTS = {1: ("client", "USD"), 2: ("escrow:1", "USD")}
FACTS = {"bills": {"1": {"amount": 100, "note": "é"}}}


def sha256(document: str) -> str:
    return hashlib.sha256(document.encode("ascii")).hexdigest()


def test_entry_hash_is_the_sha256_of_its_documented_form() -> None:
    """Entries of schema 2 and earlier keep verifying only while this form never changes."""
    document = (
        '{"fields":{"id":1,"kind":"top_up","memo":"m"},'
        '"postings":[[1,"debit","posted",100],[2,"credit","posted",100]],'
        f'"prev":"{GENESIS_HASH}"}}'
    )
    assert entry_hash(GENESIS_HASH, FIELDS, transfer(1, 2, 100, "posted")) == sha256(document)


def test_sealed_hash_is_the_sha256_of_its_documented_form() -> None:
    document = (
        '{"facts":{"bills":{"1":{"amount":100,"note":"\\u00e9"}}},'
        '"fields":{"id":1,"kind":"top_up","memo":"m"},'
        '"postings":[[1,"client","USD","debit","posted",100],[2,"escrow:1","USD","credit","posted",100]],'
        f'"prev":"{GENESIS_HASH}","v":2}}'
    )
    assert sealed_hash(GENESIS_HASH, FIELDS, transfer(1, 2, 100, "posted"), ACCOUNTS, FACTS) == sha256(document)


def test_sealed_hash_covers_every_part() -> None:
    postings = transfer(1, 2, 100, "posted")
    base = sealed_hash(GENESIS_HASH, FIELDS, postings, ACCOUNTS, FACTS)
    changed = [
        sealed_hash("1" * 64, FIELDS, postings, ACCOUNTS, FACTS),
        sealed_hash(GENESIS_HASH, {**FIELDS, "memo": "n"}, postings, ACCOUNTS, FACTS),
        sealed_hash(GENESIS_HASH, FIELDS, transfer(1, 2, 101, "posted"), ACCOUNTS, FACTS),
        sealed_hash(GENESIS_HASH, FIELDS, transfer(2, 1, 100, "posted"), ACCOUNTS, FACTS),
        sealed_hash(GENESIS_HASH, FIELDS, postings, {**ACCOUNTS, 2: ("escrow:9", "USD")}, FACTS),
        sealed_hash(GENESIS_HASH, FIELDS, postings, {**ACCOUNTS, 1: ("client", "EUR")}, FACTS),
        sealed_hash(GENESIS_HASH, FIELDS, postings, ACCOUNTS, {"bills": {"1": {"amount": 101, "note": "é"}}}),
    ]
    assert base not in changed and len(set(changed)) == len(changed)
    assert sealed_hash(GENESIS_HASH, dict(reversed(FIELDS.items())), postings, ACCOUNTS, FACTS) == base


def test_entry_hash_escapes_text_beyond_ascii() -> None:
    fields = {"id": 2, "memo": "café"}
    document = f'{{"fields":{{"id":2,"memo":"caf\\u00e9"}},"postings":[],"prev":"{GENESIS_HASH}"}}'
    assert entry_hash(GENESIS_HASH, fields, []) == sha256(document)


TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=8)
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=12,
)


@given(
    prev=st.text("0123456789abcdef", min_size=64, max_size=64),
    fields=st.dictionaries(TEXT, VALUES, max_size=6),
    amounts=st.lists(st.integers(1, 2**62), max_size=3),
    facts=st.dictionaries(TEXT, st.dictionaries(TEXT, st.dictionaries(TEXT, VALUES, max_size=4), max_size=3)),
)
def test_a_digest_over_the_stored_facts_text_is_the_sealed_hash(
    prev: str, fields: dict[str, object], amounts: list[int], facts: dict[str, Any]
) -> None:
    """Writers that serialise the facts once hash the very bytes of the documented form."""
    postings = [p for amount in amounts for p in transfer(1, 2, amount, "pending")]
    document = {
        "v": 2,
        "prev": prev,
        "fields": fields,
        "postings": [[p.account_id, *ACCOUNTS[p.account_id], p.side, p.phase, p.amount] for p in postings],
        "facts": facts,
    }
    expected = sha256(json.dumps(document, sort_keys=True, separators=(",", ":")))
    assert sealed_digest(prev, fields, postings, ACCOUNTS, canonical_json(facts)) == expected
    assert sealed_hash(prev, fields, postings, ACCOUNTS, facts) == expected


# --------------------------------------------------------------------------- canonical text built directly

TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=20)  # surrogates, controls, bidi…
WHOLE = st.integers(min_value=-(2**70), max_value=2**70)
SCALAR = st.one_of(st.none(), TEXT, WHOLE, st.booleans(), st.floats(allow_nan=True), st.decimals(allow_nan=False))
JSONISH = st.recursive(
    st.one_of(st.none(), TEXT, WHOLE, st.booleans(), st.floats(allow_nan=True)),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)
FIELD = st.one_of(st.none(), TEXT, WHOLE, st.booleans())
NAMED_ACCOUNTS = st.dictionaries(WHOLE, st.tuples(TEXT, TEXT), min_size=1, max_size=4)


@given(JSONISH)
def test_canonical_json_is_json_dumps_sorted_and_compact(value: object) -> None:
    """canonical_json keeps one encoder instead of building one per call: the same text."""
    assert canonical_json(value) == json.dumps(value, sort_keys=True, separators=(",", ":"))


def test_json_scalar_is_canonical_json_of_a_scalar_of_each_kind() -> None:
    """Control for the property below: a value of each kind it may meet, written as canonical_json does."""
    for value in (None, "", "é\n\u2028\x7f\ud800", 0, -(2**64), True, False, 1.5, float("nan"), [1], {"b": 1, "a": 2}):
        assert json_scalar(value) == canonical_json(value), value


@given(SCALAR)
def test_json_scalar_is_canonical_json(value: object) -> None:
    if isinstance(value, Decimal):
        value = str(value)  # json cannot write a Decimal; a rate is stored as its text
    assert json_scalar(value) == canonical_json(value)


@given(st.dictionaries(TEXT, st.one_of(SCALAR, JSONISH), max_size=6))
def test_a_record_template_filled_with_scalars_text_is_canonical_json_of_the_mapping(record: dict[str, Any]) -> None:
    """How bulk billing writes a row's image: names with quotes, % or text beyond ASCII,
    values of every kind, the same text as canonical_json of the mapping."""
    record = {name: str(v) if isinstance(v, Decimal) else v for name, v in record.items()}
    names = sorted(record)
    assert record_template(names) % scalars_text(record[name] for name in names) == canonical_json(record)


def test_a_record_template_refuses_names_out_of_order() -> None:
    with pytest.raises(AssertionError):
        record_template(["b", "a"])


@given(
    prev=st.one_of(st.just(GENESIS_HASH), TEXT),
    fields=st.fixed_dictionaries(
        {
            name: FIELD
            for name in ("actor", "bill_id", "contract_id", "effective_date", "id", "kind", "memo", "recorded_at")
        }
    ),
    accounts=NAMED_ACCOUNTS,
    moves=st.lists(st.tuples(st.integers(0, 3), FIELD, FIELD, WHOLE), max_size=4),
    facts=st.dictionaries(TEXT, st.dictionaries(TEXT, st.dictionaries(TEXT, JSONISH, max_size=4), max_size=3)),
)
def test_sealed_text_is_canonical_json_of_the_document_sealed_hash_hashes(
    prev: str,
    fields: dict[str, object],
    accounts: dict[int, tuple[str, str]],
    moves: list[tuple[int, Any, Any, int]],
    facts: dict[str, object],
) -> None:
    """Whatever the fields, postings, account names and facts (text beyond ASCII, lone
    surrogates, huge numbers, nested values), the text built directly from the stored facts
    text is byte for byte the canonical JSON of the document, so it hashes to sealed_hash."""
    ids = sorted(accounts)
    postings = [Posting(ids[i % len(ids)], side, phase, amount) for i, side, phase, amount in moves]
    texts = [posting_text(p.account_id, *accounts[p.account_id], p.side, p.phase, p.amount) for p in postings]
    text = sealed_text(prev, [fields[name] for name in sorted(fields)], texts, canonical_json(facts))
    document = {
        "v": 2,
        "prev": prev,
        "fields": dict(sorted(fields.items())),
        "postings": [[p.account_id, *accounts[p.account_id], p.side, p.phase, p.amount] for p in postings],
        "facts": facts,
    }
    assert text == canonical_json(document)
    assert hashlib.sha256(text.encode()).hexdigest() == sealed_hash(prev, fields, postings, accounts, facts)
