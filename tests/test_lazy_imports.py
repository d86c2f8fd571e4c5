"""A command on a ledger file never pays for what only a server ledger needs."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT, Ledger

PROBE = """
import sys
from piecepay.cli import main
code = main(sys.argv[1:])
print(code, sorted(m for m in ("psycopg", "piecepay.store.postgres") if m in sys.modules))
"""


def test_file_commands_never_import_the_postgresql_driver(contract: Ledger) -> None:
    contract.ok("milestone", "add", "photos/ana", "--top-up", "10")
    for args in (["report"], ["bill", "photos/ana", "--pieces", "1"], ["verify"], ["log", "--last", "1"]):
        done = subprocess.run(
            [sys.executable, "-c", PROBE, "--db", str(contract.db), *args],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=True,
        )
        assert done.stdout.splitlines()[-1] == "0 []", (args, done.stdout, done.stderr)
