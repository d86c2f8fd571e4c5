"""The bundled sample month: it parses, the demo plays it, and its figures are the story's."""

from __future__ import annotations

import pytest

from piecepay.errors import BadInput
from piecepay.sample import load_month, parse_script
from tests.conftest import Ledger


def test_script_lines_parse_with_dates_and_expected_codes() -> None:
    steps = parse_script('2026-10-01 campaign create "A b" --rate 5\n# comment\n\n2026-10-02 !1 bill --pieces 3\n')
    assert [(s.line, s.day.isoformat(), s.expect, s.args) for s in steps] == [
        (1, "2026-10-01", 0, ("campaign", "create", "A b", "--rate", "5")),
        (4, "2026-10-02", 1, ("bill", "--pieces", "3")),
    ]


def test_malformed_script_line_is_named() -> None:
    with pytest.raises(BadInput, match="line 2"):
        parse_script("2026-10-01 worker add ana\nyesterday worker add ben\n")


def test_sample_month_shows_each_thing_the_story_promises() -> None:
    steps = load_month()
    refused = [s for s in steps if s.expect]
    assert {s.expect for s in refused} == {1, 2}
    commands = [s.args[:2] for s in steps]
    assert ("campaign", "create") in commands and ("end", "photos/ana") in commands
    assert any(s.args[0] == "release" and "--pieces" in s.args for s in steps)
    assert any(s.args[0] == "reject" and "--reason" in s.args for s in steps)
    assert any("JPY" in s.args for s in steps)
    assert any("0.005" in s.args for s in steps)


def test_demo_plays_the_month_into_the_given_ledger(ledger: Ledger) -> None:
    result = ledger.run("--json", "demo")
    assert result.code == 0, result.err
    rows = {row["campaign"]: row for row in result.json["rows"]}
    assert set(rows) == {"photos", "transcripts", "menus", "tagging"}
    photos = rows["photos"]
    assert (photos["funded"], photos["released"], photos["refunded"], photos["escrow"]) == (
        "145.00",
        "68.00",
        "77.00",
        "0.00",
    )
    # 1203 rows x 0.005 = 6.015 and 997 x 0.005 = 4.985 on one contract: 11.000, rounded once
    # over the contract's running total (6.02, then 4.98), not bill by bill (6.02 + 4.99 = 11.01)
    assert rows["menus"]["released"] == "11.00"
    assert (rows["menus"]["reserved"], rows["menus"]["pieces_pending"]) == ("10.00", "1999")
    assert (rows["tagging"]["currency"], rows["tagging"]["released"], rows["tagging"]["refunded"]) == (
        "JPY",
        "5160",
        "840",
    )
    assert rows["transcripts"]["pieces_released"] == "78"
    totals = {t["currency"]: t for t in result.json["totals"]}
    assert totals["USD"]["released_minor"] == 6800 + 9360 + 1100
    assert ledger.run("verify").code == 0


def test_demo_refuses_a_ledger_that_is_not_fresh(contract: Ledger) -> None:
    before = contract.dump()
    result = contract.run("demo")
    assert result.code == 1
    assert "new or empty ledger" in result.err
    assert contract.dump() == before


def test_demo_narrates_each_step_and_the_refusals(ledger: Ledger) -> None:
    result = ledger.run("demo")
    assert result.code == 0
    assert "$ piecepay bill photos/ana --pieces 6" in result.out
    assert "milestone cap 25.00 USD has 25.00 USD left; this bill is 30.00 USD" in result.out
    assert result.out.rstrip().splitlines()[-1].split()[:3] == ["USD", "320.00", "172.60"]
    assert "\n\nThe month in figures (63 steps played into " in result.out
    assert "\\x" not in result.out  # nothing the demo itself says is shown escaped
