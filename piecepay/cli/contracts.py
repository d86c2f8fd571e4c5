"""piecepay end"""

from typing import Annotated

import typer

from piecepay.cli.invocation import invocation
from piecepay.cli.options import DateOpt, KeyOpt


def end(
    ctx: typer.Context,
    contract: Annotated[str, typer.Argument(help="Contract id, or campaign/worker.")],
    release_pending: Annotated[bool, typer.Option("--release-pending", help="Release pending bills first.")] = False,
    reject_pending: Annotated[bool, typer.Option("--reject-pending", help="Reject pending bills first.")] = False,
    date: DateOpt = None,
    key: KeyOpt = None,
) -> None:
    """End a contract and refund what its escrow has left to the client.

    Example: piecepay end photos/ana --release-pending
    """
    from piecepay import inputs
    from piecepay.cli import documents
    from piecepay.errors import BadInput
    from piecepay.operations.contracts import Pending, end_contract

    if release_pending and reject_pending:
        raise BadInput("pass --release-pending or --reject-pending, not both", "conflicting_options")
    pending: Pending | None = "release" if release_pending else "reject" if reject_pending else None
    typed = inputs.day(date, "end date"), inputs.key(key)
    run = invocation(ctx)
    run.sink.record("contract", documents.contract(end_contract(run.session(write=True), contract, pending, *typed)))
