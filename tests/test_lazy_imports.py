"""A command loads only what it uses: never the PostgreSQL driver on a ledger file, and
none of the modules that cost start-up time where it has no use for them."""

import __future__

import importlib
import subprocess
import sys

import pytest

from tests.conftest import ROOT, Ledger

PROBE = """
import sys
from piecepay.cli import main
code = main(sys.argv[1:])
print(code, " ".join(sorted(sys.modules)))
"""

# Loaded by no command below: the server driver; the client of a served ledger (only with
# PIECEPAY_URL set) and its HTTP; what only a terminal (Rich), a new
# campaign or worker (pydantic), a new currency (Babel), creating or migrating a ledger
# (sqlite-utils) or an unset --db (platformdirs) needs; and standard modules piecepay
# does without on the way to a command (dataclasses, getpass, shlex).
NEVER = (
    "psycopg",
    "piecepay.store.postgres",
    "piecepay.remote",
    "http.client",
    "rich",
    "pydantic",
    "babel",
    "sqlite_utils",
    "platformdirs",
    "dataclasses",
    "getpass",
    "shlex",
)
BILL = ("bill", "photos/ana", "--pieces", "1")
# And per command, what it does not need. hashlib loads OpenSSL: a command that seals one
# entry hashes with the interpreter's built-in SHA-256 instead.
NOT_NEEDED = {
    ("--help",): ("sqlite3", "decimal", "json", "piecepay.store", "piecepay.models"),
    ("report",): ("json", "hashlib", "piecepay.journal", "piecepay.rules", "piecepay.export.entries"),
    ("--json", "report"): ("hashlib", "piecepay.journal", "piecepay.rules", "piecepay.export.entries"),
    ("log", "--last", "1"): ("json", "hashlib", "piecepay.journal", "piecepay.export.entries"),
    BILL: ("hashlib", "piecepay.export.entries"),
    ("release", "1"): ("hashlib", "piecepay.export.entries"),
    ("verify",): ("piecepay.export.entries",),
    ("payees", "--year", "2026"): ("json", "hashlib", "piecepay.journal", "piecepay.export.entries"),
    ("pay", "--week", "2026-W47"): ("json", "hashlib", "piecepay.journal", "piecepay.rules", "piecepay.export.entries"),
    # the pdf extra only for a pdf, the html module only for HTML
    ("statement", "ana"): ("weasyprint", "html", "hashlib", "piecepay.journal", "piecepay.rules"),
}


def loaded(ledger: Ledger, args: tuple[str, ...]) -> tuple[str, set[str]]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, "--db", str(ledger.db), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    code, _, modules = done.stdout.splitlines()[-1].partition(" ")
    return code, set(modules.split())


@pytest.mark.parametrize("args", list(NOT_NEEDED), ids=" ".join)
def test_a_command_loads_only_what_it_uses(contract: Ledger, args: tuple[str, ...]) -> None:
    contract.ok("milestone", "add", "photos/ana", "--top-up", "10")
    contract.ok(*BILL)
    code, modules = loaded(contract, args)
    assert code == "0", (args, code)
    assert "piecepay.cli" in modules  # the probe saw the command line at all
    unwanted = sorted(modules & {*NEVER, *NOT_NEEDED[args]})
    assert unwanted == [], args


def test_a_command_runs_with_the_collector_on() -> None:
    """Start-up pauses the garbage collector and freezes what the imports built; the command
    itself runs with collection on, as in any Python program."""
    probe = """
import gc
import piecepay.cli
piecepay.cli.run = lambda: print(gc.isenabled(), gc.get_freeze_count() > 0)
from piecepay.__main__ import run
run()
"""
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    assert done.stdout.split() == ["True", "True"]


# Modules on the way to report or bill whose records are typing.NamedTuples: with postponed
# annotations every field of a record costs a compile at start-up, so these evaluate theirs.
EVALUATED_ANNOTATIONS = (
    "piecepay.models",
    "piecepay.journal",
    "piecepay.rules",
    "piecepay.store.sqlite",
    "piecepay.store.journal",
    "piecepay.operations.reports",
    "piecepay.operations.milestones",
)


@pytest.mark.parametrize("name", EVALUATED_ANNOTATIONS)
def test_records_on_the_start_up_path_have_evaluated_annotations(name: str) -> None:
    module = importlib.import_module(name)
    assert getattr(module, "annotations", None) is not __future__.annotations, name
