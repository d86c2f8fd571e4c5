"""piecepay sweep"""

from typing import Annotated

import typer

from piecepay.cli import show
from piecepay.cli.state import globals_of


def sweep(
    ctx: typer.Context,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the plan; write nothing.")] = False,
    dormant_days: Annotated[int, typer.Option(help="Days without activity before a contract is dormant.", min=1)] = 90,
    warn_days: Annotated[int, typer.Option(help="Warn this many days before the clock acts.", min=0)] = 3,
) -> None:
    """Apply the clock: auto-release bills past review, end contracts past deadline, warn."""
    from piecepay.sweep import sweep as run_sweep

    session = globals_of(ctx).session(write=not dry_run)
    actions = run_sweep(session, dry_run=dry_run, dormant_days=dormant_days, warn_days=warn_days)
    show.many(ctx, "action", actions, "Sweep plan (dry run)" if dry_run else None)
