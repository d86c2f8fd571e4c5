"""Read-only services: the escrow report and the journal log."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field

from piecepay import views
from piecepay.errors import BadInput
from piecepay.money import format_minor
from piecepay.session import Session
from piecepay.store import records
from piecepay.views import View

MONEY = ("funded", "reserved", "released", "refunded")
PIECES = ("billed", "pending", "released", "rejected")
GROUPINGS = ("campaign", "contract", "worker")

CONTRACT_FIGURES = (
    "SELECT c.id, c.status, c.refunded_minor, c.pieces_pending_milli, c.pieces_released_milli, "
    "c.pieces_rejected_milli, k.slug, k.title, k.unit, k.currency, cur.digits, w.handle, "
    "a.credits_posted, a.debits_pending, a.debits_posted FROM contracts c "
    "JOIN campaigns k ON k.id = c.campaign_id JOIN currencies cur ON cur.code = k.currency "
    "JOIN workers w ON w.id = c.worker_id JOIN accounts a ON a.id = c.escrow_account_id "
    "WHERE c.status IN ('active', 'ended')"
)


@dataclass
class Tally:
    """Sums of the maintained figures for one report row."""

    labels: View
    currency: str
    digits: int
    money: dict[str, int] = field(default_factory=lambda: dict.fromkeys(MONEY, 0))
    pieces: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PIECES, 0))

    def add(self, row: sqlite3.Row) -> None:
        self.money["funded"] += row["credits_posted"]
        self.money["reserved"] += row["debits_pending"]
        self.money["released"] += row["debits_posted"] - row["refunded_minor"]
        self.money["refunded"] += row["refunded_minor"]
        self.pieces["pending"] += row["pieces_pending_milli"]
        self.pieces["released"] += row["pieces_released_milli"]
        self.pieces["rejected"] += row["pieces_rejected_milli"]
        self.pieces["billed"] = self.pieces["pending"] + self.pieces["released"] + self.pieces["rejected"]

    def view(self) -> View:
        row = dict(self.labels)
        row.update(views.figures_view(self.money, self.currency, self.digits))
        row.update(views.piece_counts(*(self.pieces[name] for name in PIECES)))
        return row


def report(s: Session, campaign_ref: str | None = None, by: str = "campaign") -> View:
    """Escrow figures per campaign, contract or worker, with totals per currency."""
    if by not in GROUPINGS:
        raise BadInput(f"--by must be one of {', '.join(GROUPINGS)}, not '{by}'", "bad_grouping")
    sql, args = CONTRACT_FIGURES, []
    campaigns = s.conn.execute(f"{records.CAMPAIGN_SELECT} ORDER BY k.id").fetchall()
    if campaign_ref is not None:
        chosen = records.find_campaign(s.conn, campaign_ref)
        sql += " AND k.id = ?"
        args.append(chosen.id)
        campaigns = [c for c in campaigns if c["id"] == chosen.id]
    tallies: dict[tuple[object, ...], Tally] = {}
    if by == "campaign":  # every campaign gets a row, even before its first contract
        for c in campaigns:
            tallies[(c["slug"],)] = Tally(
                {"campaign": c["slug"], "title": c["title"], "unit": c["unit"]}, c["currency"], c["digits"]
            )
    for row in s.conn.execute(sql + " ORDER BY c.id", args):
        group_key, labels = _group(row, by)
        tally = tallies.setdefault(group_key, Tally(labels, row["currency"], row["digits"]))
        tally.add(row)
        if by == "worker" and row["slug"] not in tally.labels["campaigns"]:
            tally.labels["campaigns"].append(row["slug"])
    rows = [t.view() for t in tallies.values()]
    if by == "worker":
        _add_earnings(s, rows)
    return {"rows": rows, "totals": _totals(tallies.values())}


def _group(row: sqlite3.Row, by: str) -> tuple[tuple[object, ...], View]:
    if by == "contract":
        return (row["id"],), {
            "campaign": row["slug"],
            "contract": f"{row['slug']}/{row['handle']}",
            "contract_id": row["id"],
            "worker": row["handle"],
            "unit": row["unit"],
            "status": row["status"],
        }
    if by == "worker":
        return (row["handle"], row["currency"]), {"worker": row["handle"], "campaigns": []}
    return (row["slug"],), {"campaign": row["slug"], "title": row["title"], "unit": row["unit"]}


def _add_earnings(s: Session, rows: list[View]) -> None:
    """Per worker row: what was paid out and what is still owed, from the worker's account."""
    for row in rows:
        row["campaign"] = ",".join(row["campaigns"])
        account = records.account_by_name(s.conn, f"worker:{row['worker']}", row["currency"])
        digits = s.conn.execute("SELECT digits FROM currencies WHERE code = ?", (row["currency"],)).fetchone()[0]
        paid = account.debits_posted if account else 0
        owed = account.credit_balance if account else 0
        row.update(views.money("paid_out", paid, row["currency"], digits))
        row.update(views.money("owed", owed, row["currency"], digits))


def _totals(tallies: Iterable[Tally]) -> list[View]:
    per_currency: dict[str, Tally] = {}
    for tally in tallies:
        total = per_currency.setdefault(tally.currency, Tally({}, tally.currency, tally.digits))
        for name in MONEY:
            total.money[name] += tally.money[name]
    return [views.figures_view(t.money, t.currency, t.digits) for _, t in sorted(per_currency.items())]


def journal_log(s: Session, contract_ref: str | None = None, limit: int | None = None) -> list[View]:
    """The journal, oldest first, each entry with its postings; optionally one contract's."""
    sql, args = "SELECT * FROM entries", []
    if contract_ref is not None:
        contract = records.find_contract(s.conn, contract_ref)
        sql += " WHERE contract_id = ?"
        args.append(contract.id)
    sql += " ORDER BY id"
    if limit is not None:
        sql = f"SELECT * FROM ({sql.replace('ORDER BY id', 'ORDER BY id DESC')} LIMIT {int(limit)}) ORDER BY id"
    accounts = {
        r["id"]: r
        for r in s.conn.execute(
            "SELECT a.id, a.name, a.currency, c.digits FROM accounts a JOIN currencies c ON c.code = a.currency"
        )
    }
    refs = {
        r[0]: f"{r[1]}/{r[2]}"
        for r in s.conn.execute(
            "SELECT c.id, k.slug, w.handle FROM contracts c JOIN campaigns k ON k.id = c.campaign_id "
            "JOIN workers w ON w.id = c.worker_id"
        )
    }
    result = []
    for entry in s.conn.execute(sql, args).fetchall():
        postings = []
        for p in s.conn.execute("SELECT * FROM postings WHERE entry_id = ? ORDER BY id", (entry["id"],)):
            acct = accounts[p["account_id"]]
            postings.append(
                {
                    "account": acct["name"],
                    "side": p["side"],
                    "phase": p["phase"],
                    "currency": acct["currency"],
                    "amount": format_minor(p["amount"], acct["digits"]),
                    "amount_minor": p["amount"],
                }
            )
        result.append(
            {
                "id": entry["id"],
                "date": entry["effective_date"],
                "kind": entry["kind"],
                "contract": refs.get(entry["contract_id"]),
                "bill_id": entry["bill_id"],
                "memo": entry["memo"],
                "actor": entry["actor"],
                "recorded_at": entry["recorded_at"],
                "hash": entry["hash"],
                "postings": postings,
            }
        )
    return result
