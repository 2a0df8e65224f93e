"""Form 8949 rows, order, pages and Exception 2 (tax-rules.md §1.3, §1.5-§1.7)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from taxmargin.reports.build_8949 import (
    box_totals,
    build_form_8949,
    describe,
    form8949_row,
)
from taxmargin.reports.forms import Totals

from taxmargin.booking import Disposal, Purpose, Term
from taxmargin.models import SourceRef
from taxmargin.rules.dates import tax_date
from taxmargin.rules.rows import YearRow
from taxmargin.rules.us import form8949_box


def D(text: str) -> Decimal:
    return Decimal(text)


def disp(*, qty: str = "0.5", asset: str = "BTC", proceeds: str = "100", basis: str = "50",
         acquired: datetime = datetime(2024, 1, 15, tzinfo=UTC), disposed: datetime = datetime(2025, 1, 15, tzinfo=UTC),
         account: str = "kraken", line: int = 12, **kw: object) -> Disposal:
    return Disposal(account=account, asset=asset, quantity=D(qty), acquired=acquired, disposed=disposed,
                    proceeds_usd=D(proceeds), basis_usd=D(basis), sources=(SourceRef("k.csv", line),),
                    **kw)  # type: ignore[arg-type]


def yrow(d: Disposal, term: Term = Term.SHORT) -> YearRow:
    zone = ZoneInfo("UTC")
    return YearRow(d, tax_date(d.acquired, zone), tax_date(d.disposed, zone), term, form8949_box(term))


@pytest.mark.parametrize(
    ("kw", "text"),
    [
        ({}, "0.50000000 BTC"),  # interfaces.md §4 example
        ({"qty": "10", "asset": "ETH", "purpose": Purpose.SHORT, "short_sale": True},
         "10.00000000 ETH (short sale closed)"),  # §1.3 / §7.2
        ({"qty": "0.001", "purpose": Purpose.INTEREST}, "0.00100000 BTC (margin interest payment)"),  # §7.3
        ({"qty": "0.01", "asset": "BNB", "purpose": Purpose.FEE}, "0.01000000 BNB (fee)"),
        ({"qty": "0.0001", "purpose": Purpose.TRANSFER_FEE}, "0.00010000 BTC (network fee)"),
        ({"purpose": Purpose.SPEND}, "0.50000000 BTC (spend)"),
        ({"qty": "20", "asset": "USDT", "purpose": Purpose.PNL}, "20.00000000 USDT (perpetual P&L)"),
        ({"qty": "1", "liquidation": True}, "1.00000000 BTC (liquidation)"),
        ({"qty": "1", "purpose": Purpose.SHORT, "short_sale": True, "liquidation": True},
         "1.00000000 BTC (short sale closed, liquidation)"),
        # exact units: finer than 8 places are kept [I8949 col (a) "exact units"]
        ({"qty": "0.000000000123", "asset": "ETH"}, "0.000000000123 ETH"),
    ],
)
def test_description(kw: dict[str, object], text: str) -> None:
    assert describe(disp(**kw)) == text  # type: ignore[arg-type]


def test_row_in_cents() -> None:
    # §1.3/§1.7: (d) 100.005 -> 100.01 (half up); (e) 50.004 -> 50.00; (h) = 100.01 - 50.00 = 50.01
    row = form8949_row(yrow(disp(proceeds="100.005", basis="50.004")))
    assert (row.proceeds, row.cost_basis, row.adjustment, row.gain, row.code) == (
        D("100.01"), D("50.00"), D("0.00"), D("50.01"), "")
    assert (str(row.date_acquired), str(row.date_sold), row.part, row.box) == ("2024-01-15", "2025-01-15", "I", "I")


def test_row_in_whole_dollars_foots() -> None:
    # §1.7: round (d), (e), (g) first, then (h) = (d) - (e) + (g):
    # (d) 1.50 -> 2; (e) 1.49 -> 1; (h) = 2 - 1 = 1 (not round(0.01) = 0)
    row = form8949_row(yrow(disp(proceeds="1.50", basis="1.49")), whole_dollars=True)
    assert (row.proceeds, row.cost_basis, row.gain) == (D("2"), D("1"), D("1"))
    # a loss: (d) 10.49 -> 10; (e) 20.50 -> 21; (h) (11)
    row = form8949_row(yrow(disp(proceeds="10.49", basis="20.50")), whole_dollars=True)
    assert row.gain == D("-11")


def test_print_order() -> None:
    # §1.1: Part I (A,B,C,G,H,I) before Part II (D,E,F,J,K,L); then date sold, date acquired, source
    jan = datetime(2025, 1, 10, tzinfo=UTC)
    feb = datetime(2025, 2, 10, tzinfo=UTC)
    rows = [
        yrow(disp(disposed=feb, line=1), Term.LONG),
        yrow(disp(disposed=feb, line=3)),
        yrow(disp(disposed=feb, line=2)),
        yrow(disp(disposed=jan, acquired=datetime(2024, 12, 1, tzinfo=UTC), line=9)),
        yrow(disp(disposed=jan, acquired=datetime(2024, 11, 1, tzinfo=UTC), line=8)),
    ]
    form = build_form_8949(rows, rows_per_page=11, exception2_threshold=500)
    assert [(r.box, r.sources[0]) for r in form.rows] == [
        ("I", "k.csv:8"), ("I", "k.csv:9"), ("I", "k.csv:2"), ("I", "k.csv:3"), ("L", "k.csv:1")]


def _many(n: int, *, account: str = "kraken", start_line: int = 1) -> list[YearRow]:
    base = datetime(2025, 2, 1, tzinfo=UTC)
    return [yrow(disp(disposed=base + timedelta(days=i), account=account, line=start_line + i, proceeds="100",
                      basis="90", acquired=datetime(2025, 1, 1, tzinfo=UTC))) for i in range(n)]


def test_pages_of_eleven() -> None:
    # §1.5: 23 ST rows -> ceil(23 / 11) = 3 Part I pages of 11, 11, 1 rows; each page's line 2 = its rows
    form = build_form_8949(_many(23), rows_per_page=11, exception2_threshold=500)
    assert [len(p.rows) for p in form.pages] == [11, 11, 1]
    assert [(p.page_number, p.page_count, p.part, p.box) for p in form.pages] == [
        (1, 3, "I", "I"), (2, 3, "I", "I"), (3, 3, "I", "I")]
    # page 1: (d) 11 x 100 = 1,100; (e) 11 x 90 = 990; (h) 110; page 3: 100 / 90 / 10
    assert form.pages[0].totals == Totals(D("1100"), D("990"), D("0"), D("110"))
    assert form.pages[2].totals == Totals(D("100"), D("90"), D("0"), D("10"))
    # box total (Schedule D line 3) = all rows: 2,300 / 2,070 / 230
    assert box_totals(form) == {"I": Totals(D("2300"), D("2070"), D("0"), D("230"))}
    assert form.statement == () and form.exception2_boxes == ()


def test_2024_pages_of_fourteen() -> None:
    # §1.5: the 2024 form has 14 rows per part: 23 rows -> 14 + 9
    form = build_form_8949(_many(23), rows_per_page=14, exception2_threshold=500)
    assert [len(p.rows) for p in form.pages] == [14, 9]


def test_exception_2_summary_rows_and_statement() -> None:
    # §1.6: threshold 4, box I has 3 kraken + 2 coinbase rows = 5 > 4 -> one summary row per account
    rows = _many(3, account="kraken") + _many(2, account="coinbase", start_line=50)
    form = build_form_8949(rows, rows_per_page=11, exception2_threshold=4)
    assert form.exception2_boxes == ("I",)
    (page,) = form.pages
    assert [r.description for r in page.rows] == [
        "coinbase — see attached statement", "kraken — see attached statement"]
    summary = page.rows[1]
    # kraken: (d) 3 x 100 = 300; (e) 3 x 90 = 270; (g) 0; (h) 30; code M; (b)/(c) blank
    assert (summary.proceeds, summary.cost_basis, summary.adjustment, summary.gain) == (
        D("300"), D("270"), D("0"), D("30"))
    assert (summary.code, summary.date_acquired, summary.date_sold, summary.summary) == ("M", None, None, True)
    assert [(g.account, len(g.rows), g.totals.gain) for g in form.statement] == [
        ("coinbase", 2, D("20")), ("kraken", 3, D("30"))]
    # Schedule D totals are equal either way: 500 / 450 / 50
    assert box_totals(form)["I"] == Totals(D("500"), D("450"), D("0"), D("50"))
    assert page.totals == box_totals(form)["I"]
    assert len(form.rows) == 5  # the detail stays complete


def test_exception_2_only_above_the_threshold() -> None:
    form = build_form_8949(_many(4), rows_per_page=11, exception2_threshold=4)
    assert form.exception2_boxes == () and len(form.pages[0].rows) == 4
