"""KuCoin importers (issue 4): order/trade history (old and new layouts) and the account
history ledger (spot, cross and isolated margin).

Expected numbers come from samples/EXPECTED.md (samples) or were worked out by hand from
the fixture rows (line numbers cited). Net per asset = received - sent - fee over all
events; transfers between own KuCoin accounts are non-taxable rows (tax-rules.md §5.1, U6).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from taxmargin.importers.base import load_file
from taxmargin.models import Amount
from tests.conftest import FIXTURES
from tests.importer_support import check_fixture, check_malformed_rows, detected_layouts, _net, _of, _parse, _text, _utc

D = Decimal
KUCOIN = FIXTURES / "kucoin"


# --------------------------------------------------------------------------- samples


def test_rotki_order_history_sample(samples: Path) -> None:
    name, result = _parse(load_file(samples / "kucoin" / "rotki_kucoin_order_history.csv"))
    assert name == "kucoin-trades-rotki"
    assert (result.rows_read, result.unaccounted, result.errors) == (2, 0, ())  # no trailing newline
    # EXPECTED.md: sell 36.4479 XTZ for 3.73590975 USDT (fee 0.00373590975 USDT); buy
    # 432.59183198 XRP for 280.8559209946952 USDT (fee 0.2808559209946952 USDT). The file
    # states no zone: BittyTax's KuCoin default Asia/Singapore (UTC+8) -> 12:36 is 04:36 UTC.
    assert [(e.time, e.sent, e.received, e.fee) for e in result.events] == [
        (_utc("2022-04-28 04:36:00"), Amount(D("36.4479"), "XTZ"), Amount(D("3.73590975"), "USDT"),
         Amount(D("0.00373590975"), "USDT")),
        (_utc("2022-04-28 07:46:07"), Amount(D("280.8559209946952"), "USDT"), Amount(D("432.59183198"), "XRP"),
         Amount(D("0.2808559209946952"), "USDT")),
    ]
    assert [d.code for d in result.diagnostics] == ["assumed-timezone"]


def test_cross_margin_ledger_sample(samples: Path) -> None:
    name, result = _parse(load_file(samples / "kucoin" / "kucoin_cross_margin_account_history_constructed.csv"))
    assert name == "kucoin-account-history"
    assert (result.rows_read, result.unaccounted, result.errors) == (15, 0, ())
    # EXPECTED.md: transfers 2 (own Trading Account, lines 2 and 16) -> non-taxable
    assert [n.source.line for n in result.non_taxable] == [2, 16]
    assert [e.received for e in _of(result, "borrow")] == [Amount(D("0.02"), "BTC"), Amount(D("2000"), "USDT")]
    trades = [(e.type_name, e.sent, e.received, e.fee)
              for e in result.events if e.type_name in ("trade", "liquidation")]
    assert trades == [  # EXPECTED.md: trades 4 (Amount includes Fee: 1238.76 + 1.24 = 1240 gross)
        ("trade", Amount(D("0.02"), "BTC"), Amount(D("1240"), "USDT"), Amount(D("1.24"), "USDT")),
        ("trade", Amount(D("1165.8"), "USDT"), Amount(D("0.0201"), "BTC"), Amount(D("1.1658"), "USDT")),
        ("trade", Amount(D("3000"), "USDT"), Amount(D("1"), "ETH"), Amount(D("3"), "USDT")),
        ("liquidation", Amount(D("1"), "ETH"), Amount(D("2100"), "USDT"), Amount(D("2.1"), "USDT")),
    ]
    # EXPECTED.md: repays 0.02000384 BTC and 2000.4 USDT = principal + implicit interest
    assert [e.sent for e in _of(result, "repay")] == [Amount(D("0.02"), "BTC"), Amount(D("2000"), "USDT")]
    assert [e.sent for e in _of(result, "interest")] == [Amount(D("0.00000384"), "BTC"), Amount(D("0.4"), "USDT")]
    # EXPECTED.md: liquidation at 03:14:15 = the forced ETH sale + Liquidation Fees 21 USDT
    fees = _of(result, "fee")
    assert [(e.time, e.sent, e.note) for e in fees] == [
        (_utc("2024-03-12 03:14:15"), Amount(D("21"), "USDT"), "liquidation fee")]
    assert _of(result, "liquidation")[0].time == fees[0].time
    assert not _of(result, "deposit") and not _of(result, "withdrawal")
    # EXPECTED.md: net with the two transfers as own-account transfers
    assert _net(result.events) == {"USDT": D("-854.7058"), "BTC": D("0.00009616")}


# --------------------------------------------------------------------------- fixtures

FIXTURE_LAYOUTS = [
    ("kucoin_trades_rotki.csv", "kucoin-trades-rotki"),
    ("kucoin_trades_v3.csv", "kucoin-trades-v3"),
    ("kucoin_orders_v5.csv", "kucoin-orders-v5"),
    ("kucoin_orders_v5_notax.csv", "kucoin-orders-v5-notax"),
    ("kucoin_fills_v5.csv", "kucoin-fills-v5"),
    ("kucoin_fills_v5_bare.csv", "kucoin-fills-v5-bare"),
    ("kucoin_isolated_margin_history.csv", "kucoin-account-history"),
    ("kucoin_trading_account_history.csv", "kucoin-account-history"),
    ("kucoin_empty_report.csv", "kucoin-account-history"),
]


@pytest.mark.parametrize(("fixture", "layout"), FIXTURE_LAYOUTS)
def test_fixture_golden_and_accounting(fixture: str, layout: str) -> None:
    check_fixture(KUCOIN / fixture, layout)


@pytest.mark.parametrize(("fixture", "layout"), FIXTURE_LAYOUTS)
def test_fixtures_detected_by_exactly_one_layout(fixture: str, layout: str) -> None:
    assert detected_layouts(load_file(KUCOIN / fixture)) == [layout]


@pytest.mark.parametrize(("sample", "layout"), [
    ("rotki_kucoin_order_history.csv", "kucoin-trades-rotki"),
    ("kucoin_cross_margin_account_history_constructed.csv", "kucoin-account-history"),
])
def test_samples_detected_by_exactly_one_layout(samples: Path, sample: str, layout: str) -> None:
    assert detected_layouts(load_file(samples / "kucoin" / sample)) == [layout]


@pytest.mark.parametrize(("fixture", "line", "utc"), [
    ("kucoin_orders_v5.csv", 2, "2024-01-02 01:05:00"),  # Filled Time(UTC+08:00) 09:05
    ("kucoin_orders_v5_notax.csv", 3, "2023-07-02 12:30:00"),  # Filled Time(UTC)
    ("kucoin_fills_v5.csv", 2, "2024-01-31 23:30:00"),  # Filled Time(UTC+02:00) 01:30 next day
    ("kucoin_fills_v5_bare.csv", 2, "2024-02-29 23:00:00"),  # bare: UTC+8 assumed, 07:00
    ("kucoin_isolated_margin_history.csv", 3, "2024-05-01 08:01:00"),  # Time(UTC+02:00) 10:01
])
def test_header_offset_is_honoured(fixture: str, line: int, utc: str) -> None:
    _, result = _parse(load_file(KUCOIN / fixture))
    assert next(e.time for e in result.events if e.source.line == line) == _utc(utc)
    assumed = [d.code for d in result.diagnostics if d.code == "assumed-timezone"]
    assert assumed == (["assumed-timezone"] if "bare" in fixture else [])


def test_orders_v5_margin_rows_and_unfilled_order() -> None:
    _, result = _parse(load_file(KUCOIN / "kucoin_orders_v5.csv"))
    # line 3 (Cross Margin) and line 5 (Isolated Margin) are margin orders in the same pool
    assert [(e.source.line, e.account, e.note) for e in result.events if e.note] == [
        (3, "kucoin", "Cross Margin order"), (5, "kucoin", "Isolated Margin order")]
    # line 4: cancelled with Filled Amount 0 -> non-taxable
    assert [(n.source.line, n.reason) for n in result.non_taxable] == [(4, "order not filled")]
    assert next(e.event_id for e in result.events) == "kucoin:6571a0b1c2d3e4f500000001"


def test_isolated_margin_ledger_fixture() -> None:
    _, result = _parse(load_file(KUCOIN / "kucoin_isolated_margin_history.csv"))
    # line 8: Debt Repayment 1001.6 USDT after borrowing 1000 (line 3): 1.6 is interest
    assert [(e.type_name, e.sent) for e in result.events if e.source.line == 8] == [
        ("repay", Amount(D("1000"), "USDT")), ("interest", Amount(D("1.6"), "USDT"))]
    # balance: +600 (transfer in, line 2) ... -745.25 (transfer out, line 9) ends at 0
    assert _net(result.events) == {"USDT": D("745.25") - 600}


def test_trading_ledger_fixture() -> None:
    _, result = _parse(load_file(KUCOIN / "kucoin_trading_account_history.csv"))
    # lines 3-6: four Spot rows at one second in two currencies -> one trade of 200 USDT
    # (100.1 + 100.1 including 0.1 + 0.1 fee) for 400 XRP
    trades = _of(result, "trade")
    assert (trades[0].sent, trades[0].received, trades[0].fee) == (
        Amount(D("200"), "USDT"), Amount(D("400"), "XRP"), Amount(D("0.2"), "USDT"))
    # line 10: Remark "ABC Distribution" -> income (BittyTax's airdrop rule)
    assert [e.received for e in _of(result, "income")] == [Amount(D("2.5"), "USDT"), Amount(D("12"), "ABC")]
    # line 12: Withdraw 150 XRP including the 0.25 fee
    assert [(e.sent, e.fee) for e in _of(result, "withdrawal")] == [(Amount(D("149.75"), "XRP"), Amount(D("0.25"), "XRP"))]
    # every row but the Earn subscription (line 11, -50 USDT) is an event: sum of signed Amounts
    assert _net(result.events) == {"USDT": D("199") - D("200.2") + D("2.5"), "XRP": D("400") - 150,
                                   "KCS": D("0.05"), "TRX": D("-6"), "ABC": D("12")}


def test_empty_report_placeholder() -> None:
    _, result = _parse(load_file(KUCOIN / "kucoin_empty_report.csv"))
    assert result.events == () and [n.source.line for n in result.non_taxable] == [2]


def test_conflicting_order_id_and_tax() -> None:
    good = load_file(KUCOIN / "kucoin_orders_v5.csv")
    extra = (
        "****0001,Trading Account,6571a0b1c2d3e4f500000001,2024-01-02 09:00:00,BTC-USDT,BUY,LIMIT,42000,0.01,"
        "42000,0.02,840,840,2024-01-02 09:05:00,0.84,USDT,0,DONE\n"
        "****0001,Trading Account,6571a0b1c2d3e4f500000009,2024-01-06 09:00:00,BTC-USDT,BUY,LIMIT,42000,0.01,"
        "42000,0.01,420,420,2024-01-06 09:05:00,0.42,USDT,0.5,DONE\n"
    )
    _, result = _parse(_text(good.name, good.text + extra))
    assert [(e.source.line, e.column) for e in result.errors] == [(6, "Order ID"), (7, "Tax")]
    assert result.unaccounted == 0


# --------------------------------------------------------------------------- malformed rows

BAD_CASES = [
    ("kucoin_trades_rotki.csv", "\n2023-01-13 08:00:00,KCS-USDT,buy\n2023-01-13 08:00:00,KCSUSDT,buy,1,1,1,0,USDT\n",
     {6: {"size", "funds"}, 7: {"symbol"}}),
    ("kucoin_trades_v3.csv", ("2021-06-03 10:00:00,x,ADA-USDT,hold,1,1,1,0,taker,USDT,limit,\n"
     "2021-06-31 10:00:00,x,ADA-USDT,buy,1,1,1,0,taker,USDT,limit,\n"), {5: {"side"}, 6: {"tradeCreatedAt"}}),
    ("kucoin_orders_v5.csv", ("****0001,Trading Account,x1,2024-01-07 00:00:00,BTC-USDT,BUY,LIMIT,1,1,1,1,1e,1,"
     "2024-01-07 00:00:00,0,USDT,0,DONE\n"), {6: {"Filled Volume"}}),
    ("kucoin_orders_v5_notax.csv", "****0001,Trading Account,x2,2023-07-03,SOL-USDT,BUY\n",
     {4: {"Filled Amount", "Filled Volume", "Filled Time(UTC)"}}),
    ("kucoin_fills_v5.csv", "****0001,Trading Account,x3,DOT-USDT,BUY,LIMIT,7,1,7,7,yesterday,0,0,MAKER,USDT\n",
     {4: {"Filled Time(UTC+02:00)"}}),
    ("kucoin_fills_v5_bare.csv", ("****0001,Trading Account,x4,LINK-USDT,SELL,MARKET,15,1,15,15,"
     "2024-03-02 07:00:00,-1,0,TAKER,USDT\n"), {3: {"Fee"}}),
    ("kucoin_isolated_margin_history.csv", ("****0001,Isolated Margin,USDT,Withdrawal,5,0,2024-05-22 09:00:00,,"
     "Margin Swap\r\n****0001,Isolated Margin,BTC,Deposit,0.1,0,2024-05-22 10:00:00,,Margin Trade\r\n"),
     {10: {"Type"}, 11: {"Type"}}),
    ("kucoin_trading_account_history.csv", ("****0001,Trading Account,USDT,Deposit,x,0,2023-03-08 00:00:00,,Deposit\r\n"
     "****0001,Trading Account,USDT,Sideways,1,0,2023-03-08 00:00:00,,Deposit\r\n"), {13: {"Amount"}, 14: {"Side"}}),
]


@pytest.mark.parametrize(("fixture", "extra", "expected"), BAD_CASES)
def test_malformed_rows_are_rejected_and_good_rows_import(
        fixture: str, extra: str, expected: dict[int, set[str]]) -> None:
    check_malformed_rows(KUCOIN / fixture, extra, expected)
