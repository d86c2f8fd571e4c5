"""The command table, loaded lazily: a command's module is imported only when it runs.

Building every Typer command on each start-up costs more than the command itself, so
the root group lists names and one-line help from this table and builds just the one
that was asked for.
"""

import difflib
import importlib
from typing import Any

import typer
from typer._click.exceptions import UsageError
from typer.core import TyperGroup, TyperOption

# name: (module, attribute, one-line help); an attribute is a Typer group or a function
COMMANDS: dict[str, tuple[str, str, str]] = {
    "init": ("piecepay.cli.init", "init", "Create a new, empty ledger (the only command that does)."),
    "campaign": ("piecepay.cli.campaign", "app", "Campaigns: jobs paid per piece."),
    "worker": ("piecepay.cli.worker", "app", "Workers: the people who do pieces."),
    "token": ("piecepay.cli.token", "app", "Tokens: how the parties of a served ledger prove who they are."),
    "offer": ("piecepay.cli.offer", "app", "Offers: a campaign offered to one worker; accepted, a contract."),
    "milestone": ("piecepay.cli.milestone", "app", "Milestones: escrow top-ups that open a capped billing window."),
    "bill": ("piecepay.cli.bills", "bill", "Bill pieces on the open milestone (reserved until released)."),
    "release": ("piecepay.cli.bills", "release", "Release a pending bill, in full or for fewer pieces."),
    "reject": ("piecepay.cli.bills", "reject", "Reject a pending bill with a reason."),
    "revise": ("piecepay.cli.bills", "revise", "Send a pending bill back to its worker for a revision."),
    "resubmit": ("piecepay.cli.bills", "resubmit", "Send a revised bill back for review."),
    "review": ("piecepay.cli.review", "review", "Apply a review file: release or reject bill by bill."),
    "end": ("piecepay.cli.contracts", "end", "End a contract and refund what its escrow has left."),
    "payout": ("piecepay.cli.payouts", "payout", "Record released earnings paid to a worker."),
    "bonus": ("piecepay.cli.bonuses", "bonus", "Pay a worker a bonus on a contract, from escrow or from funding."),
    "time": ("piecepay.cli.bonuses", "time", "Record time worked on a contract that no bill names."),
    "makeup": ("piecepay.cli.bonuses", "makeup", "Pay each worker's shortfall against a minimum wage as bonuses."),
    "fees": ("piecepay.cli.bonuses", "fees", "A campaign's platform fees, and what another fee would have charged."),
    "report": ("piecepay.cli.reports", "report", "Escrow figures by campaign, contract or worker."),
    "log": ("piecepay.cli.reports", "log", "The journal, oldest entry first."),
    "payees": ("piecepay.cli.payees", "payees", "A tax year's payouts per worker, flagged at the 1099-NEC threshold."),
    "pay": ("piecepay.cli.pay", "pay", "Pay per worker over a week or a month, and per hour worked."),
    "statement": ("piecepay.cli.statement", "statement", "A worker's statement over a period: md, json, html or pdf."),
    "verify": ("piecepay.cli.verify", "verify", "Prove the ledger is intact, balanced and unaltered."),
    "anchor": ("piecepay.cli.verify", "anchor", "Append the ledger's verified head to an anchor file."),
    "sweep": ("piecepay.cli.sweep", "sweep", "Apply the clock: auto-release, end past deadline, warn."),
    "export": ("piecepay.cli.exports", "export", "Export the journal: csv, jsonl, hledger or beancount."),
    "backup": ("piecepay.cli.exports", "backup", "Copy the ledger consistently and check the copy."),
    "copy": ("piecepay.cli.exports", "copy", "Copy a whole ledger into a new file or PostgreSQL database."),
    "serve": ("piecepay.cli.serve", "serve", "Serve the ledger to its parties over HTTP (the server extra)."),
    "demo": ("piecepay.cli.demo", "demo", "Play the bundled sample month into a fresh ledger and report."),
}
# Words after a command that name a command of their own: `piecepay bill list` (a bill's
# contract is an id or campaign/worker, so it is never one of these words).
SUBCOMMANDS: dict[str, dict[str, tuple[str, str, str]]] = {
    "bill": {
        "list": ("piecepay.cli.queue", "list_bills", "Bills, oldest first: the review queue."),
        "show": ("piecepay.cli.queue", "show_bill", "One bill, its review window and its entries."),
    },
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
        return _build(cmd_name, *COMMANDS[cmd_name][:2])

    def resolve_command(self, ctx: typer.Context, args: list[str]):  # type: ignore[no-untyped-def,override]
        words = SUBCOMMANDS.get(args[0], {}) if args else {}
        if len(args) > 1 and args[1] in words:
            name = f"{args[0]} {args[1]}"
            return name, _build(name, *words[args[1]][:2]), args[2:]
        try:
            return super().resolve_command(ctx, args)
        except UsageError as error:
            close = difflib.get_close_matches(args[0], list(COMMANDS)) if args else []
            if close and "Did you mean" not in error.message:
                error.message = f"{error.message.rstrip('.')}. Did you mean {', '.join(map(repr, close))}?"
            raise

    def format_commands(self, ctx: typer.Context, formatter) -> None:  # type: ignore[no-untyped-def,override]
        rows = []
        for name, (_, _, short) in COMMANDS.items():
            rows.append((name, short))
            rows += [(f"{name} {word}", help_) for word, (_, _, help_) in SUBCOMMANDS.get(name, {}).items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _build(name: str, module: str, attribute: str):  # type: ignore[no-untyped-def]
    """The click command for ``name``: its module imported, the Typer app or function built."""
    target = getattr(importlib.import_module(module), attribute)
    if not isinstance(target, typer.Typer):
        single = new_app()
        single.command(name=name)(target)
        target = single
    return with_global_options(typer.main.get_command(target))


def with_global_options(command: Any) -> Any:
    """``command`` (and every command under it) accepting the root's --db, --json and
    --actor after its name as well, as gh and llm do: ``piecepay report --json``. Given
    there, an option wins over the same one before the command (the last word counts, as
    with any option given twice); unlike the root's, these read no environment variable,
    so an option after the command is only ever what was typed."""
    taken = {name for param in command.params for name in getattr(param, "opts", ())}
    command.params.extend(option for option in _global_options() if not taken & set(option.opts))
    for param in command.params:
        _name_the_value(param)
    for sub in getattr(command, "commands", {}).values():
        with_global_options(sub)
    return command


# What each option's value is, shown in help instead of its Python type ("--pieces PIECES",
# not "--pieces <str>"); an option not named here shows TEXT, an argument its name.
METAVARS = {
    "--pieces": "PIECES",
    "--max-pieces": "PIECES",
    "--step": "PIECES",
    "--top-up": "AMOUNT",
    "--cap": "AMOUNT",
    "--amount": "AMOUNT",
    "--budget": "AMOUNT",
    "--milestone-cap": "AMOUNT",
    "--rate": "RATE",
    "--date": "DATE",
    "--deadline": "DATE",
    "--from": "FILE",
    "--key": "KEY",
    "--proof": "PATH_OR_URL",
    "--minutes": "MINUTES",
    "--last": "N",
    "--year": "YEAR",
    "--threshold": "AMOUNT",
    "--workers": "N",
    "--currency": "CODE",
    "--by": "GROUPING",
    "--status": "STATUS",
    "--campaign": "CAMPAIGN",
    "--worker": "WORKER",
    "--contract": "CONTRACT",
    "--db": "PATH_OR_URL",
    "--actor": "NAME",
    "--result": "PATH",
    "--out": "PATH",
    "--anchors": "FILE",
    "--cursor": "NAME",
    "--expect": "ENTRIES:HASH",
    "--email": "EMAIL",
    "--unit": "UNIT",
    "--slug": "SLUG",
    "--writer": "ROLE",
    "--dormant-days": "DAYS",
    "--warn-days": "DAYS",
    "--review-days": "DAYS",
    "--revision-days": "DAYS",
    "--reversal-days": "DAYS",
}


# Values the shell completes from the ledger, by what the value is.
COMPLETED = {"CONTRACT": "contract", "BILL": "bill", "BILL...": "bill", "CAMPAIGN": "campaign", "WORKER": "worker"}


def _name_the_value(param: Any) -> None:
    """Name what ``param`` takes in help, and complete it from the ledger where it names a
    contract, a bill, a campaign or a worker."""
    if getattr(param, "is_flag", False) or getattr(param, "count", False):
        return
    if param.metavar is None:
        if param.param_type_name == "argument":
            param.metavar = f"{param.name.upper()}..." if param.nargs == -1 else param.name.upper()
        else:
            param.metavar = METAVARS.get(param.opts[0], "TEXT")
    kind = COMPLETED.get(param.metavar)
    if kind is not None and param._custom_shell_complete is None:
        param._custom_shell_complete = _completer(kind)


def _completer(kind: str) -> Any:
    def complete(ctx: Any, param: Any, incomplete: str) -> list[Any]:
        from piecepay.cli.completion import complete_values

        return complete_values(kind, ctx, incomplete)

    return complete


def _global_options() -> list[TyperOption]:
    return [
        TyperOption(
            param_decls=["--db"],
            type=str,
            expose_value=False,
            callback=_set_db,
            help="Ledger file or postgresql:// URL (as before the command).",
        ),
        TyperOption(
            param_decls=["--json"],
            is_flag=True,
            default=False,
            expose_value=False,
            callback=_set_json,
            help="Machine output: one JSON document on stdout.",
        ),
        TyperOption(
            param_decls=["--actor"],
            type=str,
            expose_value=False,
            callback=_set_actor,
            help="Who is acting (as before the command).",
        ),
    ]


def _set_db(ctx: typer.Context, _: object, value: str | None) -> None:
    if value is not None:
        from piecepay.cli.invocation import invocation
        from piecepay.locations import ledger_location

        invocation(ctx).db = ledger_location(value)


def _set_json(ctx: typer.Context, _: object, value: bool) -> None:
    if value:
        from piecepay.cli.invocation import invocation

        invocation(ctx).json = True


def _set_actor(ctx: typer.Context, _: object, value: str | None) -> None:
    if value is not None:
        from piecepay.cli.invocation import invocation

        invocation(ctx).actor = value
