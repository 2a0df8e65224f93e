"""One Form 8949 row of a tax year before rounding (tax-rules.md §1.2, §1.3, §6)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from taxmargin.booking import Disposal, Term
from taxmargin.frozen import positional

__all__ = ["YearRow", "make_year_row"]


@dataclass(frozen=True, slots=True)
class YearRow:
    """One disposal of the year with its tax dates (§6.3), term (§6.1 or the U2
    ``term_override``) and box (§1.2). Amounts are still exact; ``reports.build`` rounds."""

    disposal: Disposal
    date_acquired: date
    date_sold: date
    term: Term
    box: str

    @property
    def part(self) -> str:
        """Form 8949 Part I (short-term) or Part II (long-term) [F8949]."""
        return "II" if self.term is Term.LONG else "I"


#: ``YearRow(disposal, date_acquired, date_sold, term, box)``, positional, faster
#: (``taxmargin.frozen``): one per Form 8949 row.
make_year_row = positional(YearRow)
