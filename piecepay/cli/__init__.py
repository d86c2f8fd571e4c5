"""The piecepay command line: the Typer app, its global options, and the one place
that turns errors into a line on stderr and an exit code."""

import gc
import os
import sys
from typing import Annotated

import typer

from piecepay.cli.commands import LazyGroup

app = typer.Typer(
    name="piecepay",
    cls=LazyGroup,
    help="Escrow and piece-rate ledger: fund milestones, bill pieces, release, refund.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _show_completion(value: str | None) -> None:
    if value is not None:
        from piecepay.cli import completion

        completion.show(value)
        raise typer.Exit()


def _install_completion(value: str | None) -> None:
    if value is not None:
        from piecepay.cli import completion

        completion.install(value)
        raise typer.Exit()


def _print_version(value: bool) -> None:
    if value:
        from piecepay import __version__
        from piecepay.cli import output

        output.line(f"piecepay {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            envvar="PIECEPAY_DB",
            show_envvar=True,
            help="Ledger file, or postgresql://user@host/dbname (default: ledger.db in the user data folder).",
        ),
    ] = None,
    json: Annotated[bool, typer.Option("--json", help="Machine output: one JSON document on stdout.")] = False,
    version: Annotated[
        bool, typer.Option("--version", is_eager=True, callback=_print_version, help="Print the version and exit.")
    ] = False,
    actor: Annotated[
        str | None, typer.Option("--actor", envvar="PIECEPAY_ACTOR", help="Who is acting (default: the OS user).")
    ] = None,
    show_completion: Annotated[
        str | None,
        typer.Option(
            "--show-completion",
            metavar="SHELL",
            is_eager=True,
            expose_value=False,
            callback=_show_completion,
            help="Print the completion script for bash, zsh or fish.",
        ),
    ] = None,
    install_completion: Annotated[
        str | None,
        typer.Option(
            "--install-completion",
            metavar="SHELL",
            is_eager=True,
            expose_value=False,
            callback=_install_completion,
            help="Install completion for bash, zsh or fish in your shell's setup.",
        ),
    ] = None,
) -> None:
    from piecepay.cli.invocation import Invocation
    from piecepay.locations import ledger_location

    ctx.obj = Invocation(db=ledger_location(db) if db is not None else None, json=json, actor=actor)
    ctx.call_on_close(ctx.obj.close)


def _wants_json(argv: list[str]) -> bool:
    return "--json" in argv[: argv.index("--")] if "--" in argv else "--json" in argv


def main(argv: list[str] | None = None) -> int:
    """Run the command line; every failure ends as one line on stderr and an exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    if "_PIECEPAY_COMPLETE" in os.environ:  # the shell asks for completions
        from piecepay.cli import completion

        completion.ready()
    try:
        _check_readable(args)
        result = app(args, prog_name="piecepay", standalone_mode=False)
        return result if isinstance(result, int) else 0
    except typer.Exit as exc:
        return exc.exit_code
    except BrokenPipeError:
        return 0
    except (Exception, KeyboardInterrupt) as exc:
        return _report(exc, _wants_json(args))


ENVIRONMENT = (
    "PIECEPAY_DB",
    "PIECEPAY_ACTOR",
    "PIECEPAY_CONTRACT",
    "PIECEPAY_TODAY",
    "PIECEPAY_BUSY_TIMEOUT",
    "PIECEPAY_URL",
    "PIECEPAY_TOKEN",
    "PIECEPAY_TIMEOUT",
)


def _check_readable(args: list[str]) -> None:
    """Refuse arguments and settings that are not text at all (bytes that are not UTF-8, NUL)
    before any of them reaches a lookup, a path or the database."""
    named = [(f"argument '{arg}'", arg) for arg in args]
    named += [(name, os.environ[name]) for name in ENVIRONMENT if name in os.environ]
    if all(value.isascii() and "\x00" not in value for _, value in named):
        return  # the common case, without importing the text rules
    from piecepay.text import unreadable

    for where, value in named:
        problem = unreadable(value)
        if problem:
            from piecepay.errors import BadInput

            raise BadInput(f"{where} {problem}", "unsafe_text")


def _report(exc: BaseException, as_json: bool) -> int:
    """The one place an error becomes a line on stderr and an exit code."""
    from piecepay.cli import output
    from piecepay.errors import known

    error = known(exc)
    if error is not None:
        output.error_out(error.code, error.message, as_json)
        return error.exit_code
    if isinstance(exc, KeyboardInterrupt | typer.Abort):
        output.error_out("interrupted", "interrupted", as_json)
        return 130
    return _unexpected(exc, as_json)  # type: ignore[arg-type]


def _unexpected(exc: Exception, as_json: bool) -> int:
    from typer._click.exceptions import NoArgsIsHelpError

    from piecepay.cli import output

    if isinstance(exc, NoArgsIsHelpError) and exc.ctx is not None:
        output.help_text(exc.ctx.get_help())  # a bare group asks for its help, not an error
        return 0
    usage = _usage_error(exc)
    if usage is not None:
        output.error_out("bad_usage", usage, as_json)
        return 2
    if isinstance(exc, OSError):
        output.error_out("os_error", f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), as_json)
        return 5
    output.error_out("internal_error", f"internal error ({type(exc).__name__}: {exc}); please report it", as_json)
    return 70


def _usage_error(exc: Exception) -> str | None:
    """Typer's own parsing errors (bad option, missing argument) as one line, or None."""
    from typer._click.exceptions import UsageError

    if not isinstance(exc, UsageError):
        return None
    command = exc.ctx.command_path if exc.ctx is not None else "piecepay"
    return f"{exc.format_message()} (see '{command} --help')"


def run() -> None:
    """Run one command and end the process with its exit code."""
    code = main()
    # The process ends here. The interpreter's collections at exit would walk every object
    # left (milliseconds); everything that needed closing (ledgers, files) is closed.
    gc.freeze()
    sys.exit(code)
