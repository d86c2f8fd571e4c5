"""Ending a contract: pending bills settled as told, what escrow has left refunded to the client."""

from __future__ import annotations

from datetime import date
from typing import Literal

from piecepay import rules
from piecepay.journal import transfer
from piecepay.models import CLIENT_ACCOUNT
from piecepay.operations import keys
from piecepay.operations.bills import resolve
from piecepay.operations.campaigns import ContractState, contract_state
from piecepay.operations.milestones import escrow_id
from piecepay.session import Session

Pending = Literal["release", "reject"]


def end_contract(
    s: Session,
    contract_ref: int | str,
    pending: Pending | None = None,
    day: date | None = None,
    key: str | None = None,
) -> ContractState:
    """End a contract (by id, or by a reference as typed): settle pending bills as told, refund
    what its escrow has left."""
    with s.store.write():
        keys.claim(s, key, "end")
        contract = s.store.find_contract(contract_ref)
        request = {
            "contract": keys.contract_key(contract),
            "pending": pending,
            "date": day.isoformat() if day else None,
        }
        first = keys.replay(
            s, key, "end", request, ContractState, lambda doc: contract_state(s, s.store.contract(int(doc["id"])))
        )
        if first is not None:
            return first
        campaign = s.store.campaign(contract.campaign_id)
        waiting = s.store.pending_bills(contract.id)
        rules.check_end(contract, len(waiting), pending)
        effective = s.day(day)
        rules.check_effective_date(effective, s.today, contract.accepted_on, "end")
        for found in waiting:
            settled = found.pieces_milli if pending == "release" else 0
            reason = None if pending == "release" else "contract ended"
            resolve(s, found, contract, campaign, settled, max(effective, found.effective_date), reason)
        escrow = s.store.account(escrow_id(contract))
        refund = escrow.escrow_available
        s.store.close_milestones(contract.id)
        s.store.end_contract(contract.id, effective, refund)
        if refund:
            client = s.store.ensure_account(CLIENT_ACCOUNT, campaign.currency)
            s.move(
                "refund",
                effective,
                f"refund {refund} from {contract.ref}",
                transfer(escrow.id, client.id, refund.minor, "posted"),
                contract.id,
            )
        else:
            s.store.append(
                s.header("contract_ended", effective, f"{contract.ref} ended, nothing to refund", contract.id)
            )
        result = contract_state(s, s.store.contract(contract.id), campaign)
        keys.remember(s, key, "end", request, result)
        return result
