"""The README's command reference stays true: every command and option it shows exists."""

from __future__ import annotations

import re

from piecepay.cli.commands import COMMANDS, SUBCOMMANDS
from tests.conftest import ROOT, Ledger

README = (ROOT / "README.md").read_text(encoding="utf-8")
GROUPS = ("campaign", "worker", "offer", "milestone", "token")


def _usages() -> list[tuple[tuple[str, ...], str]]:
    """(command words, the usage text) for each command the README's reference block shows."""
    block = README.split("## Commands", 1)[1].split("```", 2)[1]
    usages: list[tuple[tuple[str, ...], str]] = []
    current: tuple[str, ...] = ()
    for line in block.splitlines():
        for part in re.split(r"\s{3,}", line.strip()):
            if part.startswith("piecepay "):
                words = part.split()
                group = words[1]
                named = group in GROUPS or words[2] in SUBCOMMANDS.get(group, {})
                current = (group, words[2]) if named else (group,)
                segments = re.split(r" \| (?=[a-z])", part)
                usages.append((current, segments[0]))
                for segment in segments[1:]:
                    usages.append(((group, segment.split()[0]), segment))
            elif part and current:
                usages.append((current, part))  # a continuation line of the same command
    return usages


def test_every_command_is_in_the_readme() -> None:
    shown = {words[0] for words, _ in _usages()}
    assert set(COMMANDS) <= shown, set(COMMANDS) - shown


def test_every_option_the_readme_shows_exists(ledger: Ledger) -> None:
    checked = 0
    for command, text in _usages():
        help_text = ledger.run(*command, "--help").out
        assert help_text.startswith("Usage: piecepay " + " ".join(command)), command
        for option in re.findall(r"--[a-z][a-z-]*", text):
            assert option in help_text, (command, option)
            checked += 1
    assert checked > 40
