"""Repaying too much and written-off liquidation deficits (tax-rules.md §4.2, §9 U4)."""

from __future__ import annotations

from decimal import Decimal

from engine_scenarios import D, Scenario, run

from taxmargin.models import SourceRef


def rows(s: Scenario) -> list[tuple[str, Decimal, Decimal, Decimal]]:
    return s.summary()


# -- over-repay, write-off -----------------------------------------------------------------

def test_over_repay() -> None:
    table = """
    time       | account | type   | sent     | received | extra
    2025-01-01 | x       | trade  | 6000 USD | 2 ETH    | id=E
    2025-01-02 | x       | borrow |          | 1 ETH    | id=L
    2025-01-03 | x       | repay  | 1.5 ETH  |          | id=R
    2025-01-04 | x       | repay  | 100 USD  |          | id=U
    """
    s = run(table)
    # 1 ETH owed goes back from the unspent borrowed unit; 0.5 more leaves like a withdrawal
    assert s.rows == [] and s.booking.liabilities == ()
    assert [(o.quantity, o.basis_usd) for o in s.booking.open_lots] == [(D("1.5"), D("4500"))]
    assert [(d.code, d.source) for d in s.booking.diagnostics] == [
        ("over-repay", SourceRef("scenario.csv", 5)), ("over-repay", SourceRef("scenario.csv", 6)),
    ]


WRITEOFF = """
time       | account | type        | sent      | received  | usd   | extra
2024-01-01 | x       | trade       | 30000 USD | 1 BTC     |       | id=A
2025-01-02 | x       | borrow      |           | 60000 USD |       | id=L
2025-01-02 | x       | trade       | 60000 USD | 1 BTC     |       | id=B
2025-06-01 | x       | liquidation | 2 BTC     | 50000 USD |       | id=Q
2025-06-01 | x       | repay       | 50000 USD |           |       | id=R
2025-06-02 | x       | writeoff    | 10000 USD |           | 10000 | id=W
"""


def test_writeoff_added_to_amount_realized() -> None:
    s = run(WRITEOFF)
    # U4 default: 10,000 added pro rata to the liquidation's proceeds (25,000 each -> 30,000)
    assert rows(s) == [("A", D("1"), D("30000"), D("30000")), ("B", D("1"), D("30000"), D("60000"))]
    assert s.booking.liabilities == () and s.booking.income == ()
    assert s.codes() == ["liquidation-deficit"]
    assert ("liquidation_deficit", "amount_realized") in s.booking.options


def test_writeoff_as_cod_income() -> None:
    s = run(WRITEOFF, liquidation_deficit="cod_income")
    assert [d.proceeds_usd for d in s.rows] == [D("25000"), D("25000")]
    assert [(i.kind, i.usd_value) for i in s.booking.income] == [("cod", D("10000"))]
    assert ("liquidation_deficit", "cod_income") in s.booking.options


def test_writeoff_without_liquidation_is_cod_income() -> None:
    table = """
    time       | account | type     | sent     | received | usd | extra
    2025-01-02 | x       | borrow   |          | 500 USD  |     | id=L
    2025-06-02 | x       | writeoff | 500 USD  |          | 500 | id=W
    """
    s = run(table)
    assert s.rows == [] and [(i.kind, i.usd_value) for i in s.booking.income] == [("cod", D("500"))]
    (flag,) = s.booking.diagnostics
    assert flag.code == "liquidation-deficit" and "no liquidation" in flag.message


def test_writeoff_of_a_short_deficit() -> None:
    # Short 10 ETH for 20,000 USDT; the liquidation buys back only 8 ETH with all 26,000
    # USDT; the exchange writes off the 2 ETH still owed (FMV 6,500).
    table = """
    time       | account | type        | sent       | received   | usd   | extra
    2025-01-01 | x       | deposit     |            | 6000 USDT  | 6000  | id=U basis=6000
    2025-02-01 | x       | borrow      |            | 10 ETH     | 20000 | id=L
    2025-02-01 | x       | trade       | 10 ETH     | 20000 USDT | 20000 | id=S
    2025-03-01 | x       | liquidation | 26000 USDT | 8 ETH      | 26000 | id=Q
    2025-03-01 | x       | repay       | 8 ETH      |            | 26000 | id=R
    2025-03-01 | x       | writeoff    | 2 ETH      |            | 6500  | id=W
    """
    s = run(table)
    # USDT sold by the liquidation: 6,000 (U) + 20,000 (S) at par, plus the 6,500 deficit
    # pro rata to proceeds: +1,500 and +5,000. 8 ETH delivered: 16,000 vs 26,000. The 2
    # cancelled ETH close the rest of the short as if delivered at 6,500: 4,000 vs 6,500.
    assert rows(s) == [
        ("U", D("6000"), D("7500"), D("6000")),
        ("S", D("20000"), D("25000"), D("20000")),
        ("Q", D("8"), D("16000"), D("26000")),
        ("", D("2"), D("4000"), D("6500")),
    ]
    assert all(d.liquidation for d in s.rows)
    assert sum(d.gain_usd for d in s.rows) == D("-6000")  # the 6,000 USDT deposit is lost
    assert s.booking.open_shorts == () and s.booking.liabilities == ()


