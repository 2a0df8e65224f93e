"""taxmargin.codec: events <-> rows of the taxmargin CSV (interfaces.md §2).

Every rejected row must read ``FILE:LINE: column 'X': what is wrong (value 'v')``
(interfaces.md §1); each validation rule has one case below with its exact message.
"""

from __future__ import annotations

import pytest
from codec_cases import HERE, KNOWN, TRADE, VALID, row
from taxmargin.importers.base import RowContext

from taxmargin.codec import CONTENT_COLUMNS, GENERIC_COLUMNS, REQUIRED_COLUMNS, parse_event_row
from taxmargin.codec_fast import fast_event
from taxmargin.codec_rules import validate_cells
from taxmargin.models import EventBase


def parse(cells: dict[str, str]) -> tuple[EventBase | None, list[str]]:
    ctx = RowContext(HERE, cells)
    event = parse_event_row(ctx)
    return event, [str(e) for e in ctx.errors]


def test_columns_are_the_documented_ones_in_export_order() -> None:
    # interfaces.md §2 table, in the order `export` writes
    assert GENERIC_COLUMNS == (
        "time", "account", "type", "sent_quantity", "sent_asset", "received_quantity",
        "received_asset", "fee_quantity", "fee_asset", "usd_value", "fee_usd_value", "to_account",
        "basis_usd", "acquired", "lots", "id", "note", "source",
    )  # fmt: skip
    assert REQUIRED_COLUMNS == ("time", "account", "type")
    assert CONTENT_COLUMNS == GENERIC_COLUMNS[:-1]


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


