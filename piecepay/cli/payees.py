"""piecepay payees"""

from typing import Annotated

import typer

from piecepay.cli.invocation import invocation
from piecepay.cli.options import FormatOpt, list_format


def payees(
    ctx: typer.Context,
    year: Annotated[str, typer.Option(help="The tax year: payouts dated in it count.")],
    threshold: Annotated[
        str | None,
        typer.Option(help="Flag USD totals at or over this (default: 600 through 2025, 2000 from 2026)."),
    ] = None,
    format: FormatOpt = "table",
) -> None:
    """A tax year's payees: per worker and currency, what was paid out, flagged at the
    1099-NEC threshold (US dollars only).

    Example: piecepay payees --year 2026 --format csv
    """
    from piecepay import inputs
    from piecepay.cli import documents
    from piecepay.operations.payees import payees as year_payees

    typed = inputs.year(year), inputs.threshold(threshold)
    fmt = list_format(format)
    run = invocation(ctx)
    run.sink.payees(documents.payees(year_payees(run.session(write=False), *typed)), fmt)
