"""Margin booking at engine level: tax-rules.md §7 worked examples, shorts, interest,
liquidations, write-offs, perpetuals (§4.1–§4.7, §9). The forms-level versions of §7 are
tested end to end elsewhere; here the engine's rows are checked against the hand-worked
numbers of the spec."""

from __future__ import annotations

from decimal import Decimal

import pytest
from engine_scenarios import D, Scenario, load, parse, run, when

from taxmargin.booking import Liability, OpenShort, Purpose, Term
from taxmargin.engine import book
from taxmargin.models import SourceRef
from taxmargin.policies import MethodPlan, PlanOrder


def rows(s: Scenario) -> list[tuple[str, Decimal, Decimal, Decimal]]:
    return s.summary()


# -- §7.1 liquidation ----------------------------------------------------------------------

def test_7_1_liquidation_gain_despite_loss() -> None:
    b = book(load("liquidation_7_1"))
    a, bb = b.disposals
    # (d) 152,000 - 3,040 fee = 148,960, split pro rata: 74,480 per BTC
    # Lot A: (e) 25,000 + 25 = 25,025, acquired 2023-03-15 -> (h) 49,455 (LT by dates)
    assert (a.lot_id, a.proceeds_usd, a.basis_usd, a.acquired.date().isoformat()) == \
        ("A", D("74480"), D("25025"), "2023-03-15")
    # Lot B: (e) 100,000 + 100 = 100,100, acquired 2025-01-20 -> (h) (25,620)
    assert (bb.lot_id, bb.proceeds_usd, bb.basis_usd, bb.acquired.date().isoformat()) == \
        ("B", D("74480"), D("100100"), "2025-01-20")
    assert a.gain_usd + bb.gain_usd == D("23835")  # Schedule D line 16
    assert all(d.liquidation and d.purpose is Purpose.SALE and not d.short_sale
               for d in b.disposals)
    (interest,) = b.interest  # Form 4952 line 1 += 1,000 (paid from the proceeds, §3.6(4))
    assert (interest.usd_value, interest.personal_use_flag) == (D("1000"), False)
    assert b.liabilities == () and b.open_lots == () and b.open_shorts == ()


PARTIAL = """
time                | account | type        | sent       | received   | fee      | extra
2023-03-15T12:00:00 | x       | trade       | 25000 USD  | 1 BTC      | 25 USD   | id=A
2025-01-20T12:00:00 | x       | borrow      |            | 100000 USD |          | id=L
2025-01-20T12:00:01 | x       | trade       | 100000 USD | 1 BTC      | 100 USD  | id=B
2025-04-07T09:30:00 | x       | liquidation | 1 BTC      | 76000 USD  | 1520 USD | id=Q
"""


@pytest.mark.parametrize(
    ("orders", "lot", "basis", "gain"),
    [
        ((), "A", "25025", "49455"),  # FIFO default: Lot A, LT gain 49,455 (§7.1 variant)
        # HIFO standing order recorded before the liquidation: Lot B, loss (25,620)
        ((PlanOrder("x", "hifo", when("2025-04-01")),), "B", "100100", "-25620"),
        # HIFO chosen afterwards (March 2026) changes nothing (§5.3 rule 2, oracle T9c)
        ((PlanOrder("x", "hifo", when("2026-03-01")),), "A", "25025", "49455"),
    ],
)
def test_7_1_partial_liquidation_follows_standing_order(
    orders: tuple[PlanOrder, ...], lot: str, basis: str, gain: str
) -> None:
    (row,) = run(PARTIAL, MethodPlan(orders=orders)).rows
    # (d) 76,000 - 1,520 = 74,480
    assert (row.lot_id, row.proceeds_usd, row.basis_usd, row.gain_usd, row.liquidation) == \
        (lot, D("74480"), D(basis), D(gain), True)


STANDALONE_FEE = """
time                | account | type        | sent       | received   | usd  | extra
2023-03-15T12:00:00 | x       | trade       | 25025 USD  | 1 BTC      |      | id=A
2025-01-20T12:00:00 | x       | trade       | 100100 USD | 1 BTC      |      | id=B
2025-04-07T09:30:00 | x       | fee         | {fee}      |            | 3040 | id=F
2025-04-07T09:30:00 | x       | liquidation | 1 BTC      | 76000 USD  |      | id=Q1
{when}              | x       | liquidation | 1 BTC      | 76000 USD  |      | id=Q2
"""


def test_standalone_liquidation_fee_same_second() -> None:
    # The fee row (before the fills, same second) is the liquidations' fee: 3,040 split pro
    # rata to proceeds (76,000 each) -> 74,480 each (§4.2), as in §7.1.
    s = run(STANDALONE_FEE.format(fee="3040 USD", when="2025-04-07T09:30:00.500000"))
    assert rows(s) == [("A", D("1"), D("74480"), D("25025")), ("B", D("1"), D("74480"), D("100100"))]
    assert "nondeductible-fee" not in s.codes()


def test_standalone_fee_in_crypto_and_other_second() -> None:
    table = STANDALONE_FEE.format(fee="3040 USDT", when="2025-04-07T09:30:01") + \
        "2025-01-01 | x | deposit | | 5000 USDT | 5000 | id=U basis=5000\n"
    s = run(table)
    # Q1 alone shares the second with the fee: 76,000 - 3,040 = 72,960; Q2 (next second) 76,000.
    # The USDT fee units are themselves disposed of at 3,040 vs basis 3,040, flagged.
    assert rows(s) == [("U", D("3040"), D("3040"), D("3040")), ("A", D("1"), D("72960"), D("25025")),
                       ("B", D("1"), D("76000"), D("100100"))]
    assert [d.liquidation for d in s.rows] == [True, True, True]
    assert s.rows[0].purpose is Purpose.FEE


# -- §7.2 short sale ------------------------------------------------------------------------

def test_7_2_short_sale_usd() -> None:
    b = book(load("short_7_2"))
    (row,) = b.disposals
    # (b) 05/12/2025 (c) 05/12/2025 (d) 22,000 - 22 = 21,978 (e) 26,000 + 26 = 26,026
    assert (row.acquired, row.disposed) == (when("2025-05-12T10:00:00"), when("2025-05-12T10:00:01"))
    assert (row.proceeds_usd, row.basis_usd, row.gain_usd) == (D("21978"), D("26026"), D("-4048"))
    assert row.short_sale and row.purpose is Purpose.SHORT and row.term_override is None
    # sources: the repay row, the short-sale row, the buy-to-cover row
    assert row.sources == tuple(SourceRef("short_7_2.txt", n) for n in (6, 4, 5))
    assert [i.usd_value for i in b.interest] == [D("52")]  # Form 4952 line 1 += 52
    assert b.open_shorts == () and b.liabilities == () and b.open_lots == ()


def test_7_2_short_sale_usdt_variant() -> None:
    b = book(load("short_7_2_usdt"))
    usdt, short = b.disposals
    # USDT row: (d) 26,000 FMV of ETH received, (e) 26,026 (26,000 + 26 fee units) -> (26)
    assert (usdt.asset, usdt.quantity, usdt.proceeds_usd, usdt.basis_usd) == \
        ("USDT", D("26026"), D("26000"), D("26026"))
    # short row: (d) 21,978 (e) 26,000 (ETH basis = FMV, no fee) -> (4,022); total (4,048)
    assert (short.proceeds_usd, short.basis_usd, short.short_sale) == (D("21978"), D("26000"), True)
    assert usdt.gain_usd + short.gain_usd == D("-4048")


def test_short_open_over_year_end() -> None:
    table = """
    time       | account | type   | sent      | received  | fee    | extra
    2025-12-20 | x       | borrow |           | 10 ETH    |        | id=L
    2025-12-20 | x       | trade  | 10 ETH    | 20000 USD | 20 USD | id=S
    2026-01-10 | x       | trade  | 18000 USD | 10 ETH    | 18 USD | id=C
    2026-01-10 | x       | repay  | 10 ETH    |           |        | id=R
    """
    year_end = book(parse(table), until=when("2026-01-01"))
    # §4.3: an open short at Dec 31 reports nothing; it is listed as open (20,000 - 20)
    assert year_end.disposals == ()
    assert year_end.open_shorts == (OpenShort("x", "ETH", D("10"), D("19980"), when("2025-12-20"),
                                              SourceRef("scenario.csv", 4)),)
    assert year_end.liabilities == (Liability("x", "ETH", D("10")),)
    (row,) = book(parse(table)).disposals  # closed in 2026: (d) 19,980 (e) 18,018
    assert (row.proceeds_usd, row.basis_usd, row.acquired) == (D("19980"), D("18018"), when("2026-01-10"))


def test_partial_cover_and_delivery_order() -> None:
    # Delivery uses units bought after the short opened first (the covering units), then
    # the account's method among older lots (§4.3); proceeds split by units.
    table = """
    time       | account | type   | sent     | received | extra
    2025-01-01 | x       | trade  | 1000 USD | 1 ETH    | id=OLD
    2025-02-01 | x       | borrow |          | 4 ETH    | id=L
    2025-02-02 | x       | trade  | 5 ETH    | 15000 USD| id=S
    2025-03-01 | x       | trade  | 2400 USD | 1 ETH    | id=C1
    2025-03-02 | x       | repay  | 1 ETH    |          | id=R1
    2025-04-01 | x       | trade  | 5000 USD | 2 ETH    | id=C2
    2025-04-02 | x       | repay  | 3 ETH    |          | id=R2
    """
    s = run(table)
    # the sale: 1 ETH owned (OLD) sold for 3,000; 4 borrowed units open a short of 12,000
    # R1 delivers C1: 3,000 vs 2,400. R2 delivers C2 (2 ETH, 5,000) then... nothing older
    # is left (OLD was sold), so 1 ETH is missing: basis 0, flagged.
    assert rows(s) == [
        ("OLD", D("1"), D("3000"), D("1000")),
        ("C1", D("1"), D("3000"), D("2400")),
        ("C2", D("2"), D("6000"), D("5000")),
        ("", D("1"), D("3000"), D("0")),
    ]
    assert [d.short_sale for d in s.rows] == [False, True, True, True]
    assert "negative-balance" in s.codes()


@pytest.mark.parametrize(("method", "older", "left"), [("fifo", "O1", "O2"), ("hifo", "O2", "O1")])
def test_delivery_prefers_covering_units_then_method(method: str, older: str, left: str) -> None:
    # Older lots moved in after the short keep their 2023 dates; the delivery takes the
    # unit bought after the short first (C), then one older lot by the account's method.
    table = """
    time       | account | type     | sent     | received | extra
    2023-01-10 | y       | trade    | 1000 USD | 1 ETH    | id=O1
    2023-06-10 | y       | trade    | 2000 USD | 1 ETH    | id=O2
    2025-02-01 | x       | borrow   |          | 2 ETH    | id=L
    2025-02-02 | x       | trade    | 2 ETH    | 6000 USD | id=S
    2025-02-03 | y       | transfer | 2 ETH    |          | id=M to=x
    2025-03-01 | x       | trade    | 2500 USD | 1 ETH    | id=C
    2025-03-02 | x       | repay    | 2 ETH    |          | id=R
    """
    s = run(table, MethodPlan(default=method))
    basis = {"O1": D("1000"), "O2": D("2000")}
    assert rows(s) == [("C", D("1"), D("3000"), D("2500")), (older, D("1"), D("3000"), basis[older])]
    assert [o.lot_id for o in s.booking.open_lots] == [left]
    # y held ETH when the short opened (against the box, U2): both gains short-term
    assert [d.term_override for d in s.rows] == [Term.SHORT, Term.SHORT]
    assert s.codes() == ["short-against-box"]


# -- §7.3 interest paid in crypto -------------------------------------------------------------

def test_7_3_interest_paid_in_btc() -> None:
    table = """
    time       | account | type     | sent      | received | fee    | usd | extra
    2024-11-01 | x       | trade    | 35000 USD | 0.5 BTC  | 35 USD |     | id=LOT
    2025-08-15 | x       | interest | 0.001 BTC |          |        | 118 | id=INT
    """
    s = run(table)
    (row,) = s.rows
    # (d) 118.00 (e) 35,035 x 0.001 / 0.5 = 70.07 (h) 47.93; (b) 11/01/2024 (c) 08/15/2025
    assert (row.proceeds_usd, row.basis_usd, row.gain_usd, row.purpose) == \
        (D("118"), D("70.07"), D("47.93"), Purpose.INTEREST)
    assert (row.acquired, row.disposed) == (when("2024-11-01"), when("2025-08-15"))
    assert [i.usd_value for i in s.booking.interest] == [D("118")]  # Form 4952 line 1


def test_interest_tracing_flag() -> None:
    # §3.2: borrowed USD withdrawn while owed -> the interest needs allocation by use
    base = """
    time       | account | type       | sent     | received  | extra
    2025-01-01 | x       | borrow     |          | 1000 USD  | id=L
    {withdraw}
    2025-02-01 | x       | interest   | 5 USD    |           | id=I
    """
    flagged = run(base.format(withdraw="2025-01-02 | x | withdrawal | 1000 USD | | id=W"))
    clean = run(base.format(withdraw=""))
    assert [i.personal_use_flag for i in flagged.booking.interest] == [True]
    assert flagged.codes() == ["interest-tracing"]
    assert [i.personal_use_flag for i in clean.booking.interest] == [False]
    assert clean.codes() == []


# -- short against the box (U2) ------------------------------------------------------------

BOX = """
time       | account | type   | sent     | received | extra
{held}     | y       | trade  | 1500 USD | 1 ETH    | id=H
2025-03-01 | x       | borrow |          | 1 ETH    | id=L
2025-03-01 | x       | trade  | 1 ETH    | 3000 USD | id=S
2025-04-01 | x       | trade  | {cover} USD | 1 ETH | id=C
2025-04-01 | x       | repay  | 1 ETH    |          | id=R
"""


@pytest.mark.parametrize(
    ("held", "cover", "option", "term"),
    [
        ("2023-01-10", "2000", "analogy", Term.SHORT),  # gain -> short-term (§1233(b))
        ("2023-01-10", "3500", "analogy", Term.LONG),  # loss, held > 1 year -> LT (§1233(d))
        ("2024-06-01", "3500", "analogy", None),  # loss, held <= 1 year at 2025-03-01
        ("2024-03-01", "3500", "analogy", None),  # exactly one year: not more (§6.1)
        ("2024-02-29", "3500", "analogy", Term.LONG),  # leap day: year ends 2025-02-28
        ("2023-01-10", "3500", "literal", None),  # literal law: dates decide, still flagged
    ],
)
def test_short_against_the_box(held: str, cover: str, option: str, term: Term | None) -> None:
    s = run(BOX.format(held=held, cover=cover), short_against_box=option)
    (row,) = s.rows
    assert row.short_sale and row.term_override is term
    assert s.codes() == ["short-against-box"]
    assert ("short_against_box", option) in s.booking.options


def test_plain_short_is_not_against_the_box() -> None:
    s = run(BOX.replace("{held}     | y       | trade  | 1500 USD | 1 ETH    | id=H\n", "")
            .format(cover="2000"))
    assert s.codes() == [] and s.rows[0].term_override is None


def test_box_found_at_delivery() -> None:
    # No other pool holds ETH at the short; a 2023 lot deposited into x afterwards and
    # not delivered means x held older units too: flagged at the delivery (U2).
    table = """
    time       | account | type    | sent     | received | usd  | extra
    2025-02-01 | x       | borrow  |          | 1 ETH    |      | id=L
    2025-02-02 | x       | trade   | 1 ETH    | 3000 USD |      | id=S
    2025-02-03 | x       | deposit |          | 1 ETH    | 2800 | id=O basis=1000 acquired=2023-01-10
    2025-03-01 | x       | trade   | 2500 USD | 1 ETH    |      | id=C
    2025-03-02 | x       | repay   | 1 ETH    |          |      | id=R
    """
    s = run(table)
    assert rows(s) == [("C", D("1"), D("3000"), D("2500"))]
    assert s.rows[0].term_override is Term.SHORT  # gain on a short against the box
    (flag,) = s.booking.diagnostics
    assert flag.code == "short-against-box" and flag.source == SourceRef("scenario.csv", 7)


def test_borrowed_stablecoin_spent_opens_a_short() -> None:
    # §4.1/§4.5: spending borrowed USDT opens a USDT short; repaying with bought USDT closes it
    table = """
    time       | account | type   | sent      | received  | usd  | extra
    2025-01-01 | x       | borrow |           | 1000 USDT | 1000 | id=L
    2025-01-02 | x       | trade  | 1000 USDT | 0.01 BTC  | 1000 | id=S
    2025-02-01 | x       | trade  | 999 USD   | 1000 USDT | 1000 | id=C
    2025-02-02 | x       | repay  | 1000 USDT |           | 1000 | id=R
    """
    s = run(table)
    assert rows(s) == [("C", D("1000"), D("1000"), D("999"))] and s.rows[0].short_sale
