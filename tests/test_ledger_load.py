"""taxmargin.ledger, loading: every event type and Decimal back exactly, the stored cells
(ledger_cells), hand-edited amounts refused, booking order, and stored prices."""

from __future__ import annotations

import dataclasses
import re
import sqlite3
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from codec_cases import ROUND_TRIP
from ledger_support import (
    LAYOUT,
    T0,
    csv_file,
    errors,
    fill,
    store,
)
from taxmargin.importers.base import ImportResult

from taxmargin.errors import InputError, LedgerError
from taxmargin.ledger import Ledger
from taxmargin.models import Amount, Deposit, EventBase, SourceRef, Trade


def test_every_event_type_is_stored_and_loaded_exactly(ledger: Ledger) -> None:
    events = tuple(ROUND_TRIP)
    record = ledger.store(csv_file("all.csv", []), ImportResult(layout="test", events=events))
    assert record.events_stored == len(events)
    assert ledger.events() == sorted(events, key=lambda e: e.sort_key)


def test_decimals_are_exact_text(ledger: Ledger, tmp_path: Path) -> None:
    event = Deposit(time=T0, account="cold", source=SourceRef("d.csv", 2),
                    received=Amount(Decimal("0.123456789012345678"), "ETH"), basis_usd=Decimal("1234567.000000000001"))
    ledger.store(csv_file("d.csv", []), ImportResult(layout="test", events=(event,)))
    [loaded] = ledger.events()
    assert loaded == event
    assert isinstance(loaded, Deposit) and str(loaded.basis_usd) == "1234567.000000000001"
    conn = sqlite3.connect(tmp_path / "taxmargin.db")
    row = conn.execute("SELECT typeof(cells), cells, time FROM events").fetchone()
    # schema version 3 (ledger_cells): the 16 cells after time joined by U+001F, exact decimals
    assert row == ("text", "\x1f".join(["cold", "deposit", "", "", "0.123456789012345678", "ETH", "", "", "", "", "",
                                        "1234567.000000000001", "", "", "", ""]), "2024-03-01T00:00:00.000000Z")
    conn.close()


@pytest.mark.parametrize(("changes", "form"), [
    ({"note": "a\x1fb\x1fc"}, "plain"),  # the last cell: split off after 15 separators
    ({"event_id": "T\x1fX"}, "json"),  # another importer's id with U+001F: JSON cells
    ({"account": "\x1ejoint"}, "json"),  # (import --account) would look like the JSON form
])
def test_cells_with_separators_round_trip(ledger: Ledger, changes: dict[str, str], form: str) -> None:
    """ledger_cells: the 16 cells after time joined by U+001F, or U+001E + JSON when a cell
    before ``note`` holds U+001F (or the account starts with U+001E)."""
    event = dataclasses.replace(Trade(time=T0, account="k", source=SourceRef("x.csv", 2), sent=Amount(Decimal(1), "USD"),
                                      received=Amount(Decimal("0.5"), "BTC")), **changes)
    ledger.store(csv_file("x.csv", []), ImportResult(layout="test", events=(event,)))
    assert ledger.events() == [event]
    [(cells,)] = ledger.connection.execute("SELECT cells FROM events").fetchall()
    assert cells.startswith("\x1e[") == (form == "json")
    assert errors(ledger) == []  # fingerprint and cells agree
    again = ledger.store(csv_file("x.csv", []), ImportResult(layout="test", events=(event,)))
    assert (again.events_stored, again.duplicates) == (0, 1)


def test_precomputed_texts_only_for_their_own_events(ledger: Ledger) -> None:
    """importers.base.StoredTexts: the generic CSV hands the ledger each event's stored
    text; a result whose events were replaced (import --account) is stored from its events."""
    file = csv_file("k.csv", [fill(0), fill(1)])
    parsed = LAYOUT.parse(file)
    assert parsed.stored_texts is not None and parsed.stored_texts.for_events(parsed.events) is not None
    renamed = tuple(dataclasses.replace(e, account="joint") for e in parsed.events)
    result = dataclasses.replace(parsed, events=renamed)
    assert result.stored_texts is not None and result.stored_texts.for_events(result.events) is None
    ledger.store(file, result)
    assert [e.account for e in ledger.events()] == ["joint", "joint"]
    assert errors(ledger) == []


@pytest.mark.parametrize(("cell", "value", "refused"), [
    (4, "-5", True), (4, "0", True), (4, "NaN", True), (4, "1e19", True), (4, "1E+18", False),
    (8, "-1", True), (8, "Infinity", True), (8, "1e30", False),  # usd_value: no upper bound
    (11, "5", "cannot be read (TypeError)"),  # basis_usd on a trade: a Trade has no such field
])
def test_an_amount_edited_by_hand_stops_the_load(ledger: Ledger, cell: int, value: str, refused: bool | str) -> None:
    """What ``store`` never writes (a quantity not in (0, 1e18], a negative or infinite USD
    value) stops ``events()`` with a message naming the row, never a traceback."""
    store(ledger, csv_file("k.csv", [fill(0), fill(1)]))
    conn = ledger.connection
    [(pk, cells)] = conn.execute("SELECT event_pk, cells FROM events WHERE source_line = 3").fetchall()
    values = cells.split("\x1f")
    values[cell] = value  # cells: 4 = received_quantity, 8 = usd_value (ledger_cells)
    conn.execute("UPDATE events SET cells = ? WHERE event_pk = ?", ("\x1f".join(values), pk))
    if not refused:
        assert len(ledger.events()) == 2
        return
    why = refused if isinstance(refused, str) else "holds an amount that is not positive"
    with pytest.raises(LedgerError, match=rf"the stored event from k.csv:3 {re.escape(why)}"):
        ledger.events()


def test_events_are_sorted_by_time_source_line_seq(ledger: Ledger) -> None:
    def ev(minute: int, path: str, line: int, seq: int) -> EventBase:
        # minute 1 carries microseconds: text order of stored times must still be time order
        time = T0 + timedelta(minutes=minute, microseconds=5 if minute == 1 else 0)
        return Trade(time=time, account="k", source=SourceRef(path, line), seq=seq,
                     sent=Amount(Decimal(line + seq), "USD"), received=Amount(Decimal(1), "BTC"))

    events = (ev(2, "a.csv", 1, 0), ev(1, "b.csv", 9, 1), ev(1, "b.csv", 9, 0), ev(1, "a.csv", 10, 0),
              ev(1, "a.csv", 2, 0), ev(0, "z.csv", 1, 0))
    ledger.store(csv_file("x.csv", []), ImportResult(layout="test", events=events))
    assert [(e.source.path, e.source.line, e.seq) for e in ledger.events()] == [
        ("z.csv", 1, 0), ("a.csv", 2, 0), ("a.csv", 10, 0), ("b.csv", 9, 0), ("b.csv", 9, 1), ("a.csv", 1, 0)
    ]


def test_prices_round_trip(ledger: Ledger) -> None:
    points = [(T0, "btc", Decimal("62000.123456789"), "prices.csv:2"), (T0, "ETH", Decimal(3000), "prices.csv:3")]
    assert ledger.add_prices(points) == 2
    assert ledger.add_prices(points) == 0  # same points again: nothing new
    assert ledger.add_prices([(T0, "ETH", Decimal("3001.5"), "prices.csv:3")]) == 1  # corrected price
    assert ledger.prices() == [
        (T0, "BTC", Decimal("62000.123456789"), "prices.csv:2"),
        (T0, "ETH", Decimal("3001.5"), "prices.csv:3"),
    ]


@pytest.mark.parametrize(
    ("point", "message"),
    [
        ((T0, "BTC", Decimal(-1), "p.csv:2"), "must be a non-negative number"),
        ((T0, "BTC", Decimal("NaN"), "p.csv:2"), "must be a non-negative number"),
        ((T0, "B T C", Decimal(1), "p.csv:2"), "not an asset code"),
    ],
)
def test_bad_prices_are_refused(ledger: Ledger, point: tuple[datetime, str, Decimal, str], message: str) -> None:
    with pytest.raises(InputError, match=message):
        ledger.add_prices([(T0, "ETH", Decimal(1), "p.csv:1"), point])
    assert ledger.prices() == []  # all or nothing
