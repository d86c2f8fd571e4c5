"""piecepay bill | release | reject"""

from typing import Annotated

import typer

from piecepay.cli.invocation import invocation
from piecepay.cli.options import DateOpt, KeyOpt


def bill(
    ctx: typer.Context,
    pieces: Annotated[str, typer.Option(help="How many pieces (a multiple of the campaign's step).")],
    contract: Annotated[
        str | None,
        typer.Argument(
            help="Contract id or campaign/worker; may be left out when one contract is active.",
            envvar="PIECEPAY_CONTRACT",
            show_envvar=True,
        ),
    ] = None,
    proof: Annotated[list[str] | None, typer.Option(help="Path or URL of the work; may repeat.")] = None,
    note: Annotated[str | None, typer.Option(help="A note for the client.")] = None,
    minutes: Annotated[str | None, typer.Option(help="Minutes the work took.")] = None,
    date: DateOpt = None,
    key: KeyOpt = None,
) -> None:
    """Bill pieces on the open milestone; the amount is reserved in escrow until released."""
    from piecepay import inputs
    from piecepay.cli import documents
    from piecepay.operations.bills import BillRequest
    from piecepay.operations.bills import bill as bill_pieces

    checked_note, proofs = inputs.note(note), tuple(inputs.proof(p) for p in proof or [])
    day = inputs.day(date, "bill date")
    counted = inputs.pieces(pieces)
    assert counted is not None  # --pieces is required
    request = BillRequest(contract, counted, proofs, checked_note, inputs.count(minutes, "minutes"), day)
    checked_key = inputs.key(key)
    run = invocation(ctx)
    run.sink.record("bill", documents.bill(bill_pieces(run.session(write=True), request, checked_key)))


def release(
    ctx: typer.Context,
    bill: Annotated[str, typer.Argument(help="Bill id.")],
    pieces: Annotated[str | None, typer.Option(help="Release only this many pieces; the rest is returned.")] = None,
    date: DateOpt = None,
    key: KeyOpt = None,
) -> None:
    """Release a pending bill to the worker, in full or for fewer pieces."""
    from piecepay import inputs
    from piecepay.cli import documents
    from piecepay.operations.bills import release as release_bill

    typed = inputs.pieces(pieces), inputs.day(date, "release date"), inputs.key(key)
    bill_id = inputs.bill_id(bill)
    run = invocation(ctx)
    run.sink.record("bill", documents.bill(release_bill(run.session(write=True), bill_id, *typed)))


def reject(
    ctx: typer.Context,
    bill: Annotated[str, typer.Argument(help="Bill id.")],
    reason: Annotated[str, typer.Option(help="Why, for the worker.")],
    date: DateOpt = None,
    key: KeyOpt = None,
) -> None:
    """Reject a pending bill with a reason; its reservation returns to escrow."""
    from piecepay import inputs
    from piecepay.cli import documents
    from piecepay.operations.bills import reject as reject_bill

    typed = inputs.reason(reason), inputs.day(date, "reject date"), inputs.key(key)
    bill_id = inputs.bill_id(bill)
    run = invocation(ctx)
    run.sink.record("bill", documents.bill(reject_bill(run.session(write=True), bill_id, *typed)))
