"""piecepay report | log | verify"""

from pathlib import Path
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


def verify(
    ctx: typer.Context,
    expect: Annotated[
        list[str] | None,
        typer.Option(help="ENTRIES:HASH from an earlier verify: entry ENTRIES must still have HASH. May repeat."),
    ] = None,
    anchors: Annotated[
        Path | None, typer.Option(help="Anchor file written by 'piecepay anchor': check every line of it.")
    ] = None,
) -> None:
    """Prove the ledger: integrity, the hash chain and the facts it seals, balances, caps, guards."""
    from piecepay.anchors import parse_expect, read_anchors
    from piecepay.audit import verify as verify_ledger

    expected = [parse_expect(text) for text in expect or []]
    if anchors is not None:
        expected += read_anchors(anchors)
    facts = verify_ledger(globals_of(ctx).session(write=False), expected)
    if globals_of(ctx).json:
        output.json_out(facts)
        return
    summary = f"ok: entries {facts['entries']}, head {facts['head']}; {facts['accounts']} accounts, "
    summary += f"{len(facts['checks'])} checks passed"
    if expected:
        summary += f", {len(expected)} anchor(s) hold"
    output.object_out({}, summary, [])


def anchor(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Append-only text file, best kept away from the ledger.")],
) -> None:
    """Verify the ledger and append its head (entries and hash) to FILE, with the time."""
    from piecepay.anchors import anchor as take_anchor

    facts = take_anchor(globals_of(ctx).session(write=False), file)
    if globals_of(ctx).json:
        output.json_out(facts)
    else:
        output.object_out({}, f"anchored entries {facts['entries']}, head {facts['head']} in {facts['path']}", [])
