"""Proofs uploaded to a served ledger: files kept by their SHA-256 (``piecepay.proofstore``)
and named on a bill as ``sha256:<digest>``, either in the bill's own proofs (billed with
them) or by a ``proof_added`` entry about the bill (added while it is under review). Both are
in the hash chain, so which files a bill was claimed with cannot be changed unseen."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from piecepay import rules
from piecepay.errors import NotFound
from piecepay.models import Bill
from piecepay.operations import keys
from piecepay.operations.bills import BillState, bill_state
from piecepay.records import Record
from piecepay.session import Session

if TYPE_CHECKING:
    from piecepay.store.sqlite import LogEntry

SCHEME = "sha256:"
# A proof_added entry's memo, as ``attach`` writes it (and nothing else can: memos are sealed).
ADDED = re.compile(r"proof sha256:([0-9a-f]{64}) \(([a-z0-9./+-]+), (\d+) bytes\) added to bill \d+")


class Upload(Record):
    """A file stored under the proofs folder: its digest, its type judged by content, its size."""

    digest: str
    media_type: str
    size: int


def reference(digest: str) -> str:
    """How a bill names an uploaded proof."""
    return SCHEME + digest


def digests(s: Session, state: BillState) -> list[str]:
    """Every uploaded proof a bill names, in order: billed with it, then added."""
    return uploaded(state.bill, s.store.bill_entries(state.bill.contract_id, state.bill.id))


def uploaded(bill: Bill, entries: Sequence[LogEntry]) -> list[str]:
    """``digests``, given the entries about the bill."""
    named = [p[len(SCHEME) :] for p in bill.proofs if p.startswith(SCHEME)]
    for entry in entries:
        if entry.kind == "proof_added" and (found := ADDED.fullmatch(entry.memo)):
            named.append(found.group(1))
    return list(dict.fromkeys(named))


def attach(s: Session, bill_id: int, uploads: Sequence[Upload], key: str | None = None) -> BillState:
    """Add uploaded proofs to an open bill, one ``proof_added`` entry each; a proof the bill
    names already is not added again."""
    request = {"bill": bill_id, "proofs": [u.digest for u in uploads]}
    with s.store.write():
        first = keys.replay(s, key, "proof", request, BillState, lambda doc: bill_state(s, int(doc["id"])))
        if first is not None:
            return first
        state = bill_state(s, bill_id)
        rules.check_proof_addable(state.bill)
        named = set(digests(s, state))
        for upload in uploads:
            if upload.digest in named:
                continue
            what = f"{reference(upload.digest)} ({upload.media_type}, {upload.size} bytes)"
            memo = f"proof {what} added to bill {bill_id}"
            s.record("proof_added", memo, state.contract.id, bill_id=bill_id)
            named.add(upload.digest)
        result = bill_state(s, bill_id)
        keys.remember(s, key, "proof", request, result)
        return result


def check_named(s: Session, state: BillState, digest: str) -> None:
    """Not found unless the bill names this uploaded proof."""
    if digest not in digests(s, state):
        raise NotFound("no such proof on this bill", "proof_not_found")
