"""piecepay worker add|list"""

from typing import Annotated

import typer

from piecepay.cli.commands import new_app
from piecepay.cli.invocation import invocation
from piecepay.cli.options import FormatOpt, list_format

app = new_app("Workers: the people who do pieces.")


@app.command("add")
def add(
    ctx: typer.Context,
    handle: Annotated[str, typer.Argument(help="Short handle, e.g. ana.")],
    name: Annotated[str | None, typer.Option(help="Full name.")] = None,
    email: Annotated[str | None, typer.Option(help="Contact e-mail.")] = None,
) -> None:
    """Add a worker.

    Example: piecepay worker add ana --name "Ana Lima" --email ana@example.org
    """
    from piecepay import inputs
    from piecepay.cli import documents
    from piecepay.operations.workers import add_worker

    checked = inputs.handle(handle), inputs.person_name(name), inputs.email(email)
    run = invocation(ctx)
    run.sink.record("worker", documents.worker(add_worker(run.session(write=True), *checked)))


@app.command("list")
def list_(ctx: typer.Context, format: FormatOpt = "table") -> None:
    """List workers.

    Example: piecepay worker list
    """
    from piecepay.cli import documents
    from piecepay.operations.workers import workers

    fmt = list_format(format)
    run = invocation(ctx)
    run.sink.listing("worker", [documents.worker(w) for w in workers(run.session(write=False))], fmt=fmt)
