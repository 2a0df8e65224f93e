"""The Exception 2 statement attached to Form 8949 (tax-rules.md §1.6).

"containing all the same information as Parts I and II and in a similar format": every
transaction with columns (a)-(h), grouped by part, box and account (the broker), each
group closed by its totals, which equal that group's summary row on the form [I8949
"Exception 2"]. Descriptions wrap (never cut below 30 lines): the statement is where the
full detail lives; amounts are never cut (columns are sized for the largest value).

Speed (issue 6, 796,411 rows at 1M events): each row is one line of a monospaced font in
fixed-width columns (``pdf_statement_layout``), and a page's rows are written as one text
object (``pdf_mono.TextBlock``). Pages are finished one at a time by the page cursor
(reportlab keeps only each finished page's compressed stream), so the statement streams.
"""

from __future__ import annotations

from reportlab.pdfgen.canvas import Canvas
from taxmargin.reports.forms import BOX_TEXT, StatementGroup, TaxForms
from taxmargin.reports.pdf_common import (
    BOLD,
    FONT,
    MARGIN,
    PAGE_H,
    PAGE_W,
    Cursor,
    draw_identity,
    fit,
    money,
)
from taxmargin.reports.pdf_mono import CHAR_EM, MONO, MONO_BOLD, TextBlock
from taxmargin.reports.pdf_statement_layout import RowLines, StatementLayout

__all__ = ["draw_statement"]

_HEADS = (("(a) Description of property", ""), ("(b) Date", "acquired"),
          ("(c) Date sold", "or disposed of"), ("(d) Proceeds", "(sales price)"),
          ("(e) Cost or", "other basis"), ("(f)", "Code(s)"), ("(g) Amount of", "adjustment"),
          ("(h) Gain or", "(loss)"))
_ALIGN_RIGHT = (False, False, False, True, True, False, True, True)
_LINE = 8.5  # leading of the row lines (points)
_TITLE = 37.0  # height of a group title with the column heads
_TOTALS = 22.0
_HEADER_FORM = "taxmargin-statement-header"


class _Header:
    """The statement's page header and footer. Everything but the page number is one form
    XObject drawn once and referenced by every page (issue 6: a 796,411-row statement has
    ~11,000 pages); returns the first free y."""

    def __init__(self, c: Canvas, forms: TaxForms) -> None:
        top = PAGE_H - MARGIN
        c.beginForm(_HEADER_FORM)
        c.setFont(BOLD, 11)
        c.drawString(MARGIN, top - 11, f"Attachment to Form 8949 ({forms.tax_year}) — "
                     "statement of transactions (Exception 2)")
        c.setFont(FONT, 6.5)
        c.drawString(MARGIN, top - 20, "Each transaction summarized on Form 8949 with code M "
                     "in column (f), grouped by Part, box and account (broker). Each group's "
                     "totals equal its summary row on Form 8949.")
        c.setFont(FONT, 7)
        c.drawString(MARGIN, MARGIN, f"Form 8949 ({forms.tax_year}) — attached statement")
        self.y = draw_identity(c, forms, top - 26) - 6
        c.endForm()

    def __call__(self, c: Canvas, page: int) -> float:
        c.doForm(_HEADER_FORM)
        c.setFont(FONT, 7)
        c.drawRightString(PAGE_W - MARGIN, MARGIN, f"Statement page {page}")
        return self.y


class _Statement:
    """Draws the groups through a page cursor with one layout for the whole statement."""

    def __init__(self, c: Canvas, forms: TaxForms) -> None:
        self.c = c
        self.cur = Cursor(c, _Header(c, forms))
        self._continued_y = 0.0
        self.whole = forms.round_whole_dollars
        self.layout = StatementLayout.for_groups(forms.form_8949.statement, self.whole)
        self.char = self.layout.size * CHAR_EM
        self.x0 = MARGIN + 2
        self.starts = self.layout.starts()

    def title(self, index: int, group: StatementGroup, continued: bool) -> None:
        """Part, box and account, the box wording, and the column heads. A continued title
        (always at the top of a page) is a form XObject made once per group."""
        if not continued:
            self.cur.y = self._draw_title(group, "", self.cur.y)
            return
        name = f"taxmargin-statement-group-{index}"
        if not self.c.hasForm(name):
            self.c.beginForm(name)
            self._continued_y = self._draw_title(group, " (continued)", self.cur.y)
            self.c.endForm()
        self.c.doForm(name)
        self.cur.y = self._continued_y

    def _draw_title(self, group: StatementGroup, more: str, y: float) -> float:
        c = self.c
        c.setFont(BOLD, 8)
        c.drawString(MARGIN, y - 9, fit(f"Part {group.part} — Box {group.box} — account "
                                        f"{group.account}{more}", PAGE_W - 2 * MARGIN, 8,
                                        BOLD))
        c.setFont(FONT, 6.5)
        c.drawString(MARGIN, y - 17, f"({group.box}) {BOX_TEXT[group.box]}")
        y -= 20
        c.setLineWidth(0.5)
        c.line(MARGIN, y, PAGE_W - MARGIN, y)
        c.setFont(BOLD, 6)
        for start, width, right, (first, second) in zip(
                self.starts, self.layout.widths, _ALIGN_RIGHT, _HEADS, strict=True):
            if right:
                x = self.x0 + (start + width) * self.char
                c.drawRightString(x, y - 7, first)
                c.drawRightString(x, y - 14, second)
            else:
                x = self.x0 + start * self.char
                c.drawString(x, y - 7, first)
                c.drawString(x, y - 14, second)
        c.line(MARGIN, y - 17, PAGE_W - MARGIN, y - 17)
        return y - 17

    def _block(self) -> TextBlock:
        return TextBlock(self.c, MONO, self.layout.size, _LINE, self.x0, self.cur.y - 7.5)

    def rows(self, index: int, group: StatementGroup) -> None:
        """Every row of the group, one text object per page."""
        cur, lines_of = self.cur, RowLines(self.layout, self.whole)
        block = self._block()
        bottom = cur.bottom
        for row in group.rows:
            lines = lines_of(row)
            height = _LINE * len(lines)
            if cur.y - height < bottom:
                block.flush()
                cur.new_page()
                self.title(index, group, continued=True)
                block = self._block()
            block.add_all(lines)
            cur.y -= height
        block.flush()
        cur.y -= 2

    def totals(self, index: int, group: StatementGroup) -> None:
        """The group's totals line (equal to its summary row on the form)."""
        if self.cur.need(24):
            self.title(index, group, continued=True)
        c, cur, t, whole = self.c, self.cur, group.totals, self.whole
        c.setLineWidth(0.8)
        c.line(MARGIN, cur.y, PAGE_W - MARGIN, cur.y)
        block = TextBlock(c, MONO_BOLD, self.layout.size, _LINE, self.x0, cur.y - 9)
        block.add(self.layout.totals_line(
            f"Totals — Box {group.box}, {group.account}",
            (money(t.proceeds, whole), money(t.cost_basis, whole), "",
             money(t.adjustment, whole), money(t.gain, whole))))
        block.flush()
        cur.y -= _TOTALS


def draw_statement(c: Canvas, forms: TaxForms) -> int:
    """Append the statement pages (none when no box uses Exception 2); returns how many."""
    groups = forms.form_8949.statement
    if not groups:
        return 0
    statement = _Statement(c, forms)
    for index, group in enumerate(groups):
        statement.cur.need(_TITLE + 3 * _LINE)
        statement.title(index, group, continued=False)
        statement.rows(index, group)
        statement.totals(index, group)
    c.showPage()
    return statement.cur.page
