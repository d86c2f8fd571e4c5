"""piecepay sweep"""

from typing import Annotated

import typer

from piecepay.cli.invocation import invocation
from piecepay.cli.options import FormatOpt, list_format


def sweep(
    ctx: typer.Context,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the plan; write nothing.")] = False,
    dormant_days: Annotated[str, typer.Option(help="Days without activity before a contract is dormant.")] = "90",
    warn_days: Annotated[str, typer.Option(help="Warn this many days before the clock acts.")] = "3",
    format: FormatOpt = "table",
) -> None:
    """Apply the clock: auto-release bills past review, end contracts past deadline, warn.

    Example: piecepay sweep --dry-run
    """
    from piecepay import inputs
    from piecepay.cli import documents
    from piecepay.operations.sweep import sweep as run_sweep

    dormant = inputs.parse_count(dormant_days, "--dormant-days", minimum=1, maximum=inputs.MAX_DAYS)
    warn = inputs.parse_count(warn_days, "--warn-days", minimum=0, maximum=inputs.MAX_DAYS)
    fmt = list_format(format)
    run = invocation(ctx)
    actions = run_sweep(run.session(write=not dry_run), dry_run=dry_run, dormant_days=dormant, warn_days=warn)
    title = "Sweep plan (dry run)" if dry_run else None
    run.sink.listing("action", [documents.sweep_action(a) for a in actions], title, fmt=fmt)
