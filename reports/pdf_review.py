"""review.pdf: the liquidation review of the year (issue 5, output 4).

Realized gain by month split short-/long-term (a bar chart drawn with reportlab.graphics,
months with a liquidation marked by "*" and a red outline, then the table), by account,
and every liquidation with the lots it consumed, proceeds, basis, gain, term and the
explanation of a taxable gain despite an economic loss (tax-rules.md §4.2, §7.1). Every
number comes from ``TaxForms.review``; nothing is summed here.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from reportlab.graphics import renderPDF
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.pdfgen.canvas import Canvas

from taxmargin.reports.forms import LiquidationReview, MonthGain, TaxForms
from taxmargin.reports.pdf_common import (
    BOLD,
    FONT,
    MARGIN,
    PAGE_H,
    PAGE_W,
    Column,
    Cursor,
    draw_cells,
    draw_identity,
    fit,
    money,
    month_name,
    note,
    pdf_canvas,
    us_date,
    utc_text,
)

__all__ = ["month_chart", "write_review"]

ST_COLOR = colors.HexColor("#4C78A8")
LT_COLOR = colors.HexColor("#F58518")
_MONTH_COLS = (Column(MARGIN, 90), Column(MARGIN + 90, 110, "r"),
               Column(MARGIN + 200, 110, "r"), Column(MARGIN + 310, 80, "r"))
_ACCOUNT_COLS = (Column(MARGIN, 200), Column(MARGIN + 200, 110, "r"),
                 Column(MARGIN + 310, 110, "r"))
_LOT_COLS = (Column(MARGIN, 150), Column(MARGIN + 150, 55), Column(MARGIN + 205, 70, "r"),
             Column(MARGIN + 275, 70, "r"), Column(MARGIN + 345, 70, "r"),
             Column(MARGIN + 415, 35), Column(MARGIN + 450, 90))


def month_chart(months: Sequence[MonthGain], width: float = 540, height: float = 210) -> Drawing:
    """Grouped bars of short- and long-term realized gain per month (USD)."""
    drawing = Drawing(width, height)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 55, 45, width - 75, height - 75
    short = [float(m.short_term) for m in months]
    long_ = [float(m.long_term) for m in months]
    chart.data = [short, long_]
    chart.categoryAxis.categoryNames = [
        month_name(m.month) + ("*" if m.liquidation_count else "") for m in months]
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labelAxisMode = "low"  # month names under the chart, not on zero
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.labelTextFormat = lambda v: f"{v:,.0f}"
    if not any(short + long_):
        chart.valueAxis.valueMin, chart.valueAxis.valueMax = -1, 1
    chart.bars[0].fillColor = ST_COLOR
    chart.bars[1].fillColor = LT_COLOR
    for i, m in enumerate(months):
        if m.liquidation_count:
            for series in (0, 1):
                chart.bars[(series, i)].strokeColor = colors.red
                chart.bars[(series, i)].strokeWidth = 1.5
    drawing.add(chart)
    legend = Legend()
    legend.x, legend.y, legend.fontSize, legend.columnMaximum = 60, height - 8, 7, 1
    legend.alignment = "right"
    legend.colorNamePairs = [(ST_COLOR, "short-term"), (LT_COLOR, "long-term"),
                             (colors.red, "* month with a liquidation (red outline)")]
    drawing.add(legend)
    return drawing


class _Header:
    def __init__(self, forms: TaxForms) -> None:
        self.forms = forms

    def __call__(self, c: Canvas, page: int) -> float:
        top = PAGE_H - MARGIN
        c.setFont(BOLD, 13)
        c.drawString(MARGIN, top - 13, f"Liquidation review — tax year {self.forms.tax_year}")
        c.setFont(FONT, 7)
        c.drawString(MARGIN, top - 23, f"Realized gains by month and account; every "
                     f"liquidation with the lots it consumed (method {self.forms.method}, "
                     f"dates in {self.forms.timezone}).")
        c.drawString(MARGIN, MARGIN, "taxmargin review (not a tax form)")
        c.drawRightString(PAGE_W - MARGIN, MARGIN, f"page {page}")
        return draw_identity(c, self.forms, top - 28) - 6


def _heading(cur: Cursor, text: str) -> None:
    cur.need(40)
    cur.c.setFont(BOLD, 10)
    cur.c.drawString(MARGIN, cur.y - 14, text)
    cur.y -= 20


def _table(cur: Cursor, columns: Sequence[Column], head: Sequence[str],
           rows: Sequence[Sequence[str]]) -> None:
    cur.need(24)
    draw_cells(cur.c, columns, head, cur.y - 8, font=BOLD)
    cur.c.line(MARGIN, cur.y - 11, columns[-1].right, cur.y - 11)
    cur.y -= 12
    for row in rows:
        if cur.need(10):
            draw_cells(cur.c, columns, head, cur.y - 8, font=BOLD)
            cur.y -= 12
        draw_cells(cur.c, columns, row, cur.y - 8)
        cur.y -= 10
    cur.y -= 6


def _summary(cur: Cursor, forms: TaxForms) -> None:
    whole, review = forms.round_whole_dollars, forms.review
    _heading(cur, "Realized gain or (loss) by month")
    cur.need(215)
    renderPDF.draw(month_chart(review.by_month), cur.c, MARGIN, cur.y - 210)
    cur.y -= 214
    _table(cur, _MONTH_COLS, ("Month", "Short-term", "Long-term", "Liquidations"),
           [(month_name(m.month), money(m.short_term, whole), money(m.long_term, whole),
             str(m.liquidation_count)) for m in review.by_month])
    _heading(cur, "Realized gain or (loss) by account")
    _table(cur, _ACCOUNT_COLS, ("Account", "Short-term", "Long-term"),
           [(a.account, money(a.short_term, whole), money(a.long_term, whole))
            for a in review.by_account])


def _liquidation(cur: Cursor, n: int, liq: LiquidationReview, whole: bool) -> None:
    c = cur.c
    cur.need(60)
    c.setFont(BOLD, 8.5)
    c.drawString(MARGIN, cur.y - 10, fit(f"Liquidation {n}: {utc_text(liq.time)} — account "
                                         f"{liq.account} — source {liq.source}",
                                         PAGE_W - 2 * MARGIN, 8.5, BOLD))
    c.setFont(FONT, 7.5)
    c.drawString(MARGIN, cur.y - 20, f"Proceeds {money(liq.proceeds, whole)}   basis "
                 f"{money(liq.cost_basis, whole)}   gain or (loss) {money(liq.gain, whole)}"
                 f"   (short-term {money(liq.short_term_gain, whole)}, long-term "
                 f"{money(liq.long_term_gain, whole)})")
    cur.y -= 22
    if liq.explanation:
        cur.y = note(c, cur.y, liq.explanation, 7.5)
    _table(cur, _LOT_COLS, ("Lot consumed", "Acquired", "Proceeds", "Basis", "Gain", "Term",
                            "Sources"),
           [(lot.description, us_date(lot.date_acquired), money(lot.proceeds, whole),
             money(lot.cost_basis, whole), money(lot.gain, whole), lot.term,
             ", ".join(lot.sources)) for lot in liq.lots])


def write_review(forms: TaxForms, target: Path) -> Path:
    """Write ``review.pdf`` to ``target``."""
    with pdf_canvas(target, "Liquidation review", forms) as c:
        cur = Cursor(c, _Header(forms))
        cur.new_page()
        _summary(cur, forms)
        _heading(cur, f"Liquidations ({len(forms.review.liquidations)})")
        if not forms.review.liquidations:
            cur.y = note(c, cur.y, f"No liquidations in {forms.tax_year}.", 8)
        for n, liq in enumerate(forms.review.liquidations, start=1):
            _liquidation(cur, n, liq, forms.round_whole_dollars)
        c.showPage()
    return target
