"""--db, --json and --actor work after the subcommand as they do before it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from piecepay.cli import app, main
from piecepay.cli.commands import COMMANDS
from tests.conftest import Ledger, initialised, run_cli, with_contract

GLOBAL = ("--db", "--json", "--actor")


def _leaves(command: object, words: tuple[str, ...]) -> list[tuple[tuple[str, ...], object]]:
    subs = getattr(command, "commands", {})
    found = [(words, command)]
    for name, sub in subs.items():
        found += _leaves(sub, (*words, name))
    return found


def test_every_command_and_subcommand_takes_the_global_options() -> None:
    import typer

    root = typer.main.get_command(app)
    checked = 0
    for name in COMMANDS:
        command = root.get_command(None, name)  # type: ignore[attr-defined,arg-type]
        for words, leaf in _leaves(command, (name,)):
            names = {opt for param in leaf.params for opt in getattr(param, "opts", ())}  # type: ignore[attr-defined]
            assert set(GLOBAL) <= names, (words, sorted(names))
            checked += 1
    assert checked >= len(COMMANDS) + 12  # the groups' subcommands too


def test_options_after_the_command_name_the_ledger_the_output_and_the_actor(tmp_path: Path) -> None:
    book = with_contract(initialised(tmp_path / "a.db"))
    result = book.run("milestone", "add", "photos/ana", "--top-up", "100", "--json", "--actor", "carol")
    assert result.code == 0, result.err
    assert json.loads(result.out)["contract"] == "photos/ana"
    # the same words before the command give the same document shape; --db after the command
    # names the ledger when none comes before it
    listed = Ledger(tmp_path / "unused.db").run("campaign", "list", "--db", str(book.db), "--json", db=False)
    assert listed.code == 0, listed.err
    assert [row["id"] for row in json.loads(listed.out)] == ["photos"]
    entries = json.loads(book.run("log", "--json", "--last", "1").out)
    assert entries[-1]["actor"] == "carol" and entries[-1]["kind"] == "top_up"


def test_an_option_after_the_command_wins_over_the_same_before_it(tmp_path: Path) -> None:
    first, second = initialised(tmp_path / "first.db"), initialised(tmp_path / "second.db")
    first.ok("worker", "add", "ana")
    second.ok("worker", "add", "bo")
    code_and_out = []
    for before, after in ((first, second), (second, first)):
        out = run_cli("--db", str(before.db), "--actor", "x", "worker", "list", "--db", str(after.db), "--json")
        assert out.returncode == 0, out.stderr
        code_and_out.append([row["id"] for row in json.loads(out.stdout)])
    assert code_and_out == [["bo"], ["ana"]]
    wrote = second.run("worker", "add", "cy", "--actor", "dee", "--actor", "eve", "--json")
    assert wrote.code == 0, wrote.err
    assert json.loads(second.run("--json", "log", "--last", "1").out)[-1]["actor"] == "eve"


def test_json_after_the_command_also_makes_errors_json(ledger: Ledger) -> None:
    result = ledger.run("release", "999", "--json")
    assert result.code == 3
    assert json.loads(result.err)["error"]["code"] == "bill_not_found"


def test_a_missing_ledger_after_the_command_is_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "ledger.db"
    for args in (("report", "--db", str(missing)), ("worker", "add", "cy", "--db", str(missing))):
        assert main(list(args)) == 3
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", [("report",), ("bill",), ("campaign", "create")])
def test_help_lists_the_global_options(ledger: Ledger, command: tuple[str, ...]) -> None:
    shown = ledger.run(*command, "--help").out
    assert all(option in shown for option in GLOBAL), shown
