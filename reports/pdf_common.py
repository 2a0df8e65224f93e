"""Shared PDF pieces: fonts, number and date formats, a page cursor, the name/TIN header.

Everything here lays out values the form data already holds (issue 5: renderers compute
nothing). Formats follow the forms: negative amounts in parentheses [I8949 col (g), (h)],
dates MM/DD/YYYY [I8949 col (b), (c)], whole dollars when the return rounds (tax-rules.md
§1.7). The taxpayer id arrives already masked (``TaxForms.taxpayer_id``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from reportlab import rl_config
from reportlab.lib.pagesizes import letter
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from taxmargin.reports.atomic import atomic_path
from taxmargin.reports.forms import TaxForms

#: Page streams are compressed but not ASCII85-encoded: about 20% smaller files and faster
#: writing of large Exception 2 statements (issue 6); every PDF reader accepts binary streams.
rl_config.useA85 = 0

__all__ = [
    "BOLD",
    "FONT",
    "MARGIN",
    "PAGE_H",
    "PAGE_W",
    "Column",
    "Cursor",
    "amount_g",
    "clean",
    "column_heads",
    "draw_cells",
    "draw_identity",
    "fit",
    "form_title",
    "line_row",
    "money",
    "month_name",
    "note",
    "page_footer",
    "part_band",
    "pdf_canvas",
    "us_date",
    "utc_text",
    "wrap",
]

FONT = "Helvetica"
BOLD = "Helvetica-Bold"
PAGE_W: float = float(letter[0])  # 612 points
PAGE_H: float = float(letter[1])  # 792 points
MARGIN = 36.0
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def money(value: Decimal | None, whole: bool = False) -> str:
    """``1,234.56`` / ``(1,234.56)``; whole dollars (``1,235``) when the return is rounded
    (the value is already rounded by ``reports.build``: this only drops the ``.00``)."""
    if value is None:
        return ""
    text = f"{abs(value):,.0f}" if whole else f"{abs(value):,.2f}"
    return f"({text})" if value < 0 else text


def us_date(value: date | None, missing: str = "VARIOUS") -> str:
    """MM/DD/YYYY, or ``missing`` ("VARIOUS" for a detail row [I8949 col (b)])."""
    return missing if value is None else value.strftime("%m/%d/%Y")


def amount_g(code: str, adjustment: Decimal, whole: bool = False) -> str:
    """Column (g): the amount, "-0-" when a code needs no amount (code M, tax-rules.md
    §1.4), blank when there is neither."""
    if adjustment != 0:
        return money(adjustment, whole)
    return "-0-" if code else ""


def utc_text(value: datetime | None) -> str:
    return "" if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def month_name(month: int) -> str:
    return _MONTHS[month - 1]


def clean(text: str) -> str:
    """Input-file text without control characters (one printed line per value)."""
    return _CONTROL.sub(" ", text)


def fit(text: str, width: float, size: float, font: str = FONT) -> str:
    """``text`` cut with an ellipsis so it fits ``width`` points: the longest prefix that
    fits with "…" (found by bisection; widths grow with the prefix since standard fonts do
    not kern)."""
    text = clean(text)
    if stringWidth(text, font, size) <= width:
        return text
    lo, hi = 0, len(text)  # the answer k: prefix text[:k] + "…" fits, k in [lo, hi]
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if stringWidth(text[:mid] + "…", font, size) <= width:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo] + "…"


def wrap(text: str, width: float, size: float, font: str = FONT) -> list[str]:
    """Lines of ``text`` that fit ``width``; a word longer than the width is cut hard.
    Memoized: the forms' fixed wording is wrapped again on every page."""
    return list(_wrap(text, width, size, font))


@lru_cache(maxsize=4096)
def _wrap(text: str, width: float, size: float, font: str) -> tuple[str, ...]:
    lines: list[str] = []
    for line in simpleSplit(clean(text), font, size, width) or [""]:
        while stringWidth(line, font, size) > width and len(line) > 1:
            cut = len(line)
            while cut > 1 and stringWidth(line[:cut], font, size) > width:
                cut -= 1
            lines.append(line[:cut])
            line = line[cut:]
        lines.append(line)
    return tuple(lines)


@dataclass(frozen=True, slots=True)
class Column:
    """A table column: left edge ``x``, ``width``, alignment ("l" or "r")."""

    x: float
    width: float
    align: str = "l"

    @property
    def right(self) -> float:
        return self.x + self.width


def draw_cells(c: Canvas, columns: Sequence[Column], values: Sequence[str], y: float,
               size: float = 7.0, font: str = FONT) -> None:
    """One line of cells (each cut to its column) with baseline ``y``, as one text object
    (measured: about twice as fast as one ``drawString`` per cell on long statements)."""
    text = c.beginText()
    text.setFont(font, size)
    for column, raw in zip(columns, values, strict=True):
        value = clean(raw)
        room = column.width - 4
        width = stringWidth(value, font, size)
        if width > room:
            value = fit(value, room, size, font)
            width = stringWidth(value, font, size)
        x = column.right - 2 - width if column.align == "r" else column.x + 2
        text.setTextOrigin(x, y)
        text.textOut(value)
    c.drawText(text)


def draw_identity(c: Canvas, forms: TaxForms, y: float) -> float:
    """The "Name(s) shown on return" / identifying number line every page carries."""
    c.setLineWidth(0.5)
    c.line(MARGIN, y, PAGE_W - MARGIN, y)
    c.setFont(FONT, 6.5)
    c.drawString(MARGIN + 2, y - 8, "Name(s) shown on return")
    c.drawString(PAGE_W - MARGIN - 178, y - 8,
                 "Social security number or taxpayer identification number")
    c.setFont(BOLD, 9)
    c.drawString(MARGIN + 2, y - 19, fit(forms.taxpayer_name, 350, 9, BOLD))
    c.drawString(PAGE_W - MARGIN - 178, y - 19, fit(forms.taxpayer_id, 176, 9, BOLD))
    c.line(PAGE_W - MARGIN - 182, y, PAGE_W - MARGIN - 182, y - 23)
    c.line(MARGIN, y - 23, PAGE_W - MARGIN, y - 23)
    return y - 23


class Cursor:
    """A canvas with a y position that starts a new page, drawn by ``header``, when the
    next block does not fit. Pages are written one by one (reportlab keeps only each
    finished page's compressed stream), so a 100,000-row statement streams."""

    def __init__(self, c: Canvas, header: Callable[[Canvas, int], float],
                 bottom: float = MARGIN + 14) -> None:
        self.c = c
        self.page = 0
        self.bottom = bottom
        self._header = header
        self.y = 0.0

    def new_page(self) -> None:
        if self.page:
            self.c.showPage()
        self.page += 1
        self.y = self._header(self.c, self.page)

    def need(self, height: float) -> bool:
        """Make room for ``height`` points; True when a new page was started."""
        if self.page and self.y - height >= self.bottom:
            return False
        self.new_page()
        return True


@contextmanager
def pdf_canvas(target: Path, title: str, forms: TaxForms) -> Iterator[Canvas]:
    """A letter-size canvas written atomically to ``target`` when the block succeeds.
    ``invariant`` keeps the bytes reproducible (no creation timestamp or random id)."""
    with atomic_path(target) as tmp:
        c = Canvas(str(tmp), pagesize=letter, pageCompression=1, invariant=1)
        c.setTitle(f"{title} ({forms.tax_year})")
        c.setAuthor("taxmargin")
        c.setCreator("taxmargin")
        yield c
        c.save()


def form_title(c: Canvas, left: tuple[str, str], title: str, subtitle: str, year: int,
               sequence: str) -> float:
    """The form's top strip: form name left, title centred, year right; returns its bottom."""
    top = PAGE_H - MARGIN
    c.setFont(BOLD, 12)
    c.drawString(MARGIN, top - 12, left[0])
    c.setFont(FONT, 7)
    c.drawString(MARGIN, top - 21, left[1])
    c.setFont(FONT, 6)
    c.drawString(MARGIN, top - 29, "Department of the Treasury  Internal Revenue Service")
    c.setFont(BOLD, 13)
    c.drawCentredString(PAGE_W / 2, top - 13, title)
    c.setFont(FONT, 6.5)
    c.drawCentredString(PAGE_W / 2, top - 23, subtitle)
    c.drawRightString(PAGE_W - MARGIN, top - 6, "OMB No. 1545-0074")
    c.setFont(BOLD, 16)
    c.drawRightString(PAGE_W - MARGIN, top - 22, str(year))
    c.setFont(FONT, 6)
    c.drawRightString(PAGE_W - MARGIN, top - 30, f"Attachment Sequence No. {sequence}")
    return top - 34


def part_band(c: Canvas, part: str, title: str, y: float) -> float:
    """A black "Part N" tab followed by the part's title; returns the y below it."""
    c.setFillGray(0)
    c.rect(MARGIN, y - 12, 40, 12, stroke=0, fill=1)
    c.setFillGray(1)
    c.setFont(BOLD, 9)
    c.drawString(MARGIN + 4, y - 9, f"Part {part}")
    c.setFillGray(0)
    c.setFont(BOLD, 8)
    c.drawString(MARGIN + 46, y - 9, fit(title, PAGE_W - 2 * MARGIN - 50, 8, BOLD))
    c.setLineWidth(0.5)
    c.line(MARGIN, y - 12, PAGE_W - MARGIN, y - 12)
    return y - 12


def line_row(c: Canvas, y: float, number: str, text: str, label_width: float,
             amounts: Sequence[str | None], columns: Sequence[Column]) -> float:
    """One numbered form line: the wording wrapped beside its number, then its amounts;
    a ``None`` amount is a shaded cell (the form has no entry there). Returns the new y."""
    lines = wrap(text, label_width - 22, 6.8)
    height = max(14.0, 8.0 * len(lines) + 5)
    c.setFont(BOLD, 7.5)
    c.drawString(MARGIN + 2, y - 9, number)
    c.setFont(FONT, 6.8)
    for i, line in enumerate(lines):
        c.drawString(MARGIN + 20, y - 9 - 8 * i, line)
    for column, amount in zip(columns, amounts, strict=True):
        if amount is None:
            c.setFillGray(0.85)
            c.rect(column.x, y - height, column.width, height, stroke=0, fill=1)
            c.setFillGray(0)
        else:
            c.setFont(BOLD if amount else FONT, 7.5)
            c.drawRightString(column.right - 3, y - height + 4, amount)
        c.line(column.x, y, column.x, y - height)
    c.line(PAGE_W - MARGIN, y, PAGE_W - MARGIN, y - height)
    c.line(MARGIN, y - height, PAGE_W - MARGIN, y - height)
    return y - height


def column_heads(c: Canvas, y: float, heads: Sequence[str], columns: Sequence[Column],
                 height: float = 34.0) -> float:
    """Wrapped headings over amount columns; returns the y below them."""
    c.setFont(FONT, 6)
    for column, head in zip(columns, heads, strict=True):
        ty = y
        for line in wrap(head, column.width - 4, 6)[:5]:
            ty -= 6.8
            c.drawString(column.x + 2, ty, line)
        c.line(column.x, y, column.x, y - height)
    c.line(PAGE_W - MARGIN, y, PAGE_W - MARGIN, y - height)
    c.line(MARGIN, y - height, PAGE_W - MARGIN, y - height)
    return y - height


def note(c: Canvas, y: float, text: str, size: float = 7.0, font: str = FONT) -> float:
    """A wrapped paragraph across the page; returns the y below it."""
    c.setFont(font, size)
    for line in wrap(text, PAGE_W - 2 * MARGIN - 4, size, font):
        y -= size + 2
        c.drawString(MARGIN + 2, y, line)
    return y - 2


def page_footer(c: Canvas, left: str, right: str) -> None:
    c.setFont(FONT, 7)
    c.drawString(MARGIN, MARGIN, left)
    c.drawRightString(PAGE_W - MARGIN, MARGIN, right)
