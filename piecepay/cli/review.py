"""piecepay review --from FILE: a reviewer's decisions applied in bulk"""

from typing import Annotated

import typer

from piecepay.cli.invocation import invocation


def review(
    ctx: typer.Context,
    source: Annotated[
        str,
        typer.Option(
            "--from",
            metavar="FILE",
            help="A review file (- for stdin): 'bill list --format csv' with action, pieces and reason filled in.",
        ),
    ],
    partial: Annotated[bool, typer.Option("--partial", help="Apply the good rows, list the refused ones.")] = False,
    result: Annotated[
        str | None,
        typer.Option(metavar="PATH", help="With --partial: where the refused rows go (default: FILE.refused.csv)."),
    ] = None,
) -> None:
    """Apply a review file: release (all or some pieces), reject or revise each bill a row
    names, with every rule, all or nothing unless --partial; the same file applied again
    writes nothing.

    Example: piecepay review --from review.csv
    """
    from piecepay.cli import bulk, documents
    from piecepay.errors import BadInput
    from piecepay.operations.review import review_rows

    if result is not None and not partial:
        raise BadInput("--result goes with --partial", "conflicting_options")
    run = invocation(ctx)
    done, shown, written = bulk.apply_file(
        run,
        source,
        partial,
        result,
        "reviewing",
        lambda session, data, shown, advance: review_rows(
            session, bulk.decisions_of(data, shown), partial=partial, progress=advance
        ),
    )
    summary = (
        f"{done.rows} rows from {shown}: {done.released} released, {done.rejected} rejected, {done.revised} revised, "
        f"{done.replayed} already applied, {done.skipped} left for later, {len(done.refused)} refused"
    )
    if written:
        summary += f"; refused rows in {written}"
    run.sink.done(documents.review(done, written), summary)
    if done.refused:
        raise typer.Exit(1)  # rows were refused: the summary and the result file say which
