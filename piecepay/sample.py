"""The bundled sample month: a script of piecepay commands, each with its date.

Each non-blank, non-comment line reads ``DATE [!CODE] ARGS…``: the day the step
happens, the exit code it must end with when it is not 0 (a refusal the story
shows on purpose), and the piecepay arguments, quoted as in a shell.
"""

from __future__ import annotations

import shlex
from datetime import date
from pathlib import Path

from piecepay.errors import BadInput
from piecepay.records import Record

MONTH_FILE = "month.txt"


class Step(Record):
    """One line of the script."""

    line: int
    day: date
    expect: int
    args: tuple[str, ...]
    text: str


def sample_dir() -> Path:
    """Where the sample files are: inside the installed package, or beside it in a checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "sample_data", here.parent / "sample_data"):
        if (candidate / MONTH_FILE).is_file():
            return candidate
    raise BadInput("the bundled sample_data/ folder is missing from this installation", "sample_missing")


def parse_script(text: str) -> list[Step]:
    """The steps of a script; a malformed line raises BadInput naming its number."""
    steps = []
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        try:
            words = shlex.split(stripped, comments=True)
            day = date.fromisoformat(words[0])
        except (ValueError, IndexError) as exc:
            raise BadInput(f"sample line {number} is not 'DATE [!CODE] ARGS…': {exc}", "bad_sample") from None
        expect, args = 0, words[1:]
        if args and args[0].startswith("!"):
            expect, args = int(args[0][1:]), args[1:]
        steps.append(Step(number, day, expect, tuple(args), shlex.join(args)))
    return steps


def load_month() -> list[Step]:
    return parse_script((sample_dir() / MONTH_FILE).read_text(encoding="utf-8"))
