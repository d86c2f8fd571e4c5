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
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, timedelta
from typing import IO, NamedTuple

from piecepay.export.entries import ExportEntry
from piecepay.money import format_minor
from piecepay.text import visible

FUNDING = "Assets:Funding"


class BookPosting(NamedTuple):
    account: str
    currency: str
    digits: int
    amount: int


def component(name: str | None) -> str:
    """A name as an account component both tools accept: 'ana.b' -> 'Ana-b'."""
    text = re.sub(r"[^A-Za-z0-9]+", "-", name or "unknown").strip("-") or "X"
    return text[0].upper() + text[1:] if text[0].isalpha() else f"N{text}"


def escrow_account(e: ExportEntry) -> str:
    return f"Assets:Escrow:{component(e.campaign)}:{component(e.worker)}:C{e.contract_id}"


def _worker_handle(e: ExportEntry) -> str | None:
    for p in e.postings:
        if p.account.startswith("worker:"):
            return p.account.removeprefix("worker:")
    return e.worker


def book_postings(e: ExportEntry) -> list[BookPosting]:
    """The client's-books postings of one piecepay entry (none for pure reservations)."""
    posted = [p for p in e.postings if p.phase == "posted"]
    if not posted:
        return []
    amount = sum(p.amount for p in posted if p.side == "debit")
    currency, digits = posted[0].currency, posted[0].digits
    owed = f"Liabilities:Workers:{component(_worker_handle(e))}"
    legs: dict[str, list[tuple[str, int]]] = {
        "top_up": [(escrow_account(e), amount), (FUNDING, -amount)],
        "release": [
            (f"Expenses:PieceWork:{component(e.campaign)}", amount),
            (owed, -amount),
            (escrow_account(e), -amount),
            (FUNDING, amount),
        ],
        "refund": [(escrow_account(e), -amount), (FUNDING, amount)],
        "payout": [(owed, amount), (FUNDING, -amount)],
    }
    return [BookPosting(account, currency, digits, value) for account, value in legs.get(e.kind, [])]


def _booked(entries: Iterable[ExportEntry]) -> list[tuple[ExportEntry, list[BookPosting]]]:
    """Entries with postings in the books, in effective-date order as both tools read them."""
    booked = [(e, legs) for e in entries if (legs := book_postings(e))]
    return sorted(booked, key=lambda pair: (pair[0].date, pair[0].id))


def _money(p: BookPosting, amount: int | None = None) -> str:
    return f"{format_minor(p.amount if amount is None else amount, p.digits)} {p.currency}"


def _declared(booked: list[tuple[ExportEntry, list[BookPosting]]]) -> tuple[list[str], dict[str, int]]:
    accounts = sorted({p.account for _, legs in booked for p in legs})
    currencies = {p.currency: p.digits for _, legs in booked for p in legs}
    return accounts, currencies


def _head_comment(head: tuple[int, str]) -> str:
    """The ledger head this file was exported from, for checking against an anchor."""
    return f"; exported from a ledger of {head[0]} entries, head {head[1]}\n"


def write_hledger(
    entries: Iterable[ExportEntry], stream: IO[str], *, assert_balances: bool, head: tuple[int, str]
) -> None:
    """An hledger journal with declared accounts and commodities, and running balance assertions."""
    booked = _booked(entries)
    accounts, currencies = _declared(booked)
    stream.write("; piecepay export: the client's books (accounts explained in piecepay's README)\n")
    stream.write(_head_comment(head))
    for account in accounts:
        stream.write(f"account {account}\n")
    for code, digits in sorted(currencies.items()):
        stream.write(f"commodity 1000.{'0' * digits} {code}\n")  # the point tells hledger the style
    running: dict[tuple[str, str], int] = {}
    for e, legs in booked:
        stream.write(f"\n{e.date} * ({e.id}) {_one_line(e.memo)}\n")
        for p in legs:
            key = (p.account, p.currency)
            running[key] = running.get(key, 0) + p.amount
            check = f" = {_money(p, running[key])}" if assert_balances else ""
            stream.write(f"    {p.account:<48}  {_money(p):>16}{check}\n")


def write_beancount(
    entries: Iterable[ExportEntry], stream: IO[str], *, assert_balances: bool, head: tuple[int, str]
) -> None:
    """A beancount ledger with open and commodity directives, and closing balance assertions."""
    booked = _booked(entries)
    accounts, currencies = _declared(booked)
    stream.write('option "title" "piecepay export: the client\'s books"\n')
    stream.write(_head_comment(head))
    if not booked:
        return
    first = booked[0][0].date
    for code in sorted(currencies):
        stream.write(f"{first} commodity {code}\n")
    for account in accounts:
        stream.write(f"{first} open {account}\n")
    totals: dict[tuple[str, str], BookPosting] = {}
    for e, legs in booked:
        stream.write(f'\n{e.date} * "{_quoted(e.memo)}"\n  entry: {e.id}\n')
        for p in legs:
            stream.write(f"  {p.account:<48}  {_money(p):>16}\n")
            before = totals.get((p.account, p.currency))
            totals[(p.account, p.currency)] = p._replace(amount=p.amount + (before.amount if before else 0))
    if assert_balances:
        after = (date.fromisoformat(max(e.date for e, _ in booked)) + timedelta(days=1)).isoformat()
        stream.write("\n")
        for (account, _), total in sorted(totals.items()):
            stream.write(f"{after} balance {account:<48}  {_money(total)}\n")


def _one_line(text: str) -> str:
    """Stored text as one line that neither tool nor a terminal reads as anything but text."""
    return " ".join(visible(text).split())


def _quoted(text: str) -> str:
    return _one_line(text).replace("\\", "/").replace('"', "'")
