"""The command table, loaded lazily: a command's module is imported only when it runs.

Building every Typer command on each start-up costs more than the command itself, so
the root group lists names and one-line help from this table and builds just the one
that was asked for.
"""

import importlib

import typer
from typer.core import TyperGroup

# name: (module, attribute, one-line help); an attribute is a Typer group or a function
COMMANDS: dict[str, tuple[str, str, str]] = {
    "init": ("piecepay.cli.init", "init", "Create a new, empty ledger (the only command that does)."),
    "campaign": ("piecepay.cli.campaign", "app", "Campaigns: jobs paid per piece."),
    "worker": ("piecepay.cli.worker", "app", "Workers: the people who do pieces."),
    "offer": ("piecepay.cli.offer", "app", "Offers: a campaign offered to one worker; accepted, a contract."),
    "milestone": ("piecepay.cli.milestone", "app", "Milestones: escrow top-ups that open a capped billing window."),
    "bill": ("piecepay.cli.bills", "bill", "Bill pieces on the open milestone (reserved until released)."),
    "release": ("piecepay.cli.bills", "release", "Release a pending bill, in full or for fewer pieces."),
    "reject": ("piecepay.cli.bills", "reject", "Reject a pending bill with a reason."),
    "end": ("piecepay.cli.contracts", "end", "End a contract and refund what its escrow has left."),
    "payout": ("piecepay.cli.payouts", "payout", "Record released earnings paid to a worker."),
    "report": ("piecepay.cli.reports", "report", "Escrow figures by campaign, contract or worker."),
    "log": ("piecepay.cli.reports", "log", "The journal, oldest entry first."),
    "verify": ("piecepay.cli.verify", "verify", "Prove the ledger is intact, balanced and unaltered."),
    "anchor": ("piecepay.cli.verify", "anchor", "Append the ledger's verified head to an anchor file."),
    "sweep": ("piecepay.cli.sweep", "sweep", "Apply the clock: auto-release, end past deadline, warn."),
    "export": ("piecepay.cli.exports", "export", "Export the journal: csv, jsonl, hledger or beancount."),
    "backup": ("piecepay.cli.exports", "backup", "Copy the ledger consistently and check the copy."),
    "copy": ("piecepay.cli.exports", "copy", "Copy a whole ledger into a new file or PostgreSQL database."),
    "demo": ("piecepay.cli.demo", "demo", "Play the bundled sample month into a fresh ledger and report."),
}


def new_app(help_text: str | None = None) -> typer.Typer:
    """A Typer app with the house settings: plain help (no Rich import), no completion."""
    return typer.Typer(help=help_text, no_args_is_help=True, add_completion=False, rich_markup_mode=None)


class LazyGroup(TyperGroup):
    """A root group that imports and builds a subcommand only when it is invoked."""

    def list_commands(self, ctx: typer.Context) -> list[str]:  # type: ignore[override]
        return list(COMMANDS)

    def get_command(self, ctx: typer.Context, cmd_name: str):  # type: ignore[no-untyped-def,override]
        if cmd_name not in COMMANDS:
            return None
        module, attribute, _ = COMMANDS[cmd_name]
        target = getattr(importlib.import_module(module), attribute)
        if not isinstance(target, typer.Typer):
            single = new_app()
            single.command(name=cmd_name)(target)
            target = single
        return typer.main.get_command(target)

    def format_commands(self, ctx: typer.Context, formatter) -> None:  # type: ignore[no-untyped-def,override]
        with formatter.section("Commands"):
            formatter.write_dl([(name, short) for name, (_, _, short) in COMMANDS.items()])
