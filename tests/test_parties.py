"""Who may do what on a served ledger (piecepay.parties) and the rules of a request's token,
tested on their own, at their limits and on their words."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from piecepay.errors import BadInput, NotAllowed, NotFound, RuleRefused, Unauthenticated
from piecepay.models import Bill, BillStatus, Contract, ContractStatus, Token, TokenRole
from piecepay.money import Currency, Money
from piecepay.parties import ROLE_ACTIONS, Action, Party, missing_bill, missing_contract
from piecepay.rules import check_link_hours, check_proof_addable, check_token_usable

TODAY = date(2026, 11, 20)
USD = Currency("USD", 2)


def token(role: TokenRole, worker_id: int | None = None, campaigns: tuple[int, ...] = (), **terms: object) -> Token:
    made = Token(7, "t", role, worker_id, "ana" if worker_id else None, campaigns, (), None, "", None)
    return made._replace(**terms)


def contract(campaign_id: int, worker_id: int) -> Contract:
    return Contract(
        3, campaign_id, worker_id, "photos", "ana", Decimal(5), None, ContractStatus.ACTIVE, "", TODAY, None,
        None, Money.zero(USD), 0, 0, 0,
    )  # fmt: skip


@pytest.mark.parametrize("role", list(TokenRole))
@pytest.mark.parametrize("action", list(Action))
def test_each_role_takes_exactly_its_actions(role: TokenRole, action: Action) -> None:
    party = Party(token(role, 1 if role is TokenRole.WORKER else None))
    allowed = {
        TokenRole.OWNER: set(Action),
        TokenRole.REVIEWER: {
            Action.READ,
            Action.RELEASE,
            Action.REJECT,
            Action.REVISE,
            Action.REPORT,
            Action.STATEMENT,
        },
        TokenRole.WORKER: {Action.READ, Action.BILL, Action.RESUBMIT, Action.ADD_PROOF, Action.STATEMENT},
    }[role]
    assert ROLE_ACTIONS[role] == allowed
    if action in allowed:
        party.may(action)
        return
    with pytest.raises(NotAllowed) as refused:
        party.may(action)
    assert (refused.value.http_status, refused.value.exit_code, refused.value.code) == (403, 6, "forbidden")
    assert refused.value.message == f"a {role}'s token cannot {action}"


def test_a_worker_sees_only_their_own_contracts_within_the_tokens_campaigns() -> None:
    mine, theirs = contract(1, worker_id=5), contract(1, worker_id=6)
    worker = Party(token(TokenRole.WORKER, 5))
    assert worker.sees(mine) and not worker.sees(theirs)
    assert worker.sees_worker(5) and not worker.sees_worker(6)
    scoped = Party(token(TokenRole.WORKER, 5, (2,)))
    assert not scoped.sees(mine) and scoped.sees(contract(2, worker_id=5))


def test_a_reviewer_and_an_owner_see_every_worker_within_their_campaigns() -> None:
    everywhere = Party(token(TokenRole.REVIEWER))
    assert everywhere.sees(contract(1, 5)) and everywhere.sees(contract(9, 6)) and everywhere.sees_worker(6)
    audio = Party(token(TokenRole.REVIEWER, campaigns=(2, 3)))
    assert [audio.sees(contract(c, 5)) for c in (1, 2, 3, 4)] == [False, True, True, False]
    assert audio.covers_campaign(3) and not audio.covers_campaign(1)
    assert Party(token(TokenRole.OWNER)).sees(contract(8, 8))


def test_what_a_party_may_not_see_is_missing_in_a_missing_things_words() -> None:
    worker = Party(token(TokenRole.WORKER, 5))
    with pytest.raises(NotFound) as hidden:
        worker.check_bill(12, contract(1, worker_id=6))
    assert (hidden.value.message, hidden.value.code) == (missing_bill(12).message, "bill_not_found")
    assert hidden.value.message == "no bill '12'"
    worker.check_bill(12, contract(1, worker_id=5))
    with pytest.raises(NotFound) as other:
        worker.check_contract(contract(1, worker_id=6), "photos/bob")
    assert other.value.message == "no contract 'photos/bob'" == missing_contract("photos/bob").message
    assert missing_contract("4").message == "no contract 4" and missing_contract("#4").message == "no contract #4"
    assert missing_contract("X4").message == "no contract 'X4'" and missing_contract("X4").code == "contract_not_found"
    assert worker.check_contract(contract(1, worker_id=5), "1").worker_id == 5


def test_a_token_is_usable_through_its_last_day_and_not_once_revoked() -> None:
    with pytest.raises(Unauthenticated) as unknown:
        check_token_usable(None, TODAY)
    assert (unknown.value.code, unknown.value.http_status, unknown.value.exit_code) == ("token_unknown", 401, 6)
    assert unknown.value.message == "the token is not recognised"
    assert check_token_usable(token(TokenRole.OWNER, expires_on=TODAY), TODAY).id == 7
    with pytest.raises(Unauthenticated) as expired:
        check_token_usable(token(TokenRole.OWNER, expires_on=TODAY - timedelta(days=1)), TODAY)
    assert (expired.value.code, expired.value.message) == ("token_expired", "the token expired after 2026-11-19")
    with pytest.raises(Unauthenticated) as revoked:
        check_token_usable(token(TokenRole.OWNER, revoked_on=TODAY), TODAY)
    assert (revoked.value.code, revoked.value.message) == ("token_revoked", "the token was revoked on 2026-11-20")
    never = token(TokenRole.OWNER, expires_on=TODAY + timedelta(days=1), revoked_on=TODAY)
    with pytest.raises(Unauthenticated, match="revoked"):
        check_token_usable(never, TODAY)


@pytest.mark.parametrize(
    ("hours", "most", "ok"), [(1, 168, True), (168, 168, True), (0, 168, False), (169, 168, False)]
)
def test_a_sign_in_link_lasts_one_hour_to_the_most(hours: int, most: int, ok: bool) -> None:
    if ok:
        check_link_hours(hours, most)
        return
    with pytest.raises(BadInput) as refused:
        check_link_hours(hours, most)
    assert (refused.value.code, refused.value.message) == ("bad_hours", f"--hours must be 1 to {most}, not {hours}")


@pytest.mark.parametrize("status", list(BillStatus))
def test_proofs_go_on_an_open_bill_only(status: BillStatus) -> None:
    bill = Bill(
        9, 3, 1, 1000, Decimal(5), Money(500, USD), status, 0, Money.zero(USD), None, None, None, (), TODAY, None,
        1, None,
    )  # fmt: skip
    if status in (BillStatus.PENDING, BillStatus.REVISING):
        check_proof_addable(bill)
        return
    with pytest.raises(RuleRefused) as refused:
        check_proof_addable(bill)
    assert (refused.value.code, refused.value.http_status) == ("bill_not_open", 409)
    assert refused.value.message == f"bill 9 is {status}; proofs go on an open bill"
