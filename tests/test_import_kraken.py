"""Kraken ledgers.csv (authoritative) and trades.csv importers, one file at a time:
detection, goldens, rejected rows, the samples and fixtures worked out by hand, and the
asset and pair codes. Both files imported together (one trade stored once, cross-checks)
are in test_import_kraken_crosscheck.py.

Expected numbers come from ../shared/samples/EXPECTED.md (cited per test) or are worked out
by hand from the fixture rows (line cited beside each case).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from taxmargin.importers import LAYOUTS
from taxmargin.importers.base import FileText, detect_layout, load_file
from taxmargin.importers.kraken_common import kraken_asset, split_pair, unwrap_quoted_rows
from taxmargin.models import Amount, Deposit, Income, Interest, RealizedPnl, Trade, Withdrawal
from tests.conftest import FIXTURES
from tests.golden import assert_golden
from tests.importer_support import _net, error_cells, of_kind, run, total

KRAKEN = FIXTURES / "kraken"
D = Decimal

FIXTURE_LAYOUTS = {
    "ledgers_oldest.csv": "kraken-ledgers-oldest",
    "ledgers_classic.csv": "kraken-ledgers-classic",
    "ledgers_classic_usd.csv": "kraken-ledgers-classic-usd",
    "ledgers_wallet.csv": "kraken-ledgers-wallet",
    "ledgers_wallet_usd.csv": "kraken-ledgers-wallet-usd",
    "ledgers_current.csv": "kraken-ledgers-current",
    "ledgers_current_usd.csv": "kraken-ledgers-current-usd",
    "trades_22.csv": "kraken-trades-22",
    "trades_13.csv": "kraken-trades-13",
    "trades_13_wrapped.csv": "kraken-trades-13",
    "trades_13_usd.csv": "kraken-trades-13-usd",
    "trades_11.csv": "kraken-trades-11",
    "trades_24.csv": "kraken-trades-24",
    "trades_24_usd.csv": "kraken-trades-24-usd",
}
SAMPLE_LAYOUTS = {
    "royeharris_ledgers_2024.csv": "kraken-ledgers-current",
    "royeharris_trades_2024.csv": "kraken-trades-24",
    "kraken_margin_ledgers_constructed.csv": "kraken-ledgers-classic",
    "kraken_margin_trades_constructed.csv": "kraken-trades-13",
}


# ---- detection ------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "layout"), sorted(FIXTURE_LAYOUTS.items()))
def test_fixture_detected_by_exactly_one_layout(name: str, layout: str) -> None:
    assert detect_layout(load_file(KRAKEN / name), LAYOUTS).name == layout


@pytest.mark.parametrize(("name", "layout"), sorted(SAMPLE_LAYOUTS.items()))
def test_sample_detected_by_exactly_one_layout(samples: Path, name: str, layout: str) -> None:
    assert detect_layout(load_file(samples / "kraken" / name), LAYOUTS).name == layout


@pytest.mark.parametrize("name", sorted(FIXTURE_LAYOUTS))
def test_fixture_golden(name: str) -> None:
    path = KRAKEN / name
    assert_golden(path, run(path).events)


# ---- rejected rows --------------------------------------------------------------------

REJECTED = {
    "ledgers_oldest.csv": {(6, "time")},  # hour 25
    # 28: trade TONELG without counter-leg (P15); 29: type 'credit'; 30: fee '1.0x00';
    # 31: truncated after the subtype cell
    "ledgers_classic.csv": {(28, "refid"), (29, "type"), (30, "fee"), (31, "amount"), (31, "asset")},
    "ledgers_classic_usd.csv": {(7, "type")},  # 'sale' is a UI filter, never a ledger type
    "ledgers_wallet.csv": {(8, "subtype")},  # transfer subtype 'bonus'
    "ledgers_wallet_usd.csv": {(6, "refid")},  # one-legged trade TWU002
    "ledgers_current.csv": {(17, "subtype")},  # earn subtype 'bonus'
    "ledgers_current_usd.csv": {(6, "time")},  # 'not a date'
    "trades_22.csv": {(5, "cost")},  # '95O.00000'
    "trades_13.csv": {(9, "type")},  # 'swap'
    "trades_13_wrapped.csv": {(4, "cost")},  # negative cost
    "trades_13_usd.csv": {(4, "cost"), (4, "price"), (4, "vol")},  # truncated after 'sell'
    "trades_11.csv": {(4, "pair")},  # 'FOOBAR'
    "trades_24.csv": {(5, "type")},  # 'short'
    "trades_24_usd.csv": {(3, "cost"), (3, "price"), (3, "vol")},  # truncated
}


@pytest.mark.parametrize(("name", "cells"), sorted(REJECTED.items()))
def test_rejected_rows(name: str, cells: set[tuple[int, str]]) -> None:
    result = run(KRAKEN / name)
    assert error_cells(result) == cells
    for error in result.errors:
        assert str(error).startswith(f"{name}:{error.source.line}: column '{error.column}': ")


# ---- the real 2024 export (EXPECTED.md "kraken/royeharris_ledgers_2024.csv") ----------


def test_royeharris_ledger(samples: Path) -> None:
    result = run(samples / "kraken/royeharris_ledgers_2024.csv")
    assert result.rows_read == 106
    deposits, withdrawals = of_kind(result.events, Deposit), of_kind(result.events, Withdrawal)
    # Deposits 30: GBP 25 (8880.47 GBP), USDT 5 (9797 USDT)
    assert Counter(e.received.asset for e in deposits if e.received) == {"GBP": 25, "USDT": 5}
    assert total([e.received for e in deposits]) == {"GBP": D("8880.47"), "USDT": D("9797")}
    # Withdrawals 29: GBP 9 (6842.30 + fees 17.55), USDT 20 (13749.157058 + fees 80)
    assert Counter(e.sent.asset for e in withdrawals if e.sent) == {"GBP": 9, "USDT": 20}
    assert total([e.sent for e in withdrawals]) == {"GBP": D("6842.30"), "USDT": D("13749.157058")}
    assert total([e.fee for e in withdrawals]) == {"GBP": D("17.55"), "USDT": D("80")}
    # Trades: 23 two-legged USDT/GBP trades + the one-legged TO2IGX-JOJX7-VGAZII (line 23),
    # flagged, not invented
    trades = of_kind(result.events, Trade)
    assert len(trades) == 23 and all(result.rows_per_event[result.events.index(t)] == 2 for t in trades)
    assert error_cells(result) == {(23, "refid")}
    assert result.errors[0].value == "TO2IGX-JOJX7-VGAZII"
    assert "counter-leg" in result.errors[0].message
    # Trade fees deducted: 15.9078 GBP + 28.07851548 USDT, of which 4.6604 GBP belongs to
    # the rejected one-legged trade: 15.9078 − 4.6604 = 11.2474 GBP on the 23 trades
    # Two trades carry a fee on both legs (lines 65-66: 1.4470 GBP + 2.00000000 USDT; lines
    # 69-70: 0.1006 GBP + 0.27985506 USDT): the USDT fee is withheld from the USDT received
    withheld = D("2.00000000") + D("0.27985506")
    assert total([t.fee for t in trades]) == {"GBP": D("15.9078") - D("4.6604"), "USDT": D("28.07851548") - withheld}
    both = {t.source.line: t for t in trades if "withheld" in t.note}
    assert {n: (t.received, t.fee) for n, t in both.items()} == {
        65: (Amount(D("1918") - D("2.00000000"), "USDT"), Amount(D("1.4470"), "GBP")),
        69: (Amount(D("204") - D("0.27985506"), "USDT"), Amount(D("0.1006"), "GBP"))}
    # Net movement GBP −22.1060, USDT −0.5358311 for the whole file; the rejected row moved
    # GBP +1165.0899 − 4.6604, so the events carry the rest
    assert _net(result.events) == {
        "GBP": D("-22.1060") - (D("1165.0899") - D("4.6604")), "USDT": D("-0.5358311")}
    # every row satisfies balance = previous + amount − fee: no balance warning
    assert not [d for d in result.diagnostics if d.code == "balance-mismatch"]


# ---- the constructed margin files (EXPECTED.md "kraken_margin_*_constructed.csv") -----


def test_constructed_margin_ledger(samples: Path) -> None:
    result = run(samples / "kraken/kraken_margin_ledgers_constructed.csv")
    events = result.events
    assert not result.errors and not result.non_taxable
    # Deposit 10000 USD; withdrawal 5000 USD, fee 5 USD
    (deposit,) = of_kind(events, Deposit)
    (withdrawal,) = of_kind(events, Withdrawal)
    assert deposit.received == Amount(D("10000"), "USD")
    assert (withdrawal.sent, withdrawal.fee) == (Amount(D("5000"), "USD"), Amount(D("5"), "USD"))
    # Interest (rollover) charges 3, total 2.52 USD
    interest = of_kind(events, Interest)
    assert len(interest) == 3 and total([e.sent for e in interest]) == {"USD": D("2.52")}
    pnl = of_kind(events, RealizedPnl)
    # realised gain +200 USD (closing fee 13.52) and loss −400 USD (fee 7.80)
    assert total([e.received for e in pnl]) == {"USD": D("200")}
    closes = {(e.received or e.sent, e.fee) for e in pnl if e.fee}
    assert closes == {(Amount(D("200"), "USD"), Amount(D("13.52"), "USD")),
                      (Amount(D("400"), "USD"), Amount(D("7.80"), "USD"))}
    # Margin fees (open/close/liquidation) 42.60 USD = opening 14.00 + 7.28 (fee-only rows,
    # booked as P&L losses, tax-rules.md §4.7(4)) + closing 13.52 + 7.80
    opening = [e for e in pnl if "position fee" in e.note]
    assert total([e.sent for e in opening]) == {"USD": D("14.00") + D("7.28")}
    assert sum((e.fee.quantity for e in pnl if e.fee), D(0)) + D("21.28") == D("42.60")
    # Net margin result −245.12 USD = 200 − 400 − 42.60 − 2.52
    assert _net(pnl + interest) == {"USD": D("-245.12")}
    # Spot trade 1: buy 0.05 BTC for 2500 USD, fee 6.50 USD (XXBT -> BTC, ZUSD -> USD)
    (spot,) = of_kind(events, Trade)
    assert (spot.sent, spot.received, spot.fee) == (
        Amount(D("2500"), "USD"), Amount(D("0.05"), "BTC"), Amount(D("6.50"), "USD"))
    assert spot.event_id == "TSPOT1-AAAAA-AAAAA1"
    # Closing balances USD 2243.38, BTC 0.05 (all rows imported, opening balance 0)
    assert _net(events) == {"USD": D("2243.38"), "BTC": D("0.05")}
    assert events[0].time == datetime(2021, 3, 1, 9, 0, tzinfo=timezone.utc)


def test_constructed_margin_trades(samples: Path) -> None:
    """Trades file: 5 rows — 4 margin (2 opens, 1 closing, 1 closing + liquidation market)
    become non-taxable rows (their P&L is in the ledger), 1 spot trade; Liquidations 1."""
    result = run(samples / "kraken/kraken_margin_trades_constructed.csv")
    assert result.rows_read == 5
    reasons = {n.source.line: n.reason for n in result.non_taxable}
    assert set(reasons) == {2, 3, 4, 5}
    assert reasons[5].startswith("liquidation")
    liquidations = [d for d in result.diagnostics if d.code == "liquidation"]
    assert len(liquidations) == 1 and liquidations[0].source is not None and liquidations[0].source.line == 5
    (spot,) = result.events
    assert spot.event_id == "TSPOT1-AAAAA-AAAAA1"


# ---- the classic fixture by hand ------------------------------------------------------


def test_classic_fixture_margin_mapping() -> None:
    result = run(KRAKEN / "ledgers_classic.csv")
    by_line = {e.source.line: e for e in result.events}
    # line 7: margin, amount 0, fee 8 -> position opening fee as a P&L loss
    assert isinstance(by_line[7], RealizedPnl) and by_line[7].sent == Amount(D("8"), "USD")
    # lines 8-9, 12: rollover fee 1, 1, 0.8 USD -> Interest (Form 4952)
    assert [by_line[n].sent for n in (8, 9, 12)] == [Amount(D(x), "USD") for x in ("1", "1", "0.8")]
    assert all(isinstance(by_line[n], Interest) for n in (8, 9, 12))
    # line 10: close +300 USD with fee 8.48
    assert (by_line[10].received, by_line[10].fee) == (Amount(D("300"), "USD"), Amount(D("8.48"), "USD"))
    # lines 13-14: two margin rows of refid TMLIQD (−704 USD fee 6.24, −0.002 BTC) = liquidation
    assert (by_line[13].sent, by_line[14].sent) == (Amount(D("704"), "USD"), Amount(D("0.002"), "BTC"))
    assert all(by_line[n].note.startswith("liquidation") for n in (13, 14))
    assert [d.code for d in result.diagnostics].count("liquidation") == 1
    # lines 16-17: settled −4100 USD / +0.1 BTC -> one Trade
    assert (by_line[16].sent, by_line[16].received) == (Amount(D("4100"), "USD"), Amount(D("0.1"), "BTC"))
    # line 18-19: sell 0.05 BTC for 2100 USD, fee 3.36 USD on the USD leg
    assert (by_line[18].sent, by_line[18].received, by_line[18].fee) == (
        Amount(D("0.05"), "BTC"), Amount(D("2100"), "USD"), Amount(D("3.36"), "USD"))
    # line 24: staking reward DOT.S -> Income in DOT
    assert isinstance(by_line[24], Income) and by_line[24].received == Amount(D("0.05"), "DOT")
    reasons = {n.source.line: n.reason for n in result.non_taxable}
    # 5-6: withdrawal DOT + deposit DOT.S of 10 = spot -> staking move; 22 KFEE; 23 pending
    # row (empty txid); 25-26 spottostaking / stakingfromspot transfers
    assert set(reasons) == {5, 6, 22, 23, 25, 26}
    assert "pending" in reasons[23] and "KFEE" in reasons[22]
    assert not [d for d in result.diagnostics if d.code == "balance-mismatch"]


def test_balance_gap_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "gap.csv"
    path.write_text(
        '"txid","refid","time","type","subtype","aclass","asset","amount","fee","balance"\n'
        '"L1","Q1","2022-01-01 00:00:00","deposit","","currency","ZUSD",100.0000,0.0000,100.0000\n'
        '"L2","Q2","2022-01-02 00:00:00","deposit","","currency","ZUSD",50.0000,0.0000,170.0000\n',
        encoding="utf-8",
    )
    result = run(path)
    (gap,) = [d for d in result.diagnostics if d.code == "balance-mismatch"]
    assert gap.source is not None and gap.source.line == 3  # 100 + 50 ≠ 170


# ---- units ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "asset"),
    [("XXBT", "BTC"), ("XBT", "BTC"), ("XETH", "ETH"), ("ZUSD", "USD"), ("ZEUR", "EUR"), ("XXDG", "DOGE"),
     ("DOT.S", "DOT"), ("DOT28.S", "DOT"), ("USDC.M", "USDC"), ("ETH2.S", "ETH2"), ("XBT.M", "BTC"),
     ("USD.HOLD", "USD"), ("USDT", "USDT"), ("1INCH", "1INCH"), ("bad code!", None)],
)
def test_kraken_asset(code: str, asset: str | None) -> None:
    assert kraken_asset(code) == asset


@pytest.mark.parametrize(
    ("pair", "split"),
    [("XXBTZUSD", ("BTC", "USD")), ("XETHZEUR", ("ETH", "EUR")), ("USDT/GBP", ("USDT", "GBP")),
     ("ETH/BTC", ("ETH", "BTC")), ("XXRPXXBT", ("XRP", "BTC")), ("DOTUSD", ("DOT", "USD")),
     ("XTZUSD", ("XTZ", "USD")), ("FOOBAR", None)],
)
def test_split_pair(pair: str, split: tuple[str, str] | None) -> None:
    assert split_pair(pair) == split


def test_unwrap_leaves_normal_files_alone() -> None:
    text = '"txid","refid"\n"a","b"\n'
    file = FileText("f.csv", text, "utf-8", "", len(text))
    assert unwrap_quoted_rows(file) is file
