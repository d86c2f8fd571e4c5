"""Kill -9 soak: every money-moving command survives SIGKILL at any moment and, retried with
its key, takes effect exactly once.

    python tests/soak.py --count N [--seed S] [--workdir DIR]

The script makes a fresh ledger (``piecepay init``, campaigns in USD and JPY, workers,
contracts, a first milestone on each), then performs N interruptions. Each one picks a
random money-moving command (bill, release, partial release, reject, top-up through
``milestone add``, payout, now and then ``end``) with a fresh ``--key``, starts it as its
own process (the real CLI, one process per command) and sends it SIGKILL after a random
delay. The delays are drawn from the time a command takes on this machine, measured as
the soak runs, so the kills land while Python starts, while the write transaction is
open, after the commit but before the process exits, and sometimes after it finished.
A killed command is retried, the very same argv and key, until a retry exits; a retry is
itself killed now and then. Every command must end 0 (done) or 1 (refused by a rule).

What the soak proves, checked at the end (and cheaply every 50 interruptions):

- ``piecepay verify`` exits 0 and SQLite's quick_check says ok;
- money is conserved in every currency: over all accounts, posted credits less debits
  sum to 0, and so do pending ones (read from ``accounts`` with a read-only connection);
- every account holds what the commands that succeeded say it should (a model of the
  ledger kept from their results: a key applied twice, or a killed write half-applied,
  shows up here);
- every key took effect exactly once: each key whose command ended 0 is in
  ``idempotency_keys`` once, with the result the last retry printed; a refused key is
  nowhere; in the journal (``piecepay --json log``) each successful key owns exactly the
  entries its command writes (a bill entry, a release, a top-up, the rejections and the
  refund of an end…) sealed by one ``key_recorded`` entry, no entry is outside a key,
  and each bill key's result is a distinct bill;
- a kill that landed after the commit is answered by the retry with exit 0 (a replay);
- nothing else failed: no exit code but 0 and 1 on a finished command (never 2, 3, 4, 5
  or 70), no traceback on any stderr, no command hanging.

It prints one summary line and exits 0, or prints what went wrong (with the seed, the
command and its output) and exits 1. Exit 2 means the soak itself was misused.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shlex
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, deque
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DONE, REFUSED = 0, 1
RUN_TIMEOUT = 120.0  # seconds an uninterrupted command may take before it counts as hung
RETRY_KILL_CHANCE = 0.15  # how often a retry is killed too
MAX_KILLED_RETRIES = 3  # after this many killed retries, the next one runs to the end
REPLAY_CHANCE = 0.2  # how often a command that finished before its kill is replayed with its key
SPOT_CHECK_EVERY = 50
MIN_ACTIVE_CONTRACTS = 5  # `end` ends no more contracts once only this many are active
WAL_WRITE_LOCK_OFFSET = 120  # SQLite's unix VFS holds this byte of -shm locked while a write transaction is open

# Kinds of command the soak runs, and how often each is picked.
WEIGHTS = {
    "bill": 34,
    "release": 17,
    "partial_release": 8,
    "reject": 10,
    "top_up": 14,
    "payout": 15,
    "end": 2,
}
STAGES = ("outside", "inside", "after_commit", "unknown")
STAGE_WORDS = {
    "outside": "with no write transaction open",
    "inside": "inside the write transaction",
    "after_commit": "after the commit, before exit",
    "unknown": "at a moment the soak could not read",
}


def kept_id(kept: dict[str, Any]) -> object:
    """The id of what a key's stored result names: its bill, milestone, contract or payout entry
    (results are kept as the records they hold, not as the document the command printed)."""
    result = kept.get("result", {})
    for record in ("bill", "milestone", "contract"):
        if record in result:
            return result[record]["id"]
    return result.get("entry_id")


@dataclass(frozen=True)
class Campaign:
    """A campaign the soak creates, and the sizes of the requests it makes on it."""

    slug: str
    title: str
    unit: str
    rate: str
    currency: str
    digits: int
    step: Decimal
    steps_per_bill: tuple[int, int]  # a bill is this many steps, at least and at most
    top_up: tuple[int, int]  # a top-up in minor units, at least and at most
    options: tuple[str, ...] = ()


CAMPAIGNS = (
    Campaign("photos", "Restaurant photos", "photo", "5", "USD", 2, Decimal(1), (1, 6), (2000, 15000),
             ("--milestone-cap", "60")),
    Campaign("rows", "Data entry", "row", "0.35", "USD", 2, Decimal(1), (5, 80), (1000, 9000),
             ("--budget", "400")),
    Campaign("audio", "Interview transcripts", "minute", "1.25", "USD", 2, Decimal("0.5"), (1, 30), (1500, 8000),
             ("--step", "0.5", "--max-pieces", "500")),
    Campaign("kanji", "Menu translation", "word", "120", "JPY", 0, Decimal(1), (3, 40), (1000, 12000),
             ("--milestone-cap", "5000")),
)  # fmt: skip
CONTRACTS = (
    ("photos", "ana"),
    ("photos", "bo"),
    ("rows", "chen"),
    ("rows", "ana"),
    ("audio", "dara"),
    ("audio", "eli"),
    ("kanji", "bo"),
    ("kanji", "fay"),
)


@dataclass
class Contract:
    """What the soak knows of one contract, from the results of the commands that succeeded."""

    id: int
    ref: str
    campaign: Campaign
    worker: str
    active: bool = True
    funded: int = 0
    released: int = 0
    refunded: int = 0
    reserved: int = 0


@dataclass
class Bill:
    id: int
    contract: Contract
    pieces: Decimal
    amount: int
    status: str = "pending"


@dataclass
class Command:
    """One money-moving request: its argv after ``piecepay --db DB --json``, its key, what it is about."""

    kind: str
    args: list[str]
    key: str
    contract: Contract | None = None
    bill: Bill | None = None
    worker: str | None = None
    currency: str | None = None
    top_up: int = 0
    release_pending: bool = False


@dataclass
class Run:
    """One process: how it ended, what it printed, how long it lived, and where a kill landed."""

    code: int
    out: str
    err: str
    seconds: float
    killed: bool = False
    hung: bool = False
    stage: str | None = None


@dataclass
class Stats:
    interruptions: int = 0
    killed: int = 0
    finished: int = 0
    retries: int = 0
    retries_killed: int = 0
    replays: int = 0
    stages: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[tuple[str, int]] = field(default_factory=Counter)
    refusals: Counter[str] = field(default_factory=Counter)  # error codes of every refused run


class SoakFailure(Exception):
    """Something piecepay did that it must not (or the soak could not go on)."""


def minor_text(minor: int, digits: int) -> str:
    """Minor units as the decimal text piecepay accepts (``1234, 2`` → ``12.34``)."""
    if digits == 0:
        return str(minor)
    whole, part = divmod(minor, 10**digits)
    return f"{whole}.{part:0{digits}d}"


def pieces_text(pieces: Decimal) -> str:
    return format(pieces.normalize(), "f")


def child_env() -> dict[str, str]:
    """The environment piecepay runs in: this checkout first on the path, no PIECEPAY_* settings."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("PIECEPAY_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def holds_write_lock(pid: int) -> bool:
    """Whether ``pid`` holds SQLite's WAL write lock (an open write transaction), from /proc/locks."""
    try:
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return False
    for line in lines:
        fields = line.split()
        # "1: POSIX  ADVISORY  WRITE 11546 fe:00:2146484 120 120"; waiters are marked "->" and hold nothing
        held = len(fields) >= 8 and fields[1] != "->" and fields[3] == "WRITE" and fields[4] == str(pid)
        if held and fields[6] == fields[7] == str(WAL_WRITE_LOCK_OFFSET):
            return True
    return False


class Piecepay:
    """Runs ``python -m piecepay --db DB --json …`` as its own process, optionally killing it."""

    def __init__(self, db: Path) -> None:
        self.db = db
        self.env = child_env()
        self.durations: deque[float] = deque(maxlen=41)  # uninterrupted runs, for the kill delays

    def argv(self, args: Sequence[str]) -> list[str]:
        return [sys.executable, "-m", "piecepay", "--db", str(self.db), "--json", *args]

    def run(self, args: Sequence[str], kill_after: float | None = None) -> Run:
        """Run once; with ``kill_after``, SIGKILL it if it is still running after that many seconds."""
        proc = subprocess.Popen(
            self.argv(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=self.env
        )
        begun = time.monotonic()
        hung = False
        inside = False
        try:
            out, err = proc.communicate(timeout=RUN_TIMEOUT if kill_after is None else kill_after)
        except subprocess.TimeoutExpired:
            hung = kill_after is None
            inside = holds_write_lock(proc.pid)
            proc.send_signal(signal.SIGKILL)
            out, err = proc.communicate()
        seconds = time.monotonic() - begun
        killed = proc.returncode == -signal.SIGKILL
        if not killed:
            self.durations.append(seconds)
        return Run(proc.returncode, out, err, seconds, killed, hung, "inside" if inside else None)

    def typical(self) -> float:
        """How long a command takes here: the median of recent uninterrupted runs."""
        return statistics.median(self.durations)


@contextmanager
def read_only(db: Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection to the ledger, opened only while no piecepay process runs."""
    uri = "file:" + db.resolve().as_posix() + "?mode=ro"
    with closing(sqlite3.connect(uri, uri=True, isolation_level=None)) as conn:
        yield conn


def key_committed(db: Path, key: str) -> bool | None:
    """Whether ``key`` is recorded in the ledger, or None if the ledger could not be read."""
    try:
        with read_only(db) as conn:
            return conn.execute("SELECT 1 FROM idempotency_keys WHERE key = ?", (key,)).fetchone() is not None
    except sqlite3.Error:
        return None


def imbalance(db: Path) -> dict[str, tuple[int, int]]:
    """Per currency, (posted, pending) credits less debits over all accounts, where not both 0."""
    with read_only(db) as conn:
        rows = conn.execute(
            "SELECT currency, SUM(credits_posted - debits_posted), SUM(credits_pending - debits_pending) "
            "FROM accounts GROUP BY currency"
        ).fetchall()
    return {currency: (posted, pending) for currency, posted, pending in rows if posted or pending}


def quick_check(db: Path) -> str:
    with read_only(db) as conn:
        return "; ".join(row[0] for row in conn.execute("PRAGMA quick_check").fetchall())


class Soak:
    """One soak run: the ledger, the model of what it should hold, and what happened."""

    def __init__(self, db: Path, seed: int) -> None:
        self.db = db
        self.seed = seed
        # Two streams: which commands run (and so every outcome) follows from the seed alone;
        # when kills land depends on timing as well, so it draws from its own stream.
        self.rng = random.Random(seed)
        self.timing = random.Random(seed + 1)
        self.piecepay = Piecepay(db)
        self.stats = Stats()
        self.contracts: list[Contract] = []
        self.bills: dict[int, Bill] = {}
        self.owed: Counter[tuple[str, str]] = Counter()  # (worker, currency) → released, not yet paid out
        self.paid: Counter[tuple[str, str]] = Counter()
        self.worker_currencies: dict[str, set[str]] = {}
        self.done: dict[str, tuple[Command, dict[str, Any]]] = {}  # key → (command, its result)
        self.expected: dict[str, list[tuple[str, int | None]]] = {}  # key → the (kind, bill id) entries it owns
        self.refused: set[str] = set()
        self.setup_entries = 0
        self.setup_seconds = 0.0

    # -- running commands -------------------------------------------------------------------

    def describe(self, args: Sequence[str], run: Run, what: str) -> str:
        return (
            f"{what}: exit {run.code}{' (hung, killed)' if run.hung else ''}\n"
            f"  command: PYTHONPATH={shlex.quote(str(ROOT))} {shlex.join(self.piecepay.argv(args))}\n"
            f"  seed: {self.seed}\n  stdout: {run.out.strip()[:2000]!r}\n  stderr: {run.err.strip()[:2000]!r}"
        )

    def check_run(self, args: Sequence[str], run: Run, what: str) -> None:
        """A process may be killed by the soak, or end 0 or 1; anything else is a failure."""
        if "Traceback" in run.err:
            raise SoakFailure(self.describe(args, run, f"{what} printed a traceback"))
        if run.hung:
            raise SoakFailure(self.describe(args, run, f"{what} hung for {RUN_TIMEOUT:.0f} s"))
        if not run.killed and run.code not in (DONE, REFUSED):
            raise SoakFailure(self.describe(args, run, f"{what} ended with an exit code other than 0 or 1"))
        if not run.killed and run.code == REFUSED:
            try:
                self.stats.refusals[json.loads(run.err)["error"]["code"]] += 1
            except (ValueError, KeyError, TypeError):
                raise SoakFailure(self.describe(args, run, f"{what} was refused without a JSON error")) from None

    def setup(self, *args: str) -> dict[str, Any]:
        run = self.piecepay.run(args)
        if run.code != DONE:
            raise SoakFailure(self.describe(args, run, "setting up the ledger failed"))
        return dict(json.loads(run.out))

    def kill_delay(self) -> float:
        """A delay that lands anywhere in a command's life, half of the time around its transaction and exit."""
        typical = self.piecepay.typical()
        if self.timing.random() < 0.5:
            return self.timing.uniform(0.0, 1.15 * typical)
        return self.timing.uniform(0.7 * typical, 1.05 * typical)

    def killed_stage(self, run: Run, key: str) -> str:
        """Where a kill landed: after the commit (the key is in the ledger), inside the write
        transaction (the process held the write lock), or with no transaction open."""
        committed = key_committed(self.db, key)
        if committed is None:
            return "unknown"
        return "after_commit" if committed else run.stage or "outside"

    def interrupt(self, number: int, command: Command) -> Run:
        """Start the command, kill it after a random delay, retry it with its key until a retry exits."""
        args = command.args
        first = self.piecepay.run(args, kill_after=self.kill_delay())
        self.check_run(args, first, f"interruption {number}, first attempt")
        if not first.killed:
            self.stats.finished += 1
            if self.timing.random() < REPLAY_CHANCE:
                self.replay(number, args, first)
            return first
        self.stats.killed += 1
        stage = self.killed_stage(first, command.key)
        self.stats.stages[stage] += 1
        committed = stage == "after_commit"
        for attempt in range(1, MAX_KILLED_RETRIES + 2):  # the last attempt is never killed
            self.stats.retries += 1
            kill = attempt <= MAX_KILLED_RETRIES and self.timing.random() < RETRY_KILL_CHANCE
            retry = self.piecepay.run(args, kill_after=self.kill_delay() if kill else None)
            self.check_run(args, retry, f"interruption {number}, retry {attempt}")
            if not retry.killed:
                break
            self.stats.retries_killed += 1
            committed = committed or self.killed_stage(retry, command.key) == "after_commit"
        if committed and retry.code != DONE:
            what = f"interruption {number}: a kill landed after the commit, yet the retry did not replay the result"
            raise SoakFailure(self.describe(args, retry, what))
        return retry

    def replay(self, number: int, args: Sequence[str], first: Run) -> None:
        """The same command and key again must answer exactly as the first time."""
        self.stats.replays += 1
        again = self.piecepay.run(args)
        self.check_run(args, again, f"interruption {number}, replay")
        if (again.code, again.out) != (first.code, first.out):
            raise SoakFailure(
                self.describe(args, again, f"interruption {number}: a replay answered otherwise than the first run")
                + f"\n  first run: exit {first.code}, stdout {first.out.strip()[:2000]!r}"
            )

    # -- the ledger and the model -----------------------------------------------------------

    def create_ledger(self) -> None:
        started = time.monotonic()
        run = self.piecepay.run(["init"])
        if run.code != DONE:
            raise SoakFailure(self.describe(["init"], run, "piecepay init failed"))
        self.piecepay.durations.clear()  # init imports more than other commands; do not time kills by it
        campaigns = {c.slug: c for c in CAMPAIGNS}
        for c in CAMPAIGNS:
            self.setup("campaign", "create", c.title, "--slug", c.slug, "--unit", c.unit, "--rate", c.rate,
                       "--currency", c.currency, *c.options)  # fmt: skip
        for worker in sorted({w for _, w in CONTRACTS}):
            self.setup("worker", "add", worker)
        for slug, worker in CONTRACTS:
            self.setup("offer", "create", slug, worker)
            accepted = self.setup("offer", "accept", f"{slug}/{worker}")
            contract = Contract(int(accepted["id"]), accepted["ref"], campaigns[slug], worker)
            self.contracts.append(contract)
            self.worker_currencies.setdefault(worker, set()).add(contract.campaign.currency)
        with read_only(self.db) as conn:
            self.setup_entries = conn.execute("SELECT COUNT(*) FROM entries").fetchone()[0]  # none of them keyed
        for contract in self.contracts:
            top_up = self.top_up_command(f"setup-top-up-{contract.id}", contract, contract.campaign.top_up[1], None)
            self.record(top_up, self.setup(*top_up.args))
        self.setup_seconds = time.monotonic() - started

    def active(self) -> list[Contract]:
        return [c for c in self.contracts if c.active]

    def pick_contract(self) -> Contract:
        """Mostly an active contract; now and then an ended one, which the rules refuse."""
        active = self.active()
        if active and self.rng.random() < 0.95:
            return self.rng.choice(active)
        return self.rng.choice(self.contracts)

    def pick_bill(self) -> Bill | None:
        """Mostly a pending bill; now and then one already resolved, which the rules refuse;
        None (bill something instead) most times there is no pending bill."""
        pending = [b for b in self.bills.values() if b.status == "pending"]
        if pending and self.rng.random() < 0.9:
            return self.rng.choice(pending)
        if not self.bills or (not pending and self.rng.random() < 0.7):
            return None
        return self.rng.choice(list(self.bills.values()))

    def pick_to_end(self) -> Contract | None:
        """An active contract to end while more than MIN_ACTIVE_CONTRACTS are (never the last one
        in its currency); after that an ended one, which the rules refuse; None if neither."""
        active = self.active()
        endable = [c for c in active if sum(o.campaign.currency == c.campaign.currency for o in active) > 1]
        ended = [c for c in self.contracts if not c.active]
        if len(active) > MIN_ACTIVE_CONTRACTS and endable:
            return self.rng.choice(endable)
        return self.rng.choice(ended) if ended else None

    def pick_payee(self) -> tuple[str, str]:
        """Mostly a (worker, currency) with something owed; now and then any, which may be refused."""
        owed = sorted(pair for pair, minor in self.owed.items() if minor > 0)
        if owed and self.rng.random() < 0.8:
            return self.rng.choice(owed)
        worker = self.rng.choice(sorted(self.worker_currencies))
        return worker, self.rng.choice(sorted(self.worker_currencies[worker]))

    def contract_ref(self, contract: Contract) -> str:
        return contract.ref if self.rng.random() < 0.7 else str(contract.id)

    def top_up_command(self, key: str, contract: Contract, amount: int, cap: int | None) -> Command:
        digits = contract.campaign.digits
        args = ["milestone", "add", self.contract_ref(contract), "--top-up", minor_text(amount, digits)]
        if cap is not None:
            args += ["--cap", minor_text(cap, digits)]
        return Command("top_up", [*args, "--key", key], key, contract=contract, top_up=amount)

    def pick(self, number: int) -> Command:
        kind = self.rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
        bill = self.pick_bill() if kind in ("release", "partial_release", "reject") else None
        to_end = self.pick_to_end() if kind == "end" else None
        if kind in ("release", "partial_release", "reject") and bill is None:
            kind = "bill"
        if kind == "end" and to_end is None:
            kind = "top_up"
        key = f"soak-{self.seed}-{number:06d}-{kind}"
        if kind == "bill":
            contract = self.pick_contract()
            campaign = contract.campaign
            pieces = campaign.step * self.rng.randint(*campaign.steps_per_bill)
            args = ["bill", self.contract_ref(contract), "--pieces", pieces_text(pieces)]
            if self.rng.random() < 0.3:
                args += ["--note", f"batch {number}"]
            return Command("bill", [*args, "--key", key], key, contract=contract)
        if kind in ("release", "partial_release") and bill is not None:
            args = ["release", str(bill.id)]
            steps = int(bill.pieces / bill.contract.campaign.step)
            if kind == "partial_release":
                # fewer pieces than billed (now and then more, which the rules refuse)
                part = self.rng.randint(1, steps - 1) if steps > 1 and self.rng.random() < 0.9 else steps + 1
                args += ["--pieces", pieces_text(bill.contract.campaign.step * part)]
            return Command("release", [*args, "--key", key], key, contract=bill.contract, bill=bill)
        if kind == "reject" and bill is not None:
            reason = self.rng.choice(["blurry", "off the brief", "duplicate of an earlier batch"])
            return Command("reject", ["reject", str(bill.id), "--reason", reason, "--key", key], key, bill=bill)
        if kind == "top_up":
            contract = self.pick_contract()
            low, high = contract.campaign.top_up
            amount = 0 if self.rng.random() < 0.1 else self.rng.randint(low, high)
            cap = self.rng.randint(low // 2, high) if self.rng.random() < 0.5 else None
            return self.top_up_command(key, contract, amount, cap)
        if kind == "payout":
            worker, currency = self.pick_payee()
            digits = next(c.digits for c in CAMPAIGNS if c.currency == currency)
            args = ["payout", worker]
            if len(self.worker_currencies[worker]) > 1:
                args += ["--currency", currency]
            owed = self.owed[worker, currency]
            roll = self.rng.random()
            if roll < 0.4 and owed > 0:
                args += ["--amount", minor_text(self.rng.randint(1, owed), digits)]
            elif roll < 0.5:
                args += ["--amount", minor_text(owed + self.rng.randint(1, 500), digits)]  # more than owed
            if self.rng.random() < 0.3:
                args += ["--ref", f"transfer {number}"]
            return Command("payout", [*args, "--key", key], key, worker=worker, currency=currency)
        assert to_end is not None
        release_pending = self.rng.random() < 0.5
        choice = "--release-pending" if release_pending else "--reject-pending"
        args = ["end", self.contract_ref(to_end), choice, "--key", key]
        return Command("end", args, key, contract=to_end, release_pending=release_pending)

    def resolve(self, bill: Bill, released: int) -> None:
        contract = bill.contract
        bill.status = "released" if released else "rejected"
        contract.reserved -= bill.amount
        contract.released += released
        self.owed[contract.worker, contract.campaign.currency] += released

    def record(self, command: Command, result: dict[str, Any]) -> None:
        """Apply a command that ended 0 to the model, and note the journal entries it must own."""
        self.done[command.key] = (command, result)
        if command.kind == "bill":
            contract = command.contract
            assert contract is not None
            if result["contract_id"] != contract.id or result["id"] in self.bills:
                raise SoakFailure(f"bill key {command.key} answered {result}, not a new bill on {contract.ref}")
            bill = Bill(result["id"], contract, Decimal(result["pieces"]), result["amount_minor"])
            self.bills[bill.id] = bill
            contract.reserved += bill.amount
            self.expected[command.key] = [("bill", bill.id)]
        elif command.kind == "release" and command.bill is not None and command.bill.status == "rejected":
            bill = command.bill  # a rejection reversed: released from escrow now, its reservation long gone
            bill.status = "released"
            bill.contract.released += result["released_minor"]
            self.owed[bill.contract.worker, bill.contract.campaign.currency] += result["released_minor"]
            self.expected[command.key] = [("reversal", bill.id)]
        elif command.kind in ("release", "reject"):
            assert command.bill is not None
            self.resolve(command.bill, result["released_minor"] if command.kind == "release" else 0)
            self.expected[command.key] = [(command.kind, command.bill.id)]
        elif command.kind == "top_up":
            assert command.contract is not None
            command.contract.funded += result["top_up_minor"]
            self.expected[command.key] = [("top_up" if result["top_up_minor"] else "milestone_opened", None)]
        elif command.kind == "payout":
            assert command.worker is not None and command.currency is not None
            if result["currency"] != command.currency:
                raise SoakFailure(f"payout key {command.key} paid {result['currency']}, not {command.currency}")
            self.owed[command.worker, command.currency] -= result["amount_minor"]
            self.paid[command.worker, command.currency] += result["amount_minor"]
            self.expected[command.key] = [("payout", None)]
        else:
            contract = command.contract
            assert contract is not None
            pending = [b for b in self.bills.values() if b.contract is contract and b.status == "pending"]
            for bill in pending:
                self.resolve(bill, bill.amount if command.release_pending else 0)
            kind = "release" if command.release_pending else "reject"
            refund = contract.funded - contract.released - contract.refunded
            if result["refunded_minor"] != refund or result["status"] != "ended":
                raise SoakFailure(f"end key {command.key} answered {result}; the model expected a refund of {refund}")
            contract.refunded += refund
            contract.active = False
            self.expected[command.key] = [(kind, b.id) for b in pending] + [
                ("refund" if refund else "contract_ended", None)
            ]

    # -- the soak ---------------------------------------------------------------------------

    def soak(self, count: int) -> None:
        for number in range(1, count + 1):
            command = self.pick(number)
            final = self.interrupt(number, command)
            self.stats.interruptions += 1
            self.stats.outcomes[command.kind, final.code] += 1
            if final.code == DONE:
                self.record(command, json.loads(final.out))
            else:
                self.refused.add(command.key)
            if number % SPOT_CHECK_EVERY == 0:
                self.spot_check(number)
            if number % 100 == 0 and sys.stderr.isatty():
                print(f"soak: {number}/{count}", file=sys.stderr)

    def spot_check(self, number: int) -> None:
        checked = quick_check(self.db)
        if checked != "ok":
            raise SoakFailure(f"after interruption {number}, PRAGMA quick_check says: {checked}")
        if off := imbalance(self.db):
            raise SoakFailure(f"after interruption {number}, money is not conserved: {off}")

    def final_checks(self) -> tuple[int, list[str]]:
        """Every end-of-run check; returns the number of entries and the currencies seen."""
        problems: list[str] = []
        verify = self.piecepay.run(["verify"])
        self.check_run(["verify"], verify, "verify")
        if verify.code != DONE or not json.loads(verify.out).get("ok"):
            problems.append(self.describe(["verify"], verify, "verify does not prove the ledger out"))
        checked = quick_check(self.db)
        if checked != "ok":
            problems.append(f"PRAGMA quick_check says: {checked}")
        if off := imbalance(self.db):
            problems.append(f"money is not conserved (currency: (posted, pending) credits less debits): {off}")
        problems += self.check_accounts()
        problems += self.check_keys()
        log = self.piecepay.run(["log"])
        self.check_run(["log"], log, "log")
        entries: list[dict[str, Any]] = json.loads(log.out) if log.code == DONE else []
        problems += self.check_journal(entries)
        if problems:
            raise SoakFailure("\n".join(problems))
        with read_only(self.db) as conn:
            currencies = [row[0] for row in conn.execute("SELECT DISTINCT currency FROM accounts ORDER BY currency")]
        return len(entries), currencies

    def model_balances(self) -> Counter[tuple[str, str, str]]:
        """(account, currency, phase) → credits less debits, as the successful commands say."""
        model: Counter[tuple[str, str, str]] = Counter()
        for c in self.contracts:
            currency = c.campaign.currency
            model[f"escrow:{c.id}", currency, "posted"] += c.funded - c.released - c.refunded
            model[f"escrow:{c.id}", currency, "pending"] -= c.reserved
            model["client", currency, "posted"] += c.refunded - c.funded
            model[f"worker:{c.worker}", currency, "pending"] += c.reserved
        for (worker, currency), owed in self.owed.items():
            model[f"worker:{worker}", currency, "posted"] += owed
        for (_, currency), paid in self.paid.items():
            model["payouts", currency, "posted"] += paid
        return model

    def check_accounts(self) -> list[str]:
        with read_only(self.db) as conn:
            rows = conn.execute(
                "SELECT name, currency, credits_posted - debits_posted, credits_pending - debits_pending FROM accounts"
            ).fetchall()
        stored: Counter[tuple[str, str, str]] = Counter()
        for name, currency, posted, pending in rows:
            stored[name, currency, "posted"] += posted
            stored[name, currency, "pending"] += pending
        model = self.model_balances()
        return [
            f"account {name} ({currency}, {phase}) holds {stored[name, currency, phase]}, "
            f"but the commands that succeeded add up to {model[name, currency, phase]}"
            for name, currency, phase in sorted(set(stored) | set(model))
            if stored[name, currency, phase] != model[name, currency, phase]
        ]

    def check_keys(self) -> list[str]:
        """Each successful key is recorded once with the result its command printed; refused keys nowhere."""
        with read_only(self.db) as conn:
            rows = conn.execute("SELECT key, result FROM idempotency_keys").fetchall()
        recorded = Counter(key for key, _ in rows)
        results = {key: json.loads(result) for key, result in rows}
        problems = [f"key {k} is recorded {n} times" for k, n in recorded.items() if n != 1]
        problems += [f"key {k} succeeded but is not recorded" for k in sorted(set(self.done) - set(recorded))]
        problems += [f"key {k} was refused but is recorded" for k in sorted(self.refused & set(recorded))]
        problems += [f"key {k} is recorded but no command used it" for k in sorted(set(recorded) - set(self.done))]
        problems += [
            f"key {k}: the ledger keeps a result for {kept_id(results[k])}, the command printed {result.get('id')}"
            for k, (_, result) in sorted(self.done.items())
            if k in results and kept_id(results[k]) != result.get("id")
        ]
        bill_ids = [result["id"] for command, result in self.done.values() if command.kind == "bill"]
        if len(set(bill_ids)) != len(bill_ids):
            problems.append(f"bill keys answered with repeated bill ids: {Counter(bill_ids).most_common(3)}")
        with read_only(self.db) as conn:
            rows = conn.execute("SELECT id, amount_minor, status FROM bills").fetchall()
        stored = {bill_id: (amount, status) for bill_id, amount, status in rows}
        model = {b.id: (b.amount, b.status) for b in self.bills.values()}
        if stored != model:
            differ = sorted(i for i in set(stored) | set(model) if stored.get(i) != model.get(i))
            problems.append(
                f"{len(stored)} bills in the ledger, {len(model)} from successful bill keys; they differ at "
                + ", ".join(f"bill {i}: ledger {stored.get(i)}, model {model.get(i)}" for i in differ[:5])
            )
        return problems

    def check_journal(self, entries: list[dict[str, Any]]) -> list[str]:
        """After the setup, the journal is a run of groups, each the entries one key's command
        wrote followed by that key's ``key_recorded``; each group is what the command writes."""
        problems: list[str] = []
        owned: dict[str, list[tuple[str, int | None]]] = {}
        group: list[tuple[str, int | None]] = []
        for entry in entries[self.setup_entries :]:
            if entry["kind"] != "key_recorded":
                group.append((entry["kind"], entry["bill_id"]))
                continue
            key = entry["memo"].split("'")[1]
            if key in owned:
                problems.append(f"key {key} was recorded twice in the journal (entry {entry['id']})")
            owned[key] = group
            group = []
        if group:
            problems.append(f"the journal ends with entries that no key owns: {group}")
        for key, wanted in sorted(self.expected.items()):
            got = owned.get(key)
            if got is None:
                problems.append(f"key {key} succeeded but the journal has no key_recorded for it")
            elif sorted(got, key=str) != sorted(wanted, key=str):
                problems.append(f"key {key} owns journal entries {got}; its command writes {wanted}")
        problems += [
            f"the journal records key {k}, which no command that succeeded used"
            for k in sorted(owned.keys() - set(self.expected))
        ]
        kinds = Counter(kind for kind, _ in (e for g in owned.values() for e in g))
        wanted_kinds = Counter(kind for kind, _ in (e for w in self.expected.values() for e in w))
        if kinds != wanted_kinds:
            problems.append(f"entries per kind {dict(kinds)}; the successful commands account for {dict(wanted_kinds)}")
        return problems


def summary(stats: Stats, entries: int, currencies: list[str]) -> str:
    return (
        f"soak: {stats.interruptions} interruptions, {stats.killed} killed mid-run, {stats.finished} finished "
        f"before the kill, {stats.retries_killed} retries killed too; verify ok; {entries} entries; "
        f"keys exactly once; money conserved in {', '.join(currencies)}"
    )


def details(soak: Soak, seconds: float) -> list[str]:
    stats = soak.stats
    stages = ", ".join(f"{stats.stages[s]} {STAGE_WORDS[s]}" for s in STAGES if stats.stages[s] or s != "unknown")
    outcomes = ", ".join(
        f"{kind} {stats.outcomes[kind, DONE]} done/{stats.outcomes[kind, REFUSED]} refused"
        for kind in ("bill", "release", "reject", "top_up", "payout", "end")
    )
    return [
        f"soak: seed {soak.seed}; a command takes {soak.piecepay.typical() * 1000:.0f} ms here (median)",
        f"soak: kills of first attempts landed {stages}",
        f"soak: {stats.retries} retries ({stats.retries_killed} killed); {stats.replays} finished commands replayed",
        f"soak: outcomes: {outcomes}",
        "soak: refused runs by rule: " + ", ".join(f"{code} {n}" for code, n in stats.refusals.most_common()),
        f"soak: {seconds:.1f} s wall, of which {soak.setup_seconds:.1f} s setting up the ledger",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--count", type=int, required=True, help="how many interruptions")
    parser.add_argument("--seed", type=int, default=None, help="seed for the choices (default: random, printed)")
    parser.add_argument("--workdir", type=Path, default=None, help="folder for the ledger (default: a temp folder)")
    options = parser.parse_args(argv)
    if options.count < 1:
        parser.error("--count must be at least 1")
    seed = options.seed if options.seed is not None else random.SystemRandom().randrange(10**9)
    workdir = options.workdir or Path(tempfile.mkdtemp(prefix="piecepay-soak-"))
    db = workdir.resolve() / "ledger.db"
    if db.exists():
        parser.error(f"{db} already exists; the soak needs a fresh ledger")
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    soak = Soak(db, seed)
    try:
        soak.create_ledger()
        soak.soak(options.count)
        entries, currencies = soak.final_checks()
    except SoakFailure as failure:
        print(f"soak FAILED after {soak.stats.interruptions} interruptions (seed {seed}, ledger {db}):\n{failure}")
        return 1
    for line in details(soak, time.monotonic() - started):
        print(line)
    print(summary(soak.stats, entries, currencies))
    if options.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
