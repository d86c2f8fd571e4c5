"""The kill -9 soak (tests/soak.py), 200 interruptions: every money-moving command, killed at
any moment and retried with its key, takes effect exactly once, and the ledger verifies.

It runs the script as its own process, as a user would, and bounds its time; on this
2-core machine 200 interruptions take about a minute.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

COUNT = 200
SEED = 20261129
TIMEOUT = 600  # seconds; the soak takes about a fifth of this here
SUMMARY = re.compile(
    r"^soak: (?P<count>\d+) interruptions, (?P<killed>\d+) killed mid-run, (?P<finished>\d+) finished before "
    r"the kill, (?P<retries_killed>\d+) retries killed too; verify ok; (?P<entries>\d+) entries; keys exactly once; "
    r"money conserved in (?P<currencies>.+)$",
    re.MULTILINE,
)


def test_two_hundred_kill_9_interruptions_leave_every_key_applied_exactly_once(tmp_path: Path) -> None:
    workdir = tmp_path / "soak"
    command = [sys.executable, str(ROOT / "tests" / "soak.py"), "--count", str(COUNT), "--seed", str(SEED)]
    result = subprocess.run(
        [*command, "--workdir", str(workdir)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    report = f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.returncode == 0, report
    assert "Traceback" not in result.stderr, report
    found = SUMMARY.search(result.stdout)
    assert found is not None, report
    killed, finished = int(found["killed"]), int(found["finished"])
    assert int(found["count"]) == COUNT, report
    assert killed > 0, report  # the soak only means something if commands died mid-way
    assert killed + finished == COUNT, report
    assert int(found["entries"]) > COUNT, report
    assert set(found["currencies"].split(", ")) == {"JPY", "USD"}, report
    assert (workdir / "ledger.db").is_file()
