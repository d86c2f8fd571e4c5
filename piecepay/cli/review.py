"""piecepay review --from FILE: a reviewer's decisions applied in bulk"""

from pathlib import Path
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
    """Apply a review file: release (all or some pieces) or reject each bill a row names, with
    every rule, all or nothing unless --partial; the same file applied again writes nothing.

    Example: piecepay review --from review.csv
    """
    from piecepay.cli import bulk, documents, output
    from piecepay.errors import BadInput
    from piecepay.files import atomic_text, check_target
    from piecepay.operations.review import review_rows

    if result is not None and not partial:
        raise BadInput("--result goes with --partial", "conflicting_options")
    data, shown = bulk.read_source(source)
    target = None
    if partial:
        target = Path(result) if result is not None else (Path(f"{source}.refused.csv") if source != "-" else None)
    run = invocation(ctx)
    session = run.session(write=True)
    if target is not None:
        check_target(target, session.path, "result file")
    with output.progress("reviewing", len(data.splitlines()) - 1) as advance:
        done = review_rows(session, bulk.decisions_of(data, shown), partial=partial, progress=advance)
    written = None
    if target is not None and done.refused:
        with atomic_text(target) as stream:
            stream.write(bulk.result_csv(done.refused))
        written = str(target)
    summary = (
        f"{done.rows} rows from {shown}: {done.released} released, {done.rejected} rejected, "
        f"{done.replayed} already applied, {done.skipped} left for later, {len(done.refused)} refused"
    )
    if written:
        summary += f"; refused rows in {written}"
    run.sink.done(documents.review(done, written), summary)
    if done.refused:
        raise typer.Exit(1)  # rows were refused: the summary and the result file say which
