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
FormatOpt = Annotated[str, typer.Option("--format", "-f", help="table, json or csv.")]
