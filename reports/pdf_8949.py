"""Form 8949 pages, laid out like the 2025 IRS form (tax-rules.md §1).

One page per ``Form8949Page``: Part I (short-term) or Part II (long-term), exactly one of
the six boxes of that part checked, at most 11 rows (§1.5, [MAP8949]), columns (a)-(h)
(§1.3), and the page's own line 2 totals. The taxpayer's name and (masked) identifying
number are on every page; each page says "Part I, Box I - page n of m". Exception 2
summary rows arrive already in ``pages`` (their (b)/(c) print blank); the attached statement
is drawn by ``pdf_statement`` after the last form page. The top of a page (header, part,
boxes, column heads) is the same on every page of a box: it is drawn once per box as a
form XObject that each page references (issue 6).
"""

from __future__ import annotations

from reportlab.pdfgen.canvas import Canvas

from taxmargin.reports.forms import BOX_TEXT, Form8949Page, Form8949Row, TaxForms
from taxmargin.reports.pdf_common import (
    BOLD,
    FONT,
    MARGIN,
    PAGE_H,
    PAGE_W,
    Column,
    amount_g,
    draw_cells,
    draw_identity,
    money,
    us_date,
    wrap,
)

__all__ = ["COLUMNS", "PART_BOXES", "SCHEDULE_D_LINE", "draw_form_pages"]

#: Columns (a)-(h) across the 540-point text width.
COLUMNS = (
    Column(MARGIN, 150), Column(MARGIN + 150, 50), Column(MARGIN + 200, 50),
    Column(MARGIN + 250, 68, "r"), Column(MARGIN + 318, 68, "r"), Column(MARGIN + 386, 24),
    Column(MARGIN + 410, 62, "r"), Column(MARGIN + 472, 68, "r"),
)
HEADINGS = (
    "(a) Description of property (Example: 100 sh. XYZ Co.)",
    "(b) Date acquired (Mo., day, yr.)",
    "(c) Date sold or disposed of (Mo., day, yr.)",
    "(d) Proceeds (sales price) (see instructions)",
    "(e) Cost or other basis. See the Note below and see Column (e) in the instructions",
    "(f) Code(s)",
    "(g) Amount of adjustment",
    "(h) Gain or (loss). Subtract column (e) from column (d) and combine the result "
    "with column (g)",
)
PART_BOXES = {"I": "ABCGHI", "II": "DEFJKL"}
#: Schedule D line each box's totals go to (tax-rules.md §1.2 [FSD]).
SCHEDULE_D_LINE = {"A": "1b", "G": "1b", "B": "2", "H": "2", "C": "3", "I": "3",
                   "D": "8b", "J": "8b", "E": "9", "K": "9", "F": "10", "L": "10"}
_TERM = {"I": ("Short-Term.", "short-term", "held 1 year or less", "1",
               "For long-term transactions, see page 2.", "1a"),
         "II": ("Long-Term.", "long-term", "held more than 1 year", "2",
                "For short-term transactions, see page 1.", "8a")}
ROW_H = 26.0


def _header(c: Canvas, forms: TaxForms) -> float:
    top = PAGE_H - MARGIN
    c.setFont(BOLD, 15)
    c.drawString(MARGIN, top - 14, "Form 8949")
    c.setFont(FONT, 6)
    c.drawString(MARGIN, top - 23, "Department of the Treasury")
    c.drawString(MARGIN, top - 30, "Internal Revenue Service")
    c.setFont(BOLD, 12)
    c.drawCentredString(PAGE_W / 2, top - 12, "Sales and Other Dispositions of Capital Assets")
    c.setFont(FONT, 6.5)
    c.drawCentredString(PAGE_W / 2, top - 21,
                        "Go to www.irs.gov/Form8949 for instructions and the latest information.")
    c.drawCentredString(PAGE_W / 2, top - 29, "File with your Schedule D to list your "
                        "transactions for lines 1b, 2, 3, 8b, 9, and 10 of Schedule D.")
    c.drawRightString(PAGE_W - MARGIN, top - 6, "OMB No. 1545-0074")
    c.setFont(BOLD, 16)
    c.drawRightString(PAGE_W - MARGIN, top - 22, str(forms.tax_year))
    c.setFont(FONT, 6)
    c.drawRightString(PAGE_W - MARGIN, top - 30, "Attachment Sequence No. 12A")
    return draw_identity(c, forms, top - 34)


def _paragraph(c: Canvas, text: str, y: float, size: float = 6.5, font: str = FONT) -> float:
    c.setFont(font, size)
    for line in wrap(text, PAGE_W - 2 * MARGIN - 4, size, font):
        y -= size + 1.5
        c.drawString(MARGIN + 2, y, line)
    return y


def _part_band(c: Canvas, part: str, y: float) -> float:
    title, term, held, page_no, other, line_1a = _TERM[part]
    c.setFillGray(0)
    c.rect(MARGIN, y - 12, 38, 12, stroke=0, fill=1)
    c.setFillGray(1)
    c.setFont(BOLD, 9)
    c.drawString(MARGIN + 4, y - 9, f"Part {part}")
    c.setFillGray(0)
    c.setFont(BOLD, 8)
    c.drawString(MARGIN + 44, y - 9, title)
    c.setFont(FONT, 6.5)
    c.drawString(MARGIN + 44 + 52, y - 9, f"Transactions involving capital assets you {held} "
                 f"are generally {term} (see instructions). {other}")
    letters = ", ".join(PART_BOXES[part][:-1]) + ", or " + PART_BOXES[part][-1]
    y = _paragraph(c, f"Note: You may aggregate all {term} transactions reported on Form(s) "
                   "1099-B or 1099-DA showing basis was reported to the IRS and for which no "
                   f"adjustments or codes are required. Enter the totals directly on Schedule "
                   f"D, line {line_1a}; you aren't required to report these transactions on "
                   "Form 8949 (see instructions).", y - 13)
    return _paragraph(c, f"You must check Box {letters} below. Check only one box. If more "
                      f"than one box applies for your {term} transactions, complete a separate "
                      f"Form 8949, page {page_no}, for each applicable box. If you have more "
                      f"{term} transactions than will fit on this page for one or more of the "
                      "boxes, complete as many forms with the same box checked as you need.",
                      y, font=BOLD)


def _boxes(c: Canvas, part: str, checked: str, y: float) -> float:
    """The six checkboxes of the part; only ``checked`` carries an X (§1.1)."""
    for letter in PART_BOXES[part]:
        y -= 10
        c.rect(MARGIN + 6, y - 1, 7, 7, stroke=1, fill=0)
        if letter == checked:
            c.setFont(BOLD, 8)
            c.drawString(MARGIN + 7, y, "X")
        c.setFont(BOLD if letter == checked else FONT, 6.8)
        c.drawString(MARGIN + 18, y, f"({letter}) {BOX_TEXT[letter]}")
    return y - 4


def _table_head(c: Canvas, y: float) -> float:
    height = 44.0
    c.setLineWidth(0.5)
    c.line(MARGIN, y, PAGE_W - MARGIN, y)
    c.setFont(FONT, 5.8)
    for column, heading in zip(COLUMNS, HEADINGS, strict=True):
        ty = y
        for line in wrap(heading, column.width - 4, 5.8)[:6]:
            ty -= 6.6
            c.drawString(column.x + 2, ty, line)
        c.line(column.x, y, column.x, y - height)
    c.line(PAGE_W - MARGIN, y, PAGE_W - MARGIN, y - height)
    c.line(MARGIN, y - height, PAGE_W - MARGIN, y - height)
    return y - height


def row_values(row: Form8949Row, whole: bool) -> list[str]:
    """Columns (b)-(h) as printed; a summary row (Exception 2) leaves (b) and (c) blank."""
    missing = "" if row.summary else "VARIOUS"
    return [us_date(row.date_acquired, missing), us_date(row.date_sold, ""),
            money(row.proceeds, whole), money(row.cost_basis, whole), row.code,
            amount_g(row.code, row.adjustment, whole), money(row.gain, whole)]


def _row(c: Canvas, row: Form8949Row | None, y: float, whole: bool) -> float:
    bottom = y - ROW_H
    for column in COLUMNS:
        c.line(column.x, y, column.x, bottom)
    c.line(PAGE_W - MARGIN, y, PAGE_W - MARGIN, bottom)
    c.line(MARGIN, bottom, PAGE_W - MARGIN, bottom)
    if row is None:
        return bottom
    lines = wrap(row.description, COLUMNS[0].width - 4, 7)
    c.setFont(FONT, 7)
    for i, line in enumerate(lines[:3]):
        text = line if i < 2 or len(lines) <= 3 else line[:-1] + "…"
        c.drawString(COLUMNS[0].x + 2, y - 8 - 8 * i, text)
    draw_cells(c, COLUMNS[1:], row_values(row, whole), y - 15)
    return bottom


def _totals(c: Canvas, page: Form8949Page, y: float, whole: bool) -> float:
    line = SCHEDULE_D_LINE[page.box]
    boxes = [b for b in PART_BOXES[page.part] if SCHEDULE_D_LINE[b] == line]
    c.setFont(BOLD, 6.5)
    c.drawString(MARGIN + 2, y - 8, "2  Totals.")
    c.setFont(FONT, 6)
    text = ("Add the amounts in columns (d), (e), (g), and (h) (subtract negative amounts). "
            f"Enter each total here and include on your Schedule D, line {line} "
            f"(Box {boxes[0]} or {boxes[1]} checked).")
    ty = y - 8
    for part in wrap(text, 250 - 40, 6):
        c.drawString(MARGIN + 40, ty, part)
        ty -= 7
    t = page.totals
    draw_cells(c, COLUMNS[3:], [money(t.proceeds, whole), money(t.cost_basis, whole), "",
                                money(t.adjustment, whole), money(t.gain, whole)], y - 16,
               size=7.5, font=BOLD)
    c.setFillGray(0.85)
    c.rect(COLUMNS[5].x, y - 30, COLUMNS[5].width, 30, stroke=0, fill=1)
    c.setFillGray(0)
    for column in COLUMNS[3:]:
        c.line(column.x, y, column.x, y - 30)
    c.line(PAGE_W - MARGIN, y, PAGE_W - MARGIN, y - 30)
    c.line(MARGIN, y - 30, PAGE_W - MARGIN, y - 30)
    return y - 30


def _footer(c: Canvas, forms: TaxForms, page: Form8949Page, y: float) -> None:
    reported = "A or G" if page.part == "I" else "D or J"
    _paragraph(c, f"Note: If you checked Box {reported} above but the basis reported to the "
               "IRS was incorrect, enter in column (e) the basis as reported to the IRS, and "
               "enter an adjustment in column (g) to correct the basis. See Column (g) in the "
               "separate instructions for how to figure the amount of the adjustment.", y - 2)
    c.setFont(FONT, 7)
    c.drawString(MARGIN, MARGIN, f"Form 8949 ({forms.tax_year})")
    c.drawCentredString(PAGE_W / 2, MARGIN, f"Part {page.part}, Box {page.box} — "
                        f"page {page.page_number} of {page.page_count}")
    c.drawRightString(PAGE_W - MARGIN, MARGIN, "prepared with taxmargin")


def _static_top(c: Canvas, forms: TaxForms, part: str, box: str) -> float:
    """Everything above the rows (header, part band, boxes, column heads); returns its
    bottom."""
    y = _part_band(c, part, _header(c, forms) - 4)
    return _table_head(c, _boxes(c, part, box, y))


def draw_page(c: Canvas, forms: TaxForms, page: Form8949Page, rows_per_page: int,
              top: float) -> None:
    """One Form 8949 page below its top part (drawn by the caller, ending at ``top``);
    the canvas page is finished by the caller."""
    whole = forms.round_whole_dollars
    y = top
    rows: list[Form8949Row | None] = list(page.rows)
    rows += [None] * max(0, rows_per_page - len(rows))
    for row in rows:
        y = _row(c, row, y, whole)
    _footer(c, forms, page, _totals(c, page, y, whole))


def draw_form_pages(c: Canvas, forms: TaxForms) -> int:
    """Every page of ``forms.form_8949.pages`` in order; returns the number drawn. The top
    part of a page, the same on every page of a box, is one form XObject per box (drawn
    once, referenced by each page: issue 6, a box of thousands of rows)."""
    tops: dict[tuple[str, str], float] = {}
    for page in forms.form_8949.pages:
        name = f"taxmargin-8949-{page.part}-{page.box}"
        if (page.part, page.box) not in tops:
            c.beginForm(name)
            tops[page.part, page.box] = _static_top(c, forms, page.part, page.box)
            c.endForm()
        c.doForm(name)
        draw_page(c, forms, page, forms.form_8949.rows_per_page, tops[page.part, page.box])
        c.showPage()
    return len(forms.form_8949.pages)
