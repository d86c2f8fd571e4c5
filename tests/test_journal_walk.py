"""The fast walk of the journal (piecepay.operations.journal_walk): it proves every ledger
piecepay writes, on both stores, to what the careful walk proves; and what it reads in place
it reads only from canonical text, whatever the text."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from piecepay.journal import canonical_json
from piecepay.locations import ledger_location
from piecepay.operations import journal_walk, verify
from piecepay.session import Session, open_session
from piecepay.store.facts import COVERED
from tests.conftest import Ledger, with_contract

BOTH_STORES = True


@pytest.fixture
def busy(ledger: Ledger) -> Ledger:
    """A ledger with every kind of entry and fact: keyed bills with notes beyond ASCII, a
    partial release, a rejection reversed, revisions resubmitted (one for fewer pieces), a
    campaign and a worker edited, tokens made and revoked, a payout, a second campaign paused,
    an ended contract."""
    with_contract(ledger)
    ledger.ok("milestone", "add", "photos/ana", "--top-up", "100", "--cap", "80")
    note = 'café, «quotes» "and" \\ slash /'
    first = ledger.ok("bill", "photos/ana", "--pieces", "3", "--note", note, "--key", "k1")
    second = ledger.ok("bill", "photos/ana", "--pieces", "2", "--key", "clé-ü")
    ledger.ok("bill", "photos/ana", "--pieces", "1", "--proof", "https://example.com/a.jpg")
    ledger.ok("release", str(first["id"]), "--pieces", "2")
    ledger.ok("reject", str(second["id"]), "--reason", "blurry ø")
    ledger.ok("revise", "3", "--reason", "crop ✂")
    ledger.ok("resubmit", "3", "--proof", "https://example.com/b.jpg", "--note", "recadré")
    fourth = ledger.ok("bill", "photos/ana", "--pieces", "2")
    ledger.ok("revise", str(fourth["id"]), "--reason", "one is a duplicate")
    ledger.ok("resubmit", str(fourth["id"]), "--pieces", "1")
    ledger.ok("release", str(second["id"]))  # the rejection reversed
    ledger.ok("campaign", "edit", "photos", "--title", "Photos ø", "--budget", "900")
    ledger.ok("worker", "edit", "ana", "--name", "Ana Ø")
    ledger.ok("token", "create", "--role", "worker", "--worker", "ana", "--name", "Ana's phone ☎")
    ledger.ok("token", "create", "--role", "reviewer", "--campaign", "photos", "--expires", "2099-12-31")
    ledger.ok("token", "revoke", "1")
    ledger.ok("payout", "ana", "--ref", "PP-1")
    ledger.ok("campaign", "create", "Transcripts", "--slug", "audio", "--unit", "minute", "--rate", "0.015")
    ledger.ok("worker", "add", "bo", "--name", "Bø")
    ledger.ok("offer", "create", "audio", "bo")
    ledger.ok("offer", "accept", "audio/bo")
    ledger.ok("milestone", "add", "audio/bo", "--top-up", "10")
    ledger.ok("bill", "audio/bo", "--pieces", "7")
    ledger.ok("campaign", "pause", "audio")
    ledger.ok("end", "audio/bo", "--release-pending")
    return ledger


@pytest.fixture
def session(busy: Ledger) -> Iterator[Session]:
    s = open_session(ledger_location(str(busy.db)), "test", datetime.now(UTC), write=False)
    yield s
    s.close()


def test_the_fast_walk_proves_what_the_careful_walk_proves(session: Session) -> None:
    """No doubt on a ledger piecepay wrote: the same entries, head and posting sums as the
    careful walk, and every fact table equal to the images it sealed."""
    store = session.store
    with store.snapshot():
        walked = journal_walk.walk(store)
        assert {table: len(rows) for table, rows in walked.sealed.items()} == {
            table: sum(1 for _ in store.covered_images(table)) for table in COVERED
        }
        journal_walk.tables_match(store, walked.sealed)
        entries, _ = verify._chain_balance_and_facts(store)
        assert (walked.entries, walked.head) == (entries, store.head()[1])
        assert {k: v for k, v in walked.sums.items() if v} == {k: v for k, v in store.posting_sums().items() if v}


@pytest.mark.parametrize("learn_after", [journal_walk.LEARN_AFTER, 1])
def test_verify_proves_the_ledger_without_the_careful_walk(
    session: Session, monkeypatch: pytest.MonkeyPatch, learn_after: int
) -> None:
    """The careful walk and the careful bill check are only for faults: on a sound ledger
    verify never needs them, whether entries are read table by table or, once their kind
    has been seen, whole in one match."""

    def careful(*_: object) -> None:
        raise AssertionError("the careful walk ran on a sound ledger")

    monkeypatch.setattr(journal_walk, "LEARN_AFTER", learn_after)

    monkeypatch.setattr(verify, "_chain_balance_and_facts", careful)
    monkeypatch.setattr(verify, "_each_bill_amount", careful)
    assert verify.verify(session).entries == session.store.head()[0]


def test_canonical_image_texts_are_what_canonical_json_writes(session: Session) -> None:
    """The store's text of each row's image is canonical_json of the row's image (on SQLite,
    written by SQLite where that gives the same bytes, here also for text beyond ASCII)."""
    from piecepay.store.facts import every_row

    store = session.store
    with store.snapshot():
        expected = [(table, key, canonical_json(image)) for table, key, image in every_row(store.conn)]  # type: ignore[attr-defined]
        found = [(table, key, text) for table in COVERED for key, text in store.covered_images(table)]
    assert sorted(found) == sorted(expected)
    assert any("\\u00e9" in text for _, _, text in found)  # text beyond ASCII was there to be escaped


# --------------------------------------------------------------------------- reading facts in place

SHAPES = {
    "bills": ["amount_minor", "id", "note", "proofs", "rate", "status"],
    "contracts": ["id", "rate", "status"],
    "idempotency_keys": ["command", "key", "result"],
    "workers": ["handle", "id"],
}
TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=8)
VALUE = st.one_of(st.none(), TEXT, st.integers(-(2**63), 2**63 - 1), st.booleans(), st.floats(allow_nan=False))


def facts_walk() -> journal_walk.Facts:
    columns = {table: SHAPES.get(table, ["id"]) for table in COVERED}
    return journal_walk.Facts(columns)


@st.composite
def sealed_facts(draw: st.DrawFn) -> dict[str, dict[str, dict[str, Any]]]:
    tables = draw(st.lists(st.sampled_from(sorted(SHAPES)), unique=True, max_size=3))
    facts = {}
    for table in tables:
        keys = draw(st.lists(st.one_of(TEXT, st.integers(1, 10**6).map(str)), unique=True, min_size=1, max_size=3))
        facts[table] = {key: {name: draw(VALUE) for name in SHAPES[table]} for key in keys}
    return facts


@given(facts=sealed_facts(), edits=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 3), TEXT), max_size=3))
def test_facts_read_in_place_only_from_their_canonical_text(
    facts: dict[str, Any], edits: list[tuple[int, int, str]]
) -> None:
    """Whatever is done to a canonical facts text (characters added, removed or replaced
    anywhere: a space, another escape for the same character, a key out of order or twice),
    what is read in place is only ever read from the canonical text of what the text holds,
    image by image; an image cut out unread is the rest of a text that names one row."""
    text = canonical_json(facts)
    walk = facts_walk()
    walk._split(text, "bill")  # learns the tables an entry of this kind seals, so the edited text meets their pattern
    for at, cut, added in edits:
        at %= len(text) + 1
        text = text[:at] + added + text[at + cut :]
    images = walk._split(text, "bill")
    if images is None:
        return
    if len(images) == 1 and images[0][3] is None:
        table, key, image, _ = images[0]
        assert text == f"{{{json.dumps(table)}:{{{json.dumps(key)}:{image}}}}}"
        return
    held = json.loads(text)
    assert text == canonical_json(held)
    assert [(table, key, image) for table, key, image, _ in images] == [
        (table, key, canonical_json(image)) for table, rows in held.items() for key, image in rows.items()
    ]


@given(facts=sealed_facts())
def test_a_canonical_facts_text_is_read_in_place_or_parsed(facts: dict[str, Any]) -> None:
    """Control: a canonical text of plain values is read in place (not every text is refused)."""
    text = canonical_json(facts)
    images = facts_walk()._split(text)
    plain = all(
        isinstance(value, (int, type(None))) or (isinstance(value, str) and value.isascii() and value.isprintable())
        for rows in facts.values()
        for image in rows.values()
        for value in image.values()
    ) and all(key.isascii() and key.isprintable() and key for rows in facts.values() for key in rows)
    if plain:
        assert images is not None


@given(facts=sealed_facts())
def test_facts_that_seal_one_row_a_table_are_read_whole_once_seen(facts: dict[str, Any]) -> None:
    """Control: after LEARN_AFTER entries of a kind, the next text that seals one row in each
    of the same tables is matched whole (the one-pass pattern is used, not only the
    table-by-table scan), and reads the same images as the scan."""
    text = canonical_json(facts)
    walk = facts_walk()
    for _ in range(journal_walk.LEARN_AFTER):
        scanned = walk._split(text, "bill")
    one_each = all(len(rows) == 1 for rows in facts.values())
    if not facts or scanned is None or not one_each or scanned[-1][3] is None:
        return
    combo = walk.combos["bill"]
    assert [table for table, _, _ in combo.parts] == sorted(facts)
    assert combo.read(text) == scanned


@given(
    rows=st.lists(
        st.tuples(st.one_of(st.none(), TEXT), st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1)), TEXT),
        min_size=1,
        max_size=5,
    )
)
def test_sqlite_writes_an_image_as_canonical_json_does_when_it_is_all_ascii(rows: list[tuple[Any, ...]]) -> None:
    """The SQLite store takes SQLite's json_object of a row as the row's canonical image text
    when that text is all ASCII without DEL: for any text and whole numbers, it then is
    exactly canonical_json of the row (text beyond ASCII and DEL are left to canonical_json)."""
    import sqlite3

    conn = sqlite3.connect(":memory:")
    conn.execute('CREATE TABLE t ("a b" TEXT, "n\'" INTEGER, z TEXT NOT NULL) STRICT')
    texts = []
    for row in rows:
        try:
            conn.execute("INSERT INTO t VALUES (?, ?, ?)", row)
        except UnicodeEncodeError:
            continue  # a lone surrogate: no SQLite text holds one
        texts.append(
            (row, conn.execute("SELECT json_object('a b', \"a b\", 'n''', \"n'\", 'z', z) FROM t").fetchall()[-1][0])
        )
        conn.execute("DELETE FROM t")
    for (a, n, z), text in texts:
        if text.isascii() and "\x7f" not in text:
            assert text == canonical_json({"a b": a, "n'": n, "z": z})


FIELD = st.one_of(st.none(), TEXT, st.integers(-(2**63), 2**63 - 1), st.booleans(), st.floats(allow_nan=False))


@given(
    fields=st.tuples(TEXT, FIELD, FIELD, TEXT, st.integers(1, 2**63 - 1), TEXT, TEXT, TEXT),
    other=st.lists(FIELD, max_size=8),
    postings=st.lists(TEXT, max_size=3),
    prev=TEXT,
)
def test_the_walk_writes_the_sealed_text_as_the_journal_does(
    fields: tuple[Any, ...], other: list[Any], postings: list[str], prev: str
) -> None:
    """The fast walk's text of an entry (written directly for the values a STRICT table
    holds) is ``sealed_text``'s, for those values and for any other (then left to it)."""
    from piecepay.journal import sealed_text

    for values in (fields, (*other, *fields[len(other) :])):
        assert journal_walk._sealed_text(prev, values, postings, "{}") == sealed_text(prev, values, postings, "{}")
