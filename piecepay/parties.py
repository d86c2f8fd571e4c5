"""Parties: what the holder of a served ledger's token may do and see.

- An owner (the client) does everything.
- A reviewer reads, releases, rejects and asks for revisions, within the token's campaigns
  (every campaign when it names none).
- A worker bills, resubmits, adds proofs and reads their own contracts, bills and statement,
  within the token's campaigns (all of theirs when it names none).

An action a role may never take is refused as not allowed (HTTP 403). A contract or bill
outside a token's scope is not found, with the very words a missing one gets (HTTP 404), so
nobody learns that another worker's bill exists.
"""

from __future__ import annotations

from enum import StrEnum

from piecepay.errors import NotAllowed, NotFound
from piecepay.models import Contract, Token, TokenRole


class Action(StrEnum):
    """Everything a served ledger lets a party do, by the words its refusal uses."""

    READ = "read the ledger"
    BILL = "bill"
    RESUBMIT = "resubmit bills"
    ADD_PROOF = "add proofs"
    RELEASE = "release bills"
    REJECT = "reject bills"
    REVISE = "ask for revisions"
    REPORT = "read the escrow report"
    STATEMENT = "read statements"


ROLE_ACTIONS: dict[TokenRole, frozenset[Action]] = {
    TokenRole.OWNER: frozenset(Action),
    TokenRole.REVIEWER: frozenset(
        {Action.READ, Action.RELEASE, Action.REJECT, Action.REVISE, Action.REPORT, Action.STATEMENT}
    ),
    TokenRole.WORKER: frozenset({Action.READ, Action.BILL, Action.RESUBMIT, Action.ADD_PROOF, Action.STATEMENT}),
}


def missing_bill(bill_id: int) -> NotFound:
    """What a bill that does not exist, or that a party may not see, is reported as."""
    return NotFound(f"no bill '{bill_id}'", "bill_not_found")


def missing_contract(ref: str) -> NotFound:
    """What a contract that does not exist, or that a party may not see, is reported as."""
    shown = ref if ref.lstrip("#").isdigit() else f"'{ref}'"  # as the store words a missing one
    return NotFound(f"no contract {shown}", "contract_not_found")


class Party:
    """A token's holder, as its rights are checked (the token must be usable: see
    ``rules.check_token_usable``)."""

    def __init__(self, token: Token) -> None:
        self.token = token

    @property
    def name(self) -> str:
        """The actor the party's requests are recorded under."""
        return self.token.name

    @property
    def role(self) -> TokenRole:
        return self.token.role

    @property
    def worker_id(self) -> int | None:
        return self.token.worker_id

    def may(self, action: Action) -> None:
        """Refuse an action the party's role never takes."""
        if action not in ROLE_ACTIONS[self.role]:
            raise NotAllowed(f"a {self.role}'s token cannot {action}")

    def covers_campaign(self, campaign_id: int) -> bool:
        """Whether the token's campaigns include this one (every campaign when it names none)."""
        return not self.token.campaign_ids or campaign_id in self.token.campaign_ids

    def sees(self, contract: Contract) -> bool:
        """Whether the party may see this contract and its bills: within the token's campaigns
        and, for a worker, their own."""
        if not self.covers_campaign(contract.campaign_id):
            return False
        return self.role is not TokenRole.WORKER or contract.worker_id == self.worker_id

    def check_contract(self, contract: Contract, ref: str) -> Contract:
        """``contract``, if the party may see it; else not found, as a missing one is."""
        if not self.sees(contract):
            raise missing_contract(ref)
        return contract

    def check_bill(self, bill_id: int, contract: Contract) -> None:
        """Not found, as a missing bill is, unless the party may see the bill's contract."""
        if not self.sees(contract):
            raise missing_bill(bill_id)

    def sees_worker(self, worker_id: int) -> bool:
        """Whether the party may read this worker's statement: a worker only their own."""
        return self.role is not TokenRole.WORKER or worker_id == self.worker_id
