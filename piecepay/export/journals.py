"""hledger and beancount journals: the client's books of what piecepay recorded.

Accounts (one per currency as needed):
  Assets:Funding                          the client's own money, where top-ups come from
  Assets:Escrow:<Campaign>:<Worker>:C<id> money set aside for one contract
  Liabilities:Workers:<Worker>            released earnings owed to a worker until paid out
  Expenses:PieceWork:<Campaign>           the cost of released pieces

Only posted movements appear; a pending bill is a reservation inside escrow, not yet
a movement in the books. Top-up: escrow up, funding down. Release of X: piece-work
expense X owed to the worker, and X of escrow set free to pay it. Refund: escrow back
to funding. Payout: the worker is paid from funding.

The entries arrive one at a time in the order the books read them (effective date, then
id); what is declared before them (accounts, commodities, the first date) comes from the
distinct shapes of the same entries, so nothing grows with the ledger but the running
balance of each account.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, timedelta
from typing import IO, NamedTuple

from piecepay.export.entries import Booking, BookShape
from piecepay.money import format_minor
from piecepay.text import visible

FUNDING = "Assets:Funding"
CHUNK = 500  # entries written at a time
AMOUNTS_KEPT = 10_000  # printed amounts remembered per currency


class Leg(NamedTuple):
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
        "refund": ((escrow, -1), (FUNDING, 1)),
        "payout": ((owed, 1), (FUNDING, -1)),
    }
    return tuple(Leg(account, sign) for account, sign in book.get(kind, ()))


class Declared(NamedTuple):
    """What both tools want declared before the entries."""

    accounts: list[str]
    currencies: dict[str, int]  # code -> digits
    first_date: str | None  # of the first entry booked, None when nothing is


def declared(shapes: Iterable[BookShape]) -> Declared:
    booked = [
        (s, shape_legs) for s in shapes if (shape_legs := legs(s.kind, s.campaign, s.worker, s.contract_id, s.payee))
    ]
    return Declared(
        sorted({leg.account for _, shape_legs in booked for leg in shape_legs}),
        {shape.currency: shape.digits for shape, _ in booked},
        min((shape.first_date for shape, _ in booked), default=None),
    )


def _head_comment(head: tuple[int, str]) -> str:
    """The ledger head this file was exported from, for checking against an anchor."""
    return f"; exported from a ledger of {head[0]} entries, head {head[1]}\n"


def _money(amount: int, digits: int, currency: str) -> str:
    return f"{format_minor(amount, digits)} {currency}"


class _Plan(NamedTuple):
    """A leg as it is printed: its line's start, the sign its amount takes, and the account
    and currency its balance is kept under."""

    start: str
    sign: int
    balance: tuple[str, str]


class _Plans(dict[tuple[str, str | None, str | None, int | None, str | None, str], tuple[_Plan, ...]]):
    """The legs of each shape of entry in one currency, worked out once per shape."""

    def __init__(self, indent: int) -> None:
        super().__init__()
        self.indent = " " * indent

    def __missing__(self, key: tuple[str, str | None, str | None, int | None, str | None, str]) -> tuple[_Plan, ...]:
        kind, campaign, worker, contract_id, payee, code = key
        found = self[key] = tuple(
            _Plan(f"{self.indent}{account:<48}  ", sign, (account, code))
            for account, sign in legs(kind, campaign, worker, contract_id, payee)
        )
        return found


class _Amounts(dict[int, str]):
    """Amounts of one currency as printed, right-aligned: bills repeat a few amounts."""

    def __init__(self, code: str, digits: int) -> None:
        super().__init__()
        self.code, self.digits = code, digits

    def __missing__(self, amount: int) -> str:
        shown = f"{format_minor(amount, self.digits)} {self.code}"
        if len(self) < AMOUNTS_KEPT:
            self[amount] = shown
        return shown


def write_hledger(
    shapes: Iterable[BookShape],
    bookings: Iterable[Booking],
    stream: IO[str],
    *,
    assert_balances: bool,
    head: tuple[int, str],
) -> None:
    """An hledger journal with declared accounts and commodities, and running balance assertions."""
    books = declared(shapes)
    stream.write("; piecepay export: the client's books (accounts explained in piecepay's README)\n")
    stream.write(_head_comment(head))
    stream.write("".join(f"account {account}\n" for account in books.accounts))
    for code, digits in sorted(books.currencies.items()):
        stream.write(f"commodity 1000.{'0' * digits} {code}\n")  # the point tells hledger the style
    plans = _Plans(4)
    amounts = {code: _Amounts(code, digits) for code, digits in books.currencies.items()}
    running: dict[tuple[str, str], int] = {}
    lines: list[str] = []
    for n, b in enumerate(bookings, 1):
        plan = plans[b.kind, b.campaign, b.worker, b.contract_id, b.payee, b.currency]
        if not plan:
            continue
        shown = amounts[b.currency]
        lines.append(f"\n{b.date} * ({b.id}) {_one_line(b.memo)}\n")
        for start, sign, balance in plan:
            amount = sign * b.amount
            if assert_balances:
                running[balance] = total = running.get(balance, 0) + amount
                lines.append(f"{start}{shown[amount]:>16} = {format_minor(total, b.digits)} {b.currency}\n")
            else:
                lines.append(f"{start}{shown[amount]:>16}\n")
        if n % CHUNK == 0:
            stream.write("".join(lines))
            lines.clear()
    stream.write("".join(lines))


def write_beancount(
    shapes: Iterable[BookShape],
    bookings: Iterable[Booking],
    stream: IO[str],
    *,
    assert_balances: bool,
    head: tuple[int, str],
) -> None:
    """A beancount ledger with open and commodity directives, and closing balance assertions."""
    books = declared(shapes)
    stream.write('option "title" "piecepay export: the client\'s books"\n')
    stream.write(_head_comment(head))
    if books.first_date is None:
        return
    stream.write("".join(f"{books.first_date} commodity {code}\n" for code in sorted(books.currencies)))
    stream.write("".join(f"{books.first_date} open {account}\n" for account in books.accounts))
    plans = _Plans(2)
    amounts = {code: _Amounts(code, digits) for code, digits in books.currencies.items()}
    totals: dict[tuple[str, str], int] = {}
    last = books.first_date
    lines: list[str] = []
    for n, b in enumerate(bookings, 1):
        plan = plans[b.kind, b.campaign, b.worker, b.contract_id, b.payee, b.currency]
        if not plan:
            continue
        shown = amounts[b.currency]
        last = b.date  # the latest so far: the entries come in date order
        lines.append(f'\n{b.date} * "{_quoted(b.memo)}"\n  entry: {b.id}\n')
        for start, sign, balance in plan:
            amount = sign * b.amount
            lines.append(f"{start}{shown[amount]:>16}\n")
            totals[balance] = totals.get(balance, 0) + amount
        if n % CHUNK == 0:
            stream.write("".join(lines))
            lines.clear()
    stream.write("".join(lines))
    if assert_balances:
        after = (date.fromisoformat(last) + timedelta(days=1)).isoformat()
        stream.write("\n")
        for (account, code), total in sorted(totals.items()):
            stream.write(f"{after} balance {account:<48}  {_money(total, books.currencies[code], code)}\n")


def _one_line(text: str) -> str:
    """Stored text as one line that neither tool nor a terminal reads as anything but text."""
    return " ".join(visible(text).split())


def _quoted(text: str) -> str:
    return _one_line(text).replace("\\", "/").replace('"', "'")
