"""The Exception 2 statement attached to Form 8949 (tax-rules.md §1.6).

"containing all the same information as Parts I and II and in a similar format": every
transaction with columns (a)-(h), grouped by part, box and account (the broker), each
group closed by its totals, which equal that group's summary row on the form [I8949
"Exception 2"]. Drawn row by row on the canvas with a page cursor, so a statement of
100,000+ rows never builds a list of flowables in memory. Descriptions wrap (never cut):
the statement is where the full detail lives.
"""

from __future__ import annotations

from reportlab.pdfgen.canvas import Canvas

from taxmargin.reports.forms import BOX_TEXT, StatementGroup, TaxForms
from taxmargin.reports.pdf_8949 import COLUMNS, row_values
from taxmargin.reports.pdf_common import (
    BOLD,
    FONT,
    MARGIN,
    PAGE_H,
    PAGE_W,
    Cursor,
    draw_cells,
    draw_identity,
    fit,
    money,
    wrap,
)

__all__ = ["draw_statement"]

_HEADS = (("(a) Description of property", ""), ("(b) Date", "acquired"),
          ("(c) Date sold", "or disposed of"), ("(d) Proceeds", "(sales price)"),
          ("(e) Cost or", "other basis"), ("(f)", "Code(s)"), ("(g) Amount of", "adjustment"),
          ("(h) Gain or", "(loss)"))
_LINE = 8.5
_MAX_LINES = 30  # a description longer than a third of a page is cut (the xlsx has it all)


class _Header:
    """Draws the statement's page header and footer; returns the first free y."""

    def __init__(self, forms: TaxForms) -> None:
        self.forms = forms

    def __call__(self, c: Canvas, page: int) -> float:
        top = PAGE_H - MARGIN
        c.setFont(BOLD, 11)
        c.drawString(MARGIN, top - 11, f"Attachment to Form 8949 ({self.forms.tax_year}) — "
                     "statement of transactions (Exception 2)")
        c.setFont(FONT, 6.5)
        c.drawString(MARGIN, top - 20, "Each transaction summarized on Form 8949 with code M "
                     "in column (f), grouped by Part, box and account (broker). Each group's "
                     "totals equal its summary row on Form 8949.")
        c.setFont(FONT, 7)
        c.drawString(MARGIN, MARGIN, f"Form 8949 ({self.forms.tax_year}) — attached statement")
        c.drawRightString(PAGE_W - MARGIN, MARGIN, f"Statement page {page}")
        return draw_identity(c, self.forms, top - 26) - 6


def _group_title(cur: Cursor, group: StatementGroup, continued: bool) -> None:
    c = cur.c
    more = " (continued)" if continued else ""
    c.setFont(BOLD, 8)
    c.drawString(MARGIN, cur.y - 9, fit(f"Part {group.part} — Box {group.box} — account "
                                        f"{group.account}{more}", PAGE_W - 2 * MARGIN, 8, BOLD))
    c.setFont(FONT, 6.5)
    c.drawString(MARGIN, cur.y - 17, f"({group.box}) {BOX_TEXT[group.box]}")
    y = cur.y - 20
    c.setLineWidth(0.5)
    c.line(MARGIN, y, PAGE_W - MARGIN, y)
    c.setFont(BOLD, 6)
    for column, (first, second) in zip(COLUMNS, _HEADS, strict=True):
        if column.align == "r":
            c.drawRightString(column.right - 2, y - 7, first)
            c.drawRightString(column.right - 2, y - 14, second)
        else:
            c.drawString(column.x + 2, y - 7, first)
            c.drawString(column.x + 2, y - 14, second)
    c.line(MARGIN, y - 17, PAGE_W - MARGIN, y - 17)
    cur.y = y - 17


def _rows(cur: Cursor, group: StatementGroup, whole: bool) -> None:
    c = cur.c
    width = COLUMNS[0].width - 4
    for row in group.rows:
        lines = wrap(row.description, width, 7)
        if len(lines) > _MAX_LINES:
            lines = lines[:_MAX_LINES - 1] + [lines[_MAX_LINES - 1][:-1] + "…"]
        height = _LINE * len(lines) + 2
        if cur.need(height):
            _group_title(cur, group, continued=True)
        c.setFont(FONT, 7)
        for i, line in enumerate(lines):
            c.drawString(COLUMNS[0].x + 2, cur.y - 7.5 - _LINE * i, line)
        draw_cells(c, COLUMNS[1:], row_values(row, whole), cur.y - 7.5)
        cur.y -= height


def _group_totals(cur: Cursor, group: StatementGroup, whole: bool) -> None:
    if cur.need(24):
        _group_title(cur, group, continued=True)
    c, t = cur.c, group.totals
    c.setLineWidth(0.8)
    c.line(MARGIN, cur.y, PAGE_W - MARGIN, cur.y)
    label = f"Totals — Box {group.box}, {group.account}"
    c.setFont(BOLD, 7)
    c.drawString(MARGIN + 2, cur.y - 9, fit(label, 240, 7, BOLD))
    draw_cells(c, COLUMNS[3:], [money(t.proceeds, whole), money(t.cost_basis, whole), "",
                                money(t.adjustment, whole), money(t.gain, whole)],
               cur.y - 9, size=7, font=BOLD)
    cur.y -= 22


def draw_statement(c: Canvas, forms: TaxForms) -> int:
    """Append the statement pages (none when no box uses Exception 2); returns how many."""
    groups = forms.form_8949.statement
    if not groups:
        return 0
    cur = Cursor(c, _Header(forms))
    whole = forms.round_whole_dollars
    for group in groups:
        cur.need(20 + 17 + 3 * _LINE)
        _group_title(cur, group, continued=False)
        _rows(cur, group, whole)
        _group_totals(cur, group, whole)
    c.showPage()
    return cur.page
