"""piecepay verify | anchor"""

from pathlib import Path
from typing import Annotated

import typer

from piecepay.cli.invocation import invocation


def verify(
    ctx: typer.Context,
    expect: Annotated[
        list[str] | None,
        typer.Option(help="ENTRIES:HASH from an earlier verify: entry ENTRIES must still have HASH. May repeat."),
    ] = None,
    anchors: Annotated[
        Path | None, typer.Option(help="Anchor file written by 'piecepay anchor': check every line of it.")
    ] = None,
    since_checkpoint: Annotated[
        bool,
        typer.Option(
            "--since-checkpoint",
            help="Check only what came after the head the last passing verify recorded, trusting the entries "
            "up to it (every entry when none is recorded).",
        ),
    ] = False,
) -> None:
    """Prove the ledger: integrity, the hash chain and the facts it seals, balances, caps, guards.

    Example: piecepay verify --anchors anchors.txt
    """
    from piecepay.cli import documents
    from piecepay.operations.anchors import parse_expect, read_anchors
    from piecepay.operations.verify import verify as verify_ledger

    expected = [parse_expect(text) for text in expect or []]
    if anchors is not None:
        expected += read_anchors(anchors)
    run = invocation(ctx)
    proof = verify_ledger(run.session(write=False), expected, since_checkpoint=since_checkpoint)
    summary = f"ok: entries {proof.entries}, head {proof.head}; {proof.accounts} accounts, "
    summary += f"{len(proof.checks)} checks passed"
    if proof.since:
        summary += f" on the entries after the checkpoint at entry {proof.since}"
    elif since_checkpoint:
        summary += " on every entry (no checkpoint was recorded yet)"
    if expected:
        summary += f", {len(expected)} anchor(s) hold"
    run.sink.done(documents.proof(proof), summary)


def anchor(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Append-only text file, best kept away from the ledger.")],
) -> None:
    """Verify the ledger and append its head (entries and hash) to FILE, with the time.

    Example: piecepay anchor anchors.txt
    """
    from piecepay.cli import documents
    from piecepay.operations.anchors import anchor as take_anchor

    run = invocation(ctx)
    done = take_anchor(run.session(write=False), file)
    run.sink.done(documents.anchored(done), f"anchored entries {done.entries}, head {done.head} in {done.path}")
