"""taxmargin.codec: events <-> rows of the taxmargin CSV (interfaces.md §2).

Every rejected row must read ``FILE:LINE: column 'X': what is wrong (value 'v')``
(interfaces.md §1); each validation rule has one case below with its exact message.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from taxmargin.importers.base import RowContext

from taxmargin.codec import (
    CONTENT_COLUMNS,
    GENERIC_COLUMNS,
    REQUIRED_COLUMNS,
    event_from_values,
    event_to_row,
    event_to_values,
    format_decimal,
    format_time,
    parse_cells,
    parse_event_row,
    stored_text,
    write_csv,
)
from taxmargin.codec_build import FIELDS, amount, builders, source_ref, specific_fields
from taxmargin.codec_fast import fast_cells, fast_event
from taxmargin.codec_rules import validate_cells
from taxmargin.errors import RowError
from taxmargin.models import (
    EVENT_TYPES,
    Amount,
    Borrow,
    Deposit,
    EventBase,
    Fee,
    Funding,
    Income,
    Interest,
    Liquidation,
    RealizedPnl,
    Repay,
    SourceRef,
    Spend,
    Trade,
    Transfer,
    Withdrawal,
    WriteOff,
)

T = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
HERE = SourceRef("g.csv", 7)
KNOWN = ", ".join(EVENT_TYPES)
TRADE = {
    "time": "2024-03-01T12:00:00Z", "account": "kraken", "type": "trade",
    "sent_quantity": "100", "sent_asset": "USD", "received_quantity": "0.002", "received_asset": "BTC",
}  # fmt: skip


def parse(cells: dict[str, str]) -> tuple[EventBase | None, list[str]]:
    ctx = RowContext(HERE, cells)
    event = parse_event_row(ctx)
    return event, [str(e) for e in ctx.errors]


def row(base: dict[str, str] = TRADE, **changes: str) -> dict[str, str]:
    return {**base, **changes}


def test_columns_are_the_documented_ones_in_export_order() -> None:
    # interfaces.md §2 table, in the order `export` writes
    assert GENERIC_COLUMNS == (
        "time", "account", "type", "sent_quantity", "sent_asset", "received_quantity",
        "received_asset", "fee_quantity", "fee_asset", "usd_value", "fee_usd_value", "to_account",
        "basis_usd", "acquired", "lots", "id", "note", "source",
    )  # fmt: skip
    assert REQUIRED_COLUMNS == ("time", "account", "type")
    assert CONTENT_COLUMNS == GENERIC_COLUMNS[:-1]


# ---- valid rows: one per type (interfaces.md §2 type table) ------------------------------
BTC = Amount(Decimal("0.002"), "BTC")
USD100 = Amount(Decimal(100), "USD")
VALID: list[tuple[dict[str, str], EventBase]] = [
    (TRADE, Trade(time=T, account="kraken", source=HERE, sent=USD100, received=BTC)),
    (row(type="liquidation", sent_asset="btc", sent_quantity="0.002", received_asset="usdt", received_quantity="100"),
     Liquidation(time=T, account="kraken", source=HERE, sent=BTC, received=Amount(Decimal(100), "USDT"))),
    (row(type="deposit", sent_quantity="", sent_asset="", basis_usd="50.5", acquired="2023-01-02T03:04:05Z"),
     Deposit(time=T, account="kraken", source=HERE, received=BTC, basis_usd=Decimal("50.5"),
             acquired=datetime(2023, 1, 2, 3, 4, 5, tzinfo=UTC))),
    (row(type="withdrawal", received_quantity="", received_asset="", fee_quantity="0.0001", fee_asset="BTC"),
     Withdrawal(time=T, account="kraken", source=HERE, sent=USD100, fee=Amount(Decimal("0.0001"), "BTC"))),
    (row(type="transfer", received_quantity="", received_asset="", to_account="ledger-nano"),
     Transfer(time=T, account="kraken", source=HERE, sent=USD100, to_account="ledger-nano")),
    (row(type="borrow", sent_quantity="", sent_asset=""), Borrow(time=T, account="kraken", source=HERE, received=BTC)),
    (row(type="repay", received_quantity="", received_asset=""), Repay(time=T, account="kraken", source=HERE, sent=USD100)),
    (row(type="interest", received_quantity="", received_asset="", usd_value="100"),
     Interest(time=T, account="kraken", source=HERE, sent=USD100, usd_value=Decimal(100))),
    (row(type="fee", received_quantity="", received_asset=""), Fee(time=T, account="kraken", source=HERE, sent=USD100)),
    (row(type="income", sent_quantity="", sent_asset="", usd_value="0"),
     Income(time=T, account="kraken", source=HERE, received=BTC, usd_value=Decimal(0))),
    (row(type="spend", received_quantity="", received_asset=""), Spend(time=T, account="kraken", source=HERE, sent=USD100)),
    (row(type="realized_pnl", sent_quantity="", sent_asset="", acquired="2024-02-01T00:00:00Z"),
     RealizedPnl(time=T, account="kraken", source=HERE, received=BTC, acquired=datetime(2024, 2, 1, tzinfo=UTC))),
    (row(type="funding", received_quantity="", received_asset=""), Funding(time=T, account="kraken", source=HERE, sent=USD100)),
    (row(type="writeoff", received_quantity="", received_asset=""), WriteOff(time=T, account="kraken", source=HERE, sent=USD100)),
    # no offset = UTC; an offset is converted; blanks around cells are ignored; Type in capitals
    (row(time="2024-03-01 12:00:00"), Trade(time=T, account="kraken", source=HERE, sent=USD100, received=BTC)),
    (row(time="2024-03-01T14:00:00+02:00", type=" Trade ", account=" kraken "),
     Trade(time=T, account="kraken", source=HERE, sent=USD100, received=BTC)),
    # 1e-8 accepted (interfaces.md §2); a zero fee is no fee; -0 fee is zero
    (row(received_quantity="1e-8", fee_quantity="-0", fee_asset="USD", fee_usd_value="0"),
     Trade(time=T, account="kraken", source=HERE, sent=USD100, received=Amount(Decimal("0.00000001"), "BTC"))),
    (row(fee_quantity="0.5", fee_asset="usd", fee_usd_value="0.5", usd_value="100", id="K-1", lots="a; b;",
         note="  first fill  "),
     Trade(time=T, account="kraken", source=HERE, sent=USD100, received=BTC, fee=Amount(Decimal("0.5"), "USD"),
           fee_usd=Decimal("0.5"), usd_value=Decimal(100), event_id="K-1", lots=("a", "b"), note="first fill")),
    # `source` (written by export) is kept as the event's source
    (row(source="kraken_ledgers.csv:12"),
     Trade(time=T, account="kraken", source=SourceRef("kraken_ledgers.csv", 12), sent=USD100, received=BTC)),
    (row(source="C:\\exports\\k.csv:3"),
     Trade(time=T, account="kraken", source=SourceRef("C:\\exports\\k.csv", 3), sent=USD100, received=BTC)),
]


@pytest.mark.parametrize(("cells", "expected"), VALID)
def test_valid_rows(cells: dict[str, str], expected: EventBase) -> None:
    event, errors = parse(cells)
    assert errors == []
    assert event == expected
    # the full validator alone builds the same event as the fast path
    assert validate_cells(cells, HERE, [], seq=0) == expected


def test_seq_is_passed_through() -> None:
    ctx = RowContext(HERE, dict(TRADE))
    event = parse_event_row(ctx, seq=3)
    assert event is not None and event.seq == 3


# ---- invalid rows: one per rule, exact message (interfaces.md §1 message shape) ------------
ONE_SIDE = "takes exactly one side: sent (paid / loss) or received (gain / received)"
ASSET_RULE = "is not an asset code (1-20 letters, digits, '.', '-', '_')"
NOT_ISO = "not an ISO 8601 date/time (expected e.g. 2024-03-01T12:00:00Z)"
NOT_SOURCE = "must be FILE:LINE (as written by 'taxmargin export')"
INVALID: list[tuple[dict[str, str], list[str]]] = [
    (row(type="swap"), [f"g.csv:7: column 'type': unknown type (known: {KNOWN}) (value 'swap')"]),
    (row(type=""), [f"g.csv:7: column 'type': is required (one of: {KNOWN})"]),
    ({k: v for k, v in TRADE.items() if k != "type"}, [f"g.csv:7: column 'type': is required (one of: {KNOWN})"]),
    (row(time=""), ["g.csv:7: column 'time': is required"]),
    (row(account=""), ["g.csv:7: column 'account': is required"]),
    (row(time="yesterday"), [f"g.csv:7: column 'time': {NOT_ISO} (value 'yesterday')"]),
    (row(time="03/01/2024"), [f"g.csv:7: column 'time': {NOT_ISO} (value '03/01/2024')"]),
    (row(time="2024-02-30T00:00:00Z"), ["g.csv:7: column 'time': not a date/time (value '2024-02-30T00:00:00Z')"]),
    (row(time="2008-12-31T00:00:00Z"),
     ["g.csv:7: column 'time': date/time outside 2009-01-03 .. 2099-12-31 (value '2008-12-31T00:00:00Z')"]),
    (row(time="2100-01-01T00:00:00Z"),
     ["g.csv:7: column 'time': date/time outside 2009-01-03 .. 2099-12-31 (value '2100-01-01T00:00:00Z')"]),
    # sides (models.SIDES)
    (row(received_quantity="", received_asset=""),
     ["g.csv:7: column 'received_quantity': is required for type 'trade' (with received_asset)"]),
    (row(type="deposit"),
     ["g.csv:7: column 'sent_quantity': must be empty for type 'deposit' (it has no sent side) (value '100')"]),
    (row(type="withdrawal", received_quantity=""),
     ["g.csv:7: column 'received_asset': must be empty for type 'withdrawal' (it has no received side) (value 'BTC')"]),
    (row(type="realized_pnl"), [f"g.csv:7: column 'sent_quantity': type 'realized_pnl' {ONE_SIDE}; not both (value '100')"]),
    (row(type="funding", sent_quantity="", sent_asset="", received_quantity="", received_asset=""),
     [f"g.csv:7: column 'sent_quantity': type 'funding' {ONE_SIDE}; none given"]),
    # a quantity without its asset and the reverse (a trade missing its counter-asset)
    (row(received_asset=""), ["g.csv:7: column 'received_asset': is required when received_quantity is given"]),
    (row(sent_quantity=""), ["g.csv:7: column 'sent_quantity': is required when sent_asset is given"]),
    (row(fee_quantity="1"), ["g.csv:7: column 'fee_asset': is required when fee_quantity is given"]),
    # numbers (money.parse_decimal)
    (row(sent_quantity="-100"), ["g.csv:7: column 'sent_quantity': must not be negative (value '-100')"]),
    (row(sent_quantity="abc"), ["g.csv:7: column 'sent_quantity': not a number (value 'abc')"]),
    # Python's Decimal reads "1_000" as 1000 (PEP 515); a CSV number never has underscores
    (row(sent_quantity="1_000"), ["g.csv:7: column 'sent_quantity': not a number (value '1_000')"]),
    (row(sent_quantity="NaN"), ["g.csv:7: column 'sent_quantity': not a finite number (value 'NaN')"]),
    (row(sent_quantity="Infinity"), ["g.csv:7: column 'sent_quantity': not a finite number (value 'Infinity')"]),
    (row(sent_quantity="1e999999"), ["g.csv:7: column 'sent_quantity': number is too large (value '1e999999')"]),
    (row(sent_quantity="1e-30"), ["g.csv:7: column 'sent_quantity': too many decimal places (value '1e-30')"]),
    (row(sent_quantity="-0"), ["g.csv:7: column 'sent_quantity': must be greater than zero (value '-0')"]),
    (row(received_quantity="0.000"), ["g.csv:7: column 'received_quantity': must be greater than zero (value '0.000')"]),
    (row(fee_quantity="-1", fee_asset="USD"), ["g.csv:7: column 'fee_quantity': must not be negative (value '-1')"]),
    (row(usd_value="-5"), ["g.csv:7: column 'usd_value': must not be negative (value '-5')"]),
    (row(fee_usd_value="2"),
     ["g.csv:7: column 'fee_usd_value': is given but the row has no fee (fee_quantity / fee_asset) (value '2')"]),
    # asset codes
    (row(sent_asset="BTC!"), [f"g.csv:7: column 'sent_asset': {ASSET_RULE} (value 'BTC!')"]),
    (row(received_asset="A" * 21), [f"g.csv:7: column 'received_asset': {ASSET_RULE} (value '{'A' * 21}')"]),
    # type-specific columns
    (row(type="transfer", received_quantity="", received_asset=""),
     ["g.csv:7: column 'to_account': is required for type 'transfer'"]),
    (row(type="transfer", received_quantity="", received_asset="", to_account="kraken"),
     ["g.csv:7: column 'to_account': must differ from account (a transfer moves between two accounts) (value 'kraken')"]),
    (row(to_account="cold"), ["g.csv:7: column 'to_account': is only used by type transfer, not 'trade' (value 'cold')"]),
    (row(basis_usd="10"), ["g.csv:7: column 'basis_usd': is only used by type deposit, not 'trade' (value '10')"]),
    (row(type="deposit", sent_quantity="", sent_asset="", basis_usd="-10"),
     ["g.csv:7: column 'basis_usd': must not be negative (value '-10')"]),
    (row(acquired="2024-01-01T00:00:00Z"),
     ["g.csv:7: column 'acquired': is only used by type deposit / realized_pnl, not 'trade' (value '2024-01-01T00:00:00Z')"]),
    (row(type="deposit", sent_quantity="", sent_asset="", acquired="2024-03-01T12:00:01Z"),
     ["g.csv:7: column 'acquired': is after the event's time (value '2024-03-01T12:00:01Z')"]),
    (row(type="deposit", sent_quantity="", sent_asset="", acquired="soon"),
     [f"g.csv:7: column 'acquired': {NOT_ISO} (value 'soon')"]),
    # text cells
    (row(note="x" * 1001), [f"g.csv:7: column 'note': is longer than 1000 characters (1001) (value '{'x' * 39}…')"]),
    (row(account="k" * 101), [f"g.csv:7: column 'account': is longer than 100 characters (101) (value '{'k' * 39}…')"]),
    (row(account="kra\x07ken"),
     ["g.csv:7: column 'account': must not contain control characters or line breaks (value 'kra\x07ken')"]),
    (row(id="a;b"), ["g.csv:7: column 'id': must not contain ';' (lots are separated by ';') (value 'a;b')"]),
    (row(id="i" * 201), [f"g.csv:7: column 'id': is longer than 200 characters (201) (value '{'i' * 39}…')"]),
    (row(lots="ok;" + "L" * 201),
     [f"g.csv:7: column 'lots': a lot id is longer than 200 characters (value 'ok;{'L' * 36}…')"]),
    # source (export round trip)
    (row(source="nocolon"), [f"g.csv:7: column 'source': {NOT_SOURCE} (value 'nocolon')"]),
    (row(source="k.csv:0"), [f"g.csv:7: column 'source': {NOT_SOURCE} (value 'k.csv:0')"]),
    (row(source=":5"), [f"g.csv:7: column 'source': {NOT_SOURCE} (value ':5')"]),
    # several problems in one row are all reported; a forbidden side is reported once
    (row(type="deposit", time="x", sent_asset="??"),
     [f"g.csv:7: column 'time': {NOT_ISO} (value 'x')",
      "g.csv:7: column 'sent_quantity': must be empty for type 'deposit' (it has no sent side) (value '100')"]),
    (row(time="", account="", received_asset="??", fee_quantity="x", fee_asset="USD"),
     ["g.csv:7: column 'time': is required",
      "g.csv:7: column 'account': is required",
      f"g.csv:7: column 'received_asset': {ASSET_RULE} (value '??')",
      "g.csv:7: column 'fee_quantity': not a number (value 'x')"]),
]


@pytest.mark.parametrize(("cells", "expected"), INVALID)
def test_invalid_rows(cells: dict[str, str], expected: list[str]) -> None:
    event, errors = parse(cells)
    assert event is None
    assert errors == expected
    assert fast_event(cells, HERE, 0) is None


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
SRC = SourceRef("binance statement.csv", 41)
FEE = Amount(Decimal("0.000123456789012345678"), "BNB")


def full(cls: type[EventBase], **fields: Any) -> EventBase:
    """An event with every common field set (plus ``fields``)."""
    return cls(time=T, account="binance", source=SRC, seq=2, fee=FEE, fee_usd=Decimal("0.07"),
               usd_value=Decimal("123456.789"), event_id="X-9", lots=("L1", "L2"), note="line one\nline two",
               **fields)


ROUND_TRIP: list[EventBase] = [
    full(Trade, sent=USD100, received=BTC),
    full(Liquidation, sent=BTC, received=USD100),
    full(Deposit, received=BTC, basis_usd=Decimal("12.5"), acquired=datetime(2020, 1, 1, 0, 0, 0, 123456, tzinfo=UTC)),
    Deposit(time=T, account="binance", received=BTC, source=SRC),
    full(Withdrawal, sent=BTC),
    full(Transfer, sent=BTC, to_account="kraken"),
    full(Borrow, received=BTC),
    full(Repay, sent=BTC),
    full(Interest, sent=BTC),
    full(Fee, sent=BTC),
    full(Income, received=BTC),
    full(Spend, sent=BTC),
    full(RealizedPnl, sent=USD100, acquired=datetime(2024, 1, 1, tzinfo=UTC)),
    RealizedPnl(time=T, account="binance", received=USD100, source=SRC),
    Funding(time=T + timedelta(microseconds=1), account="binance", received=USD100, source=SRC, note="x"),
    full(WriteOff, sent=USD100),
]


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


# ---- the fast path agrees with the full validator --------------------------------------
CELL = {
    "time": st.sampled_from(["2024-03-01T12:00:00Z", "2024-03-01 12:00", " 2024-03-01T12:00:00Z", "2008-01-01",
                             "2024-03-01T12:00:00+05:00", "x", ""]),
    "account": st.sampled_from(["kraken", " kraken", "", "a\tb", "k" * 101]),
    "type": st.sampled_from([*EVENT_TYPES, "Trade", "swap", ""]),
    "sent_quantity": st.sampled_from(["", "1", "0", "-1", "1e-8", "0.10", " 2", "1,000", "abc"]),
    "sent_asset": st.sampled_from(["", "BTC", "usd", "B!", " ETH"]),
    "received_quantity": st.sampled_from(["", "2.5", "0", "1E2", "00.5"]),
    "received_asset": st.sampled_from(["", "USDT", "eth"]),
    "fee_quantity": st.sampled_from(["", "0", "0.1", "-0"]),
    "fee_asset": st.sampled_from(["", "BNB", "x y"]),
    "usd_value": st.sampled_from(["", "10", "-1", "1e3", "1", "0.10", "2.5"]),  # (some equal to a quantity)
    "fee_usd_value": st.sampled_from(["", "0", "0.5", "0.1", "-0"]),
    "to_account": st.sampled_from(["", "", "cold", "kraken", " cold", "c\nold"]),
    "basis_usd": st.sampled_from(["", "", "10", "-1", "1e3", "0"]),
    "acquired": st.sampled_from(["", "", "2024-01-01T00:00:00Z", "2024-03-01T12:00:01Z", "2024-01-01", "x"]),
    "lots": st.sampled_from(["", "", "a;b"]),
    "id": st.sampled_from(["", "A1", " A1", "a;b"]),
    "note": st.sampled_from(["", "n", " n ", "x" * 1001]),
    "source": st.sampled_from(["", "f.csv:3", "bad", "f.csv:0", " f.csv:3"]),
}


@st.composite
def near_valid_rows(draw: st.DrawFn) -> dict[str, str]:
    """A valid row of some type with zero to two cells replaced by odd or bad values."""
    cells = dict(draw(st.sampled_from([cells for cells, _ in VALID])))
    for column in draw(st.lists(st.sampled_from(sorted(CELL)), max_size=2)):
        cells[column] = draw(CELL[column])
    return cells


@settings(max_examples=300, deadline=None)
@given(st.one_of(near_valid_rows(), st.fixed_dictionaries(CELL)))
def test_fast_path_builds_what_the_full_validator_builds(cells: dict[str, str]) -> None:
    errors: list[RowError] = []
    slow = validate_cells(cells, HERE, errors, seq=1)
    fast = fast_event(cells, HERE, 1)
    if fast is not None:
        assert errors == [] and fast == slow and repr(fast) == repr(slow)
        # ... and the stored text it gives the ledger is the codec's (ledger_cells)
        found = fast_cells([cells.get(column) or "" for column in GENERIC_COLUMNS], HERE, 1)
        assert found is not None and found[1] == stored_text(fast)
    assert (slow is None) == bool(errors)


@pytest.mark.parametrize(("cells", "text"), [
    # cells already canonical are stored as read
    (TRADE, "2024-03-01T12:00:00.000000Z\x1fkraken\x1ftrade\x1f100\x1fUSD\x1f0.002\x1fBTC" + "\x1f" * 10),
    # the codec's forms otherwise: trailing zeros dropped, codes upper-cased, fixed-width UTC
    # time, a zero fee (and its USD value) is no fee, acquired in export form
    (row(TRADE, time="2024-03-01T13:00:00.5+01:00", sent_quantity="100.50", sent_asset="usd", fee_quantity="0",
         fee_asset="USD", fee_usd_value="0"),
     "2024-03-01T12:00:00.500000Z\x1fkraken\x1ftrade\x1f100.5\x1fUSD\x1f0.002\x1fBTC" + "\x1f" * 10),
    (row(TRADE, type="deposit", sent_quantity="", sent_asset="", basis_usd="10.0", acquired="2024-01-01T00:00:00Z"),
     "2024-03-01T12:00:00.000000Z\x1fkraken\x1fdeposit\x1f\x1f\x1f0.002\x1fBTC\x1f\x1f\x1f\x1f\x1f\x1f10"
     "\x1f2024-01-01T00:00:00Z\x1f\x1f\x1f"),
])
def test_fast_path_stored_text(cells: dict[str, str], text: str) -> None:
    found = fast_cells([cells.get(column) or "" for column in GENERIC_COLUMNS], HERE, 0)
    assert found is not None and found[1] == text
    assert text == stored_text(found[0])


@pytest.mark.parametrize("event", ROUND_TRIP, ids=lambda e: type(e).__name__)
def test_builders_build_what_the_constructors_build(event: EventBase) -> None:
    """codec_build sets the slots directly: the same value, frozen, for every type."""
    build = builders()[type(event)]
    fields = {name: getattr(event, name, None) for name in FIELDS}
    fields["to_account"] = fields["to_account"] or ""
    built = build(*fields.values())
    assert built == event and repr(built) == repr(event) and hash(built) == hash(event)
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.note = "changed"  # type: ignore[misc]
    assert amount(Decimal("1.5"), "BTC") == Amount(Decimal("1.5"), "BTC")
    assert source_ref("a.csv", 3) == SourceRef("a.csv", 3) and str(source_ref("a.csv", 3)) == "a.csv:3"


def test_specific_fields_per_type() -> None:
    # a builder ignores the others: the ledger's loader refuses a stored row giving them
    assert specific_fields(Trade) == frozenset()
    assert specific_fields(Deposit) == {"basis_usd", "acquired"} and specific_fields(Transfer) == {"to_account"}
    assert specific_fields(RealizedPnl) == {"acquired"}


def test_the_fast_path_takes_plain_rows() -> None:
    # the property above would say nothing if the fast path never accepted a row
    fast = [cells for cells, _ in VALID if fast_event(cells, HERE, 0) is not None]
    assert len(fast) >= 10
