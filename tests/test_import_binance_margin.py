"""binance.com margin statements (issue 4): the constructed margin sample and the v2
margin fixture — loans, repayments split into principal and interest, liquidations, and
the net per sub-account.

The numbers are EXPECTED.md's (sample) or worked out by hand from the fixture rows (line
numbers cited); net per asset follows test_import_binance_statement.py: events plus the
``Change`` of the rows skipped as non-taxable.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from taxmargin.importers.base import FileText, ImportResult
from taxmargin.importers.binance_statement import StatementV2
from tests.conftest import FIXTURES
from tests.importer_support import _amount, _at, _net, _utc, check_rows_accounted, import_file, statement_changes, total

D = Decimal
BINANCE = FIXTURES / "binance"


# --------------------------------------------------------------------------- constructed margin sample


@pytest.fixture
def margin(samples: Path) -> ImportResult:
    return import_file(samples / "binance" / "binance_margin_statement_constructed.csv")


def test_margin_counts(margin: ImportResult) -> None:
    # EXPECTED.md: deposits 3, withdrawals 1, borrows 4, repays 4, interest 2 explicit + 1
    # implicit, trades 6 of which trade 4 is the liquidation, fees: liquidation fee + BNB fee
    check_rows_accounted(margin, rejected_apart=True)
    assert margin.rows_read == 36 and margin.errors == ()
    assert Counter(e.type_name for e in margin.events) == {
        "deposit": 3, "withdrawal": 1, "borrow": 4, "repay": 4, "interest": 3, "trade": 5, "liquidation": 1, "fee": 2,
    }
    # internal transfers: 2 transfers, 4 rows (lines 3, 4, 25, 26)
    assert sorted(r.source.line for r in margin.non_taxable) == [3, 4, 25, 26]


def test_margin_borrow_totals(margin: ImportResult) -> None:
    # EXPECTED.md: USDT 1100, SOL 120, BTC 0.08
    totals = total([e.received for e in margin.events if e.type_name == "borrow"])
    assert totals == {"USDT": D("1100"), "SOL": D("120"), "BTC": D("0.08")}


def test_margin_isolated_repayment_split(margin: ImportResult) -> None:
    # EXPECTED.md: Isolated Margin Repayment 0.08000033 BTC = 0.08 principal + 0.00000033 interest
    line34 = [e for e in margin.events if e.source.line == 34]
    assert [(e.type_name, e.sent, e.seq) for e in line34] == [
        ("repay", _amount("0.08", "BTC"), 0), ("interest", _amount("0.00000033", "BTC"), 1)]
    explicit = [e.sent for e in margin.events if e.type_name == "interest" and e.source.line in (9, 13)]
    assert explicit == [_amount("0.00416667", "USDT")] * 2
    repays = sorted(str(e.sent) for e in margin.events if e.type_name == "repay")
    assert repays == ["0.08000000 BTC", "100.00000000 USDT", "1000.00000000 USDT", "120.00000000 SOL"]


@pytest.mark.parametrize(
    ("when", "kind", "sent", "received", "fee"),
    [  # EXPECTED.md "Trades 6"
        ("2023-11-19 22:13:33", "trade", ("120", "SOL"), ("7314", "USDT"), None),
        ("2023-11-19 23:07:30", "trade", ("7416", "USDT"), ("120", "SOL"), None),
        ("2023-11-21 03:00:05", "trade", ("1000", "USDT"), ("0.5", "ETH"), ("0.0005", "ETH")),
        ("2023-11-21 09:12:40", "liquidation", ("0.4995", "ETH"), ("980.02", "USDT"), ("0.98", "USDT")),
        ("2024-12-31 14:04:32", "trade", ("0.08", "BTC"), ("7633.8034501", "USDC"), ("7.25211328", "USDC")),
        ("2024-12-31 16:48:41", "trade", ("7588.7198995", "USDC"), ("0.0801", "BTC"), ("0.00007609", "BTC")),
    ],
)
def test_margin_trades(margin: ImportResult, when: str, kind: str, sent: tuple[str, str],
                       received: tuple[str, str], fee: tuple[str, str] | None) -> None:
    (trade,) = [e for e in _at(margin, when) if e.type_name in ("trade", "liquidation")]
    assert trade.type_name == kind
    assert (trade.sent, trade.received, trade.fee) == (_amount(*sent), _amount(*received), _amount(*fee) if fee else None)


def test_margin_liquidation_and_fees(margin: ImportResult) -> None:
    # EXPECTED.md: cross liquidation 09:12:40-41 = trade 4 + repayment of 1000 USDT;
    # isolated liquidation fee 1.5 USDC at 2025-01-03 08:15:00; BNB Fee Deduction 0.0001 BNB
    (repay,) = [e for e in _at(margin, "2023-11-21 09:12:41")]
    assert (repay.type_name, repay.sent) == ("repay", _amount("1000", "USDT"))
    fees = sorted((e.time, str(e.sent)) for e in margin.events if e.type_name == "fee")
    assert fees == [(_utc("2025-01-03 08:15:00"), "1.50000000 USDC"), (_utc("2025-01-03 09:00:00"), "0.00010000 BNB")]


def test_margin_net_totals(margin: ImportResult) -> None:
    # EXPECTED.md totals across accounts (one pool "binance"); transfers net to zero
    assert {e.account for e in margin.events} == {"binance"}
    net = _net(margin.events)
    assert {a: net.get(a, 0) for a in ("USDT", "USDC", "BTC", "BNB", "SOL", "ETH")} == {
        "USDT": D("2297.03166666"), "USDC": D("3036.33143732"), "BTC": D("0.00002358"), "BNB": D("0.0099"),
        "SOL": 0, "ETH": 0}


def test_margin_net_per_sub_account(margin: ImportResult, samples: Path) -> None:
    # EXPECTED.md "Net per account/coin"; the sub-account is the first part of each note
    net: dict[tuple[str, str], Decimal] = Counter()  # type: ignore[assignment]
    for e in margin.events:
        account = e.note.split(":")[0]
        for amount, sign in ((e.received, 1), (e.sent, -1), (e.fee, -1)):
            if amount:
                net[(account, amount.asset)] += sign * amount.quantity
    path = samples / "binance" / "binance_margin_statement_constructed.csv"
    for key, change in statement_changes(path, {r.source.line for r in margin.non_taxable}, by_account=True).items():
        net[key] += change  # type: ignore[index]
    assert {k: v for k, v in net.items() if v} == {
        ("Spot", "USDT"): D("6.64528479"), ("Spot", "USDC"): D("2000"), ("Spot", "BNB"): D("0.0099"),
        ("Cross Margin", "USDT"): D("2290.38638187"),
        ("Isolated Margin", "USDC"): D("1036.33143732"), ("Isolated Margin", "BTC"): D("0.00002358")}


# --------------------------------------------------------------------------- v2 margin fixture


def test_v2_margin_fixture_nets() -> None:
    # By hand from statement_v2_margin.csv: USDT 5000 + 3400 - 3.4 - 3303.63 + 2000 - 1995
    # + 1500 - 1.5 + 0.5 - 2000 + 1400 - 1.4 - 1500.765 - 15 - 0.12345678 + 0.05 + 42 - 0.84
    # - 17.5 - 2 - 100 + 0.01234567 - 50 - 100 = 4251.40388889 (transfers excluded; the
    # unmatched Funding transfer of line 51 is the only non-zero one and is not an event);
    # ETH 1 - 1 - 0.00002 + 1.0011 - 0.001 - 1.00004 + 0.05 = 0.05004; BTC 0.02 - 0.02 +
    # 0.0200102 - 0.00001 - 0.0200002 = 0; BNB -0.003 - 0.001 - 0.0002 + 0.00005 + 0.125 = 0.12085
    net = _net(import_file(BINANCE / "statement_v2_margin.csv").events)
    assert {a: net.get(a, 0) for a in ("USDT", "ETH", "BTC", "BNB", "SOL", "BUSD", "DOGE")} == {
        "USDT": D("4251.40388889"), "ETH": D("0.05004"), "BTC": 0, "BNB": D("0.12085"), "SOL": 0,
        "BUSD": D("99.99"), "DOGE": D("-10")}


def test_v2_margin_fixture_margin_events() -> None:
    result = import_file(BINANCE / "statement_v2_margin.csv")
    # line 13: repay 1.00004 ETH of a 1 ETH loan -> 1 principal + 0.00004 interest;
    # line 34: repay 0.0200002 BTC of a 0.02 BTC loan -> 0.02 + 0.0000002
    split = {(e.source.line, e.type_name): e.sent for e in result.events if e.source.line in (13, 34)}
    assert split == {(13, "repay"): _amount("1", "ETH"), (13, "interest"): _amount("0.00004", "ETH"),
                     (34, "repay"): _amount("0.02", "BTC"), (34, "interest"): _amount("0.0000002", "BTC")}
    # liquidations: sale at 04:44:44 (repayment 3 s later), takeover at 04:44:46, isolated
    # buy at 16:00:00 (liquidation fee in the same second); the 00:00:05 buy is an ordinary trade
    liquidations = [(e.time, e.sent, e.received) for e in result.events if e.type_name == "liquidation"]
    assert liquidations == [
        (_utc("2024-03-07 04:44:44"), _amount("15", "SOL"), _amount("1500", "USDT")),
        (_utc("2024-03-07 04:44:46"), _amount("0.001", "BNB"), _amount("0.5", "USDT")),
        (_utc("2024-03-11 16:00:00"), _amount("1500.765", "USDT"), _amount("0.0200102", "BTC")),
    ]
    assert {(d.code, d.source.line if d.source else 0) for d in result.diagnostics} == {
        ("repay-without-borrow", 52), ("unbalanced-transfer", 51), ("one-legged-trade", 59)}
    # futures: commission (line 40) and insurance clearance (line 42) are realized P&L losses (§4.7)
    pnl = {e.source.line: (e.sent, e.received) for e in result.events if e.type_name == "realized_pnl"}
    assert pnl == {39: (None, _amount("42", "USDT")), 40: (_amount("0.84", "USDT"), None),
                   41: (_amount("17.5", "USDT"), None), 42: (_amount("2", "USDT"), None)}


def test_large_implied_interest_is_flagged() -> None:
    # borrow 100 USDT, repay 150 USDT: 100 principal + 50 "interest" (50 % > 1 %) -> review;
    # CrossMargin (old spelling) and Cross Margin are the same sub-account for the loan book
    text = ("User_ID,UTC_Time,Account,Operation,Coin,Change,Remark\n"
            "1,2024-01-01 00:00:00,CrossMargin,Margin loan,USDT,100,\n"
            "1,2024-01-02 00:00:00,Cross Margin,Margin Repayment,USDT,-150,\n")
    result = StatementV2().parse(FileText("t.csv", text, "utf-8", "", len(text)))
    assert [(e.type_name, e.sent) for e in result.events if e.source.line == 3] == [
        ("repay", _amount("100", "USDT")), ("interest", _amount("50", "USDT"))]
    assert [d.code for d in result.diagnostics] == ["repay-interest-review"]
