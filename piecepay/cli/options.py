"""Option types shared by the commands, as Annotated aliases."""

from typing import Annotated

import typer

KeyOpt = Annotated[
    str | None,
    typer.Option(
        "--key",
        help="Idempotency key: a retry with the same key and request returns the first result and writes nothing.",
    ),
]
DateOpt = Annotated[str | None, typer.Option("--date", help="Effective date YYYY-MM-DD (default today).")]
FormatOpt = Annotated[str, typer.Option("--format", "-f", metavar="FORMAT", help="table, json, csv or jsonl.")]


def list_format(text: str) -> str | None:
    """A listing's --format, checked: None for the table (JSON with --json), else the format."""
    from piecepay.cli.render import FORMATS
    from piecepay.errors import BadInput

    if text not in FORMATS:
        raise BadInput(f"--format must be {', '.join(FORMATS[:-1])} or {FORMATS[-1]}, not '{text}'", "bad_format")
    return None if text == "table" else text
