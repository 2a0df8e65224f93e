"""Coinbase retail (v0–v5) and Coinbase Pro / Advanced Trade importers.

Expected numbers come from ../shared/samples/EXPECTED.md (cited per test) or are worked out
by hand from the fixture rows (line cited beside each case).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from taxmargin.errors import RowError
from taxmargin.importers import LAYOUTS
from taxmargin.importers.base import detect_layout, load_file
from taxmargin.importers.coinbase_common import parse_money
from taxmargin.importers.coinbase_notes import advanced_quote, convert_legs
from taxmargin.models import Deposit, Income, Spend, Trade, Withdrawal
from taxmargin.money import DecimalParseError
from tests.conftest import FIXTURES
from tests.golden import assert_golden
from tests.importer_support import _amount, _net, _utc, error_cells, run

D = Decimal

FIXTURE_LAYOUTS = {
    "coinbase/coinbase_v0_usd.csv": "coinbase-v0",
    "coinbase/coinbase_v1_eur.csv": "coinbase-v1",
    "coinbase/coinbase_v2_usd.csv": "coinbase-v2",
    "coinbase/coinbase_v3_usd.csv": "coinbase-v3",
    "coinbase/coinbase_v4_usd.csv": "coinbase-v4",
    "coinbase/coinbase_v5_usd.csv": "coinbase-v5",
    "coinbase_pro/fills_portfolio.csv": "coinbase-pro-fills",
    "coinbase_pro/fills_v1.csv": "coinbase-pro-fills-v1",
    "coinbase_pro/account_portfolio.csv": "coinbase-pro-account",
    "coinbase_pro/account_v1.csv": "coinbase-pro-account-v1",
    "coinbase_pro/account_title.csv": "coinbase-pro-account-title",
}
SAMPLE_LAYOUTS = {
    "coinbase/etg_coinbase_export_v4.csv": "coinbase-v4",
    "coinbase/gfs_v3_single_buy.csv": "coinbase-v3",
    "coinbase/gfs_v4_learning_reward_bom.csv": "coinbase-v4",
    "coinbase_pro/everytrade_coinbasepro_fills_v001.csv": "coinbase-pro-fills",
}


# ---- detection: content only, exactly one layout of the whole registry ---------------


@pytest.mark.parametrize(("name", "layout"), sorted(FIXTURE_LAYOUTS.items()))
def test_fixture_detected_by_exactly_one_layout(name: str, layout: str) -> None:
    assert detect_layout(load_file(FIXTURES / name), LAYOUTS).name == layout


@pytest.mark.parametrize(("name", "layout"), sorted(SAMPLE_LAYOUTS.items()))
def test_sample_detected_by_exactly_one_layout(samples: Path, name: str, layout: str) -> None:
    assert detect_layout(load_file(samples / name), LAYOUTS).name == layout


# ---- goldens --------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(FIXTURE_LAYOUTS))
def test_fixture_golden(name: str) -> None:
    path = FIXTURES / name
    assert_golden(path, run(path).events)


# ---- rejected rows: FILE:LINE: column 'X', the rest imports ---------------------------

REJECTED = {
    # v0: line 9 Amount '58O.00' (letter O); line 10 date 02/30/2018 does not exist
    "coinbase/coinbase_v0_usd.csv": {(9, "USD Amount Transacted (Inclusive of Coinbase Fees)"), (10, "Timestamp")},
    # v1: line 15 unknown type 'Mystery Bonus'; line 16 quantity '1.O'
    "coinbase/coinbase_v1_eur.csv": {(15, "Transaction Type"), (16, "Quantity Transacted")},
    # v2: line 16 truncated after 'Buy,BTC'
    "coinbase/coinbase_v2_usd.csv": {(16, "Quantity Transacted"), (16, "Spot Price Currency")},
    # v3: line 15 Feb 30; line 16 Convert whose Notes do not name the received leg
    "coinbase/coinbase_v3_usd.csv": {(15, "Timestamp"), (16, "Notes")},
    # v4: 5 unsupported DEX row; 18 same ID as line 16 with other data; 23 price '$7O000.00'; 24 truncated
    "coinbase/coinbase_v4_usd.csv": {
        (5, "Transaction Type"), (18, "ID"), (23, "Price at Transaction"),
        (24, "Asset"), (24, "Price Currency"), (24, "Quantity Transacted"),
    },
    # v5: line 11 unknown type 'Lottery Win'
    "coinbase/coinbase_v5_usd.csv": {(11, "Transaction Type")},
    "coinbase_pro/fills_portfolio.csv": {(5, "side")},  # side 'HOLD'
    "coinbase_pro/fills_v1.csv": {(4, "price")},  # 1e999 is above the magnitude limit
    # line 10: a match whose counter-leg is not in the file; line 11 type 'interest'
    "coinbase_pro/account_portfolio.csv": {(10, "trade id"), (11, "type")},
    "coinbase_pro/account_v1.csv": {(6, "amount")},  # a withdrawal with a positive amount
    "coinbase_pro/account_title.csv": {(7, "Timestamp")},  # 'yesterday'
}


@pytest.mark.parametrize(("name", "cells"), sorted(REJECTED.items()))
def test_rejected_rows(name: str, cells: set[tuple[int, str]]) -> None:
    result = run(FIXTURES / name)
    assert error_cells(result) == cells
    for error in result.errors:
        assert str(error).startswith(f"{Path(name).name}:{error.source.line}: column '{error.column}': ")


# ---- samples: EXPECTED.md -------------------------------------------------------------


def test_etg_v4_sample(samples: Path) -> None:
    """EXPECTED.md "coinbase/etg_coinbase_export_v4.csv" (8 rows)."""
    result = run(samples / "coinbase/etg_coinbase_export_v4.csv")
    assert result.rows_read == 8
    incomes = [e for e in result.events if isinstance(e, Income)]
    # Income 2: Staking Income 0.000037835729 ETH (€0.12649) and 0.000022652183 ETH (€0.07027);
    # EUR values are not USD values, so usd_value stays empty.
    assert sorted((e.received.quantity, e.received.asset) for e in incomes if e.received) == [
        (D("0.000022652183"), "ETH"), (D("0.000037835729"), "ETH")]
    assert all(e.usd_value is None for e in incomes)
    trades = [e for e in result.events if isinstance(e, Trade)]
    # Converts 2: BTC -> XRP is a trade (received leg from Notes); ETH -> ETH2 is a migration.
    convert = next(t for t in trades if t.note == "Convert")
    assert (convert.sent, convert.received) == (_amount("0.00363125", "BTC"), _amount("156.145683", "XRP"))
    assert convert.fee is None  # "fee cell empty"
    # Buys: 1 buy of 0.00166779 BTC for €70.00 (subtotal €67.01, fee €2.99) at 2022-03-25 06:45:27
    buy = next(t for t in trades if t.note == "Buy")
    assert (buy.sent, buy.received, buy.fee) == (
        _amount("67.01", "EUR"), _amount("0.00166779", "BTC"), _amount("2.99", "EUR"))
    assert buy.time == _utc("2022-03-25 06:45:27")
    assert len(trades) == 2
    # ... and 1 warning: the repeated ID with USD values (line 9) is rejected on column 'ID'
    assert error_cells(result) == {(9, "ID")}
    # ETH2->ETH Send/Receive pair (lines 4-5) and Convert ETH->ETH2 (line 7): migrations
    assert {n.source.line for n in result.non_taxable} == {4, 5, 7}
    assert all("migration" in n.reason for n in result.non_taxable)
    # Net: BTC −0.00196346, ETH +0.007923387238, ETH2 −0.007862899326, XRP +156.145683,
    # EUR −70.00. ETH2 is Coinbase's staked ETH and pooled as ETH, so the expected ETH is
    # 0.007923387238 − 0.007862899326 = 0.000060487912 (the two staking incomes).
    assert _net(result.events) == {
        "BTC": D("-0.00196346"), "ETH": D("0.007923387238") + D("-0.007862899326"),
        "XRP": D("156.145683"), "EUR": D("-70.00")}


def test_gfs_v3_cp1252_single_buy(samples: Path) -> None:
    """EXPECTED.md "coinbase/gfs_v3_single_buy.csv": preamble, header on line 8, one buy
    2023-04-20 04:05:40 of 0.00213232 ETH for €4.85 total (subtotal €3.86, fee €0.99);
    the € in Notes is byte 0x80 (cp1252)."""
    path = samples / "coinbase/gfs_v3_single_buy.csv"
    assert load_file(path).encoding == "cp1252"
    result = run(path)
    (trade,) = result.events
    assert isinstance(trade, Trade)
    assert trade.source.line == 9
    assert trade.time == _utc("2023-04-20 04:05:40")
    assert (trade.sent, trade.received, trade.fee) == (
        _amount("3.86", "EUR"), _amount("0.00213232", "ETH"), _amount("0.99", "EUR"))
    assert _net(result.events)["EUR"] == D("-4.85")


def test_gfs_v4_learning_reward_bom(samples: Path) -> None:
    """EXPECTED.md "coinbase/gfs_v4_learning_reward_bom.csv": BOM + blank line + preamble;
    one income of 2.8530670470756063 ZETACHAIN (16 places survive), value €0.92677."""
    result = run(samples / "coinbase/gfs_v4_learning_reward_bom.csv")
    (income,) = result.events
    assert isinstance(income, Income) and income.received is not None
    assert str(income.received.quantity) == "2.8530670470756063"
    assert income.received.asset == "ZETACHAIN"
    assert income.time == _utc("2025-03-26 20:52:58")
    assert income.usd_value is None  # a EUR value is not a USD value
    assert income.event_id == "67e4692afcea853e96a80ab9"


def test_coinbase_pro_fills_sample(samples: Path) -> None:
    """EXPECTED.md "coinbase_pro/everytrade_coinbasepro_fills_v001.csv": 2 fills; net LTC
    +0.10840093, EUR −5.7582206812425."""
    result = run(samples / "coinbase_pro/everytrade_coinbasepro_fills_v001.csv")
    sell, buy = result.events
    assert isinstance(sell, Trade) and isinstance(buy, Trade)
    # SELL 2.86035 LTC @41.43: total +117.9117789975 is net of fee 0.5925215025, so the
    # gross received is 117.9117789975 + 0.5925215025 = 118.5043005 (= 2.86035 × 41.43)
    assert (sell.sent, sell.received, sell.fee) == (
        _amount("2.86035", "LTC"), _amount("118.5043005", "EUR"), _amount("0.5925215025", "EUR"))
    assert sell.time == datetime(2020, 5, 18, 20, 8, 14, 253000, tzinfo=timezone.utc)
    # BUY 2.96875093 LTC @41.45: total −123.6699996787425 includes fee 0.6152736302425
    assert (buy.sent, buy.received) == (_amount("123.0547260485", "EUR"), _amount("2.96875093", "LTC"))
    assert buy.time == datetime(2020, 5, 18, 20, 8, 39, 184000, tzinfo=timezone.utc)
    assert _net(result.events) == {"LTC": D("0.10840093"), "EUR": D("-5.7582206812425")}


# ---- fixture semantics worked out by hand ---------------------------------------------


def test_v4_fixture_semantics() -> None:
    result = run(FIXTURES / "coinbase/coinbase_v4_usd.csv")
    by_line = {e.source.line: e for e in result.events}
    sell = by_line[6]  # Sell −0.15 BTC, Subtotal "$16,047.50", Fees $192.50, Total "$15,855.00"
    assert (sell.sent, sell.received, sell.fee) == (
        _amount("0.15", "BTC"), _amount("16047.50", "USD"), _amount("192.50", "USD"))
    assert (sell.usd_value, sell.fee_usd) == (D("16047.50"), D("192.50"))  # stated in USD
    convert = by_line[7]  # two rows sharing ID ...a3: −1.5 ETH (line 7), +0.0575 BTC (line 8)
    assert (convert.sent, convert.received) == (_amount("1.5", "ETH"), _amount("0.0575", "BTC"))
    assert result.rows_per_event[result.events.index(convert)] == 2
    assert by_line[11].usd_value == D("2.89")  # Staking Income in a USD report
    reasons = {n.source.line: n.reason for n in result.non_taxable}
    assert set(reasons) == {9, 10, 12, 13, 14, 15, 17}
    assert "repeats line 16" in reasons[17]  # same ID, same data
    assert [d.code for d in result.diagnostics].count("asset-migration") == 2  # MATIC -> POL


def test_v3_crypto_quoted_advanced_trade_and_donation() -> None:
    result = run(FIXTURES / "coinbase/coinbase_v3_usd.csv")
    by_line = {e.source.line: e for e in result.events}
    # line 9: "Bought 0.2 ETH for 0.0108 BTC on ETH-BTC": the quote leg is BTC, not USD
    assert (by_line[9].sent, by_line[9].received) == (_amount("0.0108", "BTC"), _amount("0.2", "ETH"))
    assert by_line[9].usd_value == D("460.00")
    assert by_line[9].time == _utc("2023-12-29 20:30:38")  # "... UTC" form
    assert isinstance(by_line[12], Withdrawal) and "Donation" in by_line[12].note  # not a disposal
    assert isinstance(by_line[13], Trade)  # Retail Simple Dust: 120000 SHIB -> 0.9 USDC


def test_v5_eth2_pooled_and_spend() -> None:
    result = run(FIXTURES / "coinbase/coinbase_v5_usd.csv")
    assert {n.source.line for n in result.non_taxable} == {6, 7, 8}  # Send ETH2/Receive ETH, Convert ETH->ETH2
    income = next(e for e in result.events if isinstance(e, Income))
    assert income.received == _amount("0.001", "ETH")  # Staking Income in ETH2 -> ETH pool
    spend = next(e for e in result.events if isinstance(e, Spend))
    assert spend.sent == _amount("25.5", "USDC")
    sell = next(e for e in result.events if isinstance(e, Trade))
    assert sell.fee == _amount("15.62", "USD")  # bare "-15.62" fee cell (pitfall P6)


def test_v2_exchange_moves_are_own_transfers() -> None:
    result = run(FIXTURES / "coinbase/coinbase_v2_usd.csv")
    by_line = {e.source.line: e for e in result.events}
    assert isinstance(by_line[10], Withdrawal)  # Exchange Deposit: retail -> Pro
    assert isinstance(by_line[11], Deposit)  # Exchange Withdrawal: Pro -> retail


def test_v0_date_only_and_multiline_note() -> None:
    result = run(FIXTURES / "coinbase/coinbase_v0_usd.csv")
    lines = [e.source.line for e in result.events]
    assert lines == [5, 6, 8]  # the Send's Notes spans lines 6-7, so the Sell is line 8
    assert result.events[0].time == _utc("2017-12-19 00:00:00")
    assert [d.code for d in result.diagnostics] == ["assumed-timezone"]


def test_pro_fills_and_statement_share_trade_ids() -> None:
    """Trade 101 BTC-USD is in both the fills report and the account statement: same id."""
    fills = run(FIXTURES / "coinbase_pro/fills_portfolio.csv")
    statement = run(FIXTURES / "coinbase_pro/account_portfolio.csv")
    fill = next(e for e in fills.events if e.event_id.endswith(":101"))
    match = next(e for e in statement.events if e.event_id.endswith(":101"))
    assert fill.event_id == match.event_id == "coinbase-pro:BTC-USD:101"
    # statement rows 3-5: +0.01 BTC, −550 USD, fee −2.75 USD = fills: 0.01 × 55000 + 2.75
    assert (match.sent, match.received, match.fee) == (fill.sent, fill.received, fill.fee)


def test_pro_fills_and_statement_stored_once(tmp_path: Path) -> None:
    ledger_module = pytest.importorskip("taxmargin.ledger")
    with ledger_module.Ledger.open(tmp_path / "t.db") as ledger:
        for name in ("fills_portfolio.csv", "account_portfolio.csv"):
            file = load_file(FIXTURES / "coinbase_pro" / name)
            ledger.store(file, detect_layout(file, LAYOUTS).parse(file))
        ids = Counter(e.event_id for e in ledger.events() if e.event_id)
    assert ids["coinbase-pro:BTC-USD:101"] == 1


# ---- units ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        ("$1.00", "1.00"),
        ('$16,047.61', "16047.61"),  # P6 quoted thousands
        ("-€597.49846", "-597.49846"),
        ("€3343.11229989", "3343.11229989"),
        ("-15.62", "-15.62"),  # bare number in a $ column [pub-cb5]
        ("-$220.87", "-220.87"),
        ("CA$5.5", "5.5"),
        ("1.0e-08", "1.0E-8"),
    ],
)
def test_parse_money(cell: str, value: str) -> None:
    assert parse_money(cell) == D(value)


@pytest.mark.parametrize("cell", ["abc", "$", "12abc", "€1.2.3", "1e999"])
def test_parse_money_rejects(cell: str) -> None:
    with pytest.raises(DecimalParseError):
        parse_money(cell)


def test_notes_legs() -> None:
    legs = convert_legs("Converted 0.00363125 BTC to 156.145683 XRP")
    assert legs is not None
    assert [(leg.quantity, leg.asset) for leg in legs] == [(D("0.00363125"), "BTC"), (D("156.145683"), "XRP")]
    quote = advanced_quote("Bought 0.25 BTC for 34,234.6 EUR on BTC-EUR at 100000 EUR/BTC")
    assert quote is not None and (quote.quantity, quote.asset) == (D("34234.6"), "EUR")
    assert convert_legs("Swapped ADA for something") is None


def test_row_error_is_a_value_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "cb.csv"
    header = ("ID,Timestamp,Transaction Type,Asset,Quantity Transacted,Price Currency,Price at Transaction,"
              "Subtotal,Total (inclusive of fees and/or spread),Fees and/or Spread,Notes\n")
    path.write_text(header + "x1,2025-01-01 00:00:00 UTC,Receive,BTC,-1,USD,$1,$1,$1,$0,\n"
                    "x2,2025-01-01 00:00:00 UTC,Staking Income,ETH,-0.1,USD,$1,$1,$1,$0,\n", encoding="utf-8")
    result = run(path)
    assert result.events == ()
    assert error_cells(result) == {(2, "Quantity Transacted"), (3, "Quantity Transacted")}
    assert all(isinstance(e, RowError) for e in result.errors)
