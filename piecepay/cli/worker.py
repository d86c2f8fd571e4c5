"""piecepay worker add|edit|list"""

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


@app.command("edit")
def edit(
    ctx: typer.Context,
    worker: Annotated[str, typer.Argument(help="Worker handle.")],
    name: Annotated[str | None, typer.Option(help="Full name; empty text clears it.")] = None,
    email: Annotated[str | None, typer.Option(help="Contact e-mail; empty text clears it.")] = None,
) -> None:
    """Change a worker's name or e-mail, recorded with the old and new values in one entry.

    Example: piecepay worker edit ana --name "Ana Souza" --email ""
    """
    from piecepay import inputs
    from piecepay.cli import documents
    from piecepay.cli.render import FIELDS
    from piecepay.errors import BadInput
    from piecepay.operations.workers import edit_worker

    if name is None and email is None:
        raise BadInput("nothing to change: give --name or --email (empty text clears one)", "no_change")
    checked = inputs.cleared(name, inputs.person_name), inputs.cleared(email, inputs.email)
    run = invocation(ctx)
    edited = edit_worker(run.session(write=True), worker, *checked)
    headline = edited.memo or f"worker {edited.worker.handle} unchanged: every value given is as it was"
    run.sink.done(documents.worker_edited(edited), headline[0].upper() + headline[1:], FIELDS["worker"])


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
