"""Reading the ledger: the escrow report by campaign, contract or worker, and the journal log."""

from datetime import date
from typing import TYPE_CHECKING

from piecepay.errors import BadInput
from piecepay.models import Campaign, Contract, Figures, Grouping, Pieces, worker_account_name
from piecepay.money import Money
from piecepay.records import Record
from piecepay.session import Session

if TYPE_CHECKING:
    from piecepay.store.sqlite import ContractFigures, LogEntry


class ReportRow(Record):
    """One row: a campaign, a contract, or a worker in one currency."""

    campaign: str | None
    title: str | None
    unit: str | None
    contract: str | None
    contract_id: int | None
    worker: str | None
    status: str | None
    campaigns: tuple[str, ...]
    figures: Figures
    pieces: Pieces
    paid_out: Money | None = None
    owed: Money | None = None


class Report(Record):
    by: Grouping
    rows: tuple[ReportRow, ...]
    totals: tuple[Figures, ...]  # one per currency, by currency code


class Scope(Record):
    """The contracts a report covers: of these campaigns (None: every one) and of this worker
    (None: every one)."""

    campaign_ids: frozenset[int] | None = None
    worker_id: int | None = None

    def covers(self, contract: Contract) -> bool:
        return (self.campaign_ids is None or contract.campaign_id in self.campaign_ids) and (
            self.worker_id is None or contract.worker_id == self.worker_id
        )


EVERYTHING = Scope()


def report(
    s: Session, campaign_ref: str | None = None, by: Grouping = Grouping.CAMPAIGN, scope: Scope = EVERYTHING
) -> Report:
    """Escrow figures per campaign, contract or worker, with totals per currency, over the
    contracts ``scope`` covers. By worker, a worker's row carries what was paid out and is
    still owed (which spans every campaign, so not when the scope names campaigns)."""
    with s.store.snapshot():
        chosen = s.store.find_campaign(campaign_ref) if campaign_ref is not None else None
        rows: dict[tuple[object, ...], ReportRow] = {}
        if by is Grouping.CAMPAIGN and scope.worker_id is None:  # a row even before a first contract
            for c in s.store.campaigns():
                if (chosen is None or c.id == chosen.id) and (scope.campaign_ids is None or c.id in scope.campaign_ids):
                    rows[(c.slug,)] = _campaign_row(c)
        for figures in s.store.contract_figures(chosen.id if chosen else None):
            if not scope.covers(figures.contract):
                continue
            key, start = _group(figures, by)
            row = rows.get(key, start)
            row = row._replace(figures=row.figures + _figures(figures), pieces=row.pieces + _pieces(figures))
            if by is Grouping.WORKER and figures.contract.campaign_slug not in row.campaigns:
                row = row._replace(campaigns=(*row.campaigns, figures.contract.campaign_slug))
            rows[key] = row
        result = list(rows.values())
        if by is Grouping.WORKER and scope.campaign_ids is None:
            result = [_with_earnings(s, row) for row in result]
    return Report(by, tuple(result), _totals(result))


def _campaign_row(c: Campaign) -> ReportRow:
    return ReportRow(c.slug, c.title, c.unit, None, None, None, None, (), Figures.zero(c.currency), Pieces())


def _figures(f: "ContractFigures") -> Figures:
    currency = f.contract.refunded.currency
    refunded = f.contract.refunded
    bonuses, escrow_bonuses = Money(f.bonuses, currency), Money(f.escrow_bonuses, currency)
    escrow_fees = Money(f.contract.fees_minor, currency)
    fees = escrow_fees + Money(f.contract.funded_fees_minor, currency)
    return Figures(
        Money(f.funded, currency),
        Money(f.reserved, currency),
        Money(f.released_or_refunded, currency) - refunded - escrow_bonuses - escrow_fees,
        refunded,
        bonuses,
        escrow_bonuses,
        fees,
        escrow_fees,
    )


def _pieces(f: "ContractFigures") -> Pieces:
    k = f.contract
    return Pieces(k.pieces_pending_milli, k.pieces_released_milli, k.pieces_rejected_milli)


def _group(f: "ContractFigures", by: Grouping) -> tuple[tuple[object, ...], ReportRow]:
    k, zero = f.contract, Figures.zero(f.contract.refunded.currency)
    if by is Grouping.CONTRACT:
        return (k.id,), ReportRow(
            k.campaign_slug, None, f.unit, k.ref, k.id, k.worker_handle, k.status.value, (), zero, Pieces()
        )
    if by is Grouping.WORKER:
        currency = k.refunded.currency.code
        return (k.worker_handle, currency), ReportRow(
            None, None, None, None, None, k.worker_handle, None, (), zero, Pieces()
        )
    return (k.campaign_slug,), ReportRow(
        k.campaign_slug, f.campaign_title, f.unit, None, None, None, None, (), zero, Pieces()
    )


def _with_earnings(s: Session, row: ReportRow) -> ReportRow:
    """A worker row with what was paid out and what is still owed, from the worker's account."""
    currency = row.figures.funded.currency
    assert row.worker is not None
    account = s.store.account_named(worker_account_name(row.worker), currency)
    paid = Money(account.debits_posted, currency) if account else Money.zero(currency)
    owed = account.credit_balance if account else Money.zero(currency)
    return row._replace(paid_out=paid, owed=owed)


def _totals(rows: list[ReportRow]) -> tuple[Figures, ...]:
    per_currency: dict[str, Figures] = {}
    for row in rows:
        code = row.figures.funded.currency.code
        per_currency[code] = per_currency.get(code, Figures.zero(row.figures.funded.currency)) + row.figures
    return tuple(figures for _, figures in sorted(per_currency.items()))


def journal_log(
    s: Session,
    contract_ref: str | None = None,
    last: int | None = None,
    *,
    campaign_ref: str | None = None,
    worker_ref: str | None = None,
    kind: str | None = None,
    since: date | None = None,
    until: date | None = None,
    newest_first: bool = False,
) -> "list[LogEntry]":
    """The journal, oldest first (or newest first), each entry with its postings: one
    contract's, a campaign's contracts', a worker's contracts' and payouts', one kind, within
    dates, or the last N of those; each filter applies only when given."""
    if since is not None and until is not None and since > until:
        raise BadInput(f"--from {since} is after --to {until}", "bad_date_range")
    if kind is not None:
        from piecepay.journal import KINDS  # (its module loads json)

        if kind not in KINDS:
            raise BadInput(f"kind '{kind}' is not one of {', '.join(sorted(KINDS))}", "bad_kind")
    store = s.store
    found = store.log_entries(
        store.find_contract(contract_ref).id if contract_ref is not None else None,
        last,
        campaign_id=store.find_campaign(campaign_ref).id if campaign_ref is not None else None,
        worker_id=store.find_worker(worker_ref).id if worker_ref is not None else None,
        kind=kind,
        since=since,
        until=until,
    )
    return found[::-1] if newest_first else found
