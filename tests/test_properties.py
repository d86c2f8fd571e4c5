"""The ledger's model-based property test.

A Hypothesis state machine drives the typed operations in-process (``piecepay.operations``
on one open session; the CLI keeps its own end-to-end tests) against a plain-Python model
of the money: integers of minor units per contract, milestone caps, piece limits, campaign
budgets and what each worker is owed, per currency.

Before each call the model says whether the ledger must refuse it and with which error
(the rules in DESIGN.md's order); a refusal must write nothing. Keyed calls are retried:
the same request (also written differently: ``10`` and ``1E+1``, ``3`` and ``3.000``, a
contract by id, ``#id`` or name, a worker by id) replays the first result and writes
nothing; another request, or another command, under the same key is a KeyConflict.

After every step: every entry balances per currency, every posted amount is positive,
stored account totals equal their postings, no escrow and no earnings below zero, every
bill resolved at most once and as the journal says, milestone caps, piece limits and
budgets hold, and every bill, milestone, contract, each worker's earnings and the report by
contract (with its totals per currency) equal the model. A step proved to have written
nothing (not a row touched) skips these, as nothing they read changed. The reports by
worker and by campaign and ``verify`` (about 10 ms, too slow for every step) run every
VERIFY_EVERY steps that changed the ledger and when an example ends.

Each example starts from a copy of one template ledger, made once by ``new_ledger`` and the
operations: campaigns in USD and JPY, four contracts with funded milestones, and bills
released in full, in part and still pending. An example costs its steps, not a ledger.
"""

from __future__ import annotations

import atexit
import functools
import math
import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from piecepay.errors import BadInput, KeyConflict, NotFound, PiecepayError, RuleRefused
from piecepay.models import CampaignAction, Grouping, OfferAction
from piecepay.operations import bills, campaigns, contracts, milestones, offers, payouts, reports, workers
from piecepay.operations.bills import BillRequest
from piecepay.operations.campaigns import CampaignTerms
from piecepay.operations.verify import verify
from piecepay.session import Session, new_ledger, open_session

T = TypeVar("T")

TODAY = date(2026, 3, 2)
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
ACTOR = "model"
STEPS = 20
VERIFY_EVERY = 10
EXAMPLES = 500


class Terms(NamedTuple):
    """A campaign's terms as the model knows them: money in minor units, pieces in thousandths."""

    slug: str
    unit: str
    currency: str
    digits: int
    rate: Decimal
    step: int
    budget: int | None = None
    max_pieces: int | None = None
    workers: int | None = None
    cap: int | None = None  # the default milestone cap
    deadline: date | None = None


CAMPAIGNS = {
    # 0.335 USD a row: every odd count of rows ends in half a cent
    "rows": Terms("rows", "row", "USD", 2, Decimal("0.335"), 1000, budget=20_000, max_pieces=300_000),
    # 2.5 JPY a minute, billed by the half minute: quarter and half yen to round; room for three workers
    "clips": Terms("clips", "minute", "JPY", 0, Decimal("2.5"), 500, budget=5_000, workers=3, cap=1_500),
    # its deadline has passed: it takes no offers
    "late": Terms("late", "photo", "USD", 2, Decimal("1"), 1000, deadline=TODAY - timedelta(days=1)),
}
HANDLES = ("ana", "ben", "emi", "dan")  # the template adds the first three; dan may be added
FINE_RATE = Decimal("0.005")  # an offer's own rate: half a cent a row, half a yen in a hundred minutes
# The template's contracts, ids 1-4, accepted today, each with an open milestone (ids 1-4):
# (campaign, worker, own rate, piece limit, top-up, cap), money in minor units
OPENING = (
    ("rows", "ana", None, 120_000, 4_000, 2_000),
    ("rows", "ben", FINE_RATE, None, 1_000, None),
    ("clips", "emi", None, None, 1_000, None),  # the campaign's cap, 1500 JPY
    ("clips", "ana", FINE_RATE, None, 100, None),  # under 100 minutes round to 0 JPY
)
# Then bills 1-4: (contract, pieces, pieces released or None for pending), in thousandths:
# 3 rows x 0.335 = 1.005 -> 1.01 USD, released; 4.5 minutes x 2.5 = 11.25 -> 11 JPY, 3 of them
# released (7.5 -> 8 JPY); 7 rows x 0.005 = 0.035 -> 0.04 USD, pending; 300 minutes x 0.005 =
# 1.5 -> 2 JPY, released, so ana is owed in two currencies.
OPENING_BILLS = ((1, 3_000, 3_000), (3, 4_500, 3_000), (2, 7_000, None), (4, 300_000, 300_000))
SCALE = {"USD": 100, "JPY": 25}  # minor units in one drawn unit of a top-up or cap
PAY_SCALE = {"USD": 50, "JPY": 5}  # and of a payout
DIGITS = {t.currency: t.digits for t in CAMPAIGNS.values()}
CHANGED_FIELD = {
    "milestone": "top_up",
    "bill": "pieces",
    "release": "pieces",
    "reject": "reason",
    "revise": "reason",
    "resubmit": "pieces",
    "end": "pending",
    "payout": "amount",
}


def exact(pieces_milli: int, rate: Decimal, digits: int) -> Fraction:
    """pieces x rate in minor units, as an exact fraction (independently of piecepay)."""
    return Fraction(pieces_milli, 1000) * Fraction(rate) * Fraction(10**digits)


def half_up(value: Fraction) -> int:
    return math.floor(value + Fraction(1, 2))


def pieces(milli: int) -> Decimal:
    """Thousandths of a piece as the Decimal an operation takes: 2500 -> 2.5."""
    return Decimal(milli) / 1000


def amount_input(minor: int, digits: int, form: str) -> Decimal:
    """An amount as an operation receives it: exact, one decimal too fine, or negative."""
    value = Decimal(minor).scaleb(-digits)
    if form == "fine":
        return value + Decimal(1).scaleb(-digits - 1)
    if form == "negative":
        return -value
    return value


def input_form(minor: int, form: str) -> str:
    """The form that applies: minus zero is zero, not a negative amount."""
    return "plain" if form == "negative" and minor == 0 else form


FORMS = st.sampled_from(["plain"] * 6 + ["fine", "negative"])


# --------------------------------------------------------------------------- the template ledger


@functools.cache
def template() -> Path:
    """A ledger made once per run: the campaigns, three workers and the opening contracts."""
    folder = Path(tempfile.mkdtemp(prefix="piecepay-props-"))
    atexit.register(shutil.rmtree, folder, True)
    path = folder / "template.db"
    new_ledger(path, ACTOR, NOW, TODAY)
    s = open_session(path, ACTOR, NOW, TODAY, write=True)
    try:
        for t in CAMPAIGNS.values():
            campaigns.create_campaign(
                s,
                CampaignTerms(
                    t.slug.title(),
                    t.slug,
                    t.unit,
                    t.rate,
                    t.currency,
                    step=pieces(t.step),
                    budget=None if t.budget is None else amount_input(t.budget, t.digits, "plain"),
                    max_pieces=None if t.max_pieces is None else pieces(t.max_pieces),
                    workers=t.workers,
                    milestone_cap=None if t.cap is None else amount_input(t.cap, t.digits, "plain"),
                    deadline=t.deadline,
                ),
            )
        for handle in HANDLES[:3]:
            workers.add_worker(s, handle)
        for slug, handle, rate, limit, top_up, cap in OPENING:
            offer = offers.create_offer(s, slug, handle, rate, None if limit is None else pieces(limit))
            offers.accept_offer(s, str(offer.contract.id))
            digits = CAMPAIGNS[slug].digits
            milestones.add_milestone(
                s,
                str(offer.contract.id),
                amount_input(top_up, digits, "plain"),
                None if cap is None else amount_input(cap, digits, "plain"),
            )
        for contract, milli, released in OPENING_BILLS:
            billed = bills.bill(s, BillRequest(str(contract), pieces(milli)))
            if released is not None:
                bills.release(s, billed.bill.id, pieces(released))
    finally:
        s.close()
    return path


# --------------------------------------------------------------------------- the model


class Refusal(NamedTuple):
    """What the ledger must raise: an error class and, where DESIGN.md's rules name it, the code."""

    kind: type[PiecepayError] | tuple[type[PiecepayError], ...]
    code: str | None = None


def refused(code: str) -> Refusal:
    return Refusal(RuleRefused, code)


def bad(code: str) -> Refusal:
    return Refusal(BadInput, code)


NOT_FOUND = Refusal(NotFound)
# A negative top-up, cap or payout, or a release of no pieces or fewer than none, must be
# refused (the CLI's parsing refuses them all); DESIGN.md does not say with which error.
NOT_POSITIVE = Refusal(PiecepayError)


def step_refusal(terms: Terms) -> Refusal:
    return bad("not_whole" if terms.step == 1000 else "not_a_step")


@dataclass
class Contract:
    id: int
    campaign: str
    worker: str
    rate: Decimal
    limit: int | None
    status: str = "offered"
    funded: int = 0
    released: int = 0
    refunded: int = 0
    reserved: int = 0
    pending: int = 0  # pieces, in thousandths
    paid_pieces: int = 0
    released_exact: Fraction = Fraction(0)  # the exact value of the pieces released, in minor units
    rejected: int = 0
    milestone: int | None = None  # the open one

    @property
    def terms(self) -> Terms:
        return CAMPAIGNS[self.campaign]

    @property
    def available(self) -> int:
        return self.funded - self.released - self.refunded - self.reserved

    @property
    def committed(self) -> int:
        """Pieces that count against the piece limits: pending and released."""
        return self.pending + self.paid_pieces

    @property
    def accepted(self) -> bool:
        return self.status in ("active", "ended")


@dataclass
class Bill:
    id: int
    contract: int
    milestone: int
    pieces: int
    amount: int
    status: str = "pending"
    released_pieces: int = 0
    released: int = 0

    @property
    def open(self) -> bool:
        """Still holding its reservation: pending, or out for a revision."""
        return self.status in ("pending", "revising")


@dataclass
class Model:
    status: dict[str, str] = field(default_factory=lambda: dict.fromkeys(CAMPAIGNS, "open"))
    workers: list[str] = field(default_factory=lambda: list(HANDLES[:3]))  # by id
    contracts: dict[int, Contract] = field(default_factory=dict)
    caps: dict[int, int | None] = field(default_factory=dict)  # milestone id -> cap
    milestone_of: dict[int, int] = field(default_factory=dict)  # milestone id -> contract id
    bills: dict[int, Bill] = field(default_factory=dict)
    owed: dict[tuple[str, str], int] = field(default_factory=dict)  # (worker, currency)
    paid: dict[tuple[str, str], int] = field(default_factory=dict)

    @classmethod
    def opening(cls) -> Model:
        model = cls()
        for number, (slug, handle, rate, limit, top_up, cap) in enumerate(OPENING, start=1):
            terms = CAMPAIGNS[slug]
            model.contracts[number] = Contract(
                number, slug, handle, rate or terms.rate, limit, "active", funded=top_up, milestone=number
            )
            model.caps[number], model.milestone_of[number] = terms.cap if cap is None else cap, number
        for contract, milli, released in OPENING_BILLS:
            k = model.contracts[contract]
            b = model.add_bill(k, milli, model.amount(k, milli))
            if released is not None:
                model.resolve(b, released)
        return model

    def add_bill(self, k: Contract, milli: int, amount: int) -> Bill:
        """A bill reserving ``amount`` on the contract's open milestone."""
        assert k.milestone is not None
        b = self.bills[len(self.bills) + 1] = Bill(len(self.bills) + 1, k.id, k.milestone, milli, amount)
        k.reserved += amount
        k.pending += milli
        return b

    def find(self, slug: str, handle: str) -> Contract:
        """What campaign/worker names: the active contract, else the latest ended or offered one."""
        named = [k for k in self.contracts.values() if (k.campaign, k.worker) == (slug, handle)]
        return max(named, key=lambda k: (k.status == "active", k.status in ("ended", "offered"), k.id))

    def of_campaign(self, slug: str) -> list[Contract]:
        return [k for k in self.contracts.values() if k.campaign == slug]

    def spent(self, milestone: int) -> int:
        return sum(b.amount if b.open else b.released for b in self.bills.values() if b.milestone == milestone)

    def amount(self, k: Contract, milli: int) -> int:
        """What a bill of ``milli`` reserves: its exact value rounded up."""
        return math.ceil(exact(milli, k.rate, k.terms.digits))

    def posting(self, k: Contract, milli: int) -> int:
        """What releasing ``milli`` posts: the contract's released money becomes its exact
        value released rounded half-up, whatever it was before."""
        return half_up(k.released_exact + exact(milli, k.rate, k.terms.digits)) - k.released

    def in_credit(self, handle: str) -> list[str]:
        return sorted(code for (who, code), owed in self.owed.items() if who == handle and owed > 0)

    def resolve(self, b: Bill, released_pieces: int) -> None:
        """An open bill released for ``released_pieces`` (all, some, or none: rejected)."""
        assert b.open, f"the model resolves bill {b.id} twice"
        k = self.contracts[b.contract]
        posted = self.posting(k, released_pieces) if released_pieces else 0
        b.status = "released" if released_pieces else "rejected"
        b.released_pieces, b.released = released_pieces, posted
        k.reserved -= b.amount
        k.released += posted
        k.released_exact += exact(released_pieces, k.rate, k.terms.digits)
        k.pending -= b.pieces
        k.paid_pieces += released_pieces
        k.rejected += b.pieces - released_pieces
        owed = (k.worker, k.terms.currency)
        self.owed[owed] = self.owed.get(owed, 0) + posted

    def reverse(self, b: Bill, released_pieces: int) -> None:
        """A rejected bill released after all, for ``released_pieces``: posted from escrow now."""
        assert b.status == "rejected", f"the model reverses bill {b.id}, which is {b.status}"
        k = self.contracts[b.contract]
        posted = self.posting(k, released_pieces)
        b.status, b.released_pieces, b.released = "released", released_pieces, posted
        k.released += posted
        k.released_exact += exact(released_pieces, k.rate, k.terms.digits)
        k.paid_pieces += released_pieces
        k.rejected -= released_pieces
        owed = (k.worker, k.terms.currency)
        self.owed[owed] = self.owed.get(owed, 0) + posted

    def resubmit(self, b: Bill, milli: int) -> None:
        """A bill back from its revision for ``milli`` pieces (as many or fewer): the rest of
        its reservation goes back to escrow."""
        assert b.status == "revising"
        k = self.contracts[b.contract]
        amount = b.amount if milli == b.pieces else self.amount(k, milli)
        k.reserved -= b.amount - amount
        k.pending -= b.pieces - milli
        b.pieces, b.amount, b.status = milli, amount, "pending"


class Keyed(NamedTuple):
    """A keyed call that succeeded, kept to be retried."""

    command: str
    key: str
    args: dict[str, Any]
    result: object


# --------------------------------------------------------------------------- the machine


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.path = template().with_name("ledger.db")
        shutil.copyfile(template(), self.path)
        self.s: Session = open_session(self.path, ACTOR, NOW, TODAY, write=True)
        self.conn: sqlite3.Connection = self.s.store.conn  # type: ignore[attr-defined]
        self.model = Model.opening()
        self.keyed: list[Keyed] = []
        self.keys = 0
        self.status_moves = 0
        self.changes = 0  # steps that changed the ledger
        self.settled = True  # every step so far passed its checks; teardown verifies only then
        self.unchanged = False  # the last step proved it wrote nothing

    def teardown(self) -> None:
        try:
            if self.settled:
                self.check_deeply()
        finally:
            self.s.close()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    # ------------------------------------------------------------------ helpers

    def attempt(self, refusal: Refusal | None, what: str, call: Callable[[], T]) -> T | None:
        """Make a call the model expects to succeed (its result) or to be refused (None, and
        then the error is the one expected and the ledger is as it was)."""
        self.settled = self.unchanged = False
        if refusal is None:
            return call()
        before = self.written()
        try:
            result = call()
        except PiecepayError as exc:
            expected = f"{refusal.kind} {refusal.code or ''}"
            assert isinstance(exc, refusal.kind), f"{what}: {type(exc).__name__} {exc.code} ({exc}), not {expected}"
            assert refusal.code in (None, exc.code), f"{what}: refused as {exc.code} ({exc}), not {refusal.code}"
        else:
            raise AssertionError(f"{what}: the model expected {refusal}, the ledger did it: {result!r}")
        self.wrote_nothing(before, what)
        return None

    def written(self) -> tuple[int, tuple[int, str]]:
        """How many rows this session has changed so far (rolled back or not), and the journal's head."""
        return self.conn.total_changes, self.s.store.head()

    def wrote_nothing(self, before: tuple[int, tuple[int, str]], what: str) -> None:
        """After a refusal: no entry was written and nothing is left uncommitted. If not even a
        row was touched (the rules are checked before any write, so this is the usual case), the
        ledger is as it was and the checks after the step are skipped; else they run again."""
        after = self.written()
        assert after[1] == before[1] and not self.conn.in_transaction, f"{what} wrote to the ledger"
        self.unchanged = after == before

    def new_key(self, keyed: bool) -> str | None:
        self.keys += 1
        return f"key-{self.keys}" if keyed else None

    def remember(self, key: str | None, command: str, args: dict[str, Any], result: object) -> None:
        if key is not None and result is not None:
            self.keyed.append(Keyed(command, key, args, result))

    def pick(self, data: st.DataObject, label: str, likely: list[int], every: list[int]) -> int:
        """One of ``every``, where each of ``likely`` counts three more times."""
        return data.draw(st.sampled_from(likely * 3 + every), label=label)

    def pick_contract(self, data: st.DataObject, active: bool = True) -> tuple[str, Contract]:
        """A contract reference, by id or by campaign/worker, and the contract it names: more
        likely an active one (unless ``active`` is false)."""
        m = self.model
        likely = [i for i, k in m.contracts.items() if k.status == "active"] if active else []
        k = m.contracts[self.pick(data, "contract", likely, list(m.contracts))]
        if data.draw(st.booleans(), label="by name"):
            return f"{k.campaign}/{k.worker}", self.model.find(k.campaign, k.worker)
        return str(k.id), k

    def pick_bill(self, data: st.DataObject) -> Bill:
        """A bill, more likely an open or rejected one."""
        waiting = [i for i, b in self.model.bills.items() if b.status != "released"]
        return self.model.bills[self.pick(data, "bill", waiting * 2, list(self.model.bills))]

    def call(self, command: str, key: str | None, a: dict[str, Any]) -> Any:
        """Run one money-moving operation with ``a`` as its arguments."""
        s = self.s
        if command == "milestone":
            return milestones.add_milestone(s, a["ref"], a["top_up"], a["cap"], key=key)
        if command == "bill":
            return bills.bill(s, BillRequest(a["ref"], a["pieces"], day=a["day"]), key=key)
        if command == "release":
            return bills.release(s, a["bill"], a["pieces"], key=key)
        if command == "reject":
            return bills.reject(s, a["bill"], a["reason"], key=key)
        if command == "revise":
            return bills.revise(s, a["bill"], a["reason"], key=key)
        if command == "resubmit":
            return bills.resubmit(s, a["bill"], bills.Resubmission(a["pieces"]), key=key)
        if command == "end":
            return contracts.end_contract(s, a["ref"], a["pending"], a["day"], key=key)
        assert command == "payout"
        return payouts.payout(s, a["worker"], a["amount"], a["currency"], key=key)

    # ------------------------------------------------------------------ workers, offers, campaigns

    @precondition(lambda self: HANDLES[-1] not in self.model.workers)
    @rule(handle=st.sampled_from([HANDLES[-1], HANDLES[-1], HANDLES[0]]))
    def add_worker(self, handle: str) -> None:
        refusal = refused("worker_exists") if handle in self.model.workers else None
        worker = self.attempt(refusal, f"worker add {handle}", lambda: workers.add_worker(self.s, handle))
        if worker is not None:
            self.model.workers.append(handle)
            assert (worker.id, worker.handle) == (len(self.model.workers), handle)

    def offer_refusal(self, slug: str, handle: str, limit: int | None) -> Refusal | None:
        m, terms = self.model, CAMPAIGNS[slug]
        if handle not in m.workers:
            return NOT_FOUND
        if m.status[slug] == "paused":
            return refused("campaign_paused")
        if terms.deadline is not None and terms.deadline < TODAY:
            return refused("deadline_passed")
        if limit is not None and limit % terms.step:
            return step_refusal(terms)
        if any(k.status in ("offered", "active") for k in m.of_campaign(slug) if k.worker == handle):
            return refused("already_engaged")
        return None

    @rule(
        slug=st.sampled_from(["rows", "rows", "clips", "clips", "late"]),
        handle=st.sampled_from(HANDLES),
        own_rate=st.booleans(),
        limit=st.sampled_from([None, None, 40_000, 2_500]),
    )
    def offer(self, slug: str, handle: str, own_rate: bool, limit: int | None) -> None:
        m, terms = self.model, CAMPAIGNS[slug]
        refusal = self.offer_refusal(slug, handle, limit)
        rate = FINE_RATE if own_rate else None
        made = self.attempt(
            refusal,
            f"offer {slug} {handle}",
            lambda: offers.create_offer(self.s, slug, handle, rate, None if limit is None else pieces(limit)),
        )
        if made is not None:
            k = Contract(len(m.contracts) + 1, slug, handle, rate or terms.rate, limit)
            assert (made.contract.id, made.contract.status, made.contract.rate) == (k.id, "offered", k.rate)
            assert made.contract.max_pieces_milli == limit
            m.contracts[k.id] = k

    @precondition(lambda self: any(k.status == "offered" for k in self.model.contracts.values()))
    @rule(data=st.data(), action=st.sampled_from(["accept", "accept", "decline", "withdraw"]))
    def answer_offer(self, data: st.DataObject, action: str) -> None:
        m = self.model
        k = m.contracts[
            self.pick(data, "offer", [i for i, k in m.contracts.items() if k.status == "offered"], list(m.contracts))
        ]
        taken = sum(other.accepted for other in m.of_campaign(k.campaign))
        refusal = None
        if k.status != "offered":
            refusal = refused(f"offer_{k.status}")
        elif action == "accept" and m.status[k.campaign] == "paused":
            refusal = refused("campaign_paused")
        elif action == "accept" and k.terms.workers is not None and taken >= k.terms.workers:
            refusal = refused("campaign_full")

        def answer() -> campaigns.ContractState:
            if action == "accept":
                return offers.accept_offer(self.s, str(k.id))
            return offers.close_offer(self.s, str(k.id), OfferAction(action))

        done = self.attempt(refusal, f"offer {action} {k.id}", answer)
        if done is not None:
            k.status = {"accept": "active", "decline": "declined", "withdraw": "withdrawn"}[action]
            assert done.contract.status == k.status
            assert (done.escrow is not None) == (action == "accept")

    # Tried at most twice while every campaign is open, so that it does not crowd out the money.
    @precondition(lambda self: "paused" in self.model.status.values() or self.status_moves < 2)
    @rule(
        slug=st.sampled_from(["rows", "clips"]),
        action=st.sampled_from(["resume"] * 5 + ["pause"]),
        by_id=st.booleans(),
    )
    def pause_or_resume(self, slug: str, action: str, by_id: bool) -> None:
        self.status_moves += 1
        status = self.model.status[slug]
        before, after = ("open", "paused") if action == "pause" else ("paused", "open")
        refusal = None if status == before else refused(f"campaign_{status}")
        ref = str(list(CAMPAIGNS).index(slug) + 1) if by_id else slug
        done = self.attempt(
            refusal, f"campaign {action} {ref}", lambda: campaigns.set_status(self.s, ref, CampaignAction(action))
        )
        if done is not None:
            assert (done.slug, done.status) == (slug, after)
            self.model.status[slug] = after

    # ------------------------------------------------------------------ money

    def milestone_refusal(self, k: Contract, top: int, top_form: str, cap: int | None, cap_form: str) -> Refusal | None:
        m = self.model
        if "negative" in (top_form, cap_form):
            return NOT_POSITIVE
        if "fine" in (top_form, cap_form):
            return bad("too_many_decimals")
        if cap == 0:
            return bad("not_positive")
        if k.status != "active":
            return refused("contract_not_active")
        if m.status[k.campaign] == "paused":
            return refused("campaign_paused")
        committed = sum(other.funded - other.refunded for other in m.of_campaign(k.campaign))
        if k.terms.budget is not None and committed + top > k.terms.budget:
            return refused("exceeds_campaign_budget")
        return None

    @rule(
        data=st.data(),
        units=st.integers(0, 60),
        odd=st.sampled_from([0, 0, 0, 7]),
        top_form=FORMS,
        cap_units=st.none() | st.integers(0, 40),
        cap_form=FORMS,
        keyed=st.booleans(),
    )
    def milestone(
        self,
        data: st.DataObject,
        units: int,
        odd: int,
        top_form: str,
        cap_units: int | None,
        cap_form: str,
        keyed: bool,
    ) -> None:
        m = self.model
        ref, k = self.pick_contract(data)
        terms, currency = k.terms, k.terms.currency
        top = units * SCALE[currency] + odd
        cap = None if cap_units is None else cap_units * SCALE[currency]
        top_form = input_form(top, top_form)
        cap_form = "plain" if cap is None else input_form(cap, cap_form)
        refusal = self.milestone_refusal(k, top, top_form, cap, cap_form)
        key = self.new_key(keyed)
        args = {
            "ref": str(k.id) if key else ref,  # a retry must name the same contract whatever happens meanwhile
            "top_up": amount_input(top, terms.digits, top_form),
            "cap": None if cap is None else amount_input(cap, terms.digits, cap_form),
        }
        done = self.attempt(refusal, f"milestone add {args}", lambda: self.call("milestone", key, args))
        if done is None:
            return
        number = len(m.caps) + 1
        cap = terms.cap if cap is None else cap
        assert (done.milestone.id, done.milestone.contract_id, done.milestone.top_up.minor) == (number, k.id, top)
        assert (done.milestone.cap.minor if done.milestone.cap else None) == cap
        k.funded += top
        k.milestone = number
        m.caps[number], m.milestone_of[number] = cap, k.id
        self.remember(key, "milestone", args, done)

    def bill_refusal(self, k: Contract, milli: int, amount: int, effective: date) -> Refusal | None:
        """DESIGN.md's five rules of a bill, in order, after its pieces and its date."""
        m, terms = self.model, k.terms
        if milli <= 0:
            return bad("not_positive")
        if milli % terms.step:
            return step_refusal(terms)
        if effective > TODAY:
            return bad("date_in_future")
        if k.accepted and effective < TODAY:
            return refused("date_before_contract")
        if k.status != "active":
            return refused("contract_not_active")
        if m.status[k.campaign] == "paused":
            return refused("campaign_paused")
        if k.milestone is None:
            return refused("no_open_milestone")
        cap = m.caps[k.milestone]
        if cap is not None and amount > cap - m.spent(k.milestone):
            return refused("exceeds_milestone_cap")
        if amount > k.available:
            return refused("exceeds_escrow")
        if k.limit is not None and k.committed + milli > k.limit:
            return refused("exceeds_contract_piece_limit")
        used = sum(other.committed for other in m.of_campaign(k.campaign))
        if terms.max_pieces is not None and used + milli > terms.max_pieces:
            return refused("exceeds_campaign_piece_limit")
        assert amount > 0, "a bill's amount is rounded up: never nothing"
        return None

    # Its only argument is ``data``: Hypothesis orders rules by how many arguments they take and
    # draws the first more often, and bills are what the ledger is for. Release does the same.
    @rule(data=st.data())
    def bill(self, data: st.DataObject) -> None:
        m = self.model
        ref, k = self.pick_contract(data)
        terms = k.terms
        whole = data.draw(st.integers(1, 60) | st.sampled_from([0, 100, 101, 300]), label="whole pieces")
        halves = [0, 500, 0, 500, 0, 500, 250] if terms.step == 500 else [0] * 14 + [500, 250]
        milli = whole * 1000 + data.draw(st.sampled_from(halves), label="and thousandths")
        days = [None] * 9 + [TODAY, TODAY - timedelta(days=1), TODAY + timedelta(days=1)]
        day = data.draw(st.sampled_from(days), label="date")
        keyed = data.draw(st.booleans(), label="keyed")
        effective = day or TODAY
        amount = m.amount(k, milli)
        refusal = self.bill_refusal(k, milli, amount, effective)
        key = self.new_key(keyed)
        args = {"ref": str(k.id) if key else ref, "pieces": pieces(milli), "day": day}
        done = self.attempt(refusal, f"bill {args}", lambda: self.call("bill", key, args))
        if done is None:
            return
        b = m.add_bill(k, milli, amount)
        got = done.bill
        assert (got.id, got.contract_id, got.milestone_id, got.pieces_milli) == (b.id, k.id, b.milestone, milli)
        assert (got.amount.minor, got.amount.currency.code) == (amount, terms.currency), "rounded otherwise"
        assert (got.status, got.effective_date) == ("pending", effective)
        self.remember(key, "bill", args, done)

    def reversal_refusal(self, b: Bill, released: int) -> Refusal | None:
        """Why a rejected bill may not be released now (every step happens today, so always
        within the reversal window): the rules of a reversal, in order."""
        m = self.model
        k = m.contracts[b.contract]
        amount = m.posting(k, released)
        if k.status != "active":
            return refused("contract_not_active")
        if released > b.pieces:
            return refused("release_exceeds_bill")
        if amount <= 0:
            return refused("amount_rounds_to_zero")
        cap = m.caps[b.milestone]
        if cap is not None and m.spent(b.milestone) + amount > cap:
            return refused("exceeds_milestone_cap")
        if amount > k.available:
            return refused("exceeds_escrow")
        if k.limit is not None and k.committed + released > k.limit:
            return refused("exceeds_contract_piece_limit")
        max_pieces = k.terms.max_pieces
        if max_pieces is not None and sum(o.committed for o in m.of_campaign(k.campaign)) + released > max_pieces:
            return refused("exceeds_campaign_piece_limit")
        return None

    @precondition(lambda self: any(b.status != "released" for b in self.model.bills.values()))
    @rule(data=st.data())  # one argument, like bill's
    def release(self, data: st.DataObject) -> None:
        m = self.model
        b = self.pick_bill(data)
        hows = ["all", "all", "some", "some", "some", "more", "half a step", "none", "minus"]
        how, keyed = data.draw(st.sampled_from(hows), label="release"), data.draw(st.booleans(), label="keyed")
        step = m.contracts[b.contract].terms.step
        milli = {"all": None, "more": b.pieces + step, "half a step": step // 2, "none": 0, "minus": -step}.get(how)
        if how == "some":
            milli = data.draw(st.integers(1, max(b.pieces // step, 1)), label="steps") * step
        released = b.pieces if milli is None else milli
        refusal = None
        if released <= 0:
            refusal = NOT_POSITIVE
        elif released % step:
            refusal = step_refusal(m.contracts[b.contract].terms)
        elif b.status == "rejected":
            refusal = self.reversal_refusal(b, released)
        elif not b.open:
            refusal = refused(f"bill_already_{b.status}")
        elif released > b.pieces:
            refusal = refused("release_exceeds_bill")
        key = self.new_key(keyed)
        args = {"bill": b.id, "pieces": None if milli is None else pieces(milli)}
        done = self.attempt(refusal, f"release {args}", lambda: self.call("release", key, args))
        if done is None:
            return
        if b.status == "rejected":
            m.reverse(b, released)
        else:
            m.resolve(b, released)
        got = done.bill
        assert (got.status, got.released_pieces_milli, got.released.minor) == ("released", released, b.released)
        self.remember(key, "release", args, done)

    @precondition(lambda self: any(b.open for b in self.model.bills.values()))
    @rule(data=st.data(), keyed=st.booleans())
    def reject(self, data: st.DataObject, keyed: bool) -> None:
        b = self.pick_bill(data)
        refusal = refused(f"bill_already_{b.status}") if not b.open else None
        key = self.new_key(keyed)
        args = {"bill": b.id, "reason": "not as briefed"}
        done = self.attempt(refusal, f"reject {args}", lambda: self.call("reject", key, args))
        if done is None:
            return
        self.model.resolve(b, 0)
        assert (done.bill.status, done.bill.released.minor, done.bill.reason) == ("rejected", 0, "not as briefed")
        self.remember(key, "reject", args, done)

    @precondition(lambda self: any(b.open for b in self.model.bills.values()))
    @rule(data=st.data(), keyed=st.booleans())
    def revise(self, data: st.DataObject, keyed: bool) -> None:
        b = self.pick_bill(data)
        refusal = None
        if b.status == "revising":
            refusal = refused("bill_revising")
        elif not b.open:
            refusal = refused(f"bill_already_{b.status}")
        key = self.new_key(keyed)
        args = {"bill": b.id, "reason": "crop the edges"}
        done = self.attempt(refusal, f"revise {args}", lambda: self.call("revise", key, args))
        if done is None:
            return
        b.status = "revising"
        assert (done.bill.status, done.bill.reason) == ("revising", "crop the edges")
        self.remember(key, "revise", args, done)

    @precondition(lambda self: any(b.status == "revising" for b in self.model.bills.values()))
    @rule(data=st.data(), how=st.sampled_from(["same", "fewer", "fewer", "more", "none"]), keyed=st.booleans())
    def resubmit(self, data: st.DataObject, how: str, keyed: bool) -> None:
        revising = [i for i, b in self.model.bills.items() if b.status == "revising"]
        b = self.model.bills[self.pick(data, "bill", revising, list(self.model.bills))]
        step = self.model.contracts[b.contract].terms.step
        milli = {"same": None, "more": b.pieces + step, "none": 0}.get(how)
        if how == "fewer":
            milli = data.draw(st.integers(1, max(b.pieces // step, 1)), label="steps") * step
        claimed = b.pieces if milli is None else milli
        refusal = None
        if claimed <= 0:
            refusal = NOT_POSITIVE
        elif b.status == "pending":
            refusal = refused("bill_not_revising")
        elif not b.open:
            refusal = refused(f"bill_already_{b.status}")
        elif claimed > b.pieces:
            refusal = refused("resubmit_exceeds_bill")
        key = self.new_key(keyed)
        args = {"bill": b.id, "pieces": None if milli is None else pieces(milli)}
        done = self.attempt(refusal, f"resubmit {args}", lambda: self.call("resubmit", key, args))
        if done is None:
            return
        self.model.resubmit(b, claimed)
        assert (done.bill.status, done.bill.pieces_milli, done.bill.amount.minor) == ("pending", b.pieces, b.amount)
        self.remember(key, "resubmit", args, done)

    @precondition(lambda self: any(k.status == "active" for k in self.model.contracts.values()))
    @rule(
        data=st.data(),
        pending=st.sampled_from([None, "release", "reject"]),
        day=st.sampled_from([None] * 7 + [TODAY + timedelta(days=1)]),
        keyed=st.booleans(),
    )
    def end(self, data: st.DataObject, pending: str | None, day: date | None, keyed: bool) -> None:
        m = self.model
        ref, k = self.pick_contract(data, active=False)
        waiting = [b for _, b in sorted(m.bills.items()) if b.contract == k.id and b.open]
        refusal = None
        if k.status != "active":
            refusal = refused("contract_not_active")
        elif waiting and pending is None:
            refusal = refused("pending_bills")
        elif day is not None and day > TODAY:
            refusal = bad("date_in_future")
        key = self.new_key(keyed)
        args = {"ref": str(k.id) if key else ref, "pending": pending, "day": day}
        done = self.attempt(refusal, f"end {args}", lambda: self.call("end", key, args))
        if done is None:
            return
        for b in waiting:
            m.resolve(b, b.pieces if pending == "release" else 0)
        refund = k.available
        k.refunded += refund
        k.status, k.milestone = "ended", None
        assert (done.contract.id, done.contract.status, done.contract.refunded.minor) == (k.id, "ended", k.refunded)
        assert done.escrow is not None and done.escrow.escrow_available.minor == 0
        self.remember(key, "end", args, done)

    def payout_refusal(
        self, handle: str, currency: str | None, in_credit: list[str], minor: int | None, form: str, owed: int
    ) -> Refusal | None:
        if form == "negative":
            return NOT_POSITIVE
        if handle not in self.model.workers:
            return NOT_FOUND
        if currency is not None and currency not in in_credit:
            return refused("nothing_owed")
        if currency is None and not in_credit:
            return refused("nothing_owed")
        if currency is None and len(in_credit) > 1:
            return bad("currency_ambiguous")
        if form == "fine":
            return bad("too_many_decimals")
        if minor == 0:
            return bad("not_positive")
        if minor is not None and minor > owed:
            return refused("exceeds_owed")
        return None

    @precondition(lambda self: any(owed > 0 for owed in self.model.owed.values()))
    @rule(
        data=st.data(),
        currency=st.sampled_from([None, None, "USD", "JPY"]),
        units=st.none() | st.integers(0, 40),
        form=FORMS,
        keyed=st.booleans(),
    )
    def payout(self, data: st.DataObject, currency: str | None, units: int | None, form: str, keyed: bool) -> None:
        m = self.model
        owed_some = sorted({handle for (handle, _), owed in m.owed.items() if owed > 0})
        handle = HANDLES[self.pick(data, "worker", [HANDLES.index(h) for h in owed_some], list(range(len(HANDLES))))]
        in_credit = m.in_credit(handle)
        code = currency or (in_credit[0] if len(in_credit) == 1 else "USD")
        minor = None if units is None else units * PAY_SCALE[code]
        form = "plain" if minor is None else input_form(minor, form)
        owed = m.owed.get((handle, code), 0)
        refusal = self.payout_refusal(handle, currency, in_credit, minor, form, owed)
        key = self.new_key(keyed)
        amount = None if minor is None else amount_input(minor, DIGITS[code], form)
        args = {"worker": handle, "amount": amount, "currency": currency}
        done = self.attempt(refusal, f"payout {args}", lambda: self.call("payout", key, args))
        if done is None:
            return
        paid = owed if minor is None else minor
        assert (done.amount.minor, done.amount.currency.code, done.owed.minor) == (paid, code, owed - paid)
        m.owed[(handle, code)] = owed - paid
        m.paid[(handle, code)] = m.paid.get((handle, code), 0) + paid
        self.remember(key, "payout", args, done)

    # ------------------------------------------------------------------ keyed retries

    def equivalent(self, command: str, a: dict[str, Any]) -> dict[str, Any]:
        """The same request written another way: it must replay."""
        m, same = self.model, dict(a)
        if "ref" in a:
            k = m.contracts[int(a["ref"])]
            same["ref"] = f"{k.campaign}/{k.worker}" if m.find(k.campaign, k.worker) is k else f"#{k.id}"
        for name in ("top_up", "cap", "amount"):
            if a.get(name) is not None:
                same[name] = a[name].normalize()  # 10.00 -> 1E+1
        if a.get("pieces") is not None:
            same["pieces"] = a["pieces"].quantize(Decimal("0.001"))  # 3 -> 3.000
        if command == "payout":
            same["worker"] = str(m.workers.index(a["worker"]) + 1)
        return same

    def changed(self, command: str, a: dict[str, Any]) -> dict[str, Any]:
        """Another request: one field differs, and still passes what is checked before the key."""
        other = dict(a)
        if command == "milestone":
            other["top_up"] = a["top_up"] + 1
        elif command == "bill":
            other["pieces"] = a["pieces"] + 1
        elif command == "release":
            full = pieces(self.model.bills[a["bill"]].pieces)
            other["pieces"] = full if a["pieces"] is None else None
        elif command in ("reject", "revise"):
            other["reason"] = "blurry"
        elif command == "resubmit":
            other["pieces"] = Decimal(1) if a["pieces"] is None else None
        elif command == "end":
            other["pending"] = {None: "release", "release": "reject", "reject": None}[a["pending"]]
        else:
            other["amount"] = Decimal("0.5") if a["amount"] is None else a["amount"] + 1
        return other

    @precondition(lambda self: self.keyed)
    @rule(data=st.data(), how=st.sampled_from(["same", "same", "written otherwise", "changed", "other command"]))
    def retry(self, data: st.DataObject, how: str) -> None:
        first = data.draw(st.sampled_from(self.keyed), label="keyed call")
        self.settled = self.unchanged = False
        if how in ("same", "written otherwise"):
            args = first.args if how == "same" else self.equivalent(first.command, first.args)
            before, replayed = self.written(), self.s.replayed
            again = self.call(first.command, first.key, args)
            assert again == first.result, f"{first.command} {args} under {first.key} did not replay its first result"
            assert self.written() == before, f"the replay of {first.command} {args} under {first.key} wrote"
            assert self.s.replayed == replayed + 1
            self.unchanged = True
            return
        if how == "changed":
            args = self.changed(first.command, first.args)
            call = functools.partial(self.call, first.command, first.key, args)
        elif first.command == "reject":
            call = functools.partial(payouts.payout, self.s, "ana", key=first.key)
        else:
            call = functools.partial(bills.reject, self.s, 1, "wrong command", key=first.key)
        before = self.written()
        try:
            call()
        except KeyConflict as exc:
            if how == "changed":
                assert CHANGED_FIELD[first.command] in exc.message, exc.message
        else:
            raise AssertionError(f"{how}: key {first.key} of {first.command} {first.args} was not refused")
        self.wrote_nothing(before, f"{how}: key {first.key} of {first.command}")

    # ------------------------------------------------------------------ after every step

    @invariant()
    def books_hold(self) -> None:
        self.settled = False
        if not self.unchanged:  # a step that proved it wrote nothing leaves all of this as it was
            self.check_books()
            self.check_against_model()
            self.check_contract_report()
            self.changes += 1
            if self.changes % VERIFY_EVERY == 0:
                self.check_deeply()
        self.settled = True

    def check_deeply(self) -> None:
        """The reports by worker and by campaign, and verify: slower, so every few steps and at the end."""
        self.check_other_reports()
        verify(self.s)

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in self.conn.execute(sql)]

    def check_books(self) -> None:
        """What holds of any ledger, read straight from the tables (not through verify)."""
        unbalanced = self.rows(
            "SELECT p.entry_id, a.currency FROM postings p JOIN accounts a ON a.id = p.account_id "
            "GROUP BY 1, 2 HAVING SUM(CASE p.side WHEN 'debit' THEN p.amount ELSE -p.amount END) != 0"
        )
        assert unbalanced == [], f"entries that do not balance: {unbalanced}"
        backwards = self.rows("SELECT entry_id, amount FROM postings WHERE phase = 'posted' AND amount <= 0")
        assert backwards == [], f"posted amounts of zero or less (entry, amount): {backwards}"
        sums = {
            (account, f"{side}s_{phase}"): total
            for account, side, phase, total in self.rows(
                "SELECT account_id, side, phase, SUM(amount) FROM postings GROUP BY 1, 2, 3"
            )
        }
        columns = ("debits_pending", "debits_posted", "credits_pending", "credits_posted")
        for account, name, *stored in self.rows(f"SELECT id, name, {', '.join(columns)} FROM accounts"):
            totals = dict(zip(columns, stored, strict=True))
            assert totals == {c: sums.get((account, c), 0) for c in columns}, f"{name} stores other totals"
            assert totals["debits_pending"] >= 0 and totals["credits_pending"] >= 0, name
            if name.startswith("escrow:"):
                available = totals["credits_posted"] - totals["debits_posted"] - totals["debits_pending"]
                assert available >= 0, f"{name} is below zero"
            if name.startswith("worker:"):
                assert totals["credits_posted"] >= totals["debits_posted"], f"{name} paid out more than released"
        for bill, status, resolutions, reversals in self.rows(
            "SELECT b.id, b.status, SUM(CASE WHEN e.kind IN ('release', 'reject') THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN e.kind = 'reversal' THEN 1 ELSE 0 END) FROM bills b "
            "LEFT JOIN entries e ON e.bill_id = b.id GROUP BY b.id"
        ):
            open_ = status in ("pending", "revising")
            assert resolutions == (not open_), f"bill {bill} is {status}, resolved {resolutions} times"
            assert reversals <= (status == "released"), f"bill {bill} is {status}, reversed {reversals} times"
        over_cap = self.rows(
            "SELECT m.id FROM milestones m JOIN bills b ON b.milestone_id = m.id WHERE m.cap_minor IS NOT NULL "
            "GROUP BY m.id HAVING SUM(CASE WHEN b.status IN ('pending', 'revising') THEN b.amount_minor "
            "ELSE b.released_minor END) > m.cap_minor"
        )
        assert over_cap == [], f"milestones over their cap: {over_cap}"
        over_limit = self.rows(
            "SELECT id FROM contracts WHERE max_pieces_milli IS NOT NULL "
            "AND pieces_pending_milli + pieces_released_milli > max_pieces_milli"
        )
        assert over_limit == [], f"contracts over their piece limit: {over_limit}"
        for contract, rate, digits, released_milli, released_minor in self.rows(
            "SELECT c.id, c.rate, cur.digits, COALESCE(SUM(b.released_pieces_milli), 0), "
            "COALESCE(SUM(b.released_minor), 0) FROM contracts c JOIN campaigns k ON k.id = c.campaign_id "
            "JOIN currencies cur ON cur.code = k.currency LEFT JOIN bills b ON b.contract_id = c.id GROUP BY c.id"
        ):  # exact totals: every contract's bills are at its rate
            off = abs(released_minor - exact(released_milli, Decimal(rate), digits))
            assert off <= Fraction(1, 2), f"contract {contract} released {released_minor}, {off} from exact"
        campaigns_over = self.rows(
            "SELECT k.slug FROM campaigns k JOIN contracts c ON c.campaign_id = k.id "
            "LEFT JOIN accounts a ON a.id = c.escrow_account_id GROUP BY k.id "
            "HAVING SUM(c.pieces_pending_milli + c.pieces_released_milli) > k.max_pieces_milli "
            "OR SUM(COALESCE(a.credits_posted, 0) - c.refunded_minor) > k.budget_minor"
        )
        assert campaigns_over == [], f"campaigns over their piece limit or budget: {campaigns_over}"

    def check_against_model(self) -> None:
        """Every bill, milestone and contract is as the model has it."""
        m = self.model
        assert self.rows(
            "SELECT id, contract_id, milestone_id, pieces_milli, amount_minor, status, released_pieces_milli, "
            "released_minor FROM bills ORDER BY id"
        ) == [
            (b.id, b.contract, b.milestone, b.pieces, b.amount, b.status, b.released_pieces, b.released)
            for b in m.bills.values()
        ], "bills differ from the model"
        open_ones = {k.milestone for k in m.contracts.values()}
        assert self.rows("SELECT id, contract_id, cap_minor, status FROM milestones ORDER BY id") == [
            (number, m.milestone_of[number], cap, "open" if number in open_ones else "closed")
            for number, cap in m.caps.items()
        ], "milestones differ from the model"
        assert self.rows(
            "SELECT id, status, pieces_pending_milli, pieces_released_milli, pieces_rejected_milli, refunded_minor "
            "FROM contracts ORDER BY id"
        ) == [(k.id, k.status, k.pending, k.paid_pieces, k.rejected, k.refunded) for k in m.contracts.values()], (
            "contracts differ from the model"
        )

    def check_contract_report(self) -> None:
        """The report by contract, its totals per currency, and each worker's earnings equal the model."""
        m = self.model
        accepted = [k for k in m.contracts.values() if k.accepted]
        by_contract = reports.report(self.s, by=Grouping.CONTRACT)
        assert [
            (
                r.contract_id,
                r.status,
                r.figures.funded.currency.code,
                r.figures.funded.minor,
                r.figures.reserved.minor,
                r.figures.released.minor,
                r.figures.refunded.minor,
                r.figures.available.minor,
                tuple(r.pieces),
            )
            for r in by_contract.rows
        ] == [
            (
                k.id,
                k.status,
                k.terms.currency,
                k.funded,
                k.reserved,
                k.released,
                k.refunded,
                k.available,
                (k.pending, k.paid_pieces, k.rejected),
            )
            for k in accepted
        ], "the report by contract differs from the model"
        for k in accepted:
            assert k.available >= 0, f"the model's escrow of contract {k.id} is below zero"
        totals: dict[str, list[int]] = {}
        for k in accepted:
            sums = totals.setdefault(k.terms.currency, [0, 0, 0, 0])
            for i, value in enumerate((k.funded, k.reserved, k.released, k.refunded)):
                sums[i] += value
        assert [
            (f.funded.currency.code, [f.funded.minor, f.reserved.minor, f.released.minor, f.refunded.minor])
            for f in by_contract.totals
        ] == sorted(totals.items()), "report totals differ from the model"
        earnings = {
            (name.removeprefix("worker:"), currency): (owed, paid)
            for name, currency, owed, paid in self.rows(
                "SELECT name, currency, credits_posted - debits_posted, debits_posted FROM accounts "
                "WHERE name LIKE 'worker:%' AND (credits_posted != 0 OR debits_posted != 0)"
            )
        }
        expected = {key: (m.owed.get(key, 0), m.paid.get(key, 0)) for key in m.owed.keys() | m.paid.keys()}
        assert earnings == {key: both for key, both in expected.items() if both != (0, 0)}, "earnings differ"

    def check_other_reports(self) -> None:
        """The reports by worker (paid out and owed) and by campaign equal the model."""
        m = self.model
        accepted = [k for k in m.contracts.values() if k.accepted]
        by_worker = reports.report(self.s, by=Grouping.WORKER)
        earnings = {
            (r.worker, r.figures.funded.currency.code): (r.paid_out.minor, r.owed.minor)  # type: ignore[union-attr]
            for r in by_worker.rows
        }
        assert earnings == {
            (k.worker, k.terms.currency): (m.paid.get(key, 0), m.owed.get(key, 0))
            for k in accepted
            for key in [(k.worker, k.terms.currency)]
        }, "what workers were paid and are owed differs from the model"
        by_campaign = reports.report(self.s, by=Grouping.CAMPAIGN)
        assert [(r.campaign, r.figures.funded.minor, r.figures.released.minor) for r in by_campaign.rows] == [
            (
                slug,
                sum(k.funded for k in accepted if k.campaign == slug),
                sum(k.released for k in accepted if k.campaign == slug),
            )
            for slug in CAMPAIGNS
        ], "the report by campaign differs from the model"


LedgerMachine.TestCase.settings = settings(
    max_examples=EXAMPLES,
    stateful_step_count=STEPS,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestLedgerMachine = LedgerMachine.TestCase
