"""piecepay statement"""

from typing import Annotated

import typer

from piecepay.cli.invocation import invocation


def statement(
    ctx: typer.Context,
    worker: Annotated[str, typer.Argument(help="The worker, by handle.")],
    period: Annotated[
        str | None,
        typer.Option(
            metavar="PERIOD", help="A month (2026-11), an ISO week (2026-W47) or a year (2026); default this month."
        ),
    ] = None,
    format: Annotated[
        str | None,
        typer.Option("--format", "-f", metavar="FORMAT", help="md (default), json, html or pdf."),
    ] = None,
    out: Annotated[
        str | None,
        typer.Option("--output", "-o", metavar="FILE", help="Write to FILE (atomically) instead of stdout."),
    ] = None,
) -> None:
    """A worker's statement over a period: every bill, release, rejection, revision,
    reversal, bonus and payout, the balance owed before and after, earnings, pay per hour
    and a chart of earnings per week.

    Example: piecepay statement ana --period 2026-11 --format html --output ana-2026-11.html
    """
    from pathlib import Path

    from piecepay import inputs
    from piecepay.cli import documents
    from piecepay.cli.invocation import default_db_path
    from piecepay.errors import BadInput
    from piecepay.operations.statement import statement as build_statement

    run = invocation(ctx)
    fmt = inputs.statement_format(format) if format is not None else ("json" if run.json else "md")
    chosen = inputs.statement_period(period) if period is not None else None
    target = None
    if out is not None:
        from piecepay.files import check_target
        from piecepay.text import checked_text

        target = Path(checked_text(out, "--output", max_length=4096, code="bad_path"))
        where = run.db or default_db_path()
        check_target(target, where if isinstance(where, Path) else None, "--output")
    if fmt == "pdf":
        if target is None:
            raise BadInput("a pdf statement is written to a file: give --output FILE", "output_required")
        from piecepay.export.statement import require_pdf

        require_pdf()
    found = build_statement(run.session(write=False), worker, chosen)
    run.sink.statement(documents.statement(found), fmt, target)
