"""Column layout of the Exception 2 statement: Form 8949 columns (a)-(h) as fixed-width
character columns of a monospaced line (``pdf_mono``).

``StatementLayout.for_groups`` sizes every amount column once for the whole statement from
the largest and smallest value it holds (so no value is ever cut and columns line up on
every page), gives column (a) the rest of the line (at least ``MIN_DESCRIPTION``
characters, the font shrinks when the amounts need more room), and pre-builds the
``str.format`` templates of a row and of a totals line. ``RowCells`` formats a row's
columns (b)-(h) exactly like ``pdf_8949.row_values`` (tests/test_perf_pdf.py proves it on
random rows) with a cache of formatted dates (a year has at most 366 of them).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from operator import attrgetter

from taxmargin.reports.forms import Form8949Row, StatementGroup, Totals
from taxmargin.reports.pdf_common import MARGIN, PAGE_W, clean, money, us_date
from taxmargin.reports.pdf_mono import CHAR_EM

__all__ = ["MIN_DESCRIPTION", "RowLines", "StatementLayout", "description_lines"]

#: Default widths (characters) of columns (b)-(h); amount columns grow to fit.
_DEFAULT = (10, 10, 13, 13, 4, 11, 13)
_ALIGN = ("<", "<", ">", ">", "<", ">", ">")
#: Spaces before each of columns (b)-(h): two before an amount, so full-width amounts in
#: neighbouring columns stay apart.
_GAPS = (1, 1, 2, 2, 1, 2, 2)
_AMOUNTS = ("proceeds", "cost_basis", None, "adjustment", "gain")  # columns (d)-(h)
MIN_DESCRIPTION = 30
_SIZE = 7.0  # font size (points) when the line fits at it


def _amount_width(values: Sequence[Decimal], whole: bool) -> int:
    """Characters of the longest ``money`` text among ``values`` (the longest is that of
    the largest or the smallest value: length grows with magnitude, parentheses add 2)."""
    if not values:
        return 0
    return max(len(money(max(values), whole)), len(money(min(values), whole)))


@dataclass(frozen=True, slots=True)
class StatementLayout:
    """Character widths of columns (a)-(h), the font size that fits them on the page, and
    the row and totals line templates."""

    widths: tuple[int, ...]
    size: float
    row_format: str
    totals_format: str

    @staticmethod
    def for_groups(groups: Sequence[StatementGroup], whole: bool) -> StatementLayout:
        widths = list(_DEFAULT)
        totals: list[Totals] = [g.totals for g in groups]
        for i, field in enumerate(_AMOUNTS, start=2):
            if field is None:
                continue
            get = attrgetter(field)
            for group in groups:
                if group.rows:
                    values = [max(map(get, group.rows)), min(map(get, group.rows))]
                    widths[i] = max(widths[i], _amount_width(values, whole))
            widths[i] = max(widths[i], _amount_width([get(t) for t in totals], whole))
        widths[4] = max([widths[4]] + [max(map(len, map(attrgetter("code"), g.rows)))
                                       for g in groups if g.rows])
        fixed = sum(widths) + sum(_GAPS)
        chars = int((PAGE_W - 2 * MARGIN - 4) / (_SIZE * CHAR_EM))
        description = max(MIN_DESCRIPTION, chars - fixed)
        size = min(_SIZE, (PAGE_W - 2 * MARGIN - 4) / ((description + fixed) * CHAR_EM))
        cells = [" " * gap + f"{{:{a}{w}}}"
                 for gap, a, w in zip(_GAPS, _ALIGN, widths, strict=True)]
        label = description + widths[0] + widths[1] + _GAPS[0] + _GAPS[1]
        return StatementLayout((description, *widths), size,
                               f"{{:<{description}}}" + "".join(cells),
                               f"{{:<{label}}}" + "".join(cells[2:]))

    @property
    def description(self) -> int:
        return self.widths[0]

    @property
    def label(self) -> int:
        """Characters of a totals line's label: columns (a)-(c)."""
        return self.widths[0] + self.widths[1] + self.widths[2] + _GAPS[0] + _GAPS[1]

    @property
    def chars(self) -> int:
        """Characters of a full line."""
        return sum(self.widths) + sum(_GAPS)

    def starts(self) -> list[int]:
        """Character offset of each column's first character."""
        out, at = [0], self.widths[0]
        for gap, width in zip(_GAPS, self.widths[1:], strict=True):
            out.append(at + gap)
            at += gap + width
        return out

    def row_lines(self, description: str, cells: Sequence[str]) -> list[str]:
        """A row as printed: (a) wrapped to its width, (b)-(h) on the first line."""
        parts = description_lines(description, self.description)
        parts[0] = self.row_format.format(parts[0], *cells).rstrip()
        return parts

    def totals_line(self, label: str, cells: Sequence[str]) -> str:
        """Columns (d)-(h) under the rows, ``label`` (cut with "…") before them."""
        label = clean(label)
        if len(label) > self.label:
            label = label[:self.label - 1] + "…"
        return self.totals_format.format(label, *cells).rstrip()


def description_lines(text: str, width: int, max_lines: int = 30) -> list[str]:
    """Column (a) as lines of at most ``width`` characters: wrapped at spaces, a longer
    word cut hard; more than ``max_lines`` lines end with "…" (a third of a page: the
    workbook and CSV hold the rest)."""
    text = text if text.isprintable() else clean(text)
    if len(text) <= width:
        return [text]
    lines = textwrap.wrap(text, width, break_on_hyphens=False, expand_tabs=False) or [""]
    if len(lines) > max_lines:
        lines = lines[:max_lines - 1] + [lines[max_lines - 1][:width - 1] + "…"]
    return lines


class RowLines:
    """A row as printed (``StatementLayout.row_lines`` of ``pdf_8949.row_values``), faster:
    dates are cached, money is formatted inline, and a description that fits its column
    skips wrapping (tests/test_perf_pdf.py proves the equality on random rows)."""

    def __init__(self, layout: StatementLayout, whole: bool) -> None:
        self.layout = layout
        self._format = layout.row_format.format
        self._width = layout.description
        self._spec = ",.0f" if whole else ",.2f"
        self._dates: dict[date, str] = {}

    def _date(self, value: date) -> str:
        text = self._dates.get(value)
        if text is None:
            text = self._dates[value] = us_date(value)
        return text

    def _money(self, value: Decimal) -> str:
        """``pdf_common.money``: the sign of ``format`` turned into parentheses (a negative
        zero prints unsigned, a negative amount that rounds to zero in parentheses)."""
        text = format(value, self._spec)
        if text[0] == "-":
            return f"({text[1:]})" if value < 0 else text[1:]
        return text

    def __call__(self, row: Form8949Row) -> list[str]:
        acquired, sold, code, adjustment = row.date_acquired, row.date_sold, row.code, \
            row.adjustment
        if acquired is None:
            b = "" if row.summary else "VARIOUS"
        else:
            b = self._date(acquired)
        c = "" if sold is None else self._date(sold)
        money_ = self._money
        if adjustment == 0:
            g = "-0-" if code else ""
        else:
            g = money_(adjustment)
        description = row.description
        if len(description) <= self._width and description.isprintable():
            return [self._format(description, b, c, money_(row.proceeds),
                                 money_(row.cost_basis), code, g, money_(row.gain)).rstrip()]
        return self.layout.row_lines(description, (b, c, money_(row.proceeds),
                                                   money_(row.cost_basis), code, g,
                                                   money_(row.gain)))
