"""Spot booking: lot order, fees, transfers, deposits, missing data (tax-rules.md §4.0,
§4.6, §5). Every expected number is worked out by hand beside its case."""

from __future__ import annotations

import random
import sys

import pytest
from engine_scenarios import D, parse, run, when

from taxmargin.booking import Purpose
from taxmargin.engine import EngineOptions, book
from taxmargin.errors import InputError, Severity
from taxmargin.models import SourceRef
from taxmargin.policies import MethodPlan, PlanOrder
from taxmargin.profile import parse_profile

# Three BTC lots in account x (cash purchases: fees add to basis, §4.0(4)):
#   A 2024-01-10: 30,000 + 300 fee = 30,300      B 2024-02-10: 50,000 + 50 fee = 50,050
#   C 2024-03-10: 50,040, no fee (higher spot price than B, lower basis incl. fees)
LOTS = """
time       | account | type  | sent      | received | fee    | extra
2024-01-10 | x       | trade | 30000 USD | 1 BTC    | 300 USD| id=A
2024-02-10 | x       | trade | 50000 USD | 1 BTC    | 50 USD | id=B
2024-03-10 | x       | trade | 50040 USD | 1 BTC    |        | id=C
"""
# Sell 1.5 BTC for 90,000 USD - 90 fee = 89,910 (cash sale, §4.0(4)); pro rata by units:
# 1 BTC -> 59,940, 0.5 BTC -> 29,970.
SALE = """
time       | account | type  | sent    | received  | fee    | extra
2025-06-01 | x       | trade | 1.5 BTC | 90000 USD | 90 USD | id=S
"""


@pytest.mark.parametrize(
    ("method", "rows", "left"),
    [
        # FIFO: A whole, half of B (50,050 / 2 = 25,025)
        ("fifo", [("A", "1", "59940", "30300"), ("B", "0.5", "29970", "25025")],
         [("B", "0.5", "25025"), ("C", "1", "50040")]),
        # LIFO: C whole, half of B
        ("lifo", [("C", "1", "59940", "50040"), ("B", "0.5", "29970", "25025")],
         [("A", "1", "30300"), ("B", "0.5", "25025")]),
        # HIFO by basis incl. fees: B (50,050) before C (50,040); half of C = 25,020
        ("hifo", [("B", "1", "59940", "50050"), ("C", "0.5", "29970", "25020")],
         [("A", "1", "30300"), ("C", "0.5", "25020")]),
    ],
)
def test_methods_with_fees(method: str, rows: list[tuple[str, ...]], left: list[tuple[str, ...]]) -> None:
    s = run(LOTS + SALE.split("\n", 2)[2], MethodPlan(default=method))
    assert s.summary() == [(lot, D(q), D(p), D(b)) for lot, q, p, b in rows]
    assert [(o.lot_id, o.quantity, o.basis_usd) for o in s.booking.open_lots] == \
        [(lot, D(q), D(b)) for lot, q, b in left]
    assert ("method", method) in s.booking.options
    assert all(d.purpose is Purpose.SALE and d.disposed == when("2025-06-01") for d in s.rows)


@pytest.mark.parametrize(
    ("order", "taken"),
    [
        (None, ["A", "B", "C"]),  # no order: FIFO
        (("hifo", "2025-02-01T09:59:59"), ["B", "C", "A"]),  # in force for all three sales
        (("hifo", "2025-02-01T10:00:00"), ["A", "B", "C"]),  # S1 at the start: not after it
        (("lifo", "2025-02-15T00:00:00"), ["A", "C", "B"]),  # S1 unchanged, S2/S3 by LIFO
        (("hifo", "2026-03-01T00:00:00"), ["A", "B", "C"]),  # chosen later: rewrites nothing
    ],
)
def test_standing_order_applies_prospectively(order: tuple[str, str] | None,
                                              taken: list[str]) -> None:
    # tax-rules.md §5.3 rules 1-2: an order governs only disposals strictly after it.
    # HIFO order of the lots: B (50,050), C (50,040), A (30,300).
    table = LOTS + """
    2025-02-01T10:00:00 | x | trade | 1 BTC | 60000 USD | | id=S1
    2025-03-01T10:00:00 | x | trade | 1 BTC | 60000 USD | | id=S2
    2025-04-01T10:00:00 | x | trade | 1 BTC | 60000 USD | | id=S3
    """
    orders = () if order is None else (PlanOrder("x", order[0], when(order[1])),)
    assert [d.lot_id for d in run(table, MethodPlan(orders=orders)).rows] == taken


SPEC = LOTS + """
2025-06-01 | x | trade | {qty} BTC | 60000 USD | | id=S lots={lots}
"""


@pytest.mark.parametrize(
    ("qty", "lots", "taken", "problem"),
    [
        ("1", "C", [("C", "1")], None),  # good identification
        ("1.5", "C;B", [("C", "1"), ("B", "0.5")], None),  # in the order named
        ("1.5", "C", [("C", "1"), ("A", "0.5")], "too small"),  # rest FIFO, flagged
        ("1", "Z", [("A", "1")], "missing"),  # unknown lot -> FIFO, flagged
    ],
)
def test_spec_id(qty: str, lots: str, taken: list[tuple[str, str]], problem: str | None) -> None:
    s = run(SPEC.format(qty=qty, lots=lots), MethodPlan(default="spec-id"))
    assert [(d.lot_id, d.quantity) for d in s.rows] == [(lot, D(q)) for lot, q in taken]
    found = [d for d in s.booking.diagnostics if d.code == "spec-id"]
    if problem is None:
        assert found == []
    else:
        assert len(found) == 1 and problem in found[0].message
        assert found[0].source == SourceRef("scenario.csv", 7)  # the sale row


def test_spec_id_already_used_and_unnamed() -> None:
    table = LOTS + """
    2025-06-01 | x | trade | 1 BTC | 60000 USD | | id=S1 lots=C
    2025-06-02 | x | trade | 1 BTC | 60000 USD | | id=S2 lots=C
    2025-06-03 | x | trade | 1 BTC | 60000 USD | | id=S3
    """
    s = run(table, MethodPlan(default="spec-id"))
    # S1 takes C; S2 names C again (used) -> FIFO A, flagged; S3 names nothing -> FIFO B.
    assert [d.lot_id for d in s.rows] == ["C", "A", "B"]
    (problem,) = [d for d in s.booking.diagnostics if d.code == "spec-id"]
    assert "already used" in problem.message and problem.source == SourceRef("scenario.csv", 8)


BASE = """
time       | account | type  | sent     | received | fee | usd | fee_usd | extra
2025-01-05 | x       | trade | 6000 USD | 2 ETH    |     |     |         | id=E
2025-01-05 | x       | trade | 6000 USD | 10 BNB   |     |     |         | id=N
"""
# ETH basis 3,000 per unit; BNB basis 600 per unit.

FEE_CASES = [
    # (trade row, disposals (asset, qty, proceeds, basis, purpose), new lot (asset, qty, basis))
    pytest.param(  # cash purchase, USD fee: basis = cost + fee (§4.0(4), §7.1 lot B)
        "100000 USD | 1 BTC | 100 USD | | |", [], ("BTC", "1", "100100"), id="buy-usd-fee"),
    pytest.param(  # cash purchase, fee withheld in BTC: 0.999 BTC keep the full cost
        "100000 USD | 1 BTC | 0.001 BTC | | 100 |", [], ("BTC", "0.999", "100000"),
        id="buy-withheld"),
    pytest.param(  # cash purchase, BNB fee: BNB disposal 70 - 0.1*600; BTC basis +70 (§4.6)
        "100000 USD | 1 BTC | 0.1 BNB | | 70 |", [("BNB", "0.1", "70", "60", Purpose.FEE)],
        ("BTC", "1", "100070"), id="buy-bnb-fee"),
    pytest.param(  # cash sale, USD fee: 4,000 - 4 = 3,996
        "1 ETH | 4000 USD | 4 USD | | |", [("ETH", "1", "3996", "3000", Purpose.SALE)], None,
        id="sell-usd-fee"),
    pytest.param(  # cash sale, fee in ETH: 1.01 ETH leave for 4,000; basis 1.01*3,000
        "1 ETH | 4000 USD | 0.01 ETH | | 40 |", [("ETH", "1.01", "4000", "3030", Purpose.SALE)],
        None, id="sell-fee-in-sent"),
    pytest.param(  # cash sale, BNB fee: ETH 4,000 - 70; BNB 70 vs 60
        "1 ETH | 4000 USD | 0.1 BNB | | 70 |",
        [("ETH", "1", "3930", "3000", Purpose.SALE), ("BNB", "0.1", "70", "60", Purpose.FEE)],
        None, id="sell-bnb-fee"),
    pytest.param(  # swap, fee in sent ETH: 1.01 ETH for FMV 4,000; BTC basis = FMV 4,000
        "1 ETH | 0.04 BTC | 0.01 ETH | 4000 | 40 |",
        [("ETH", "1.01", "4000", "3030", Purpose.SALE)], ("BTC", "0.04", "4000"),
        id="swap-fee-in-sent"),
    pytest.param(  # swap, fee withheld in BTC: ETH 4,000 - 40; 0.0396 BTC at 4,000 - 40
        "1 ETH | 0.04 BTC | 0.0004 BTC | 4000 | 40 |",
        [("ETH", "1", "3960", "3000", Purpose.SALE)], ("BTC", "0.0396", "3960"),
        id="swap-withheld"),
    pytest.param(  # swap, BNB fee: ETH 4,000 - 70; BTC basis 4,000, no fee added (§4.6)
        "1 ETH | 0.04 BTC | 0.1 BNB | 4000 | 70 |",
        [("ETH", "1", "3930", "3000", Purpose.SALE), ("BNB", "0.1", "70", "60", Purpose.FEE)],
        ("BTC", "0.04", "4000"), id="swap-bnb-fee"),
    pytest.param(  # swap, USD fee: reduces the ETH amount realized only
        "1 ETH | 0.04 BTC | 10 USD | 4000 | |", [("ETH", "1", "3990", "3000", Purpose.SALE)],
        ("BTC", "0.04", "4000"), id="swap-usd-fee"),
]


@pytest.mark.parametrize(("row", "disposals", "lot"), FEE_CASES)
@pytest.mark.parametrize("day", ["2025-03-01", "2024-12-31"])  # one rule for every year
def test_trade_fee_rules(
    day: str, row: str, disposals: list[tuple[str, str, str, str, Purpose]],
    lot: tuple[str, str, str] | None,
) -> None:
    table = BASE.replace("2025-01-05", "2024-01-05") + f"{day} | x | trade | {row} id=T\n"
    s = run(table)
    got = [(d.asset, d.quantity, d.proceeds_usd, d.basis_usd, d.purpose) for d in s.rows]
    assert got == [(a, D(q), D(p), D(b), purpose) for a, q, p, b, purpose in disposals]
    new = [(o.asset, o.quantity, o.basis_usd) for o in s.booking.open_lots if o.lot_id == "T"]
    assert new == ([] if lot is None else [(lot[0], D(lot[1]), D(lot[2]))])
    assert ("trade_fee_allocation", "reg-1.1012-1(h)-all-years") in s.booking.options
    assert "missing-price" not in s.codes()


def test_transfer_keeps_dates_and_basis() -> None:
    # §5.1, §6.2, REG1012 (j): basis and acquisition date travel; transfer-in dates are
    # disregarded for FIFO, so y's older transferred units go before y's own June lot.
    table = """
    time       | account | type     | sent      | received | fee         | usd   | fee_usd | extra
    2024-01-10 | x       | trade    | 30000 USD | 1 BTC    | 300 USD     |       |         | id=A
    2024-06-01 | y       | trade    | 60000 USD | 1 BTC    |             |       |         | id=Y
    2025-02-01 | x       | transfer | 0.4 BTC   |          | 0.0001 BTC  |       | 10      | id=M to=y
    2025-03-01 | y       | trade    | 0.4 BTC   | 40000 USD|             |       |         | id=S
    """
    s = run(table)
    fee, sale = s.rows
    # fee units: 0.0001 of lot A (30,300 per BTC) = 3.03, disposed at 10 from x (§4.0(5))
    assert (fee.account, fee.quantity, fee.proceeds_usd, fee.basis_usd, fee.purpose) == \
        ("x", D("0.0001"), D("10"), D("3.03"), Purpose.TRANSFER_FEE)
    # sale in y: the moved 0.4 of A: basis 12,120, acquired 2024-01-10 (not 2025-02-01)
    assert (sale.account, sale.lot_id, sale.quantity, sale.basis_usd, sale.acquired) == \
        ("y", "A", D("0.4"), D("12120"), when("2024-01-10"))
    assert sale.sources == (SourceRef("scenario.csv", 6), SourceRef("scenario.csv", 3),
                            SourceRef("scenario.csv", 5))
    left = {(o.account, o.lot_id): (o.quantity, o.basis_usd) for o in s.booking.open_lots}
    # 30,300 - 12,120 - 3.03 = 18,176.97 for 1 - 0.4 - 0.0001 = 0.5999 BTC
    assert left == {("x", "A"): (D("0.5999"), D("18176.97")), ("y", "Y"): (D("1"), D("60000"))}


def test_deposit_with_and_without_basis() -> None:
    table = """
    time       | account | type    | received | usd   | extra
    2025-01-02 | x       | deposit | 1 BTC    | 90000 | id=K basis=20000 acquired=2020-05-01
    2025-01-03 | x       | deposit | 1 ETH    | 3000  | id=U
    """
    s = run(table)
    # carried-in basis and date kept; no basis -> 0, flagged, acquired = deposit time
    lots = {o.lot_id: (o.basis_usd, o.acquired) for o in s.booking.open_lots}
    assert lots == {"K": (D("20000"), when("2020-05-01")), "U": (D("0"), when("2025-01-03"))}
    (flag,) = s.booking.diagnostics
    assert (flag.code, flag.source, flag.severity) == \
        ("missing-basis", SourceRef("scenario.csv", 4), Severity.WARNING)


def test_deposit_basis_flag_reaches_disposal() -> None:
    table = """
    time       | account | type    | sent  | received | usd  | extra
    2025-01-03 | x       | deposit |       | 1 ETH    | 3000 | id=U
    2025-02-01 | x       | spend   | 1 ETH |          | 3500 | id=P
    """
    (row,) = run(table).rows
    # no basis given: basis 0, flagged, acquired = deposit time; spend at FMV (N2014-21 A-6)
    assert (row.proceeds_usd, row.basis_usd, row.missing_basis, row.purpose, row.acquired) == \
        (D("3500"), D("0"), True, Purpose.SPEND, when("2025-01-03"))


def test_missing_lot_is_reported_not_a_crash() -> None:
    table = """
    time       | account | type  | sent      | received  | extra
    2025-01-10 | x       | trade | 30000 USD | 1 BTC     | id=A
    2025-03-01 | x       | trade | 1.5 BTC   | 60000 USD | id=S
    """
    s = run(table)
    # 60,000 over 1.5 BTC: 40,000 for lot A, 20,000 for the 0.5 nobody explains
    assert s.summary() == [("A", D("1"), D("40000"), D("30000")), ("", D("0.5"), D("20000"), D("0"))]
    ghost = s.rows[1]
    assert ghost.missing_basis and ghost.acquired == ghost.disposed == when("2025-03-01")
    flags = [(d.code, d.source) for d in s.booking.diagnostics]
    assert flags == [("missing-basis", SourceRef("scenario.csv", 4)),
                     ("negative-balance", SourceRef("scenario.csv", 4))]


def test_missing_price_is_zero_and_flagged() -> None:
    table = """
    time       | account | type  | sent      | received | extra
    2025-01-10 | x       | trade | 3000 USD  | 1 ETH    | id=E
    2025-03-01 | x       | trade | 1 ETH     | 0.04 BTC | id=S
    """
    s = run(table)
    assert s.summary() == [("E", D("1"), D("0"), D("3000"))]
    assert [o.basis_usd for o in s.booking.open_lots if o.asset == "BTC"] == [D("0")]
    (flag,) = s.booking.diagnostics
    assert flag.code == "missing-price" and flag.source == SourceRef("scenario.csv", 4)


def test_income_spend_withdrawal_fee_and_fiat() -> None:
    table = """
    time       | account | type       | sent      | received  | fee        | usd  | fee_usd | extra
    2025-01-10 | x       | income     |           | 1 ETH     |            | 3000 |         | id=I
    2025-01-11 | x       | trade      | 1000 EUR  | 1100 USD  |            | 1100 |         | id=F
    2025-01-12 | x       | withdrawal | 0.5 ETH   |           | 0.01 ETH   |      | 35      | id=W
    2025-01-13 | x       | fee        | 0.1 ETH   |           |            | 350  |         | id=G
    2025-01-14 | x       | fee        | 5 USD     |           |            |      |         | id=H
    """
    s = run(table)
    (income,) = s.booking.income
    assert (income.kind, income.usd_value, income.asset) == ("income", D("3000"), "ETH")
    # withdrawal: no disposal for the 0.5 ETH; fee 0.01 ETH at 35 vs 30 basis (3,000/ETH)
    # stand-alone ETH fee: 0.1 ETH at 350 vs 300. Fiat EUR->USD: nothing (cash, §4.0).
    assert [(d.quantity, d.proceeds_usd, d.basis_usd, d.purpose) for d in s.rows] == [
        (D("0.01"), D("35"), D("30"), Purpose.TRANSFER_FEE),
        (D("0.1"), D("350"), D("300"), Purpose.FEE),
    ]
    assert [(o.quantity, o.basis_usd) for o in s.booking.open_lots] == [(D("0.39"), D("1170"))]
    assert [(d.code, d.severity) for d in s.booking.diagnostics] == \
        [("nondeductible-fee", Severity.INFO)]


def test_until_books_only_earlier_events() -> None:
    s = book(parse(LOTS + SALE.split("\n", 2)[2]), until=when("2025-01-01"))
    assert s.disposals == () and len(s.open_lots) == 3


def test_same_result_for_any_input_order() -> None:
    events = parse(LOTS + SALE.split("\n", 2)[2])
    expected = book(events)
    shuffled = list(events)
    random.Random(7).shuffle(shuffled)
    assert book(reversed(events)) == expected and book(shuffled) == expected


def test_progress_is_called(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.modules["taxmargin.engine.run"], "PROGRESS_EVERY", 2)
    seen: list[int] = []
    book(parse(LOTS + SALE.split("\n", 2)[2]), progress=seen.append)
    assert seen == [2, 4]


def test_universal_pool_option() -> None:
    # pre-2025 universal pooling: one BTC pool across accounts; flagged for 2025+ sales
    table = """
    time       | account | type  | sent      | received  | extra
    2024-01-10 | x       | trade | 30000 USD | 1 BTC     | id=A
    2024-02-10 | y       | trade | 50000 USD | 1 BTC     | id=B
    2024-12-01 | y       | trade | 1 BTC     | 90000 USD | id=S
    2025-02-01 | y       | trade | 1 BTC     | 90000 USD | id=T
    """
    s = run(table, pool_by="universal")
    assert [(d.account, d.lot_id) for d in s.rows] == [("y", "A"), ("y", "B")]  # FIFO across
    assert s.codes() == ["universal-pool"] and ("pool_by", "universal") in s.booking.options
    assert [d.lot_id for d in run(table).rows] == ["B", ""]  # per account: y has only B


def test_engine_options() -> None:
    assert EngineOptions.from_profile(parse_profile({})) == EngineOptions()
    profile = parse_profile({"options": {"short_against_box": "literal", "pool_by": "universal"}})
    assert EngineOptions.from_profile(profile) == EngineOptions(short_against_box="literal",
                                                                pool_by="universal")
    with pytest.raises(InputError, match="short_against_box"):
        EngineOptions(short_against_box="sometimes")


# -- stand-alone fee rows tied to a trade (tax-rules.md §4.6) --------------------------------

BNB_FEE_ROW = """
time                | account | type  | sent     | received  | usd  | extra
2025-01-02T00:00:00 | b       | trade | 2000 USD | 1 ETH     |      | id=E
2025-01-02T00:00:00 | b       | trade | 5 USD    | 0.01 BNB  |      | id=N
2025-06-01T12:00:00 | b       | trade | 1 ETH    | 3000 USDT | 3000 | id=S
2025-06-01T12:00:00 | b       | fee   | 0.01 BNB |           | 6    | id=F
"""


def test_bnb_fee_row_in_the_same_second_is_the_trades_transaction_cost() -> None:
    # §4.6: the BNB units are disposed of at FMV (6 vs basis 5), and the fee's USD value is
    # a transaction cost of the crypto-for-crypto trade it paid for, so it reduces the ETH
    # amount realized: 3,000 - 6 = 2,994 against basis 2,000 (§4.0(4) (h)(2)(ii)(B)).
    s = run(BNB_FEE_ROW)
    got = sorted((d.asset, d.proceeds_usd, d.basis_usd, d.purpose) for d in s.rows)
    assert got == [("BNB", D("6"), D("5"), Purpose.FEE), ("ETH", D("2994"), D("2000"), Purpose.SALE)]
    assert not any(d.liquidation for d in s.rows)
    assert "nondeductible-fee" not in s.codes()
