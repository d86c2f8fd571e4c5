"""piecepay report | log | verify"""

from typing import Annotated

import typer

from piecepay.cli import output, show
from piecepay.cli.options import FormatOpt
from piecepay.cli.state import globals_of
from piecepay.errors import BadInput
from piecepay.money import parse_count


def report(
    ctx: typer.Context,
    campaign: Annotated[str | None, typer.Option(help="Only this campaign.")] = None,
    by: Annotated[str, typer.Option(help="campaign, contract or worker.")] = "campaign",
    format: FormatOpt = "table",
) -> None:
    """Escrow figures: funded, reserved, released, refunded, available, pieces."""
    from piecepay.reports import report as build_report

    if format not in ("table", "json", "csv"):
        raise BadInput(f"--format must be table, json or csv, not '{format}'", "bad_format")
    data = build_report(globals_of(ctx).session(write=False), campaign, by)
    show.report(ctx, data, by, None if format == "table" else format)


def log(
    ctx: typer.Context,
    contract: Annotated[str | None, typer.Option(help="Only this contract's entries.")] = None,
    last: Annotated[str | None, typer.Option(help="Only the last N entries.")] = None,
) -> None:
    """The journal: every entry, oldest first."""
    from piecepay.reports import journal_log

    count = parse_count(last, "--last", maximum=10**9) if last is not None else None
    show.many(ctx, "log", journal_log(globals_of(ctx).session(write=False), contract, count))


def verify(ctx: typer.Context) -> None:
    """Prove the ledger: integrity, balanced entries, stored totals, caps, the hash chain."""
    from piecepay.audit import verify as verify_ledger

    facts = verify_ledger(globals_of(ctx).session(write=False))
    if globals_of(ctx).json:
        output.json_out(facts)
    else:
        output.object_out(
            {},
            f"ok: {facts['entries']} entries, {facts['accounts']} accounts, {len(facts['checks'])} checks passed",
            [],
        )
