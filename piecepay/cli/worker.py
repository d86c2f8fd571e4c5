"""piecepay worker add|list"""

from typing import Annotated

import typer

from piecepay.cli import show
from piecepay.cli.lazy import new_app
from piecepay.cli.state import globals_of

app = new_app("Workers: the people who do pieces.")


@app.command("add")
def add(
    ctx: typer.Context,
    handle: Annotated[str, typer.Argument(help="Short handle, e.g. ana.")],
    name: Annotated[str | None, typer.Option(help="Full name.")] = None,
    email: Annotated[str | None, typer.Option(help="Contact e-mail.")] = None,
) -> None:
    """Add a worker."""
    from piecepay.registry import add_worker

    show.one(ctx, "worker", add_worker(globals_of(ctx).session(write=True), handle, name, email))


@app.command("list")
def list_(ctx: typer.Context) -> None:
    """List workers."""
    from piecepay.registry import list_workers

    show.many(ctx, "worker", list_workers(globals_of(ctx).session(write=False)))
