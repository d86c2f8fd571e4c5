"""CSV (one row per posting) and JSON lines (one entry per line), with stable columns.

Both take the entries one at a time and write them a chunk at a time; what repeats from
row to row (a contract's names, an account's cells) is worked out once per export.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import IO, Any

from piecepay.export.entries import ExportEntry
from piecepay.money import format_minor
from piecepay.text import UNSAFE, UNSAFE_IN_JSON, visible

CSV_COLUMNS = (
    "entry_id",
    "date",
    "recorded_at",
    "kind",
    "campaign",
    "contract",
    "worker",
    "bill_id",
    "account",
    "side",
    "phase",
    "currency",
    "amount",
    "amount_minor",
    "memo",
    "actor",
    "hash",
)
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
NUMERIC_COLUMNS = frozenset({"amount", "amount_minor"})
QUOTING = re.compile('[,"\r\n]')  # what makes csv.writer quote a cell
CAREFUL = re.compile(f"{QUOTING.pattern}|{UNSAFE}")
CHUNK = 500  # entries written at a time


def safe_cell(value: Any) -> str:
    """A free-text CSV cell no spreadsheet runs as a formula (it never starts with = + - @ tab
    or CR, even when it reads like a number) and no terminal obeys (unsafe characters escaped)."""
    text = "" if value is None else visible(str(value))
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def _text(text: str) -> str:
    """``_field(safe_cell(text))``, without its work for the usual text that needs none."""
    if text.isascii() and text.isprintable():  # no control character: only quoting and triggers to mind
        if "," not in text and '"' not in text and not text.startswith(FORMULA_TRIGGERS):
            return text
    elif CAREFUL.search(text) is None and not text.startswith(FORMULA_TRIGGERS):
        return text
    return _field(safe_cell(text))


class _Rendered(dict[Any, str]):
    """Values rendered once each, on first use: ``rendered[value]``."""

    def __init__(self, render: Callable[[Any], str]) -> None:
        super().__init__()
        self.render = render

    def __missing__(self, key: Any) -> str:
        rendered = self[key] = self.render(key)
        return rendered


def _field(cell: str) -> str:
    """A cell as csv.writer (QUOTE_MINIMAL, doubled quotes) writes it in a row of many cells."""
    return '"' + cell.replace('"', '""') + '"' if QUOTING.search(cell) else cell


def _number(value: int) -> str:
    return str(value) if value >= 0 else safe_cell(value)


def _csv_cells(values: tuple[Any, ...]) -> str:
    return ",".join(_field(safe_cell(v)) for v in values)


def write_csv(entries: Iterable[ExportEntry], stream: IO[str]) -> None:
    """One row per posting, as csv.writer would write ``safe_cell`` of each value (amounts as
    they are); a contract's, an account's, a date's and an actor's cells are worked out once."""
    stream.write(",".join(CSV_COLUMNS) + "\n")
    names = _Rendered(lambda key: _csv_cells((key[0], f"{key[0]}/{key[1]}" if key[0] else None, key[1])))
    accounts = _Rendered(_csv_cells)
    plain = _Rendered(lambda value: _field(safe_cell(value)))  # dates, kinds, actors: few of each
    recorded: tuple[str | None, str] = (None, "")  # entries written by one command share their time
    lines: list[str] = []
    for n, e in enumerate(entries, 1):
        if not e.postings:
            continue
        if e.recorded_at != recorded[0]:
            recorded = (e.recorded_at, _text(e.recorded_at))
        bill = "" if e.bill_id is None else _field(_number(e.bill_id))
        head = (
            f"{_field(_number(e.id))},{plain[e.date]},{recorded[1]},{plain[e.kind]},"
            f"{names[e.campaign, e.worker]},{bill},"
        )
        tail = f",{_text(e.memo)},{plain[e.actor]},{_text(e.hash)}\n"
        for p in e.postings:
            cells = accounts[p.account, p.side, p.phase, p.currency]
            lines.append(f"{head}{cells},{format_minor(p.amount, p.digits)},{p.amount}{tail}")
        if n % CHUNK == 0:
            stream.write("".join(lines))
            lines.clear()
    stream.write("".join(lines))


def entry_document(e: ExportEntry) -> dict[str, Any]:
    """One entry as its JSON-lines object (``write_jsonl`` writes the same text, faster)."""
    return {
        "entry_id": e.id,
        "date": e.date,
        "recorded_at": e.recorded_at,
        "kind": e.kind,
        "campaign": e.campaign,
        "contract": e.contract,
        "worker": e.worker,
        "bill_id": e.bill_id,
        "memo": e.memo,
        "actor": e.actor,
        "hash": e.hash,
        "postings": [
            {
                "account": p.account,
                "side": p.side,
                "phase": p.phase,
                "currency": p.currency,
                "amount": format_minor(p.amount, p.digits),
                "amount_minor": p.amount,
            }
            for p in e.postings
        ],
    }


# json.dumps(ensure_ascii=False) writes a str with exactly this function.
_string = json.encoder.encode_basestring


def _json(value: str | int | None) -> str:
    if value is None:
        return "null"
    return str(value) if isinstance(value, int) else _string(value)


def _json_names(key: tuple[str | None, str | None]) -> str:
    campaign, worker = key
    contract = f"{campaign}/{worker}" if campaign else None
    return f'"campaign":{_json(campaign)},"contract":{_json(contract)},"worker":{_json(worker)}'


def _json_account(key: tuple[str, str, str, str]) -> str:
    account, side, phase, currency = (_string(v) for v in key)
    return f'{{"account":{account},"side":{side},"phase":{phase},"currency":{currency},"amount":"'


def write_jsonl(entries: Iterable[ExportEntry], stream: IO[str]) -> None:
    """``text.json_text(entry_document(e))`` of each entry, one per line, built without the dict;
    a contract's, an account's, a date's and an actor's fragments are worked out once."""
    names = _Rendered(_json_names)
    accounts = _Rendered(_json_account)
    plain = _Rendered(_string)  # dates, kinds, actors: few of each
    recorded: tuple[str | None, str] = (None, "")  # entries written by one command share their time
    lines: list[str] = []
    for n, e in enumerate(entries, 1):
        if e.recorded_at != recorded[0]:
            recorded = (e.recorded_at, _string(e.recorded_at))
        hash_text = f'"{e.hash}"' if e.hash.isalnum() and e.hash.isascii() else _string(e.hash)
        postings = ",".join(
            f'{accounts[p.account, p.side, p.phase, p.currency]}{format_minor(p.amount, p.digits)}",'
            f'"amount_minor":{p.amount}}}'
            for p in e.postings
        )
        lines.append(
            f'{{"entry_id":{e.id},"date":{plain[e.date]},"recorded_at":{recorded[1]},'
            f'"kind":{plain[e.kind]},{names[e.campaign, e.worker]},"bill_id":{_json(e.bill_id)},'
            f'"memo":{_string(e.memo)},"actor":{plain[e.actor]},"hash":{hash_text},"postings":[{postings}]}}\n'
        )
        if n % CHUNK == 0:
            stream.write(_visible_json("".join(lines)))
            lines.clear()
    stream.write(_visible_json("".join(lines)))


def _visible_json(text: str) -> str:
    """What ``json_text`` does to JSON: no raw character a terminal acts on (escaped the same way)."""
    if text.isascii() and "\x7f" not in text:  # DEL is the one such character ASCII has
        return text
    return re.sub(UNSAFE_IN_JSON, lambda m: f"\\u{ord(m.group()):04x}", text)
