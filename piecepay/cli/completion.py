"""Shell completion: the scripts for bash, zsh and fish, and the values completed from the
ledger (contracts, bills, campaigns, workers). Nothing here is imported by an ordinary
command: the root options import it when given, and completion runs it when the shell asks."""

from __future__ import annotations

import os
from typing import Any

PROG = "piecepay"
COMPLETE_VAR = "_PIECEPAY_COMPLETE"
SHELLS = ("bash", "zsh", "fish")


def _shell(value: str) -> str:
    from piecepay.errors import BadInput

    if value not in SHELLS:
        raise BadInput(f"completion is for {', '.join(SHELLS[:-1])} or {SHELLS[-1]}, not '{value}'", "bad_shell")
    return value


def show(value: str) -> None:
    """Print the completion script for a shell, to source or keep."""
    from typer._completion_shared import get_completion_script

    from piecepay.cli import output

    output.script_out(get_completion_script(prog_name=PROG, complete_var=COMPLETE_VAR, shell=_shell(value)))


def install(value: str) -> None:
    """Install the completion script for a shell in the user's shell setup (as Typer does:
    ~/.bash_completions and ~/.bashrc, ~/.zfunc and ~/.zshrc, ~/.config/fish/completions)."""
    from typer._completion_shared import install as install_script

    from piecepay.cli import output

    shell, path = install_script(shell=_shell(value), prog_name=PROG, complete_var=COMPLETE_VAR)
    output.line(f"{shell} completion installed in {path}; it takes effect in a new shell")


def ready() -> None:
    """Make Typer's completion classes known before a completion request is answered."""
    from typer._completion_classes import completion_init

    completion_init()


# ----------------------------------------------------------------------------- values from the ledger


def complete_values(kind: str, ctx: Any, incomplete: str) -> list[Any]:
    """The ``kind`` values (contract, bill, campaign, worker) that start with ``incomplete``,
    read from the ledger the command line names (--db, PIECEPAY_DB or the default): for
    ``resubmit`` the bills out for a revision, for other commands the pending ones. A ledger
    that cannot be read completes nothing: completion never prints an error."""
    from typer._click.shell_completion import CompletionItem

    if kind == "bill" and getattr(ctx, "info_name", None) == "resubmit":
        kind = "revising bill"
    try:
        found = _read(kind, _ledger(ctx))
    except Exception:
        return []
    return [CompletionItem(value, help=help_) for value, help_ in found if value.startswith(incomplete)]


def _ledger(ctx: Any) -> Any:
    from piecepay.cli.invocation import default_db_path
    from piecepay.locations import ledger_location

    named = None
    while ctx is not None:
        named = ctx.params.get("db") or named
        ctx = ctx.parent
    named = named or os.environ.get("PIECEPAY_DB")
    return ledger_location(named) if named else default_db_path()


def _read(kind: str, where: Any) -> list[tuple[str, str]]:
    from datetime import UTC, datetime

    from piecepay.models import BillStatus, ContractStatus
    from piecepay.session import open_session

    s = open_session(where, "completion", datetime.now(UTC), write=False)
    try:
        if kind == "campaign":
            from piecepay.operations.campaigns import campaigns

            return [(c.slug, c.title) for c in campaigns(s)]
        if kind == "worker":
            from piecepay.operations.workers import workers

            return [(w.handle, w.name or "") for w in workers(s)]
        if kind == "contract":
            return [(c.ref, c.status.value) for c in s.store.contracts(None, ContractStatus.ACTIVE)]
        from piecepay.operations.queue import bill_queue

        waiting = bill_queue(s, BillStatus.REVISING if kind == "revising bill" else BillStatus.PENDING)
        return [(str(q.line.bill.id), f"{q.line.contract_ref}, {q.line.bill.amount}") for q in waiting]
    finally:
        s.close()
