"""Help that fits the hand: an example in every command's help, values named by what they
are, and a suggestion for a mistyped command."""

from __future__ import annotations

import json
import re

import pytest
import typer

from piecepay.cli import app
from piecepay.cli.commands import COMMANDS, SUBCOMMANDS
from tests.conftest import Ledger


def _every_command() -> list[tuple[str, ...]]:
    root = typer.main.get_command(app)
    found: list[tuple[str, ...]] = []
    for name in COMMANDS:
        command = root.get_command(None, name)  # type: ignore[attr-defined,arg-type]
        subs = getattr(command, "commands", {})
        found += [(name, sub) for sub in subs] if subs else [(name,)]
        found += [(name, word) for word in SUBCOMMANDS.get(name, {})]
    return found


COMMAND_WORDS = _every_command()


def test_the_list_covers_the_groups() -> None:
    assert ("campaign", "create") in COMMAND_WORDS and ("bill", "list") in COMMAND_WORDS
    assert len(COMMAND_WORDS) >= 30


@pytest.mark.parametrize("words", COMMAND_WORDS, ids=" ".join)
def test_help_has_an_example_and_names_every_value(ledger: Ledger, words: tuple[str, ...]) -> None:
    shown = ledger.run(*words, "--help").out
    assert re.search(rf"Example: piecepay {' '.join(words)}\b", shown), shown
    assert "<str>" not in shown and "<int>" not in shown, shown


@pytest.mark.parametrize(
    ("typed", "suggested"),
    [(("bil",), "'bill'"), (("reprot",), "'report'"), (("campaign", "lst"), "'list'"), (("verfy",), "'verify'")],
)
def test_a_mistyped_command_gets_a_suggestion(ledger: Ledger, typed: tuple[str, ...], suggested: str) -> None:
    result = ledger.run("--json", *typed)
    assert result.code == 2
    message = json.loads(result.err)["error"]["message"]
    assert "Did you mean" in message and suggested in message


def test_no_suggestion_for_a_word_like_no_command(ledger: Ledger) -> None:
    result = ledger.run("xyzzy")
    assert result.code == 2 and "Did you mean" not in result.err
