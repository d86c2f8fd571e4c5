"""A Hypothesis state machine drives random sequences through the real CLI against a
simple model, and checks the ledger's invariants after every step."""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from tests.conftest import Ledger

# ref: (campaign slug, currency digits, rate)
CONTRACTS = {
    "rows/ana": ("rows", 2, Fraction(335, 1000)),
    "rows/ben": ("rows", 2, Fraction(335, 1000)),
    "tags/emi": ("tags", 0, Fraction(7)),
}
BUDGET = {"rows": 20000, "tags": 5000}  # minor units
CAMPAIGN_PIECES = {"rows": 300, "tags": 10**9}
CONTRACT_PIECES = {"rows/ana": 120, "rows/ben": None, "tags/emi": None}
WORKER = {"rows/ana": "ana", "rows/ben": "ben", "tags/emi": "emi"}


def half_up(value: Fraction) -> int:
    """Round a non-negative exact amount of minor units half-up, independently of piecepay."""
    return int(value + Fraction(1, 2))


def money_text(minor: int, digits: int) -> str:
    return str(minor) if digits == 0 else f"{minor // 10**digits}.{minor % 10**digits:0{digits}d}"


@dataclass
class Contract:
    funded: int = 0
    released: int = 0
    refunded: int = 0
    reserved: int = 0
    pending: int = 0
    released_pieces: int = 0
    rejected: int = 0
    active: bool = True
    cap: int | None = None
    milestone: int | None = None

    @property
    def available(self) -> int:
        return self.funded - self.released - self.refunded - self.reserved


@dataclass
class Bill:
    ref: str
    milestone: int
    pieces: int
    amount: int
    status: str = "pending"
    released: int = 0


@dataclass
class Model:
    contracts: dict[str, Contract] = field(default_factory=lambda: {ref: Contract() for ref in CONTRACTS})
    bills: dict[int, Bill] = field(default_factory=dict)
    milestones: int = 0
    owed: dict[str, int] = field(default_factory=dict)

    def milestone_used(self, milestone: int) -> int:
        return sum(
            b.amount if b.status == "pending" else b.released for b in self.bills.values() if b.milestone == milestone
        )

    def campaign(self, slug: str) -> list[Contract]:
        return [c for ref, c in self.contracts.items() if CONTRACTS[ref][0] == slug]


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="piecepay-props-"))
        self.ledger = Ledger(self.folder / "ledger.db")
        self.ledger.ok("init")
        self.model = Model()
        self.keyed: list[tuple[tuple[str, ...], str]] = []

    def teardown(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    @initialize()
    def set_up(self) -> None:
        ok = self.ledger.ok
        ok("campaign", "create", "Rows", "--rate", "0.335", "--unit", "row", "--budget", "200", "--max-pieces", "300")
        ok("campaign", "create", "Tags", "--rate", "7", "--unit", "tag", "--currency", "JPY", "--budget", "5000")
        for handle in ("ana", "ben", "emi"):
            ok("worker", "add", handle)
        ok("offer", "create", "rows", "ana", "--max-pieces", "120")
        ok("offer", "create", "rows", "ben")
        ok("offer", "create", "tags", "emi")
        for ref in CONTRACTS:
            ok("offer", "accept", ref)

    def expect(self, code: int, *args: str) -> str:
        """Run a command the model expects to end with ``code``; a refusal must write nothing."""
        before = self.ledger.dump() if code else None
        result = self.ledger.run("--json", *args)
        assert result.code == code, (args, code, result.code, result.err)
        if code:
            assert self.ledger.dump() == before, args
        return result.out

    @rule(
        ref=st.sampled_from(list(CONTRACTS)),
        top_up=st.integers(0, 60),
        cap=st.none() | st.integers(1, 40),
        key=st.booleans(),
    )
    def milestone(self, ref: str, top_up: int, cap: int | None, key: bool) -> None:
        slug, digits, _ = CONTRACTS[ref]
        contract, unit = self.model.contracts[ref], 10**digits
        scale = 100 if digits == 0 else 1  # yen amounts in hundreds, so the budget is reachable
        top_up_minor, cap_minor = top_up * unit * scale, None if cap is None else cap * unit * scale
        committed = sum(c.funded - c.refunded for c in self.model.campaign(slug))
        args = ["milestone", "add", ref, "--top-up", money_text(top_up_minor, digits)]
        if cap_minor is not None:
            args += ["--cap", money_text(cap_minor, digits)]
        if key:
            args += ["--key", f"m{self.model.milestones}-{ref}"]
        if not contract.active or committed + top_up_minor > BUDGET[slug]:
            self.expect(1, *args)
            return
        out = self.expect(0, *args)
        self.model.milestones += 1
        contract.funded += top_up_minor
        contract.cap, contract.milestone = cap_minor, self.model.milestones
        if key:
            self.keyed.append((tuple(args), out))

    @rule(ref=st.sampled_from(list(CONTRACTS)), pieces=st.integers(1, 60), key=st.booleans())
    def bill(self, ref: str, pieces: int, key: bool) -> None:
        slug, digits, rate = CONTRACTS[ref]
        contract = self.model.contracts[ref]
        amount = half_up(pieces * rate * 10**digits)
        args = ["bill", ref, "--pieces", str(pieces)]
        if key:
            args += ["--key", f"b{len(self.model.bills)}-{ref}-{pieces}"]
        campaign_used = sum(c.pending + c.released_pieces for c in self.model.campaign(slug))
        limit = CONTRACT_PIECES[ref]
        refused = (
            not contract.active
            or contract.milestone is None
            or (contract.cap is not None and self.model.milestone_used(contract.milestone) + amount > contract.cap)
            or amount > contract.available
            or (limit is not None and contract.pending + contract.released_pieces + pieces > limit)
            or campaign_used + pieces > CAMPAIGN_PIECES[slug]
        )
        if refused:
            self.expect(1, *args)
            return
        out = self.expect(0, *args)
        assert f'"amount_minor": {amount},' in out
        bill_id = len(self.model.bills) + 1
        assert f'"id": {bill_id},' in out
        self.model.bills[bill_id] = Bill(ref, contract.milestone, pieces, amount)  # type: ignore[arg-type]
        contract.reserved += amount
        contract.pending += pieces
        if key:
            self.keyed.append((tuple(args), out))

    def _resolve(self, bill: Bill, released_pieces: int) -> None:
        _, digits, rate = CONTRACTS[bill.ref]
        contract = self.model.contracts[bill.ref]
        posted = bill.amount if released_pieces == bill.pieces else half_up(released_pieces * rate * 10**digits)
        contract.reserved -= bill.amount
        contract.released += posted
        contract.pending -= bill.pieces
        contract.released_pieces += released_pieces
        contract.rejected += bill.pieces - released_pieces
        bill.status, bill.released = ("released" if released_pieces else "rejected"), posted
        worker = WORKER[bill.ref]
        self.model.owed[worker] = self.model.owed.get(worker, 0) + posted

    @precondition(lambda self: self.model.bills)
    @rule(data=st.data(), partial=st.booleans())
    def release(self, data: st.DataObject, partial: bool) -> None:
        bill_id = data.draw(st.sampled_from(sorted(self.model.bills)))
        bill = self.model.bills[bill_id]
        pieces = data.draw(st.integers(1, bill.pieces)) if partial else bill.pieces
        args = ["release", str(bill_id)] + (["--pieces", str(pieces)] if partial else [])
        if bill.status != "pending":
            self.expect(1, *args)
            return
        out = self.expect(0, *args)
        self._resolve(bill, pieces)
        assert f'"released_minor": {bill.released},' in out

    @precondition(lambda self: self.model.bills)
    @rule(data=st.data())
    def reject(self, data: st.DataObject) -> None:
        bill_id = data.draw(st.sampled_from(sorted(self.model.bills)))
        bill = self.model.bills[bill_id]
        args = ("reject", str(bill_id), "--reason", "not as briefed")
        if bill.status != "pending":
            self.expect(1, *args)
            return
        self.expect(0, *args)
        self._resolve(bill, 0)

    @rule(ref=st.sampled_from(list(CONTRACTS)), choice=st.sampled_from([None, "release", "reject"]))
    def end(self, ref: str, choice: str | None) -> None:
        contract = self.model.contracts[ref]
        waiting = [b for b in self.model.bills.values() if b.ref == ref and b.status == "pending"]
        args = ["end", ref] + ([f"--{choice}-pending"] if choice else [])
        if not contract.active or (waiting and choice is None):
            self.expect(1, *args)
            return
        self.expect(0, *args)
        for bill in waiting:
            self._resolve(bill, bill.pieces if choice == "release" else 0)
        contract.refunded += contract.available
        contract.active, contract.milestone, contract.cap = False, None, None

    @rule(worker=st.sampled_from(["ana", "ben", "emi"]), part=st.none() | st.integers(1, 5000))
    def payout(self, worker: str, part: int | None) -> None:
        owed = self.model.owed.get(worker, 0)
        digits = 0 if worker == "emi" else 2
        args = ["payout", worker] + ([] if part is None else ["--amount", money_text(part, digits)])
        paid = owed if part is None else part
        if owed == 0 or paid > owed:
            self.expect(1, *args)
            return
        self.expect(0, *args)
        self.model.owed[worker] = owed - paid

    @precondition(lambda self: self.keyed)
    @rule(data=st.data(), change=st.booleans())
    def retry(self, data: st.DataObject, change: bool) -> None:
        args, first = data.draw(st.sampled_from(self.keyed))
        if change:  # the same key with another request is refused, naming what differs
            flag = "--top-up" if "--top-up" in args else "--pieces"
            position = args.index(flag) + 1
            altered = (*args[:position], "1" + args[position], *args[position + 1 :])
            before = self.ledger.dump()
            result = self.ledger.run("--json", *altered)
            assert result.code == 4 and flag.strip("-").replace("-", "_") in result.error["message"]
            assert self.ledger.dump() == before
            return
        before = self.ledger.dump()
        assert self.expect(0, *args) == first
        assert self.ledger.dump() == before

    @invariant()
    def books_hold(self) -> None:
        conn = sqlite3.connect(self.ledger.db)
        try:
            unbalanced = conn.execute(
                "SELECT p.entry_id, a.currency FROM postings p JOIN accounts a ON a.id = p.account_id "
                "GROUP BY 1, 2 HAVING SUM(CASE p.side WHEN 'debit' THEN p.amount ELSE -p.amount END) != 0"
            ).fetchall()
            assert unbalanced == []
            sums = {
                (r[0], f"{r[1]}s_{r[2]}"): r[3]
                for r in conn.execute("SELECT account_id, side, phase, SUM(amount) FROM postings GROUP BY 1, 2, 3")
            }
            for row in conn.execute(
                "SELECT id, name, debits_pending, debits_posted, credits_pending, credits_posted FROM accounts"
            ):
                stored = dict(
                    zip(("debits_pending", "debits_posted", "credits_pending", "credits_posted"), row[2:], strict=True)
                )
                assert stored == {k: sums.get((row[0], k), 0) for k in stored}
                if row[1].startswith("escrow:"):
                    assert stored["credits_posted"] - stored["debits_posted"] - stored["debits_pending"] >= 0
            over = conn.execute(
                "SELECT m.id FROM milestones m JOIN bills b ON b.milestone_id = m.id WHERE m.cap_minor IS NOT NULL "
                "GROUP BY m.id HAVING SUM(CASE b.status WHEN 'pending' THEN b.amount_minor "
                "ELSE b.released_minor END) > m.cap_minor"
            ).fetchall()
            assert over == []
            twice = conn.execute(
                "SELECT bill_id FROM entries WHERE kind IN ('release', 'reject') GROUP BY bill_id HAVING COUNT(*) > 1"
            ).fetchall()
            assert twice == []
        finally:
            conn.close()

    @invariant()
    def report_equals_model(self) -> None:
        rows = {r["contract"]: r for r in self.ledger.ok("report", "--by", "contract")["rows"]}
        for ref, c in self.model.contracts.items():
            row = rows[ref]
            assert (
                row["funded_minor"],
                row["reserved_minor"],
                row["released_minor"],
                row["refunded_minor"],
                row["available_minor"],
            ) == (c.funded, c.reserved, c.released, c.refunded, c.available), ref
            assert (row["pieces_pending"], row["pieces_released"], row["pieces_rejected"]) == (
                str(c.pending),
                str(c.released_pieces),
                str(c.rejected),
            ), ref
            assert row["status"] == ("active" if c.active else "ended")

    @invariant()
    def verify_passes(self) -> None:
        assert self.ledger.run("verify").code == 0


LedgerMachine.TestCase.settings = settings(
    max_examples=35,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestLedgerMachine = LedgerMachine.TestCase
