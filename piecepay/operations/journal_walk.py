"""The journal proved in one streaming pass, at the speed of reading it.

``verify`` proves the hash chain, that every entry balances, and that every table equals the
latest facts the chain sealed. Its careful walk (in ``verify.py``) names the first fault
exactly; this walk proves a sound ledger fast and names nothing. It reads each table once, row
by row as plain tuples (the postings in the order written, merged with their entries); hashes
each entry over a text built directly from what the entry stores (``journal.sealed_text``,
the same bytes ``canonical_json`` gives for the document, with the stored facts text in
place); parses the facts only where a check reads their values (a row of a table whose rows
never change, such as an idempotency key, is sliced out of the text and only hashed); and
remembers the values it has already judged (a rate, a date, proofs) instead of judging them
again.

Whatever it does not prove at once raises ``Doubt``: a gap, a hash that does not match,
facts that are not in canonical form, a malformed value, a changed fact, a row that differs
from its image. verify then runs the careful walk, which finds and names the first fault as
it always did (or proves the ledger after all, if the doubt was only this walk being
stricter). So passing here must imply that the careful walk passes; that is why the facts
text may be hashed as stored:

- The careful walk hashes ``canonical_json(json.loads(facts))``; this walk hashes ``facts``
  itself, and proves that the text is that canonical form: the parsed facts, written back
  canonically, give the same text; for a row sliced out unparsed, its image must have the
  digest of the canonical image of the row in its table (the latest image of a row is
  compared with the table at the end), or of a later image of the same row (which, in a
  table whose rows never change, must be identical). A text that parses to the same facts
  but is written otherwise (spaces, keys out of order, a duplicate key) is doubted, so it
  never passes here while the careful walk fails it.
- Every other check is the careful walk's, on the same values, in a form that may be
  stricter but never laxer.
"""

from __future__ import annotations

import hashlib
import json
import operator
import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from json.encoder import encode_basestring_ascii
from typing import Any

from piecepay.journal import (
    CANONICAL,
    GENESIS_HASH,
    MONEY_KINDS,
    RECORD_KINDS,
    SOMETIMES_MONEY_KINDS,
    Posting,
    account_text,
    entry_hash,
    json_scalar,
    posting_tail,
    sealed_text,
)
from piecepay.models import BillStatus, CampaignStatus, ContractStatus, MilestoneStatus
from piecepay.records import Record
from piecepay.store import Store
from piecepay.store.facts import COVERED
from piecepay.store.migrations import (
    EDITABLE,
    FINAL_STATUSES,
    IMMUTABLE_TABLES,
    REOPENED,
    SET_ONCE,
    editable_columns,
    fixed_columns,
)

# (side, phase): the start of a posting's text after its account, the sign its amount takes in
# the entry's balance, and whether the amount must be positive (posted).
WAYS = {
    (side, phase): (posting_tail(side, phase, 0)[:-2], 1 if side == "debit" else -1, phase == "posted")
    for side in ("debit", "credit")
    for phase in ("pending", "posted")
}
ENCODE = CANONICAL.encode
CACHE_LIMIT = 1 << 16  # values remembered per kind of check, so memory stays bounded


class Doubt(Exception):
    """The fast walk did not prove this; the careful walk decides and names the fault."""


class Start(Record):
    """Where a walk begins: after entry ``entry`` (0: the first), chained to ``hash``, with the
    postings up to it summed in ``sums`` (per account and total column), and whether the
    facts are sealed from there on."""

    entry: int
    hash: str
    sums: dict[tuple[int, str], int]
    sealing: bool


GENESIS = Start(0, GENESIS_HASH, {}, False)


class Walked(Record):
    """What a passing walk proved."""

    entries: int  # the last entry's id, which is the number of entries
    head: str  # its hash
    sums: dict[tuple[int, str], int]  # every posting up to it, per account and total column
    sealed: dict[str, dict[str, Seal]]  # the latest image of each row sealed, by table and key
    marked: dict[tuple[int, str], int] | None  # the sums up to the entry ``mark`` asked for, if walked


class Sealed(Record):
    """What the walk keeps of the latest image the chain sealed of one row (as the careful walk does)."""

    digest: bytes  # of the whole image
    entry: int  # the entry that sealed it
    fixed: bytes  # of the columns fixed once written
    once: tuple[object, ...]  # the columns set once
    final: bool  # the row is in a state it never leaves (but for ``REOPENED``)
    editable: bytes  # of the columns only an entry of one kind changes (``EDITABLE``)
    status: object  # its status, if its table has one


# What the fast walk keeps of the latest image of a row: its digest, the entry that sealed it,
# the digest of its fixed columns (None once final), its set-once tokens, whether it is final,
# the canonical list of its editable columns (their text: as small as a digest, and not hashed),
# its status's token.
Seal = tuple[bytes, int, bytes | None, tuple[str, ...], bool, str, str]


class Rules(Record):
    """What the careful walk checks in an image of one table."""

    statuses: frozenset[str] | None
    decimals: tuple[str, ...]
    dates: tuple[str, ...]
    proofs: bool
    fixed: tuple[str, ...] | None  # None: every column
    once: tuple[str, ...]
    final: frozenset[str]
    editable: tuple[str, ...]
    edited_by: str  # the kind of entry that may change the editable columns
    reopened: tuple[str, str, str] | None  # (final status, the status it may take, the kind of entry)


STATUSES = {
    "campaigns": CampaignStatus,
    "contracts": ContractStatus,
    "milestones": MilestoneStatus,
    "bills": BillStatus,
}
DECIMALS = {"campaigns": ("step", "rate"), "contracts": ("rate",), "bills": ("rate",)}
DATES = {
    "campaigns": ("deadline",),
    "contracts": ("accepted_on", "ended_on"),
    "milestones": ("opened_on",),
    "bills": ("effective_date", "resolved_on"),
    "revisions": ("asked_on", "resolved_on"),
    "tokens": ("expires_on", "revoked_on"),
    "bonuses": ("effective_date",),
    "work_times": ("effective_date",),
}


def malformed(table: str, image: dict[str, object]) -> str | None:
    """What in a sealed image is not of its kind (so no later check reads it as something it
    is not): a status outside its enum, a rate that is no positive finite decimal, a date that
    is not YYYY-MM-DD, proofs that are not a list of text; None when all is well."""
    status = STATUSES.get(table)
    if status is not None and image.get("status") not in {member.value for member in status}:
        return "a status that is not one of its own"
    for name in DECIMALS.get(table, ()):
        if not positive_decimal(image.get(name)):
            return f"a {name} that is not a positive decimal"
    for name in DATES.get(table, ()):
        value = image.get(name)
        if value is not None and not (isinstance(value, str) and is_date(value)):
            return f"a {name} that is not a date"
    if table == "bills" and not list_of_text(image.get("proofs")):
        return "proofs that are not a list of text"
    return None


def list_of_text(value: object) -> bool:
    """Whether ``value`` is JSON text of a list of strings."""
    try:
        items = json.loads(str(value))
    except ValueError:
        return False
    return isinstance(items, list) and all(isinstance(item, str) for item in items)


def positive_decimal(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        number = Decimal(value)
    except ArithmeticError:
        return False
    return number.is_finite() and number > 0


def is_date(text: str) -> bool:
    try:
        return date.fromisoformat(text).isoformat() == text
    except ValueError:
        return False


def rules_of(table: str) -> Rules:
    status = STATUSES.get(table)
    return Rules(
        frozenset(member.value for member in status) if status is not None else None,
        DECIMALS.get(table, ()),
        DATES.get(table, ()),
        table == "bills",
        fixed_columns(table),
        SET_ONCE.get(table, ()),
        FINAL_STATUSES.get(table, frozenset()),
        editable_columns(table),
        EDITABLE[table][1] if table in EDITABLE else "",
        REOPENED.get(table),
    )


def digest_of(text: str) -> bytes:
    """The careful walk's digest of an image, from its canonical text."""
    return hashlib.sha256(text.encode()).digest()[:16]


def walk(store: Store, start: Start = GENESIS, mark: int | None = None) -> Walked:
    """Prove every entry after ``start``: ids in order, each chained to the one before and
    matching its hash, well formed and balanced, and every image it seals well formed and a
    lawful successor of the one before it. Raises Doubt at anything it does not prove. The
    tables are compared with the images afterwards (``tables_match`` or ``rows_match``)."""
    names = store.account_names()
    accounts = {account: account_text(account, name, currency) for account, (name, currency) in names.items()}
    currency_of = {account: currency for account, (_, currency) in names.items()}
    sums = {(account, *_split(column)): total for (account, column), total in start.sums.items()}
    facts_walk = Facts({table: store.covered_columns(table) for table in COVERED})
    marked = dict(start.sums) if mark == start.entry else None
    prev, expected, sealing = start.hash, start.entry + 1, start.sealing
    ways: dict[tuple[Any, ...], Way] = {}  # by account, side and phase
    postings = store.posting_rows(start.entry)
    pending = next(postings, None)
    sha256 = hashlib.sha256
    for eid, kind, contract_id, bill_id, effective, recorded, actor, memo, prev_hash, digest, facts in store.entry_rows(
        start.entry
    ):
        if eid != expected or prev_hash != prev:
            raise Doubt
        moved: list[str] = []
        raw: list[tuple[Any, ...]] = []
        balance: dict[str, int] = {}
        while pending is not None and pending[0] == eid:
            total, amount = pending[1:4], pending[4]
            way = ways.get(total)
            if way is None:
                way = ways[total] = _way(total, accounts, currency_of)
            if type(amount) is not int or amount == 0 or (amount < 0 and way[2]):
                raise Doubt
            moved.append(f"{way[0]}{amount}]")
            raw.append(pending)
            balance[way[3]] = balance.get(way[3], 0) + way[1] * amount
            sums[total] = sums.get(total, 0) + amount
            pending = next(postings, None)
        if pending is not None and pending[0] < eid:
            raise Doubt  # postings out of order, or of an entry that is not there
        if kind in MONEY_KINDS or (moved and kind in SOMETIMES_MONEY_KINDS):
            if not moved or any(balance.values()):
                raise Doubt
        elif (kind not in RECORD_KINDS and kind not in SOMETIMES_MONEY_KINDS) or moved:
            raise Doubt
        sealing = sealing or kind == "checkpoint"
        fields = (actor, bill_id, contract_id, effective, eid, kind, memo, recorded)
        if not sealing:
            _unsealed(prev_hash, fields, raw, facts, digest)
        elif type(facts) is not str:
            raise Doubt
        else:
            if sha256(_sealed_text(prev_hash, fields, moved, facts).encode()).hexdigest() != digest:
                raise Doubt
            facts_walk.entry(eid, facts, kind, bill_id)
        if eid == mark:
            marked = _columns(sums)
        prev, expected = digest, eid + 1
    if pending is not None:
        raise Doubt  # postings of entries that are not there
    if expected > 1 and not sealing:
        raise Doubt  # no checkpoint
    return Walked(expected - 1, prev, _columns(sums), facts_walk.sealed, marked)


# What a posting's account, side and phase make of it: the start of its text (up to its
# amount), the sign its amount takes in its entry's balance, whether the amount must be
# positive (posted), and the currency it balances in.
Way = tuple[str, int, bool, str]


def _way(total: tuple[Any, ...], accounts: dict[int, str], currency_of: dict[int, str]) -> Way:
    """The way of postings to ``total`` (account, side, phase); Doubt at an unknown one."""
    account, side, phase = total
    way = WAYS.get((side, phase))
    prefix = accounts.get(account)
    if way is None or prefix is None:
        raise Doubt
    return (prefix + way[0], way[1], way[2], currency_of[account])


def _sealed_text(prev_hash: str, fields: tuple[Any, ...], postings: list[str], facts: str) -> str:
    """``sealed_text``, written directly for the values a STRICT entries table holds (text,
    whole numbers, null); any other value is left to ``sealed_text``."""
    actor, bill_id, contract_id, effective_date, entry_id, kind, memo, recorded_at = fields
    if (
        type(actor) is not str
        or type(effective_date) is not str
        or type(kind) is not str
        or type(memo) is not str
        or type(recorded_at) is not str
        or type(prev_hash) is not str
        or type(entry_id) is not int
    ):
        return sealed_text(prev_hash, fields, postings, facts)
    quote = encode_basestring_ascii
    return (
        f'{{"facts":{facts},"fields":{{"actor":{quote(actor)},"bill_id":{_whole(bill_id)},'
        f'"contract_id":{_whole(contract_id)},"effective_date":{quote(effective_date)},"id":{entry_id},'
        f'"kind":{quote(kind)},"memo":{quote(memo)},"recorded_at":{quote(recorded_at)}}},'
        f'"postings":[{",".join(postings)}],"prev":{quote(prev_hash)},"v":2}}'
    )


def _whole(value: object) -> str:
    """``json_scalar`` of a whole number or None (a reference to a row, or none)."""
    return "null" if value is None else json_scalar(value)


def _unsealed(prev_hash: str, fields: tuple[Any, ...], raw: list[tuple[Any, ...]], facts: object, digest: str) -> None:
    """An entry from before facts were sealed into the chain (a ledger upgraded from schema 2):
    no facts, and the hash of that time."""
    if facts is not None:
        raise Doubt
    names = ("actor", "bill_id", "contract_id", "effective_date", "id", "kind", "memo", "recorded_at")
    postings = [Posting(account, side, phase, amount) for _, account, side, phase, amount in raw]
    if entry_hash(prev_hash, dict(zip(names, fields, strict=True)), postings) != digest:
        raise Doubt


def _split(column: str) -> tuple[str, str]:
    side, phase = column.split("_")
    return side[:-1], phase


def _columns(sums: dict[tuple[int, str, str], int]) -> dict[tuple[int, str], int]:
    return {(account, f"{side}s_{phase}"): total for (account, side, phase), total in sums.items()}


# Canonical JSON tokens, as ``canonical_json`` writes them and nothing else: text of printable
# ASCII with json's short escapes (a \\u escape, for text beyond ASCII, is left to the parsing
# path), whole numbers without leading zeros (at most 19 digits: a ledger's numbers are
# 64-bit), null, true, false. An image with a value that does not match (a float, a list,
# another spelling) sends its entry down the parsing path, where it is written back
# canonically and compared.
CHARS = r"[ !#-\[\]-~]"
TEXT = f'"{CHARS}*(?:\\\\["\\\\bfnrt]{CHARS}*)*"'
SCALAR = f"({TEXT}|-?[1-9][0-9]{{0,18}}|0|null|true|false)"
KEY = re.compile(TEXT)


class Shape(Record):
    """An image of one table as piecepay writes it (every column, in key order, scalar values),
    and where in it each check reads."""

    pattern: re.Pattern[str]  # the image's canonical text; its groups are the values' tokens
    rules: Rules
    status: int | None
    decimals: tuple[int | None, ...]
    dates: tuple[int | None, ...]
    proofs: int | None
    fixed: tuple[int | None, ...] | None
    once: tuple[int | None, ...]
    statuses: frozenset[str]  # the statuses' tokens
    final: frozenset[str]  # the final statuses' tokens
    fixed_of: Callable[[tuple[str, ...]], str] | None  # the fixed columns' canonical list, from the tokens
    once_of: Callable[[tuple[str, ...]], tuple[str, ...]]  # the set-once columns' tokens
    editable_of: Callable[[tuple[str, ...]], str] | None  # the editable columns' canonical list (None: none)
    reopened: tuple[str, str] | None  # the tokens of the final status that may be left, and of where to


def shape_of(table: str, columns: list[str]) -> Shape:
    """The shape of ``table``'s images, given its columns (less those left out of images)."""
    names = sorted(columns)
    pattern = re.compile(r"\{" + ",".join(re.escape(json_scalar(name)) + ":" + SCALAR for name in names) + r"\}")
    rules = rules_of(table)

    def at(name: str) -> int | None:
        return names.index(name) if name in names else None

    return Shape(
        pattern,
        rules,
        at("status"),
        tuple(at(name) for name in rules.decimals),
        tuple(at(name) for name in rules.dates),
        at("proofs") if rules.proofs else None,
        None if rules.fixed is None else tuple(at(name) for name in rules.fixed),
        tuple(at(name) for name in rules.once),
        frozenset(json_scalar(status) for status in rules.statuses or ()),
        frozenset(json_scalar(status) for status in rules.final),
        None if rules.fixed is None else _lister(tuple(at(name) for name in rules.fixed)),
        _picker(tuple(at(name) for name in rules.once)),
        _lister(tuple(at(name) for name in rules.editable)) if rules.editable else None,
        None if rules.reopened is None else (json_scalar(rules.reopened[0]), json_scalar(rules.reopened[1])),
    )


def _lister(where: tuple[int | None, ...]) -> Callable[[tuple[str, ...]], str]:
    """``_list`` of the tokens at ``where``, as one function of the tokens."""
    if not where or None in where:
        return lambda tokens: _list(tokens, where)
    pick = _picker(where)
    return lambda tokens: "[" + ",".join(pick(tokens)) + "]"


def _picker(where: tuple[int | None, ...]) -> Callable[[tuple[str, ...]], tuple[str, ...]]:
    """The tokens at ``where`` ("null" for a value the image lacks), as one function of the tokens."""
    if not where:
        return lambda tokens: ()
    if None in where:
        return lambda tokens: tuple("null" if at is None else tokens[at] for at in where)
    places = [at for at in where if at is not None]
    if len(places) == 1:
        only = places[0]
        return lambda tokens: (tokens[only],)
    return operator.itemgetter(*places)


# One image read in place: its table, its row's key, its text, and its values' tokens (None: cut
# out unread, see ``Facts._split``).
Image = tuple[str, str, str, tuple[str, ...] | None]
COMBO_LIMIT = 64  # kinds of entry whose tables are remembered
LEARN_AFTER = 64  # entries of a kind read table by table before its one-pass pattern is compiled


class Combo:
    """The canonical text of facts that seal one row in each of some tables (in sorted order,
    each image of its table's shape), as one pattern: every row's key, image and values'
    tokens in one match."""

    def __init__(self, shapes: list[tuple[str, Shape]]) -> None:
        patterns: list[str] = []
        self.parts: list[tuple[str, int, int]] = []  # table, where its key's group is, its values' groups
        at = 0
        for table, shape in shapes:
            patterns.append(f"{re.escape(json_scalar(table))}:\\{{({TEXT}):({shape.pattern.pattern})\\}}")
            self.parts.append((table, at, shape.pattern.groups))
            at += 2 + shape.pattern.groups
        self.pattern = re.compile("\\{" + ",".join(patterns) + "\\}")

    def read(self, facts: str) -> list[Image] | None:
        """Each image of ``facts`` if the whole text is of this pattern, else None."""
        found = self.pattern.fullmatch(facts)
        if found is None:
            return None
        groups = found.groups()
        images: list[Image] = []
        for table, at, width in self.parts:
            key = _decoded(groups[at])
            if not key:
                return None
            images.append((table, key, groups[at + 1], groups[at + 2 : at + 2 + width]))
        return images


def _decoded(token: str) -> Any:
    """The value a canonical token stands for."""
    if token[0] == '"' and "\\" not in token:
        return token[1:-1]
    return json.loads(token)


class Facts:
    """The images sealed entry by entry, checked as the careful walk checks them."""

    def __init__(self, columns: dict[str, list[str]]) -> None:
        self.shapes = {table: shape_of(table, columns[table]) for table in COVERED}
        self.sealed: dict[str, dict[str, Seal]] = {table: {} for table in COVERED}
        self.combos: dict[str, Combo | None] = {}  # by entry kind: the tables its last entry sealed
        self.known: dict[tuple[str, ...], Combo] = {}
        self.last: Combo | None = None  # the tables the last entry scanned sealed, one row each
        self.scanned: dict[str, int] = {}  # entries of each kind read table by table so far
        self.kind = ""  # the kind of the entry being read
        self.bill = ""  # the key of the bill it is about ("" if none)
        decimals = Judged(positive_decimal)
        dates = Judged(lambda value: isinstance(value, str) and is_date(value))
        proofs = Judged(list_of_text)
        self.checks = {  # where each value check reads, and whether null (or no value) passes it
            table: [(at, decimals, False) for at in shape.decimals]
            + [(at, dates, True) for at in shape.dates]
            + ([(shape.proofs, proofs, False)] if shape.rules.proofs else [])
            for table, shape in self.shapes.items()
        }

    def entry(self, eid: int, facts: str, kind: str = "", bill_id: int | None = None) -> None:
        """The images one entry seals (``kind``: the entry's, which tells which tables it
        likely seals and which changes it may make; ``bill_id``: the bill it is about)."""
        self.kind, self.bill = kind, "" if bill_id is None else str(bill_id)
        images = self._split(facts, kind)
        if images is None:
            self._parsed(eid, facts)
            return
        for table, key, image, tokens in images:
            if tokens is None:  # one row of a table whose rows never change, proved by its digest later
                digest = hashlib.sha256(image.encode()).digest()[:16]
                self._follow(table, key, digest, eid, _constant(digest), (), False, str, "")
            else:
                self._tokens(table, key, image, tokens, eid)

    def _split(self, facts: str, kind: str = "") -> list[Image] | None:
        """Each image of ``facts`` with its table, key and its values' tokens, read in place
        where the text is plainly canonical (sorted unique keys, no space, each image of its
        table's shape); None for anything else (the entry is then parsed).

        A text that seals one row in each of the tables the last entry of the same kind (or,
        for a kind not seen yet, the last entry read so) sealed is matched whole, in one pass
        (``Combo``), once LEARN_AFTER entries of its kind have been read table by table. The
        image of a row of a table whose rows never change (an idempotency key), when it is all
        the entry seals, is cut out unmatched (with None for its tokens): its digest must later
        equal that of the row's canonical image, which proves the whole text canonical."""
        combo = self.combos.get(kind, self.last)  # a kind seen before: its own, if any
        images = None if combo is None else combo.read(facts)
        if images is not None:
            return images
        images = self._scan(facts)
        seen = self.scanned[kind] = self.scanned.get(kind, 0) + 1
        if seen < LEARN_AFTER:
            return images  # a pattern costs milliseconds to compile: worth it for many entries only
        if images and images[-1][3] is not None:
            self._learn(kind, [table for table, _, _, _ in images])
        elif len(self.combos) < COMBO_LIMIT:
            self.combos[kind] = None  # read otherwise: the next of its kind likely is too
        return images

    def _learn(self, kind: str, tables: list[str]) -> None:
        """Remember the tables an entry of ``kind`` sealed, one row each, to match the next whole."""
        if len(set(tables)) != len(tables) or len(self.combos) >= COMBO_LIMIT:
            return
        combo = self.known.get(tuple(tables))
        if combo is None:
            combo = self.known[tuple(tables)] = Combo([(table, self.shapes[table]) for table in tables])
        self.combos[kind] = self.last = combo

    def _scan(self, facts: str) -> list[Image] | None:
        """``_split`` table by table and row by row."""
        if facts == "{}":
            return []
        if not facts.startswith('{"'):
            return None
        images: list[Image] = []
        pos, last_table = 1, ""
        while True:
            table, pos = _key(facts, pos)
            shape = self.shapes.get(table)
            if shape is None or table <= last_table or facts[pos : pos + 2] != ":{":
                return None
            last_table, pos, last_key = table, pos + 2, ""
            if facts[pos : pos + 1] == "}":
                pos += 1  # a table with no rows
            while facts[pos - 1] != "}":
                key, pos = _key(facts, pos)
                if not key or key <= last_key or facts[pos : pos + 1] != ":":
                    return None
                last_key, pos = key, pos + 1
                if not images and table in UNCHANGING and facts.endswith("}}"):
                    return [(table, key, facts[pos:-2], None)]
                found = shape.pattern.match(facts, pos)
                if found is None or facts[found.end() : found.end() + 1] not in (",", "}"):
                    return None
                images.append((table, key, found.group(), found.groups()))
                pos = found.end() + 1  # past the comma before the next key, or the table's closing brace
            separator, pos = facts[pos : pos + 1], pos + 1
            if separator == "}":
                return images if pos == len(facts) else None
            if separator != ",":
                return None

    def _parsed(self, eid: int, facts: str) -> None:
        """An entry whose images are not all of their table's shape: parsed, and written back
        canonically to prove that the text is the canonical form of what it holds."""
        try:
            parsed = json.loads(facts)
        except ValueError:
            raise Doubt from None
        if type(parsed) is not dict:
            raise Doubt
        written = []
        for table, rows in sorted(parsed.items()):
            shape = self.shapes.get(table)
            if shape is None or type(rows) is not dict:
                raise Doubt
            texts = []
            for key, image in sorted(rows.items()):
                if type(image) is not dict:
                    raise Doubt
                text = ENCODE(image)
                texts.append(f"{json_scalar(key)}:{text}")
                found = shape.pattern.fullmatch(text)
                if found is not None:
                    self._tokens(table, key, text, found.groups(), eid)
                else:
                    self._values(table, shape.rules, key, image, text, eid)
            written.append(f"{json_scalar(table)}:{{{','.join(texts)}}}")
        if f"{{{','.join(written)}}}" != facts:
            raise Doubt  # not the canonical text of what it holds

    def _tokens(self, table: str, key: str, text: str, tokens: tuple[str, ...], eid: int) -> None:
        """An image of its table's shape, checked on its values' canonical tokens, and kept as
        its row's latest once it is a lawful successor of the one before (``_follow``, here
        with the digest of the fixed columns taken only where it is compared or kept)."""
        shape = self.shapes[table]
        status = "" if shape.status is None else tokens[shape.status]
        if shape.statuses and status not in shape.statuses:
            raise Doubt
        for at, judged, may_be_null in self.checks[table]:
            if at is None:
                if may_be_null:
                    continue
                raise Doubt
            token = tokens[at]
            if token not in judged.passed and not (may_be_null and token == "null") and not judged.passes(token):
                raise Doubt
        sha256 = hashlib.sha256
        digest = sha256(text.encode()).digest()[:16]
        final = status in shape.final
        once = shape.once_of(tokens)
        rows = self.sealed[table]
        before = rows.get(key)
        if before is not None and before[4]:
            if digest == before[0]:
                rows[key] = (digest, eid, before[2], once, final, before[5], status)
                return  # a final image is followed only by itself...
            if shape.reopened != (before[6], status) or not self._about(table, key, shape.rules.reopened[2]):  # type: ignore[index]
                raise Doubt  # ...or, once, by the state it may still take
        fixed = digest if shape.fixed_of is None else sha256(shape.fixed_of(tokens).encode()).digest()[:16]
        editable = "" if shape.editable_of is None else shape.editable_of(tokens)
        if before is not None and (
            fixed != before[2]
            or (before[3] != once and _unset_changed(before[3], once))
            or (editable != before[5] and not self._about(table, key, shape.rules.edited_by))
        ):
            raise Doubt
        rows[key] = (digest, eid, None if final and shape.reopened is None else fixed, once, final, editable, status)

    def _about(self, table: str, key: str, kind: str) -> bool:
        """Whether the entry being read is of ``kind`` and about the row (for a bill, names it)."""
        return self.kind == kind and (table != "bills" or self.bill == key)

    def _values(self, table: str, rules: Rules, key: str, image: dict[str, Any], text: str, eid: int) -> None:
        """An image of another shape (say, sealed before a column was added), checked on its values."""
        if malformed(table, image) is not None:
            raise Doubt
        digest = digest_of(text)

        def fixed_digest() -> bytes:
            return digest if rules.fixed is None else digest_of(ENCODE([image.get(name) for name in rules.fixed]))

        def editable_text() -> str:
            return ENCODE([image.get(name) for name in rules.editable]) if rules.editable else ""

        once = tuple(json_scalar(image.get(name)) for name in rules.once)
        status = image.get("status")
        final = type(status) is str and status in rules.final
        self._follow(table, key, digest, eid, fixed_digest, once, final, editable_text, json_scalar(status))

    def _follow(
        self,
        table: str,
        key: str,
        digest: bytes,
        eid: int,
        fixed: Callable[[], bytes],
        once: tuple[str, ...],
        final: bool,
        editable: Callable[[], str],
        status: str,
    ) -> None:
        """Keep the image as the row's latest, once it is a lawful successor of the one before:
        the careful walk's ``_check_transition``. ``once`` holds canonical tokens ("null" for a
        value not yet set), ``status`` the status's token. The digest of the fixed columns and
        the text of the editable ones are taken only where they are compared or kept."""
        rows = self.sealed[table]
        before = rows.get(key)
        rules = self.shapes[table].rules
        if before is not None:
            if before[4] and digest == before[0]:
                rows[key] = (digest, eid, before[2], once, final, before[5], status)
                return
            if before[4] and (
                rules.reopened is None
                or (json_scalar(rules.reopened[0]), json_scalar(rules.reopened[1])) != (before[6], status)
                or not self._about(table, key, rules.reopened[2])
            ):
                raise Doubt
            if (
                fixed() != before[2]
                or any(old != "null" and old != new for old, new in zip(before[3], once, strict=True))
                or (editable() != before[5] and not self._about(table, key, rules.edited_by))
            ):
                raise Doubt
        kept = None if final and rules.reopened is None else fixed()
        rows[key] = (digest, eid, kept, once, final, editable(), status)


def _unset_changed(before: tuple[str, ...], after: tuple[str, ...]) -> bool:
    """Whether a value set once (not null before) changed."""
    return any(old != "null" and old != new for old, new in zip(before, after, strict=True))


def _constant(digest: bytes) -> Callable[[], bytes]:
    return lambda: digest


class Judged:
    """One check of a value (a rate is a positive decimal…), remembering the tokens it passed."""

    def __init__(self, check: Callable[[object], bool]) -> None:
        self.check = check
        self.passed: set[str] = set()

    def passes(self, token: str) -> bool:
        if token in self.passed:
            return True
        if not self.check(_decoded(token)):
            return False
        if len(self.passed) < CACHE_LIMIT:
            self.passed.add(token)
        return True


def _list(tokens: tuple[str, ...], where: tuple[int | None, ...]) -> str:
    """``canonical_json`` of the list of the values at ``where`` (None: a value the image lacks)."""
    return "[" + ",".join("null" if at is None else tokens[at] for at in where) + "]"


def _key(facts: str, pos: int) -> tuple[str, int]:
    """The plainly canonical text token at ``pos`` (a table's name, a row's key), decoded, and
    where it ends; ("", pos) when there is none."""
    end = facts.find('"', pos + 1)
    plain = facts[pos + 1 : end]
    if facts[pos : pos + 1] == '"' and "\\" not in plain and plain.isascii() and plain.isprintable():
        return plain, end + 1  # no escape: the text is its own token
    found = KEY.match(facts, pos)
    if found is None:
        return "", pos
    return _decoded(found.group()), found.end()


UNCHANGING = frozenset(IMMUTABLE_TABLES)


def tables_match(store: Store, sealed: dict[str, dict[str, Seal]]) -> None:
    """Every row of every fact table is exactly the latest image the walk sealed of it, and
    every row sealed is there."""
    for table in COVERED:
        rows = sealed.get(table, {})
        for key, text in store.covered_images(table):
            image = rows.pop(key, None)
            if image is None or image[0] != digest_of(text):
                raise Doubt
        if rows:
            raise Doubt


def rows_match(store: Store, sealed: dict[str, dict[str, Seal]]) -> None:
    """Every row the walk sealed is there, exactly as its latest image (the rows no walked
    entry sealed are not read)."""
    for table, rows in sealed.items():
        seen = 0
        for key, text in store.covered_images(table, list(rows)) if rows else ():
            image = rows.get(key)
            if image is None or image[0] != digest_of(text):
                raise Doubt
            seen += 1
        if seen != len(rows):
            raise Doubt
