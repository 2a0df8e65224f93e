"""taxmargin.codec, writing: exact plain numbers, UTC times, every column of a row, and
round trips event -> row -> event for every type (interfaces.md §2)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from codec_cases import BTC, HERE, ROUND_TRIP, USD100, T
from taxmargin.importers.base import RowContext

from taxmargin.codec import (
    GENERIC_COLUMNS,
    event_from_values,
    event_to_row,
    event_to_values,
    format_decimal,
    format_time,
    parse_cells,
    parse_event_row,
    write_csv,
)
from taxmargin.models import EVENT_TYPES, Amount, Deposit, EventBase, SourceRef, Trade


# ---- writing -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("1E-8"), "0.00000001"),
        (Decimal("1.50"), "1.5"),
        (Decimal("1E+3"), "1000"),
        (Decimal("-0"), "0"),
        (Decimal("0E-8"), "0"),
        (Decimal("0.123456789012345678"), "0.123456789012345678"),
        (Decimal(120), "120"),
        (Decimal("1.0E-7"), "0.0000001"),
    ],
)
def test_format_decimal_is_exact_and_plain(value: Decimal, text: str) -> None:
    assert format_decimal(value) == text
    assert Decimal(text) == value


def test_format_time_is_utc_with_z() -> None:
    assert format_time(T) == "2024-03-01T12:00:00Z"
    two_hours_east = timezone(timedelta(hours=2))
    assert format_time(datetime(2024, 3, 1, 14, 0, 0, 5, tzinfo=two_hours_east)) == "2024-03-01T12:00:00.000005Z"
    with pytest.raises(ValueError):
        format_time(datetime(2024, 3, 1))


def test_event_to_row_writes_every_column() -> None:
    event = Deposit(time=T, account="kraken", source=SourceRef("k.csv", 4), received=Amount(Decimal("1E-8"), "BTC"),
                    basis_usd=Decimal("0.10"), acquired=datetime(2023, 5, 6, tzinfo=UTC), lots=("x", "y"),
                    event_id="D1", note="from cold", usd_value=Decimal("0.0009"))
    assert event_to_row(event) == {
        "time": "2024-03-01T12:00:00Z", "account": "kraken", "type": "deposit",
        "sent_quantity": "", "sent_asset": "", "received_quantity": "0.00000001", "received_asset": "BTC",
        "fee_quantity": "", "fee_asset": "", "usd_value": "0.0009", "fee_usd_value": "", "to_account": "",
        "basis_usd": "0.1", "acquired": "2023-05-06T00:00:00Z", "lots": "x;y", "id": "D1", "note": "from cold",
        "source": "k.csv:4",
    }  # fmt: skip


@pytest.mark.parametrize("lots", [("a;b",), ("",)])
def test_unwritable_lot_ids_are_refused(lots: tuple[str, ...]) -> None:
    with pytest.raises(ValueError):
        event_to_row(Trade(time=T, account="k", source=HERE, sent=USD100, received=BTC, lots=lots))


# ---- round trips: event -> row -> event, for every type ---------------------------------


def test_round_trip_covers_every_type() -> None:
    assert {type(e) for e in ROUND_TRIP} == set(EVENT_TYPES.values())


@pytest.mark.parametrize("event", ROUND_TRIP, ids=lambda e: type(e).__name__)
def test_round_trip_through_the_validating_parser(event: EventBase) -> None:
    ctx = RowContext(SourceRef("export.csv", 2), event_to_row(event))
    assert parse_event_row(ctx, seq=event.seq) == event
    assert ctx.errors == []


@pytest.mark.parametrize("event", ROUND_TRIP, ids=lambda e: type(e).__name__)
def test_round_trip_through_the_trusted_loader(event: EventBase) -> None:
    for fixed in (False, True):
        values = event_to_values(event, fixed_width_time=fixed)
        assert event_from_values(values, event.source, event.seq) == event


def test_write_csv_reads_back() -> None:
    stream = io.StringIO(newline="")
    assert write_csv(ROUND_TRIP, stream) == len(ROUND_TRIP)
    assert stream.getvalue().splitlines()[0] == ",".join(GENERIC_COLUMNS)
    rows = list(csv.DictReader(io.StringIO(stream.getvalue(), newline="")))
    back = [parse_cells(r, SourceRef("e.csv", i + 2), [], seq=e.seq) for i, (r, e) in enumerate(zip(rows, ROUND_TRIP))]
    assert back == ROUND_TRIP

