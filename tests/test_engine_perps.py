"""Perpetual P&L and funding at engine level (tax-rules.md §4.7, §9 U3)."""

from __future__ import annotations

from decimal import Decimal

from engine_scenarios import D, Scenario, run, when

from taxmargin.booking import Purpose
from taxmargin.errors import Severity


def rows(s: Scenario) -> list[tuple[str, Decimal, Decimal, Decimal]]:
    return s.summary()


# -- perpetuals (§4.7, U3) -----------------------------------------------------------------

PERPS = """
time       | account | type         | sent      | received  | fee     | usd  | fee_usd | extra
2025-01-01 | f       | deposit      |           | 1000 USDT |         | 1000 |         | id=U basis=1000
2025-03-05 | f       | realized_pnl |           | 500 USDT  | 5 USDT  | 500  | 5       | id=G acquired=2025-03-01
2025-03-06 | f       | realized_pnl | 300 USDT  |           |         | 300  |         | id=P acquired=2025-03-02
2025-03-07 | f       | funding      |           | 2 USDT    |         | 2    |         | id=FR
2025-03-08 | f       | funding      | 3 USDT    |           |         | 3    |         | id=FP
"""


def test_perpetual_pnl_and_funding_default() -> None:
    s = run(PERPS)
    got = [(d.purpose, d.lot_id, d.quantity, d.proceeds_usd, d.basis_usd) for d in s.rows]
    assert got == [
        # gain 500 less the 5 USDT fee (fees are part of the P&L): (d) 495, (e) 0
        (Purpose.PNL, "", D("500"), D("495"), D("0")),
        # loss 300: (d) 0, (e) 300; then the 300 USDT paid are disposed of at FMV
        (Purpose.PNL, "", D("300"), D("0"), D("300")),
        (Purpose.SALE, "U", D("300"), D("300"), D("300")),
        # funding paid: 3 USDT disposed of at FMV (basis 1.00 each from lot U)
        (Purpose.FUNDING, "U", D("3"), D("3"), D("3")),
    ]
    assert s.rows[0].acquired == when("2025-03-01") and s.rows[0].disposed == when("2025-03-05")
    assert [(i.kind, i.usd_value) for i in s.booking.income] == [("funding", D("2"))]
    assert [f.usd_value for f in s.booking.funding_paid] == [D("3")]
    # USDT left: 1000 - 300 - 3 = 697 of U, 495 from the gain (500 - 5 withheld), 2 funding
    assert [(o.lot_id, o.quantity, o.basis_usd) for o in s.booking.open_lots] == [
        ("U", D("697"), D("697")), ("G", D("495"), D("495")), ("FR", D("2"), D("2"))]
    assert ("funding_treatment", "ordinary_in_nondeductible_out") in s.booking.options


def test_funding_net_into_capital_pnl() -> None:
    s = run(PERPS, funding_treatment="net_into_capital_pnl")
    funding = [(d.purpose, d.proceeds_usd, d.basis_usd) for d in s.rows[3:]]
    assert funding == [(Purpose.PNL, D("2"), D("0")), (Purpose.PNL, D("0"), D("3")),
                       (Purpose.FUNDING, D("3"), D("3"))]
    assert s.booking.income == () and s.booking.funding_paid == ()
    assert [(d.code, d.severity) for d in s.booking.diagnostics] == \
        [("funding-treatment", Severity.WARNING)]


