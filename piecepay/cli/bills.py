"""piecepay bill | release | reject | revise | resubmit"""

from typing import Annotated

import typer

from piecepay.cli.invocation import invocation
from piecepay.cli.options import DateOpt, KeyOpt


def bill(
    ctx: typer.Context,
    pieces: Annotated[str | None, typer.Option(help="How many pieces (a multiple of the campaign's step).")] = None,
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
    source: Annotated[
        str | None,
        typer.Option(
            "--from", help="Bill every row of a CSV file (- for stdin): contract,pieces[,note,minutes,date,proof,key]."
        ),
    ] = None,
    partial: Annotated[
        bool, typer.Option("--partial", help="With --from: write the good rows, list the refused ones.")
    ] = False,
    result: Annotated[
        str | None, typer.Option(help="With --partial: where the refused rows go (default: FILE.refused.csv).")
    ] = None,
) -> None:
    """Bill pieces on the open milestone; the amount is reserved in escrow until released.

    Example: piecepay bill photos/ana --pieces 5 --note "Cafe Lume, 5 dishes"
    """
    from piecepay import inputs
    from piecepay.cli import documents
    from piecepay.errors import BadInput
    from piecepay.operations.bills import BillRequest
    from piecepay.operations.bills import bill as bill_pieces

    if source is not None:
        given = [
            name
            for name, value in (
                ("CONTRACT", contract),
                ("--pieces", pieces),
                ("--proof", proof),
                ("--note", note),
                ("--minutes", minutes),
                ("--date", date),
                ("--key", key),
            )
            if value
        ]
        if given:
            raise BadInput(
                f"--from takes each bill from the file; {given[0]} cannot be given too", "conflicting_options"
            )
        invocation(ctx).local("piecepay bill --from")
        _bill_file(ctx, source, partial, result)
        return
    if partial or result is not None:
        raise BadInput("--partial and --result go with --from FILE", "conflicting_options")
    if pieces is None:
        raise BadInput("Missing option '--pieces' (or --from FILE)", "bad_usage")
    checked_note, proofs = inputs.note(note), tuple(inputs.proof(p) for p in proof or [])
    day = inputs.day(date, "bill date")
    counted = inputs.pieces(pieces)
    assert counted is not None
    request = BillRequest(contract, counted, proofs, checked_note, inputs.count(minutes, "minutes"), day)
    checked_key = inputs.key(key)
    run = invocation(ctx)
    if (server := run.remote) is not None:
        asked = {
            "contract": contract,
            "pieces": pieces,
            "note": note,
            "minutes": minutes,
            "proofs": proof,
            "date": date,
        }
        run.sink.record("bill", server.post("/api/bills", asked, checked_key))
        return
    run.sink.record("bill", documents.bill(bill_pieces(run.session(write=True), request, checked_key)))


def release(
    ctx: typer.Context,
    bills: Annotated[list[str], typer.Argument(metavar="BILL...", help="Bill id; several: all released or none.")],
    pieces: Annotated[str | None, typer.Option(help="Release only this many pieces; the rest is returned.")] = None,
    date: DateOpt = None,
    key: KeyOpt = None,
) -> None:
    """Release a pending bill to the worker, in full or for fewer pieces; or several bills in
    full, in one transaction (with --key K, bill N is keyed K/N). A bill rejected within the
    campaign's reversal window (30 days unless set) is released after all, if escrow and its
    milestone's cap have room now.

    Example: piecepay release 3 4 5
    """
    from piecepay import inputs
    from piecepay.cli import documents
    from piecepay.errors import BadInput
    from piecepay.operations.bills import release as release_bill
    from piecepay.operations.queue import release_each

    typed = inputs.pieces(pieces), inputs.day(date, "release date"), inputs.key(key)
    bill_ids = [inputs.bill_id(bill) for bill in bills]
    run = invocation(ctx)
    if len(bill_ids) == 1:
        if (server := run.remote) is not None:
            released = server.post(f"/api/bills/{bill_ids[0]}/release", {"pieces": pieces, "date": date}, key)
        else:
            released = documents.bill(release_bill(run.session(write=True), bill_ids[0], *typed))
        run.sink.record("bill", released)
        return
    if pieces is not None:
        raise BadInput("--pieces releases part of one bill; several bills are released in full", "conflicting_options")
    if (server := run.remote) is not None:
        run.sink.listing("bill", server.post("/api/bills/release", {"bills": bill_ids, "date": date}, key, many=True))
        return
    done = release_each(run.session(write=True), bill_ids, typed[1], typed[2])
    run.sink.listing("bill", [documents.bill(state) for state in done])


def reject(
    ctx: typer.Context,
    bills: Annotated[list[str], typer.Argument(metavar="BILL...", help="Bill id; several: all rejected or none.")],
    reason: Annotated[str, typer.Option(help="Why, for the worker.")],
    date: DateOpt = None,
    key: KeyOpt = None,
) -> None:
    """Reject a pending bill with a reason, or several with the same reason in one
    transaction (with --key K, bill N is keyed K/N); their reservations return to escrow.

    Example: piecepay reject 6 7 --reason "blurry"
    """
    from piecepay import inputs
    from piecepay.cli import documents
    from piecepay.operations.bills import reject as reject_bill
    from piecepay.operations.queue import reject_each

    typed = inputs.reason(reason), inputs.day(date, "reject date"), inputs.key(key)
    bill_ids = [inputs.bill_id(bill) for bill in bills]
    run = invocation(ctx)
    if (server := run.remote) is not None:
        if len(bill_ids) == 1:
            run.sink.record(
                "bill", server.post(f"/api/bills/{bill_ids[0]}/reject", {"reason": reason, "date": date}, key)
            )
        else:
            asked = {"bills": bill_ids, "reason": reason, "date": date}
            run.sink.listing("bill", server.post("/api/bills/reject", asked, key, many=True))
        return
    if len(bill_ids) == 1:
        run.sink.record("bill", documents.bill(reject_bill(run.session(write=True), bill_ids[0], *typed)))
        return
    done = reject_each(run.session(write=True), bill_ids, *typed)
    run.sink.listing("bill", [documents.bill(state) for state in done])


def revise(
    ctx: typer.Context,
    bill: Annotated[str, typer.Argument(metavar="BILL", help="Bill id.")],
    reason: Annotated[str, typer.Option(help="What to change, for the worker.")],
    date: DateOpt = None,
    key: KeyOpt = None,
) -> None:
    """Send a pending bill back to its worker for a revision: its reservation is kept and its
    review clock stops until it is resubmitted; sweep rejects it when the campaign's revision
    window (7 days unless set) passes first.

    Example: piecepay revise 7 --reason "two photos are blurry; please retake them"
    """
    from piecepay import inputs
    from piecepay.cli import documents
    from piecepay.operations.bills import revise as revise_bill

    typed = inputs.bill_id(bill), inputs.reason(reason), inputs.day(date, "revision date"), inputs.key(key)
    run = invocation(ctx)
    if (server := run.remote) is not None:
        run.sink.record("bill", server.post(f"/api/bills/{typed[0]}/revise", {"reason": reason, "date": date}, key))
        return
    run.sink.record("bill", documents.bill(revise_bill(run.session(write=True), *typed)))


def resubmit(
    ctx: typer.Context,
    bill: Annotated[str, typer.Argument(metavar="BILL", help="Bill id.")],
    pieces: Annotated[str | None, typer.Option(help="Claim fewer pieces than before (default: as many).")] = None,
    proof: Annotated[list[str] | None, typer.Option(help="Path or URL of the revised work; may repeat.")] = None,
    note: Annotated[str | None, typer.Option(help="A new note for the client.")] = None,
    minutes: Annotated[str | None, typer.Option(help="Minutes the work took, in all.")] = None,
    date: DateOpt = None,
    key: KeyOpt = None,
) -> None:
    """Send a revised bill back for review: its review window starts again; fewer pieces give
    the rest of its reservation back to escrow. Proofs given are added to the bill's.

    Example: piecepay resubmit 7 --pieces 4 --proof https://example.com/retakes.zip
    """
    from piecepay import inputs
    from piecepay.cli import documents
    from piecepay.operations.bills import Resubmission
    from piecepay.operations.bills import resubmit as resubmit_bill

    request = Resubmission(
        inputs.pieces(pieces),
        tuple(inputs.proof(p) for p in proof or []),
        inputs.note(note),
        inputs.count(minutes, "minutes"),
        inputs.day(date, "resubmission date"),
    )
    typed = inputs.bill_id(bill), inputs.key(key)
    run = invocation(ctx)
    if (server := run.remote) is not None:
        asked = {"pieces": pieces, "note": note, "minutes": minutes, "proofs": proof, "date": date}
        run.sink.record("bill", server.post(f"/api/bills/{typed[0]}/resubmit", asked, key))
        return
    run.sink.record("bill", documents.bill(resubmit_bill(run.session(write=True), typed[0], request, typed[1])))


def _bill_file(ctx: typer.Context, source: str, partial: bool, result: str | None) -> None:
    from piecepay.cli import bulk, documents
    from piecepay.operations.bulk import bill_rows

    run = invocation(ctx)
    done, shown, written = bulk.apply_file(
        run,
        source,
        partial,
        result,
        "billing",
        lambda session, data, shown, advance: bill_rows(
            session, bulk.rows_of(data, shown), partial=partial, progress=advance
        ),
    )
    summary = f"{done.rows} rows from {shown}: {done.billed} billed, {done.replayed} already billed, "
    summary += f"{len(done.refused)} refused"
    if done.amounts:
        summary += " (" + ", ".join(str(a) for a in done.amounts) + ")"
    if written:
        summary += f"; refused rows in {written}"
    run.sink.done(documents.bulk(done, written), summary)
    if done.refused:
        raise typer.Exit(1)  # rows were refused: the summary and the result file say which
