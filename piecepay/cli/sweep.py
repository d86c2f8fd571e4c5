"""piecepay sweep"""

from typing import Annotated

import typer

from piecepay.cli import show
from piecepay.cli.state import globals_of
from piecepay.dates import MAX_DAYS
from piecepay.money import parse_count


def sweep(
    ctx: typer.Context,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the plan; write nothing.")] = False,
    dormant_days: Annotated[str, typer.Option(help="Days without activity before a contract is dormant.")] = "90",
    warn_days: Annotated[str, typer.Option(help="Warn this many days before the clock acts.")] = "3",
) -> None:
    """Apply the clock: auto-release bills past review, end contracts past deadline, warn."""
    from piecepay.sweep import sweep as run_sweep

    dormant = parse_count(dormant_days, "--dormant-days", minimum=1, maximum=MAX_DAYS)
    warn = parse_count(warn_days, "--warn-days", minimum=0, maximum=MAX_DAYS)
    session = globals_of(ctx).session(write=not dry_run)
    actions = run_sweep(session, dry_run=dry_run, dormant_days=dormant, warn_days=warn)
    show.many(ctx, "action", actions, "Sweep plan (dry run)" if dry_run else None)
