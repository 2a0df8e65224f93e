"""binance.com transaction history statements (issue 4): the rotki sample (v2), the v1 /
v3 / whole-row-quoted fixtures worked out by hand, and the grouping of statement rows into
trades (properties).

Expected numbers come from samples/EXPECTED.md (samples) or were worked out by hand from
the fixture rows (line numbers cited). Net per asset = received - sent - fee over all
events, plus the ``Change`` of rows knowingly skipped as non-taxable (internal transfers,
earn moves), which EXPECTED.md's "sum of all valid Change" includes.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from taxmargin.importers.base import ImportResult
from taxmargin.importers.binance_common import split_equal
from taxmargin.importers.binance_groups import Leg, cluster, group_events
from taxmargin.models import SourceRef
from tests.conftest import FIXTURES
from tests.importer_support import _amount, _at, _net, _utc, check_rows_accounted, import_file, statement_changes

D = Decimal
BINANCE = FIXTURES / "binance"


# --------------------------------------------------------------------------- rotki sample


@pytest.fixture
def rotki(samples: Path) -> ImportResult:
    return import_file(samples / "binance" / "rotki_binance_history.csv")


def test_rotki_rows_accounted(rotki: ImportResult) -> None:
    # EXPECTED.md: 230 data rows, 3 rejected
    assert rotki.rows_read == 230
    assert rotki.rows_rejected == 3
    check_rows_accounted(rotki, rejected_apart=True)


@pytest.mark.parametrize(("line", "column"), [(5, "UTC_Time"), (6, "Coin"), (6, "Change"), (42, "Operation")])
def test_rotki_rejected_rows(rotki: ImportResult, line: int, column: str) -> None:
    # EXPECTED.md: empty UTC_Time (line 5), empty Coin/Change (line 6), unknown 'ABC' (line 42)
    assert any(e.source.line == line and e.column == column for e in rotki.errors)
    assert {e.source.line for e in rotki.errors} == {5, 6, 42}
    assert str(next(e for e in rotki.errors if e.source.line == 42)) == (
        "rotki_binance_history.csv:42: column 'Operation': unknown operation for account 'Spot' (value 'ABC')"
    )


def test_rotki_short_rows_parse(rotki: ImportResult) -> None:
    # lines 65-66 (Binance Convert, 6 fields) -> one trade; line 67 (BNB Vault Rewards) -> income
    convert = [e for e in rotki.events if e.source.line == 65]
    assert [(e.type_name, e.sent, e.received) for e in convert] == [
        ("trade", _amount("125.626918", "BUSD"), _amount("140.1195285", "MATIC"))
    ]
    assert [(e.type_name, e.received) for e in rotki.events if e.source.line == 67] == [
        ("income", _amount("0.0080696", "SUI"))
    ]


def test_rotki_event_counts(rotki: ImportResult) -> None:
    # By hand from the file: 22 trade groups, two of which hold two received or two sent
    # assets (2020-11-20 dust SOL+BTC->BNB; 2025-10-29 EUR->ETH+BTC) -> 24 trades; the
    # 2020-11-03 group pays fees in BNB and ETH -> 1 extra fee event. Income: lines 15, 16,
    # 24, 59, 60, 62, 63, 67, 73, 74. Deposits: lines 3, 71, 72. Withdrawal: line 41.
    # Futures: realized P&L lines 81, 82; funding line 80.
    assert Counter(e.type_name for e in rotki.events) == {
        "trade": 24, "income": 10, "deposit": 3, "withdrawal": 1, "realized_pnl": 2, "funding": 1, "fee": 1,
    }
    # non-taxable: earn moves lines 7, 23, 61, 64, 68, 69, 70 + transfers lines 51-58
    assert sorted(r.source.line for r in rotki.non_taxable) == [7, 23, *range(51, 59), 61, 64, 68, 69, 70]


def test_rotki_net_per_asset(rotki: ImportResult, samples: Path) -> None:
    # EXPECTED.md "Sum of all valid Change per coin"
    path = samples / "binance" / "rotki_binance_history.csv"
    net = _net(rotki.events)
    skipped = statement_changes(path, {r.source.line for r in rotki.non_taxable})
    expected = {"BNB": "-0.092370672396799996", "BTC": "0.05387570304439999", "ETH": "32.5047459600000001",
                "EUR": "1607.38009940", "USDT": "3972.52244935", "HIGH": "2009.666322", "ZRX": "-25596.06"}
    for asset, value in expected.items():
        assert net[asset] + skipped[asset] == D(value), asset


@pytest.mark.parametrize(
    ("when", "sent", "received", "fee"),
    [  # EXPECTED.md "Selected trade groups"
        ("2024-05-16 12:57:55", ("0.14999997", "BTC"), ("2011.678", "HIGH"), ("2.011678", "HIGH")),
        ("2025-11-20 12:54:15", ("25656", "ZRX"), ("35.45074574", "ETH"), ("0.03545075", "ETH")),
        ("2025-11-10 18:36:00", ("0.0627012", "ETH"), ("60", "ZRX"), ("0.06", "ZRX")),
        ("2024-09-12 10:15:06", ("0.54321", "ETH"), ("1234", "USDT"), None),
        ("2024-09-12 10:15:11", ("0.54321", "ETH"), ("1234", "USDT"), None),
        ("2023-07-25 05:18:04", ("2641", "USDC"), ("2641.2641", "USDT"), None),
        ("2023-07-28 18:48:58", ("1.07", "SOL"), ("26.8249", "USDT"), ("0.00008316", "BNB")),
        ("2023-09-29 09:56:26", ("28.46106", "USDT"), ("0.017", "ETH"), ("0.00009883", "BNB")),
        ("2020-10-30 14:21:20", ("134.4719075", "EUR"), ("0.03605", "ETH"), ("0.00003605", "ETH")),
    ],
)
def test_rotki_trade_groups(rotki: ImportResult, when: str, sent: tuple[str, str], received: tuple[str, str],
                            fee: tuple[str, str] | None) -> None:
    (trade,) = _at(rotki, when)
    assert trade.type_name == "trade"
    assert (trade.sent, trade.received) == (_amount(*sent), _amount(*received))
    assert trade.fee == (_amount(*fee) if fee else None)


def test_rotki_93_row_order_counts_identical_rows(rotki: ImportResult) -> None:
    # EXPECTED.md: 93 rows at 12:57:55, six identical 'Transaction Buy HIGH 10.74' rows all count
    index = rotki.events.index(_at(rotki, "2024-05-16 12:57:55")[0])
    assert rotki.rows_per_event[index] == 93


def test_rotki_shared_eur_leg_is_split_and_flagged(rotki: ImportResult) -> None:
    # EXPECTED.md: buy 0.003 ETH and 0.00007 BTC for 16.7170236 EUR in total, fees 0.00001334 BNB
    trades = _at(rotki, "2025-10-29 18:36:00")
    assert {t.received.asset: t.received.quantity for t in trades if t.received} == {"ETH": D("0.003"), "BTC": D("0.00007")}
    assert sum(t.sent.quantity for t in trades if t.sent) == D("16.7170236")
    assert {t.sent.asset for t in trades if t.sent} == {"EUR"}
    assert sum(t.fee.quantity for t in trades if t.fee) == D("0.00001334")
    # flagged: this group (line 186) and the dust conversion (line 28) are the only ambiguous ones
    assert sorted(d.source.line for d in rotki.diagnostics if d.code == "ambiguous-group" and d.source) == [28, 186]


def test_rotki_dust_grouped_across_second_boundary(rotki: ImportResult) -> None:
    # EXPECTED.md: SOL 0.002200335 + BTC 0.000009895 -> 0.00193446 BNB in total (20:22:20/21)
    trades = _at(rotki, "2020-11-20 20:22:20")
    assert {t.sent.asset: t.sent.quantity for t in trades if t.sent} == {"SOL": D("0.002200335"), "BTC": D("0.000009895")}
    assert sum(t.received.quantity for t in trades if t.received) == D("0.00193446")
    assert _at(rotki, "2020-11-20 20:22:21") == []


def test_rotki_futures_deposits_withdrawals(rotki: ImportResult) -> None:
    # EXPECTED.md: realised PnL -0.05576 / +1.29642 USDT; funding -0.07779065 USDT;
    # deposits 245.25 EUR, 2435.34 EUR (Fiat Deposit), 479.6780028 BUSD (Buy Crypto);
    # withdrawal 0.16 KNC with the fee already inside (no separate fee)
    pnl = [(e.sent, e.received) for e in rotki.events if e.type_name == "realized_pnl"]
    assert pnl == [(_amount("0.05576000", "USDT"), None), (None, _amount("1.29642000", "USDT"))]
    (funding,) = [e for e in rotki.events if e.type_name == "funding"]
    assert (funding.sent, funding.time) == (_amount("0.07779065", "USDT"), _utc("2023-09-12 08:00:02"))
    assert sorted(str(e.received) for e in rotki.events if e.type_name == "deposit") == [
        "2435.34 EUR", "245.25 EUR", "479.6780028 BUSD"]
    (withdrawal,) = [e for e in rotki.events if e.type_name == "withdrawal"]
    assert (withdrawal.sent, withdrawal.fee) == (_amount("0.16", "KNC"), None)


def test_rotki_fiat_buy_beside_deposit(rotki: ImportResult) -> None:
    # EXPECTED.md: 2020-10-28 22:03:03 deposit 245.25 EUR + Transaction Related -245.25 EUR / +0.576474665 BNB
    events = _at(rotki, "2020-10-28 22:03:03")
    assert sorted(e.type_name for e in events) == ["deposit", "trade"]
    (trade,) = [e for e in events if e.type_name == "trade"]
    assert (trade.sent, trade.received) == (_amount("245.25", "EUR"), _amount("0.576474665", "BNB"))


# --------------------------------------------------------------------------- statement fixtures


def test_v1_trade_straddling_second_boundary() -> None:
    # statement_v1.csv lines 10-12: Sell BTC at 15:30:59, Sell USDT + Fee USDT at 15:31:00
    result = import_file(BINANCE / "statement_v1.csv")
    (trade,) = _at(result, "2021-02-04 15:30:59")
    assert (trade.sent, trade.received, trade.fee) == (
        _amount("0.005", "BTC"), _amount("190", "USDT"), _amount("0.19", "USDT"))
    assert result.rows_per_event[result.events.index(trade)] == 3
    # lines 3-7: two Buy fills in one second + a BNB fee -> one trade 400 EUR -> 0.01 BTC
    (buy,) = _at(result, "2021-02-01 09:05:10")
    assert (buy.sent, buy.received, buy.fee) == (_amount("400", "EUR"), _amount("0.01", "BTC"), _amount("0.0015", "BNB"))


def test_v1_remark_ids_redacted_and_airdrop_wildcard() -> None:
    # statement_v1.csv line 21: remark "Binance Pay from 812345678" -> the id is not copied;
    # line 22: "Launchpool Airdrop - System Distribution" matches the documented wildcard
    result = import_file(BINANCE / "statement_v1.csv")
    (deposit,) = [e for e in result.events if e.source.line == 21]
    assert deposit.note == "Spot: Deposit (Binance Pay from …)"
    (airdrop,) = [e for e in result.events if e.source.line == 22]
    assert (airdrop.type_name, airdrop.received) == ("income", _amount("3.5", "ALT"))


def test_v3_two_digit_years_and_assumed_zone() -> None:
    result = import_file(BINANCE / "statement_v3.csv")
    assert result.events[0].time == _utc("2026-01-05 09:30:00")
    assert [d.code for d in result.diagnostics] == ["assumed-timezone"]


def test_whole_row_quoted_variant() -> None:
    result = import_file(BINANCE / "statement_v2_whole_row_quoted.csv")
    (trade,) = [e for e in result.events if e.type_name == "trade"]
    assert (trade.sent, trade.received, trade.fee) == (_amount("100", "USDT"), _amount("125", "ADA"), _amount("0.125", "ADA"))


# --------------------------------------------------------------------------- grouping


@settings(max_examples=100, deadline=None)
@given(st.decimals(min_value=D("0.00000001"), max_value=D("100000"), places=8), st.integers(1, 7))
def test_split_equal_adds_up(total: Decimal, parts: int) -> None:
    pieces = split_equal(total, parts)
    assert len(pieces) == parts and sum(pieces) == total and all(p > 0 for p in pieces)


_ASSETS = st.sampled_from(["BTC", "ETH", "EUR", "BNB"])
_LEGS = st.lists(
    st.tuples(st.integers(0, 3), _ASSETS, st.decimals(min_value=D("-50"), max_value=D("50"), places=4), st.booleans()),
    min_size=1, max_size=12,
)


@settings(max_examples=150, deadline=None)
@given(_LEGS)
def test_grouping_conserves_every_asset(raw: list[tuple[int, str, Decimal, bool]]) -> None:
    """Every leg lands in one group; each group's events (or its rejected rows) carry exactly
    the legs' net per asset (issue 4: totals per asset must equal the file's net)."""
    base = _utc("2024-01-01 00:00:00")
    legs = [Leg(base + timedelta(seconds=s), SourceRef("f.csv", i + 2), a, -abs(q) if fee else q, fee)
            for i, (s, a, q, fee) in enumerate(raw) if q != 0]
    groups = cluster(legs)
    assert sorted(leg.source.line for g in groups for leg in g) == sorted(leg.source.line for leg in legs)
    for group in groups:
        outcome = group_events(group, account="binance", note="t")
        if outcome.errors:
            assert outcome.events == ()
            assert {e.source.line for e in outcome.errors} == {leg.source.line for leg in group}
            continue
        expected: dict[str, Decimal] = Counter()  # type: ignore[assignment]
        for leg in group:
            expected[leg.asset] += leg.change
        got = _net(tuple(e for e, _ in outcome.events))
        assert {a: v for a, v in got.items() if v} == {a: v for a, v in expected.items() if v}
        assert sum(n for _, n in outcome.events) == len(group)
