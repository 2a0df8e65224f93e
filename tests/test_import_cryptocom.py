"""Crypto.com importers (issue 4): App transaction history (v1, v2) and the Exchange 3.0
journal (OEX_TRANSACTION).

Expected numbers come from samples/EXPECTED.md (samples) or were worked out by hand from
the fixture rows (line numbers cited). Net per asset = received - sent - fee over all
events (EXPECTED.md's convention: App<->Exchange transfers count; moves between own
sub-accounts and order holds do not).
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from taxmargin.importers.base import load_file
from taxmargin.models import Amount
from tests.conftest import FIXTURES
from tests.importer_support import check_fixture, check_malformed_rows, detected_layouts, _net, _of, _parse, _q, _text

D = Decimal
CDC = FIXTURES / "cryptocom"


# --------------------------------------------------------------------------- App sample


def test_rotki_app_sample(samples: Path) -> None:
    name, result = _parse(load_file(samples / "cryptocom" / "rotki_cryptocom_trades_list.csv"))
    assert name == "cryptocom-app-v1"
    assert (result.rows_read, result.unaccounted, result.errors) == (48, 0, ())
    counts = Counter(e.type_name for e in result.events)
    # EXPECTED.md: trades 11 = 7 one-row + 4 pairs; the 2020-12-15 dust (one credited, two
    # debited rows) is two Trade events, one per coin given up -> 12 Trade events
    assert counts == {"trade": 12, "income": 9, "spend": 2, "deposit": 3, "withdrawal": 3}
    # EXPECTED.md: deposits 1 (115 DAI) + App<->Exchange in (0.033 ETH) + P2P in (100 CRO)
    assert sorted(str(e.received) for e in _of(result, "deposit")) == ["0.033 ETH", "100 CRO", "115 DAI"]
    assert sorted(str(e.sent) for e in _of(result, "withdrawal")) == ["100 CRO", "115 DAI", "161.73231782 CRO"]
    assert sorted(_q(e.received) for e in _of(result, "income")) == sorted(
        D(q) for q in ("0.00061475", "12.32402069", "482.2566417", "52.151", "138.256", "7.76792828",
                       "10", "0.3076", "15.31"))
    assert sorted(str(e.sent) for e in _of(result, "spend")) == ["15.38 CRO", "7.76792828 CRO"]
    assert len(result.non_taxable) == 15  # EXPECTED.md "Not counted (15 rows)"
    assert _net(result.events) == {
        "CRO": D("3398.150101671670431259"), "ETH": D("9.16807429600007045"), "EUR": D("-128.98"),
        "BTC": D("0.003"), "SOL": D("10"), "USD": D("-15"), "MCO": D("-50"), "DOGE": D("-750"),
        "UNI": D("-1.3387887"), "DOT": D("-0.6295092"), "DAI": D("-0.00050680380674961"),
    }
    # EXPECTED.md: "Exchange transfers as own transfers" (lines 7 and 8 left out)
    internal = [e for e in result.events if e.source.line not in (7, 8)]
    net = _net(internal)
    assert (net["CRO"], net["ETH"]) == (D("3559.882419491670431259"), D("9.13507429600007045"))


def test_rotki_swaps_dust_and_limit_orders(samples: Path) -> None:
    _, result = _parse(load_file(samples / "cryptocom" / "rotki_cryptocom_trades_list.csv"))
    trades = {e.source.line: e for e in _of(result, "trade")}
    # lines 17-18: MCO/CRO Overall Swap; lines 20-23 are its duplicated components
    assert (trades[17].sent, trades[17].received) == (Amount(D("50.00402069"), "MCO"),
                                                      Amount(D("1382.306147552291"), "CRO"))
    duplicates = [n.source.line for n in result.non_taxable if "Overall Swap" in n.reason]
    assert duplicates == [20, 21, 22, 23]
    # lines 2-4: 193.02779901061902311 CRO for UNI + DOT, split by the debited rows' USD
    # values 7.1025496 and 5.837712; only the credited amount is allocated
    dust = [e for e in _of(result, "trade") if e.source.line == 2]
    assert sorted(str(e.sent) for e in dust) == ["0.6295092 DOT", "1.3387887 UNI"]
    assert sum((_q(e.received) for e in dust), D(0)) == D("193.02779901061902311")
    uni = next(e for e in dust if e.sent and e.sent.asset == "UNI")
    share = D("7.1025496") / (D("7.1025496") + D("5.837712"))
    assert abs(_q(uni.received) - D("193.02779901061902311") * share) < D("1e-17")
    # limit orders: only the commits (lines 45 and 49) trade; locks/unlocks are holds
    commits = [(e.sent, e.received) for e in _of(result, "trade") if e.source.line in (45, 49)]
    assert commits == [(Amount(D("5"), "USD"), Amount(D("10"), "SOL")), (Amount(D("10"), "USD"), Amount(D("7.99"), "ETH"))]
    holds = [n.source.line for n in result.non_taxable if "order hold" in n.reason and "limit_order" in n.reason]
    assert holds == [42, 43, 44, 46, 47, 48]
    # a card purchase takes its fiat leg from Native Amount (line 31: 281.14 EUR for 1 ETH)
    assert (trades[31].sent, trades[31].received, trades[31].usd_value) == (
        Amount(D("281.14"), "EUR"), Amount(D("1"), "ETH"), D("332.911931"))


# --------------------------------------------------------------------------- Exchange sample


def test_oex_sample(samples: Path) -> None:
    name, result = _parse(load_file(samples / "cryptocom" / "cryptocom_exchange_oex_transaction_constructed.csv"))
    assert name == "cryptocom-oex-transaction"
    assert (result.rows_read, result.unaccounted, result.errors, result.non_taxable) == (28, 0, (), ())
    trades = _of(result, "trade")
    # EXPECTED.md: 6 orders / 9 fills; one Trade event per fill (Trade ID)
    assert len(trades) == 9 and len({e.note.split(";")[0] for e in trades}) == 6
    order_400 = [e for e in trades if e.note == "order 400"]
    assert len(order_400) == 4
    assert sum((_q(e.received) for e in order_400), D(0)) == D("1.711")
    assert sum((_q(e.sent) for e in order_400), D(0)) == D("298.86037")
    order_300 = next(e for e in trades if e.note.startswith("order 300"))
    # fees in both assets: 0.2573301 USD is the fee, 0.001 SOL is added to the 3.579 SOL sent
    assert (order_300.sent, order_300.received, order_300.fee) == (
        Amount(D("3.58"), "SOL"), Amount(D("643.32525"), "USD"), Amount(D("0.2573301"), "USD"))
    order_100 = next(e for e in trades if e.note == "order 100")
    assert (order_100.sent, order_100.received, order_100.fee) == (
        Amount(D("48.8869"), "EUR"), Amount(D("0.386"), "SOL"), Amount(D("0.0000036"), "SOL"))
    assert [str(e.received) for e in _of(result, "deposit")] == ["50 EUR"]
    assert [str(e.sent) for e in _of(result, "withdrawal")] == ["1 SOL"]
    assert sum((_q(e.sent) for e in _of(result, "interest")), D(0)) == D("0.02469134")
    assert [(str(e.sent), e.note) for e in _of(result, "fee")] == [("1.5 USD", "liquidation fee")]
    assert [d.code for d in result.diagnostics] == ["liquidation"]
    assert [str(e.received) for e in _of(result, "income")] == ["1.25 CRO"]
    assert not _of(result, "borrow") and not _of(result, "repay")
    assert _net(result.events) == {"EUR": D("1.1131"), "SOL": D("-2.4830036"), "USD": D("-145.56226144"),
                                   "XRP": D("176"), "CRO": D("1.25")}


# --------------------------------------------------------------------------- fixtures

FIXTURE_LAYOUTS = [
    ("cryptocom_app_v1.csv", "cryptocom-app-v1"),
    ("cryptocom_app_v2.csv", "cryptocom-app-v2"),
    ("cryptocom_oex_transaction.csv", "cryptocom-oex-transaction"),
]


@pytest.mark.parametrize(("fixture", "layout"), FIXTURE_LAYOUTS)
def test_fixture_golden_and_accounting(fixture: str, layout: str) -> None:
    check_fixture(CDC / fixture, layout)


@pytest.mark.parametrize(("fixture", "layout"), FIXTURE_LAYOUTS)
def test_fixtures_detected_by_exactly_one_layout(fixture: str, layout: str) -> None:
    assert detected_layouts(load_file(CDC / fixture)) == [layout]


@pytest.mark.parametrize(("sample", "layout"), [
    ("rotki_cryptocom_trades_list.csv", "cryptocom-app-v1"),
    ("cryptocom_exchange_oex_transaction_constructed.csv", "cryptocom-oex-transaction"),
])
def test_samples_detected_by_exactly_one_layout(samples: Path, sample: str, layout: str) -> None:
    assert detected_layouts(load_file(samples / "cryptocom" / sample)) == [layout]


def test_app_v1_fixture_staking_and_dust() -> None:
    _, result = _parse(load_file(CDC / "cryptocom_app_v1.csv"))
    # lines 11-13: 3.2 CRO for 1.5 ADA (USD 0.30) + 0.9 XLM (USD 0.18): 0.30/0.48 = 5/8
    # -> 2 CRO and 1.2 CRO; the credited USD 0.45 splits into 0.28125 and 0.16875
    dust = sorted((str(e.sent), str(e.received), e.usd_value) for e in result.events if e.source.line == 11)
    assert dust == [("0.9 XLM", "1.2 CRO", D("0.16875")), ("1.5 ADA", "2 CRO", D("0.28125"))]
    # staking pitfall (§10): the reward (line 5) is income once; the unstake (line 4) and
    # the stake (line 14) are moves
    assert [str(e.received) for e in result.events if e.source.line == 5] == ["0.35 CRO"]
    assert {n.source.line for n in result.non_taxable} == {4, 7, 14}
    # line 9: fiat-wallet row without a kind -> deposit by its description
    assert [e.type_name for e in result.events if e.source.line == 9] == ["deposit"]


def test_app_v2_fixture_hash_swap_and_long_usd() -> None:
    _, result = _parse(load_file(CDC / "cryptocom_app_v2.csv"))
    # lines 5-6: a standalone crypto_wallet_swap pair is the 2025 USDT -> USDC conversion
    assert [(str(e.sent), str(e.received)) for e in result.events if e.source.line == 5] == [
        ("81.161849 USDT", "81.161849 USDC")]
    # line 3: a 43-significant-digit USD value is kept to 18 places
    assert [e.usd_value for e in result.events if e.source.line == 3] == [D("0.108571428571428571")]
    # line 7: the on-chain deposit carries its transaction hash as event id
    assert [e.event_id for e in result.events if e.source.line == 7] == [
        "cryptocom:4f2aQbXc9mFexample1111111111111111111111111111111111111111111111"]


def test_oex_fixture_liquidation_and_third_asset_fee() -> None:
    _, result = _parse(load_file(CDC / "cryptocom_oex_transaction.csv"))
    # lines 18-21: a fill in the millisecond of a LIQUIDATION_FEE is the forced sale
    assert [(e.type_name, str(e.sent), str(e.received), str(e.fee)) for e in result.events if e.source.line == 18] == [
        ("liquidation", "1.5 SOL", "240 USD", "0.24 USD")]
    assert [(e.type_name, str(e.sent)) for e in result.events if e.source.line == 21] == [("fee", "2.25 USD")]
    # line 13-16: fill 9003 pays 0.1499 USD and 0.5 CRO: the CRO fee is its own Fee event
    assert [(e.type_name, str(e.sent), str(e.fee)) for e in result.events if e.source.line == 13] == [
        ("trade", "0.0015 BTC", "0.1499 USD"), ("fee", "0.5 CRO", "None")]
    # line 22: SESSION_SETTLE with quantity 0 changes nothing
    assert [n.source.line for n in result.non_taxable] == [22]
    # sum of every Transaction Quantity per asset (lines 5-24), e.g. USD:
    # 150 - 0.15 + 149.9 - 0.1499 - 0.03 + 240 - 0.24 - 2.25 - 100 = 437.0801
    assert _net(result.events) == {"EUR": D("199.5"), "SOL": D("0.5"), "BTC": D("-0.000003"),
                                   "USD": D("437.0801"), "CRO": D("0.3")}


def test_duplicate_hash_and_journal_id_and_pair_problems() -> None:
    v2 = load_file(CDC / "cryptocom_app_v2.csv")
    dup = "2025-03-02 08:00:00,USDT (SOL) Deposit,USDT,5.0,,,EUR,4.6,5.0,crypto_deposit," \
          "4f2aQbXc9mFexample1111111111111111111111111111111111111111111111\n"
    lone = "2025-04-05 00:00:00,Convert Dust,CRO,1.0,,,EUR,0.1,0.1,dust_conversion_credited,\n"
    _, result = _parse(_text(v2.name, v2.text + dup + lone))
    assert [(e.source.line, e.column) for e in result.errors] == [(8, "Transaction Hash"), (9, "Transaction Kind")]
    assert "counter-leg" in str(result.errors[1]) and result.unaccounted == 0
    oex = load_file(CDC / "cryptocom_oex_transaction.csv")
    again = "520,2025-08-08 11:00:00.000,2025-08-08,OFFCHAIN_WITHDRAWAL,USD_Stable_Coin,,NULL_VAL,-1,-1,0,0,0,0,\n"
    _, result = _parse(_text(oex.name, oex.text + again))
    assert [(e.source.line, e.column) for e in result.errors] == [(25, "Journal ID")]


# --------------------------------------------------------------------------- malformed rows

BAD_CASES = [
    ("cryptocom_app_v1.csv", ("2021-02-07 12:00:00,Crypto Earn,USDC\n"
     "2021-02-07 12:00:00,Crypto Earn,USDC,0.1.2,,,USD,0.1,0.1,crypto_earn_interest_paid\n"
     "2021-02-30 12:00:00,Crypto Earn,USDC,0.1,,,USD,0.1,0.1,crypto_earn_interest_paid\n"
     "2021-02-07 12:00:00,Mystery,USDC,0.1,,,USD,0.1,0.1,mystery_kind\n"),
     {18: {"Amount", "Transaction Kind"}, 19: {"Amount"}, 20: {"Timestamp (UTC)"}, 21: {"Transaction Kind"}}),
    ("cryptocom_app_v2.csv", "2025-04-05 00:00:00,Crypto Earn,CRO,-1.0,,,EUR,0.1,0.1,crypto_earn_interest_paid,\n",
     {8: {"Amount"}}),
    ("cryptocom_oex_transaction.csv", ("521,2025-08-08\n"
     "522,2025-08-08 11:00:00.000,2025-08-08,ONCHAIN_DEPOSIT,SOL,,NULL_VAL,two,2,0,0,0,0,\n"
     "523,2025-08-32 11:00:00.000,2025-08-08,ONCHAIN_DEPOSIT,SOL,,NULL_VAL,2,2,0,0,0,0,\n"
     "524,2025-08-08 11:00:00.000,2025-08-08,STAKE_MAGIC,SOL,,NULL_VAL,2,2,0,0,0,0,\n"
     "525,2025-08-08 11:00:00.000,2025-08-08,TRADING,SOL,,BUY,2,2,0,7100,9100,9100,\n"),
     {25: {"Transaction Quantity", "Journal Type", "Instrument"}, 26: {"Transaction Quantity"},
      27: {"Time (UTC)"}, 28: {"Journal Type"}, 29: {"Journal Type"}}),
]


@pytest.mark.parametrize(("fixture", "extra", "expected"), BAD_CASES)
def test_malformed_rows_are_rejected_and_good_rows_import(
        fixture: str, extra: str, expected: dict[int, set[str]]) -> None:
    check_malformed_rows(CDC / fixture, extra, expected)
