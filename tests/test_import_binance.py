"""binance.com importers (issue 4), every layout: detection, goldens, row accounting and
rejected rows of the fixtures, the spot trade / order history / futures fills, and the
time and pair parsers. The statement layouts' samples and grouping are in
test_import_binance_statement.py, the margin statements in test_import_binance_margin.py.

Expected numbers come from samples/EXPECTED.md (samples) or were worked out by hand from
the fixture rows (line numbers cited).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from taxmargin.importers import LAYOUTS
from taxmargin.importers.base import detect_layout, load_file
from taxmargin.importers.binance_common import parse_exchange_time, split_pair
from tests.conftest import FIXTURES
from tests.golden import assert_golden
from tests.importer_support import _amount, _utc, check_rows_accounted, import_file

BINANCE = FIXTURES / "binance"


# --------------------------------------------------------------------------- detection

FIXTURE_LAYOUTS = [
    ("statement_v1.csv", "binance-statement-v1"),
    ("statement_v2_margin.csv", "binance-statement-v2"),
    ("statement_v2_whole_row_quoted.csv", "binance-statement-v2"),
    ("statement_v3.csv", "binance-statement-v3"),
    ("spot_trades_old.csv", "binance-spot-trades-old"),
    ("spot_trades_old_semicolon.csv", "binance-spot-trades-old-semicolon"),
    ("spot_trades_new.csv", "binance-spot-trades-new"),
    ("spot_trades_new_quantity.csv", "binance-spot-trades-new-quantity"),
    ("order_history.csv", "binance-order-history"),
    ("order_history_semicolon.csv", "binance-order-history-semicolon"),
    ("futures_transactions.csv", "binance-futures-transactions"),
]


@pytest.mark.parametrize(("name", "layout"), FIXTURE_LAYOUTS)
def test_fixture_detected_by_exactly_one_layout(name: str, layout: str) -> None:
    assert detect_layout(load_file(BINANCE / name), LAYOUTS).name == layout


@pytest.mark.parametrize("name", ["rotki_binance_history.csv", "binance_margin_statement_constructed.csv"])
def test_sample_detected_by_exactly_one_layout(samples: Path, name: str) -> None:
    assert detect_layout(load_file(samples / "binance" / name), LAYOUTS).name == "binance-statement-v2"


@pytest.mark.parametrize(("name", "_layout"), FIXTURE_LAYOUTS)
def test_fixture_golden(name: str, _layout: str) -> None:
    result = import_file(BINANCE / name)
    check_rows_accounted(result, rejected_apart=True)
    assert_golden(BINANCE / name, result.events)


# --------------------------------------------------------------------------- own fixtures

FIXTURE_ACCOUNTING = [  # (file, rows read, rows in events, non-taxable, rejected lines) by hand
    ("statement_v1.csv", 21, 15, 1, {16, 17, 18, 19, 20}),
    ("statement_v2_margin.csv", 58, 45, 8, {55, 56, 57, 58, 59}),
    ("statement_v2_whole_row_quoted.csv", 5, 4, 0, {6}),
    ("statement_v3.csv", 12, 8, 2, {12, 13}),
    ("spot_trades_old.csv", 10, 5, 0, {7, 8, 9, 10, 11}),
    ("spot_trades_old_semicolon.csv", 5, 3, 0, {5, 6}),
    ("spot_trades_new.csv", 7, 5, 0, {7, 8}),
    ("spot_trades_new_quantity.csv", 3, 2, 0, {4}),
    ("order_history.csv", 15, 4, 8, {13, 14, 16}),
    ("order_history_semicolon.csv", 11, 4, 6, {12}),
    ("futures_transactions.csv", 15, 10, 2, {13, 14, 15}),
]


@pytest.mark.parametrize(("name", "read", "in_events", "skipped", "rejected"), FIXTURE_ACCOUNTING)
def test_fixture_accounting(name: str, read: int, in_events: int, skipped: int, rejected: set[int]) -> None:
    result = import_file(BINANCE / name)
    assert (result.rows_read, result.rows_in_events, len(result.non_taxable)) == (read, in_events, skipped)
    assert {e.source.line for e in result.errors} == rejected
    check_rows_accounted(result, rejected_apart=True)


BAD_ROWS = [  # one of each kind per layout: truncated row, bad number, bad date, unknown value
    ("statement_v1.csv", 16, "Coin", "is required"),
    ("statement_v1.csv", 17, "Change", "not a number"),
    ("statement_v1.csv", 18, "UTC_Time", "not a valid calendar date/time"),
    ("statement_v1.csv", 19, "Operation", "unknown operation for account 'Spot'"),
    ("statement_v1.csv", 20, "Change", "trade leg without its counter-leg: no received asset in the same or the next second"),
    ("statement_v2_margin.csv", 55, "Change", "must be positive for operation 'Deposit'"),
    ("statement_v2_margin.csv", 56, "Change", "not a number"),
    ("statement_v2_margin.csv", 57, "UTC_Time", "two-digit year where this layout writes four digits"),
    ("statement_v2_margin.csv", 58, "Account", "unknown Binance sub-account"),
    ("statement_v3.csv", 12, "Time", "not a valid calendar date/time"),
    ("statement_v3.csv", 13, "Change", "must be positive for operation 'Staking Rewards'"),
    ("spot_trades_old.csv", 7, "Market", "not a known trading pair (quote asset not recognised)"),
    ("spot_trades_old.csv", 8, "Type", "must be BUY or SELL"),
    ("spot_trades_old.csv", 9, "Date(UTC)", "not a valid calendar date/time"),
    ("spot_trades_old.csv", 10, "Amount", "not a number"),
    ("spot_trades_old.csv", 11, "Total", "is required"),
    ("spot_trades_old_semicolon.csv", 5, "Price", "both '.' and ',' in a number of a semicolon file: ambiguous"),
    ("spot_trades_old_semicolon.csv", 6, "Date(UTC)", "not a date/time in the form YYYY-MM-DD HH:MM:SS"),
    ("spot_trades_new.csv", 7, "Pair", "does not match the assets of the amount columns"),
    ("spot_trades_new.csv", 8, "Fee", "not an amount followed by its asset (e.g. 0.01BNB)"),
    ("spot_trades_new_quantity.csv", 4, "Quantity", "is required"),
    ("order_history.csv", 13, "Total", "not a number"),
    ("order_history.csv", 14, "Type", "must be BUY or SELL"),
    ("order_history.csv", 16, "Date(UTC)", "fill row of an order row that was rejected"),
    ("order_history_semicolon.csv", 12, "Total", "both '.' and ',' in a number of a semicolon file: ambiguous"),
    ("futures_transactions.csv", 13, "Transaction ID", "repeats the id and type of line 4"),
    ("futures_transactions.csv", 14, "type", "unknown futures transaction type"),
    ("futures_transactions.csv", 15, "Amount", "not a number"),
]


@pytest.mark.parametrize(("name", "line", "column", "message"), BAD_ROWS)
def test_fixture_bad_rows(name: str, line: int, column: str, message: str) -> None:
    errors = [e for e in import_file(BINANCE / name).errors if e.source.line == line and e.column == column]
    assert [e.message for e in errors] == [message]
    assert str(errors[0]).startswith(f"{name}:{line}: column '{column}': {message}")


@pytest.mark.parametrize(
    ("name", "line", "sent", "received", "fee"),
    [  # by hand from the fixture rows
        ("spot_trades_old.csv", 2, ("0.01190273", "BTC"), ("1.61", "LTC"), ("0.00161", "LTC")),
        ("spot_trades_old.csv", 4, ("50", "EUR"), ("1000", "ADA"), ("0.0005", "BNB")),  # ADAEUR, not AD/AEUR
        ("spot_trades_old.csv", 5, ("10", "1INCH"), ("25", "USDT"), ("0.025", "USDT")),
        ("spot_trades_old.csv", 6, ("20", "BUSD"), ("1", "BNB"), None),  # zero fee -> none
        ("spot_trades_old_semicolon.csv", 2, ("0.01190273", "BTC"), ("1.61", "LTC"), ("0.00161", "LTC")),
        ("spot_trades_old_semicolon.csv", 4, ("0.5", "ETH"), ("100.25", "EUR"), ("0.1", "EUR")),
        ("spot_trades_new.csv", 2, ("0.18", "SOL"), ("19.8054", "BUSD"), ("0.0198054", "BUSD")),
        ("spot_trades_new.csv", 3, ("1955.2", "USDT"), ("0.0416", "BTC"), ("0.01612653", "BNB")),
        ("spot_trades_new.csv", 4, ("18.75", "USDT"), ("12.5", "1INCH"), ("0.00002", "BNB")),
        ("spot_trades_new.csv", 5, ("500", "DOGE"), ("65", "EUR"), ("0.065", "EUR")),
        ("spot_trades_new_quantity.csv", 2, ("30", "USDT"), ("100000", "1000SATS"), ("100", "1000SATS")),
        ("order_history.csv", 4, ("259.433824", "USDT"), ("0.0416", "BTC"), ("0.01612653", "BNB")),
        ("order_history.csv", 7, ("0.092957", "BTC"), ("548.88133876", "USDT"), ("0.03640176", "BNB")),
        ("order_history.csv", 10, ("20", "LINK"), ("0.2", "ETH"), None),  # order without fill rows
        ("order_history_semicolon.csv", 11, ("100.05", "EUR"), ("0.5", "ETH"), ("0.0005", "ETH")),
        ("futures_transactions.csv", 10, ("50", "USDT"), ("49.98", "BUSD"), None),
    ],
)
def test_fill_rows(name: str, line: int, sent: tuple[str, str], received: tuple[str, str],
                   fee: tuple[str, str] | None) -> None:
    (trade,) = [e for e in import_file(BINANCE / name).events if e.source.line == line]
    assert (trade.type_name, trade.sent, trade.received, trade.fee) == (
        "trade", _amount(*sent), _amount(*received), _amount(*fee) if fee else None)


def test_futures_ids_and_sides() -> None:
    result = import_file(BINANCE / "futures_transactions.csv")
    ids = [e.event_id for e in result.events]
    assert len(ids) == len(set(ids)) and all(i.startswith("binance-futures:") for i in ids)
    funding = {e.source.line: (e.sent, e.received) for e in result.events if e.type_name == "funding"}
    assert funding == {6: (_amount("0.0321", "USDT"), None), 7: (None, _amount("0.0111", "USDT"))}
    assert sorted(r.source.line for r in result.non_taxable) == [2, 16]


def test_order_history_diagnostics() -> None:
    codes = {(d.code, d.source.line if d.source else 0) for d in import_file(BINANCE / "order_history.csv").diagnostics}
    assert codes == {("missing-fills", 10), ("fills-mismatch", 11)}


# --------------------------------------------------------------------------- helpers


@pytest.mark.parametrize(
    ("text", "two_digit", "expected"),
    [
        ("2023-11-19 22:13:33", False, "2023-11-19 22:13:33"),
        ("26-01-05 09:30:00", True, "2026-01-05 09:30:00"),  # P9: %y-%m-%d
        ("2026-01-05 09:30:00", True, "2026-01-05 09:30:00"),
        ("2021-04-18 10:03:20.037", False, "2021-04-18 10:03:20.037"),
    ],
)
def test_parse_exchange_time(text: str, two_digit: bool, expected: str) -> None:
    assert parse_exchange_time(text, two_digit_year=two_digit) == _utc(expected)


@pytest.mark.parametrize("text", ["26-01-05 09:30:00", "2023-02-29 10:00:00", "2008-12-31 00:00:00", "", "yesterday"])
def test_parse_exchange_time_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_exchange_time(text)


@pytest.mark.parametrize(
    ("pair", "expected"),
    [("LTCBTC", ("LTC", "BTC")), ("ETHBUSD", ("ETH", "BUSD")), ("BTCTUSD", ("BTC", "TUSD")),
     ("ADAEUR", ("ADA", "EUR")), ("1INCHUSDT", ("1INCH", "USDT")), ("XYZ", None)],
)
def test_split_pair(pair: str, expected: tuple[str, str] | None) -> None:
    assert split_pair(pair) == expected
