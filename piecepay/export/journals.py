"""hledger and beancount journals: the client's books of what piecepay recorded.

Accounts (one per currency as needed):
  Assets:Funding                          the client's own money, where top-ups come from
  Assets:Escrow:<Campaign>:<Worker>:C<id> money set aside for one contract
  Liabilities:Workers:<Worker>            released earnings owed to a worker until paid out
  Expenses:PieceWork:<Campaign>           the cost of released pieces
  Expenses:Bonuses:<Campaign>             bonuses paid beyond pieces
  Expenses:Fees:<Campaign>                platform fees on releases and bonuses

Only posted movements appear; a pending bill is a reservation inside escrow, not yet
a movement in the books. Top-up: escrow up, funding down. Release of X: piece-work
expense X owed to the worker, and X of escrow set free to pay it. Bonus of X: a bonus
expense X owed to the worker (from escrow: X of escrow set free to pay it). Fee of X: a fee
expense X paid from escrow (or funding). Refund: escrow back to funding. Payout: the worker
is paid from funding.

The entries arrive one at a time in the order the books read them (effective date, then
id) and are written as they come to an unnamed temporary file; what both tools want
declared before them (accounts, commodities, the first date) is known once they have all
been seen, so it is written first and the entries are copied after it. Nothing held in
memory grows with the ledger but the running balance of each account.
"""

from __future__ import annotations

import io
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import IO

from piecepay.export.entries import Booking
from piecepay.money import format_minor
from piecepay.records import Record
from piecepay.text import visible

FUNDING = "Assets:Funding"
CHUNK = 500  # entries written at a time
AMOUNTS_KEPT = 10_000  # printed amounts remembered per currency
COPY_CHUNK = 1 << 20


class Leg(Record):
    """One posting of a book entry: the account, and the sign its amount takes."""

    account: str
    sign: int


def component(name: str | None) -> str:
    """A name as an account component both tools accept: 'ana.b' -> 'Ana-b'."""
    text = re.sub(r"[^A-Za-z0-9]+", "-", name or "unknown").strip("-") or "X"
    return text[0].upper() + text[1:] if text[0].isalpha() else f"N{text}"


def legs(
    kind: str, campaign: str | None, worker: str | None, contract_id: int | None, payee: str | None
) -> tuple[Leg, ...]:
    """The postings an entry of ``kind`` books (none for anything but a movement of money);
    ``payee`` is the worker whose earnings it moves, the contract's worker if None."""
    escrow = f"Assets:Escrow:{component(campaign)}:{component(worker)}:C{contract_id}"
    owed = f"Liabilities:Workers:{component(worker if payee is None else payee)}"
    book = {
        "top_up": ((escrow, 1), (FUNDING, -1)),
        "release": ((f"Expenses:PieceWork:{component(campaign)}", 1), (owed, -1), (escrow, -1), (FUNDING, 1)),
        "reversal": ((f"Expenses:PieceWork:{component(campaign)}", 1), (owed, -1), (escrow, -1), (FUNDING, 1)),
        "refund": ((escrow, -1), (FUNDING, 1)),
        "payout": ((owed, 1), (FUNDING, -1)),
        "bonus": ((f"Expenses:Bonuses:{component(campaign)}", 1), (owed, -1), (escrow, -1), (FUNDING, 1)),
        "funded_bonus": ((f"Expenses:Bonuses:{component(campaign)}", 1), (owed, -1)),
        "fee": ((f"Expenses:Fees:{component(campaign)}", 1), (escrow, -1)),
        "funded_fee": ((f"Expenses:Fees:{component(campaign)}", 1), (FUNDING, -1)),
    }
    return tuple(Leg(account, sign) for account, sign in book.get(kind, ()))


class _Plan(Record):
    """A leg as it is printed: its line's start, the sign its amount takes, and the account
    and currency its balance is kept under."""

    start: str
    sign: int
    balance: tuple[str, str]


Shape = tuple[str, str | None, str | None, int | None, str | None, str]  # legs' arguments and the currency


class _Books:
    """What the entries seen so far book: each shape's legs as printed (worked out once per
    shape), the accounts and commodities to declare, the first and last date."""

    def __init__(self, indent: int) -> None:
        self.indent = " " * indent
        self.plans: dict[Shape, tuple[_Plan, ...]] = {}
        self.accounts: set[str] = set()
        self.currencies: dict[str, int] = {}  # code -> digits
        self.amounts: dict[str, dict[int, str]] = {}  # amounts as printed, per currency: bills repeat a few
        self.first: str | None = None
        self.last: str | None = None

    def plan(self, b: Booking) -> tuple[_Plan, ...]:
        """The legs ``b`` books (none if it books nothing), noting what they declare."""
        shape = (b.kind, b.campaign, b.worker, b.contract_id, b.payee, b.currency)
        found = self.plans.get(shape)
        if found is None:
            booked = legs(b.kind, b.campaign, b.worker, b.contract_id, b.payee)
            found = self.plans[shape] = tuple(
                _Plan(f"{self.indent}{leg.account:<48}  ", leg.sign, (leg.account, b.currency)) for leg in booked
            )
            if booked:
                self.accounts.update(leg.account for leg in booked)
                self.currencies[b.currency] = b.digits
                self.amounts.setdefault(b.currency, {})
        if found:
            self.first = self.first or b.date
            self.last = b.date  # the latest so far: the entries come in date order
        return found

    def amount(self, b: Booking, amount: int) -> str:
        shown = self.amounts[b.currency]
        text = shown.get(amount)
        if text is None:
            text = f"{format_minor(amount, b.digits)} {b.currency}"
            if len(shown) < AMOUNTS_KEPT:
                shown[amount] = text
        return text


def _head_comment(head: tuple[int, str]) -> str:
    """The ledger head this file was exported from, for checking against an anchor."""
    return f"; exported from a ledger of {head[0]} entries, head {head[1]}\n"


def _money(amount: int, digits: int, currency: str) -> str:
    return f"{format_minor(amount, digits)} {currency}"


def write_hledger(
    bookings: Iterable[Booking],
    stream: IO[str],
    *,
    assert_balances: bool,
    head: tuple[int, str],
    scratch: Path | None = None,
) -> None:
    """An hledger journal with declared accounts and commodities, and running balance assertions.

    The entries wait in an unnamed temporary file in ``scratch`` (default: the system's
    temporary folder) until the declarations are known."""
    books = _Books(4)
    with _Spool(stream, scratch) as body:
        running: dict[tuple[str, str], int] = {}
        for chunk in _chunks(bookings):
            lines: list[str] = []
            for b in chunk:
                plan = books.plan(b)
                if not plan:
                    continue
                lines.append(f"\n{b.date} * ({b.id}) {_one_line(b.memo)}\n")
                for start, sign, balance in plan:
                    amount = sign * b.amount
                    if assert_balances:
                        running[balance] = total = running.get(balance, 0) + amount
                        lines.append(f"{start}{books.amount(b, amount):>16} = {_money(total, b.digits, b.currency)}\n")
                    else:
                        lines.append(f"{start}{books.amount(b, amount):>16}\n")
            body.write("".join(lines))
        stream.write("; piecepay export: the client's books (accounts explained in piecepay's README)\n")
        stream.write(_head_comment(head))
        stream.write("".join(f"account {account}\n" for account in sorted(books.accounts)))
        for code, digits in sorted(books.currencies.items()):
            stream.write(f"commodity 1000.{'0' * digits} {code}\n")  # the point tells hledger the style
        body.copy()


def write_beancount(
    bookings: Iterable[Booking],
    stream: IO[str],
    *,
    assert_balances: bool,
    head: tuple[int, str],
    scratch: Path | None = None,
) -> None:
    """A beancount ledger with open and commodity directives, and closing balance assertions.

    The entries wait in an unnamed temporary file in ``scratch`` (default: the system's
    temporary folder) until the directives are known."""
    books = _Books(2)
    with _Spool(stream, scratch) as body:
        totals: dict[tuple[str, str], int] = {}
        for chunk in _chunks(bookings):
            lines: list[str] = []
            for b in chunk:
                plan = books.plan(b)
                if not plan:
                    continue
                lines.append(f'\n{b.date} * "{_quoted(b.memo)}"\n  entry: {b.id}\n')
                for start, sign, balance in plan:
                    amount = sign * b.amount
                    lines.append(f"{start}{books.amount(b, amount):>16}\n")
                    totals[balance] = totals.get(balance, 0) + amount
            body.write("".join(lines))
        stream.write('option "title" "piecepay export: the client\'s books"\n')
        stream.write(_head_comment(head))
        if books.first is None or books.last is None:
            return
        stream.write("".join(f"{books.first} commodity {code}\n" for code in sorted(books.currencies)))
        stream.write("".join(f"{books.first} open {account}\n" for account in sorted(books.accounts)))
        body.copy()
    if assert_balances:
        after = (date.fromisoformat(books.last) + timedelta(days=1)).isoformat()
        stream.write("\n")
        for (account, code), total in sorted(totals.items()):
            stream.write(f"{after} balance {account:<48}  {_money(total, books.currencies[code], code)}\n")


def _chunks(bookings: Iterable[Booking]) -> Iterator[list[Booking]]:
    chunk: list[Booking] = []
    for b in bookings:
        chunk.append(b)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    yield chunk


class _Spool:
    """An unnamed file for what is written after what precedes it is known (gone once closed,
    also when the process is killed), in ``stream``'s encoding, copied to it as bytes."""

    def __init__(self, stream: IO[str], folder: Path | None) -> None:
        self.stream = stream
        self.encoding = getattr(stream, "encoding", None) or "utf-8"
        self.errors = getattr(stream, "errors", None) or "strict"
        self.file = tempfile.TemporaryFile(dir=folder)  # noqa: SIM115  # closed by __exit__

    def __enter__(self) -> _Spool:
        return self

    def __exit__(self, *_: object) -> None:
        self.file.close()

    def write(self, text: str) -> None:
        self.file.write(text.encode(self.encoding, self.errors))

    def copy(self) -> None:
        """What was spooled, after what ``stream`` holds."""
        self.file.seek(0)
        target = getattr(self.stream, "buffer", None)
        if target is None:  # a text-only stream (a test's StringIO)
            shutil.copyfileobj(io.TextIOWrapper(self.file, self.encoding, self.errors, newline=""), self.stream)
            return
        self.stream.flush()
        shutil.copyfileobj(self.file, target, COPY_CHUNK)


def _one_line(text: str) -> str:
    """Stored text as one line that neither tool nor a terminal reads as anything but text."""
    if text.isascii() and text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text  # already so: no control character, and single spaces between words
    return " ".join(visible(text).split())


def _quoted(text: str) -> str:
    return _one_line(text).replace("\\", "/").replace('"', "'")
