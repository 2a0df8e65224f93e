"""Binance.US importer (issue 4; exchange-formats.md §2, §12).

Fee reading under test (documented in importers/binance_us.py): the fee is an extra debit
on top of the Base/Quote amounts (EXPECTED.md's first reading, BittyTax's).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from taxmargin.importers import LAYOUTS
from taxmargin.importers.base import ImportResult, detect_layout, load_file
from taxmargin.models import Amount, EventBase
from tests.conftest import FIXTURES
from tests.golden import assert_golden
from tests.importer_support import _net, check_rows_accounted, import_file, total

D = Decimal
US = FIXTURES / "binance_us"


# --------------------------------------------------------------------------- sample


@pytest.fixture
def wink(samples: Path) -> ImportResult:
    return import_file(samples / "binance_us" / "winksaville_binance_us_several_recs.csv")


def test_sample_detected_once(samples: Path) -> None:
    path = samples / "binance_us" / "winksaville_binance_us_several_recs.csv"
    assert detect_layout(load_file(path), LAYOUTS).name == "binance-us-v1"


def test_sample_counts(wink: ImportResult) -> None:
    # EXPECTED.md: 39 rows, income 38, trades 1, nothing else, nothing rejected
    check_rows_accounted(wink)
    assert (wink.rows_read, wink.rows_in_events, wink.errors) == (39, 39, ())
    assert Counter(e.type_name for e in wink.events) == {"income": 38, "trade": 1}
    assert {e.account for e in wink.events} == {"binance-us"}


def test_sample_income_per_asset(wink: ImportResult) -> None:
    # EXPECTED.md "Income 38: Referral Commission in ..."
    income = total([e.received for e in wink.events if e.type_name == "income"])
    assert income == {"BNB": D("0.01177217"), "USD": D("1.5119"), "LTC": D("0.00122556"), "UNI": D("0.574212"),
                      "ATOM": D("0.0125376"), "ALGO": D("0.4241964"), "XRP": D("6.76488"), "ZIL": D("1.26088"),
                      "BTC": D("0.00004369"), "VET": D("3.8456")}
    # three UNI rows at 01:55:23 sharing an Order_Id are all kept (lines 10-12)
    uni = [e for e in wink.events if e.time == datetime(2021, 1, 1, 1, 55, 23, tzinfo=timezone.utc)]
    assert [e.source.line for e in uni] == [10, 11, 12]


def test_sample_quick_sell(wink: ImportResult) -> None:
    # EXPECTED.md: 2021-03-09 05:03:29 Quick Sell: Base ADA 1141.5 given, Quote USD 1289.5062
    # received, fee 6.48 USD; the file states the USD values -> usd_value / fee_usd
    (trade,) = [e for e in wink.events if e.type_name == "trade"]
    assert trade.time == datetime(2021, 3, 9, 5, 3, 29, tzinfo=timezone.utc)
    assert trade.source.line == 3  # second row of the file: rows are not in time order
    assert (trade.sent, trade.received, trade.fee) == (
        Amount(D("1141.5"), "ADA"), Amount(D("1289.5062"), "USD"), Amount(D("6.48"), "USD"))
    assert (trade.usd_value, trade.fee_usd, trade.event_id) == (D("1289.5062"), D("6.48"), "binance-us:157517097")


def test_sample_net_with_fee_as_extra_debit(wink: ImportResult) -> None:
    # EXPECTED.md (fee as an extra debit): ADA -1141.5, USD +1284.5381 = 1289.5062 - 6.48 + 1.5119
    net = _net(wink.events)
    assert (net["ADA"], net["USD"]) == (D("-1141.5"), D("1284.5381"))


def test_sample_events_sorted_and_ids_unique(wink: ImportResult) -> None:
    times = [e.time for e in wink.events]
    assert times == sorted(times)
    ids = [e.event_id for e in wink.events]
    assert len(set(ids)) == 39 and all(i.startswith("binance-us:") for i in ids)
    # milliseconds kept (line 32: 2021-04-18 10:03:20.037)
    assert any(e.time.microsecond == 37000 and e.source.line == 32 for e in wink.events)
    assert [d.code for d in wink.diagnostics] == ["assumed-timezone"]


# --------------------------------------------------------------------------- fixtures


@pytest.mark.parametrize(("name", "layout"), [("binance_us_v1.csv", "binance-us-v1"), ("binance_us_v2.csv", "binance-us-v2")])
def test_fixture_detection_and_golden(name: str, layout: str) -> None:
    assert detect_layout(load_file(US / name), LAYOUTS).name == layout
    result = import_file(US / name)
    check_rows_accounted(result)
    assert_golden(US / name, result.events)


@pytest.mark.parametrize(
    ("name", "read", "counts", "rejected"),
    [  # by hand from the fixture rows
        ("binance_us_v1.csv", 15, {"deposit": 2, "trade": 4, "income": 1, "fee": 1, "withdrawal": 1}, {11, 12, 13, 14, 15, 16}),
        ("binance_us_v2.csv", 8, {"deposit": 1, "trade": 2, "income": 2, "withdrawal": 1}, {8, 9}),
    ],
)
def test_fixture_counts(name: str, read: int, counts: dict[str, int], rejected: set[int]) -> None:
    result = import_file(US / name)
    assert result.rows_read == read
    assert Counter(e.type_name for e in result.events) == counts
    assert {e.source.line for e in result.errors} == rejected


@pytest.mark.parametrize(
    ("name", "line", "column", "message"),
    [
        ("binance_us_v1.csv", 11, "Transaction_Id", "the same id is on line 10"),
        ("binance_us_v1.csv", 12, "Category", "unknown Binance.US category"),
        ("binance_us_v1.csv", 13, "Realized_Amount_For_Primary_Asset", "not a number"),
        ("binance_us_v1.csv", 14, "Time", "not a date/time"),
        ("binance_us_v1.csv", 15, "Base_Asset", "is required for this category"),
        ("binance_us_v1.csv", 16, "Realized_Amount_For_Primary_Asset", "must not be negative for category 'Deposit'"),
        ("binance_us_v2.csv", 8, "Time", "not a date/time"),
        ("binance_us_v2.csv", 9, "Operation", "unknown operation for category 'Withdrawal'"),
    ],
)
def test_fixture_bad_rows(name: str, line: int, column: str, message: str) -> None:
    errors = [e for e in import_file(US / name).errors if e.source.line == line]
    assert [(e.column, e.message) for e in errors] == [(column, message)]
    assert str(errors[0]).startswith(f"{name}:{line}: column '{column}': {message}")


def _line(name: str, line: int) -> EventBase:
    (event,) = [e for e in import_file(US / name).events if e.source.line == line]
    return event


@pytest.mark.parametrize(
    ("name", "line", "kind", "sent", "received", "fee", "usd_value", "fee_usd"),
    [  # by hand from the fixture rows
        # Spot Trading Buy: Base = pair base received; empty USD quote amount from its USD column
        ("binance_us_v1.csv", 3, "trade", ("1000.00000000", "USD"), ("0.02", "BTC"), ("0.0015", "BNB"), "1000", "0.45"),
        ("binance_us_v1.csv", 4, "trade", ("0.5", "ETH"), ("1499.25", "USDT"), ("1.49925", "USDT"), "1499.25", "1.49925"),
        # Quick Buy (real row of [WINK]): Base USD given, Quote BNB received worth $26.17
        ("binance_us_v1.csv", 5, "trade", ("27.4684", "USD"), ("0.1", "BNB"), ("0.14", "USD"), "26.17", "0.14"),
        ("binance_us_v1.csv", 6, "trade", ("100", "USDT"), ("250", "ADA"), None, "99.8", None),
        ("binance_us_v1.csv", 7, "income", None, ("0.5", "ADA"), None, "0.2", None),
        ("binance_us_v1.csv", 8, "fee", ("0.05", "ADA"), None, None, "0.02", None),  # negative staking reward
        ("binance_us_v1.csv", 9, "withdrawal", ("0.2", "ETH"), None, ("0.005", "ETH"), "600", "15"),
        ("binance_us_v2.csv", 3, "trade", ("100", "USD"), ("0.0017", "BTC"), ("2.60352", "USD"), "97.096", "2.60352"),
        ("binance_us_v2.csv", 4, "trade", ("2", "SOL"), ("279.72", "USDT"), ("0.28", "USDT"), "279.72", "0.28"),
        ("binance_us_v2.csv", 5, "income", None, ("0.00001", "BTC"), None, None, None),  # empty USD cell
    ],
)
def test_fixture_rows(name: str, line: int, kind: str, sent: tuple[str, str] | None, received: tuple[str, str] | None,
                      fee: tuple[str, str] | None, usd_value: str | None, fee_usd: str | None) -> None:
    event = _line(name, line)

    def amount(x: tuple[str, str] | None) -> Amount | None:
        return Amount(D(x[0]), x[1]) if x else None

    assert (event.type_name, event.sent, event.received, event.fee) == (kind, amount(sent), amount(received), amount(fee))
    assert (event.usd_value, event.fee_usd) == (D(usd_value) if usd_value else None, D(fee_usd) if fee_usd else None)


def test_v2_time_offsets_and_diagnostics() -> None:
    result = import_file(US / "binance_us_v2.csv")
    # line 3: 2024-09-01T14:30:00.250+02:00 -> 12:30:00.250 UTC (a stated offset wins)
    assert _line("binance_us_v2.csv", 3).time == datetime(2024, 9, 1, 12, 30, 0, 250000, tzinfo=timezone.utc)
    assert sorted(d.code for d in result.diagnostics) == ["assumed-quantity", "assumed-timezone"]
