"""Hand-built ``TaxForms`` for the renderer tests (issue 5): every number is simple and
checked by hand here, never produced by ``reports.build``.

The return this describes (tax year 2025, single, exact cents):

Part I, box I (tax-rules.md §1.2: short-term, no 1099-DA), account kraken, 23 rows:
  rows 1-22: 0.10000000 BTC sold 02/01-02/22/2025: (d) 100.00, (e) 90.00, (h) 10.00
  row 23:    0.05000000 ETH, VARIOUS, sold 03/14/2025 (a liquidation):
             (d) 50.00, (e) 80.00, (h) (30.00)
  pages (11 rows a page, §1.5): 11, 11 and 1 rows
    page 1 and 2 totals: (d) 11 x 100 = 1,100.00; (e) 11 x 90 = 990.00; (h) 110.00
    page 3 totals:       (d) 50.00; (e) 80.00; (h) (30.00)
    box I:               (d) 2,250.00; (e) 2,060.00; (g) 0; (h) 22 x 10 - 30 = 190.00
Part I, box H (1099-DA without basis), account coinbase, Exception 2 (§1.6):
  statement rows 10.00/5.00/5.00, 20.00/25.00/(5.00), 30.00/10.00/20.00
  group and summary-row totals: (d) 60.00; (e) 40.00; (g) 0; (h) 20.00; code M
Part II, box L, account binance:
  1.00000000 ETH 05/01/2023 -> 06/02/2025 (liquidation): 1,234.56 / 1,000.00 / 234.56
  0.20000000 BTC 01/10/2022 -> 07/01/2025:                 500.00 /   700.00 / (200.00)
  box L totals: (d) 1,734.56; (e) 1,700.00; (h) 34.56

Schedule D (§2.1): line 2 = box H, line 3 = box I, line 10 = box L;
  line 6 = (1,000.00) carryover; line 7 = 20.00 + 190.00 - 1,000.00 = (790.00);
  line 15 = 34.56; line 16 = -790.00 + 34.56 = (755.44); line 21 = (755.44) (under 3,000);
  Carryover worksheet (§2.3): 1 = 50,000.00; 2 = 755.44; 3 = 50,755.44; 4 = 755.44;
  5 = 790.00; 6 = 34.56; 7 = 790.00; 8 = 0.00 -> no carryover.
Form 4952 (§3.1): 1 = 1,000.00 + 500.00 = 1,500.00; 2 = 200.00; 3 = 1,700.00; 4a = 25.00;
  4c = 25.00; 4h = 25.00; 6 = 25.00; 7 = 1,700.00 - 25.00 = 1,675.00; 8 = 25.00.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

from booking_support import D
from taxmargin.errors import Diagnostic, Severity
from taxmargin.models import SourceRef
from taxmargin.reports.forms import (
    AccountGain,
    Carryforward,
    CarryoverWorksheet,
    Form4952,
    Form8949,
    Form8949Page,
    Form8949Row,
    IncomeLine,
    InterestLine,
    LiquidationLot,
    LiquidationReview,
    MonthGain,
    OpenPosition,
    Review,
    ScheduleD,
    StatementGroup,
    TaxForms,
    Totals,
)

__all__ = ["INJECTED", "D", "box_i_rows", "make_forms"]

FULL_SSN = "123-45-6789"  # never given to the renderers
MASKED_SSN = "XXX-XX-6789"

#: Hostile cell values (CSV/formula injection) put on the first box-L row by ``inject``.
INJECTED = {
    "description": '=HYPERLINK("http://x")',
    "account": "+1+1",
    "asset": "-2",
    "source": "@SUM(A1)",
}


def _t(d: str, e: str, g: str, h: str) -> Totals:
    return Totals(proceeds=D(d), cost_basis=D(e), adjustment=D(g), gain=D(h))


def _row(box: str, desc: str, acquired: date | None, sold: date | None,
         d: str, e: str, h: str, account: str, asset: str, qty: str,
         *, liquidation: bool = False, code: str = "", summary: bool = False,
         sources: tuple[str, ...] = ()) -> Form8949Row:
    part = "I" if box in "ABCGHI" else "II"
    return Form8949Row(
        part=part, box=box, description=desc, date_acquired=acquired, date_sold=sold,
        proceeds=D(d), cost_basis=D(e), code=code, adjustment=D("0.00"), gain=D(h),
        account=account, asset=asset, quantity=D(qty),
        term="short" if part == "I" else "long", liquidation=liquidation,
        sources=sources, summary=summary,
        disposed_utc=None if sold is None else datetime(sold.year, sold.month, sold.day, 12, tzinfo=UTC),
        acquired_utc=None if acquired is None else datetime(
            acquired.year, acquired.month, acquired.day, 9, tzinfo=UTC),
    )


def box_i_rows() -> tuple[Form8949Row, ...]:
    """The 23 box-I rows: 22 gains of 10.00, then a (30.00) liquidation loss."""
    rows = [
        _row("I", f"0.10000000 BTC (kraken txid T{i:03d})", date(2025, 1, 2), date(2025, 2, i),
             "100.00", "90.00", "10.00", "kraken", "BTC", "0.1",
             sources=(f"kraken_ledgers.csv:{100 + i}", "kraken_ledgers.csv:3"))
        for i in range(1, 23)
    ]
    rows.append(_row("I", "0.05000000 ETH (kraken txid T023)", None, date(2025, 3, 14),
                     "50.00", "80.00", "-30.00", "kraken", "ETH", "0.05", liquidation=True,
                     sources=("kraken_ledgers.csv:57", "kraken_ledgers.csv:4",
                              "kraken_ledgers.csv:5")))
    return tuple(rows)


def _box_h_rows() -> tuple[Form8949Row, ...]:
    spec = [("10.00", "5.00", "5.00"), ("20.00", "25.00", "-5.00"), ("30.00", "10.00", "20.00")]
    return tuple(
        _row("H", f"{n}.00000000 SOL (coinbase)", date(2025, 1, 5), date(2025, 4, n),
             d, e, h, "coinbase", "SOL", str(n), sources=(f"coinbase.csv:{10 + n}", "coinbase.csv:2"))
        for n, (d, e, h) in enumerate(spec, start=1)
    )


def _box_l_rows(inject: bool) -> tuple[Form8949Row, ...]:
    first = _row("L", "1.00000000 ETH (binance)", date(2023, 5, 1), date(2025, 6, 2),
                 "1234.56", "1000.00", "234.56", "binance", "ETH", "1", liquidation=True,
                 sources=("binance_margin.csv:88", "binance_spot.csv:7"))
    if inject:
        first = dataclasses.replace(
            first, description=INJECTED["description"], account=INJECTED["account"],
            asset=INJECTED["asset"], sources=(INJECTED["source"], "binance_spot.csv:7"))
    second = _row("L", "0.20000000 BTC (binance)", date(2022, 1, 10), date(2025, 7, 1),
                  "500.00", "700.00", "-200.00", "binance", "BTC", "0.2",
                  sources=("binance_spot.csv:120", "binance_spot.csv:9"))
    return first, second


def _pages(h_summary: Form8949Row, rows_i: tuple[Form8949Row, ...],
           rows_l: tuple[Form8949Row, ...]) -> tuple[Form8949Page, ...]:
    return (
        Form8949Page("I", "H", 1, 1, (h_summary,), _t("60.00", "40.00", "0.00", "20.00")),
        Form8949Page("I", "I", 1, 3, rows_i[0:11], _t("1100.00", "990.00", "0.00", "110.00")),
        Form8949Page("I", "I", 2, 3, rows_i[11:22], _t("1100.00", "990.00", "0.00", "110.00")),
        Form8949Page("I", "I", 3, 3, rows_i[22:], _t("50.00", "80.00", "0.00", "-30.00")),
        Form8949Page("II", "L", 1, 1, rows_l, _t("1734.56", "1700.00", "0.00", "34.56")),
    )


def _form_8949(inject: bool) -> Form8949:
    rows_h, rows_i, rows_l = _box_h_rows(), box_i_rows(), _box_l_rows(inject)
    summary = Form8949Row(
        part="I", box="H", description="coinbase — see attached statement",
        date_acquired=None, date_sold=None, proceeds=D("60.00"), cost_basis=D("40.00"),
        code="M", adjustment=D("0.00"), gain=D("20.00"), account="coinbase", asset="",
        quantity=D("0"), term="short", summary=True)
    group = StatementGroup("I", "H", "coinbase", rows_h, _t("60.00", "40.00", "0.00", "20.00"))
    return Form8949(rows=rows_h + rows_i + rows_l, pages=_pages(summary, rows_i, rows_l),
                    statement=(group,), exception2_boxes=("H",))


def _schedule_d() -> ScheduleD:
    zero = _t("0.00", "0.00", "0.00", "0.00")
    worksheet = CarryoverWorksheet(
        lines=(("1", D("50000.00")), ("2", D("755.44")), ("3", D("50755.44")),
               ("4", D("755.44")), ("5", D("790.00")), ("6", D("34.56")),
               ("7", D("790.00")), ("8", D("0.00"))),
        short_term_carryover=D("0.00"), long_term_carryover=D("0.00"),
        taxable_income_assumed=False)
    return ScheduleD(
        line_1b=zero, line_2=_t("60.00", "40.00", "0.00", "20.00"),
        line_3=_t("2250.00", "2060.00", "0.00", "190.00"), line_8b=zero, line_9=zero,
        line_10=_t("1734.56", "1700.00", "0.00", "34.56"),
        line_6=D("-1000.00"), line_7=D("-790.00"), line_14=D("0.00"), line_15=D("34.56"),
        line_16=D("-755.44"), line_21=D("-755.44"), line_17_both_gains=False,
        carryover_worksheet=worksheet, loss_limit=D("3000.00"))


def _form_4952() -> Form4952:
    z = D("0.00")
    return Form4952(
        line_1=D("1500.00"), line_2=D("200.00"), line_3=D("1700.00"), line_4a=D("25.00"),
        line_4b=z, line_4c=D("25.00"), line_4d=z, line_4e=z, line_4f=z, line_4g=z,
        line_4h=D("25.00"), line_5=z, line_6=D("25.00"), line_7=D("1675.00"),
        line_8=D("25.00"), required=True,
        required_reason="disallowed investment interest carried from 2024 (line 2)")


def _utc(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=UTC)


def _review() -> Review:
    st = {2: "220.00", 3: "-30.00", 4: "20.00"}  # 22 x 10; the liquidation; box H
    lt = {6: "234.56", 7: "-200.00"}
    liq = {3: 1, 6: 1}
    months = tuple(MonthGain(m, D(st.get(m, "0.00")), D(lt.get(m, "0.00")), liq.get(m, 0))
                   for m in range(1, 13))
    accounts = (AccountGain("binance", D("0.00"), D("34.56")),
                AccountGain("coinbase", D("20.00"), D("0.00")),
                AccountGain("kraken", D("190.00"), D("0.00")))
    march = LiquidationReview(
        time=_utc(2025, 3, 14, 9, 30), account="kraken", source="kraken_ledgers.csv:57",
        lots=(LiquidationLot("0.05000000 ETH", date(2025, 1, 2), D("50.00"), D("80.00"),
                             D("-30.00"), "short", ("kraken_ledgers.csv:4",)),),
        proceeds=D("50.00"), cost_basis=D("80.00"), gain=D("-30.00"),
        short_term_gain=D("-30.00"), long_term_gain=D("0.00"), explanation="")
    june = LiquidationReview(
        time=_utc(2025, 6, 2, 14, 5), account="binance", source="binance_margin.csv:88",
        lots=(LiquidationLot("1.00000000 ETH", date(2023, 5, 1), D("1234.56"), D("1000.00"),
                             D("234.56"), "long", ("binance_spot.csv:7",)),),
        proceeds=D("1234.56"), cost_basis=D("1000.00"), gain=D("234.56"),
        short_term_gain=D("0.00"), long_term_gain=D("234.56"),
        explanation="Taxable gain of 234.56 although the margin position lost money: "
                    "the ETH sold was bought in 2023 for 1,000.00.")
    return Review(by_month=months, by_account=accounts, liquidations=(march, june))


def _lines() -> tuple[tuple[IncomeLine, ...], tuple[InterestLine, ...]]:
    income = (IncomeLine(_utc(2025, 5, 5), "kraken", "ETH", D("0.01"), D("25.00"), "income",
                         "kraken_ledgers.csv:77"),)
    interest = (
        InterestLine(_utc(2025, 4, 1), "binance", "USDT", D("1000"), D("1000.00"),
                     "binance_margin.csv:20"),
        InterestLine(_utc(2025, 8, 1), "binance", "BTC", D("0.005"), D("500.00"),
                     "binance_margin.csv:30"),
        InterestLine(_utc(2025, 9, 1), "bybit", "USDT", D("12.34"), D("12.34"),
                     "bybit.csv:5", kind="funding-paid"),
    )
    return income, interest


def _open_positions() -> tuple[OpenPosition, ...]:
    return (
        OpenPosition("short", "binance", "BTC", D("0.01"), D("950.00"), _utc(2025, 12, 20),
                     "binance_margin.csv:99"),
        OpenPosition("liability", "binance", "USDT", D("500"), None, _utc(2025, 12, 1),
                     "binance_margin.csv:95"),
        OpenPosition("lot", "kraken", "BTC", D("0.5"), D("20000.00"), _utc(2024, 11, 11),
                     "kraken_ledgers.csv:2"),
    )


def make_forms(*, inject: bool = False, round_whole_dollars: bool = False,
               taxpayer_name: str = "Alex Q. Trader") -> TaxForms:
    """The return described in the module docstring; ``inject`` puts hostile text on the
    first box-L row (``INJECTED``) and in a diagnostic message."""
    income, interest = _lines()
    message = "=1+2 no USD price for XYZ on 2025-02-03" if inject else \
        "no USD price for XYZ on 2025-02-03"
    return TaxForms(
        tax_year=2025, method="fifo", timezone="UTC", taxpayer_name=taxpayer_name,
        taxpayer_id=MASKED_SSN, filing_status="single",
        round_whole_dollars=round_whole_dollars, form_8949=_form_8949(inject),
        schedule_d=_schedule_d(), form_4952=_form_4952(),
        carryforward=Carryforward(D("0.00"), D("0.00"), D("1675.00")),
        income_ordinary=D("25.00"), funding_paid_nondeductible=D("12.34"),
        open_positions=_open_positions(),
        diagnostics=(Diagnostic(Severity.WARNING, "missing-price", message,
                                SourceRef("kraken_ledgers.csv", 12)),),
        review=_review(), income_lines=income, interest_lines=interest,
        options_used=(("method", "fifo"), ("principal_first", "false")),
        generated=_utc(2026, 2, 1, 10, 0),
    )
