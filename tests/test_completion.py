"""Shell completion: scripts for bash, zsh and fish, installed where each shell reads them,
and values completed from the ledger, at no cost to ordinary commands."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, Ledger, initialised, run_cli, with_contract

SHELLS = ("bash", "zsh", "fish")


@pytest.fixture
def book(tmp_path: Path) -> Ledger:
    ledger = with_contract(initialised(tmp_path / "ledger.db"))
    ledger.ok("worker", "add", "bo")
    ledger.ok("offer", "create", "photos", "bo")
    ledger.ok("milestone", "add", "photos/ana", "--top-up", "100")
    for pieces in ("1", "2", "3"):
        ledger.ok("bill", "photos/ana", "--pieces", pieces)
    ledger.ok("release", "2")
    return ledger


def completions(words: str, env: dict[str, str] | None = None) -> tuple[list[str], str]:
    """What piecepay offers bash for the last of ``words`` (as the bash script asks)."""
    done = run_cli(
        env={
            "_PIECEPAY_COMPLETE": "complete_bash",
            "COMP_WORDS": words,
            "COMP_CWORD": str(len(words.split(" ")) - 1),
            **(env or {}),
        }
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split(), done.stderr


@pytest.mark.parametrize("shell", SHELLS)
def test_a_script_for_each_shell(shell: str) -> None:
    done = run_cli("--show-completion", shell)
    assert done.returncode == 0, done.stderr
    assert "_PIECEPAY_COMPLETE" in done.stdout and "piecepay" in done.stdout
    assert "\\x0a" not in done.stdout  # the script as written, not escaped for display
    checker = shutil.which(shell)
    if checker:
        checked = subprocess.run([checker, "-n"], input=done.stdout, text=True, capture_output=True, check=False)
        assert checked.returncode == 0, checked.stderr


def test_another_shell_is_refused() -> None:
    done = run_cli("--show-completion", "tcsh")
    assert done.returncode == 2 and "bash, zsh or fish" in done.stderr


@pytest.mark.parametrize(
    ("shell", "written"),
    [
        ("bash", ".bash_completions/piecepay.sh"),
        ("zsh", ".zfunc/_piecepay"),
        ("fish", ".config/fish/completions/piecepay.fish"),
    ],
)
def test_install_writes_where_the_shell_reads(tmp_path: Path, shell: str, written: str) -> None:
    done = run_cli("--install-completion", shell, env={"HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    script = tmp_path / written
    assert "_PIECEPAY_COMPLETE" in script.read_text()
    if shell == "bash":
        assert f"source '{script}'" in (tmp_path / ".bashrc").read_text()


def test_commands_and_values_come_from_the_ledger(book: Ledger) -> None:
    env = {"PIECEPAY_DB": str(book.db)}
    assert completions("piecepay bi", env)[0] == ["bill"]
    assert completions("piecepay release ", env)[0] == ["1", "3"]  # pending bills only
    assert completions("piecepay bill show ", env)[0] == ["1", "3"]
    assert completions("piecepay bill ph", env)[0] == ["photos/ana"]  # active contracts
    assert completions("piecepay campaign show ", env)[0] == ["photos"]
    assert completions("piecepay offer create photos ", env)[0] == ["ana", "bo"]
    assert completions("piecepay bill list --worker b", env)[0] == ["bo"]
    assert completions("piecepay campaign edit ", env)[0] == ["photos"]
    assert completions("piecepay campaign edit p", env)[0] == ["photos"]
    assert completions("piecepay worker edit ", env)[0] == ["ana", "bo"]
    assert completions("piecepay worker edit a", env)[0] == ["ana"]
    book.ok("revise", "3", "--reason", "crop it")
    assert completions("piecepay resubmit ", env)[0] == ["3"]  # bills out for a revision
    assert completions("piecepay revise ", env)[0] == ["1"]
    # --db on the line wins over PIECEPAY_DB, as it does for a command
    assert completions(f"piecepay --db {book.db} release ", {"PIECEPAY_DB": "/nonexistent.db"})[0] == ["1"]


def test_a_ledger_that_cannot_be_read_completes_nothing_quietly(tmp_path: Path) -> None:
    offered, err = completions("piecepay release ", {"PIECEPAY_DB": str(tmp_path / "missing.db")})
    assert (offered, err) == ([], "")
    assert not (tmp_path / "missing.db").exists()


def test_ordinary_commands_never_load_completion(book: Ledger) -> None:
    probe = (
        "import sys; from piecepay.cli import main; main(['--db', sys.argv[1], 'report']); "
        "print(sorted(m for m in sys.modules if m.startswith('piecepay') and 'completion' in m))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("_PIECEPAY_COMPLETE", None)
    done = subprocess.run([sys.executable, "-c", probe, str(book.db)], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
