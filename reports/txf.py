"""TurboTax Desktop import: ``taxmargin-YYYY.txf`` (TXF v042), plus the two CSV imports
written by ``txf_csv`` (``report --format txf`` writes all three).

Format (TXF v042, "Tax Exchange Format", as republished at
taxdataexchange.org/docs/txf/v042/index.html and .../v042/form-1099-b.html; the Intuit
original, turbotax.intuit.com/txf/TXF042.jsp, is no longer online):

- An ASCII file of lines ("fields"), CR LF line ends preferred. Each field is one line: a
  one-character type then its data. Each record ends with a line holding only ``^``.
- Header record: ``V042`` (version), ``A<program>``, ``D<export date MM/DD/YYYY>``, ``^``.
- One detail record per Form 8949 row (record format 4 of the 1099-B reference numbers):
  ``TD`` (detail), ``N<reference number>``, ``C1`` (copy 1), ``L1`` (line 1),
  ``P<description>``, ``D<date acquired>``, ``D<date sold>``, ``$<cost basis>``,
  ``$<sales net proceeds>``, ``^``. A row with code W in column (f) uses record format 5,
  whose third amount is the wash-sale loss disallowed. Amounts are plain decimals with a
  leading ``-`` for negatives and no ``$`` sign or commas inside the data (the spec's
  samples: ``$1000.00``, ``$-625.00``). Dates are MM/DD/YYYY; a date acquired that is
  not one day prints ``VARIOUS`` [I8949 col (b)].

Reference numbers (form-1099-b.html table): Part I box A 321, box B 711, box C 712;
Part II box D 323, box E 713, box F 714. TXF v042 predates Form 1099-DA and has no numbers
for the 2025 digital-asset boxes G-L, so each maps to the 1099-B box with the same
reporting status (tax-rules.md §1.2), which also feeds the same Schedule D line:
G -> 321 (A, line 1b), H -> 711 (B, line 2), I -> 712 (C, line 3), J -> 323 (D, line 8b),
K -> 713 (E, line 9), L -> 714 (F, line 10). Schedule D totals therefore come out right;
TurboTax shows such rows under box A-F, which the user must switch to G-L (I/L: "no
1099-DA received") when TurboTax asks about the digital-asset box.

Limits of the format: TXF 1099-B records carry no adjustment code other than the wash-sale
amount, so rows with other codes in column (f) (B, E, L, M, O, T ...) import without
their column (g) adjustment; ``form8949.pdf`` and the workbook carry them. Only the
detail rows are exported (never Exception 2 summary rows).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

from taxmargin.reports.atomic import atomic_text
from taxmargin.reports.forms import Form8949Row, TaxForms
from taxmargin.reports.txf_csv import us_date, write_taxact_csv, write_turbotax_online_csv

__all__ = ["REFERENCE_NUMBERS", "records", "write", "write_txf"]

#: Form 8949 box -> TXF v042 reference number (module doc).
REFERENCE_NUMBERS = {"A": 321, "B": 711, "C": 712, "D": 323, "E": 713, "F": 714,
                     "G": 321, "H": 711, "I": 712, "J": 323, "K": 713, "L": 714}
_NON_PRINTABLE = re.compile(r"[^\x20-\x7e]")


def _ascii(text: str) -> str:
    """One printable-ASCII line: TXF files are ASCII and a field is exactly one line, so a
    line break in a description could otherwise start a forged record."""
    return _NON_PRINTABLE.sub("?", text).strip()


def _amount(value: Decimal) -> str:
    return f"${value:.2f}"


def records(forms: TaxForms) -> Iterator[list[str]]:
    """The header record, then one record per Form 8949 detail row (fields, no ``^``)."""
    exported = forms.generated.date() if forms.generated else date.today()
    yield ["V042", "Ataxmargin", "D" + us_date(exported, "")]
    for row in forms.form_8949.rows:
        yield _record(row)


def _record(row: Form8949Row) -> list[str]:
    fields = ["TD", _REFERENCE_FIELD[row.box], "C1", "L1",
              "P" + _ascii(row.description), "D" + us_date(row.date_acquired, "VARIOUS"),
              "D" + us_date(row.date_sold, ""), f"${row.cost_basis:.2f}", f"${row.proceeds:.2f}"]
    if "W" in row.code:
        fields.append(_amount(row.adjustment))  # record format 5: wash-sale loss disallowed
    return fields


#: The ``N`` field of each box (:data:`REFERENCE_NUMBERS`).
_REFERENCE_FIELD = {box: f"N{number}" for box, number in REFERENCE_NUMBERS.items()}


def write_txf(forms: TaxForms, target: Path) -> Path:
    """Write the TXF file (CR LF line ends, as the spec prefers)."""
    with atomic_text(target, newline="") as out:
        out.writelines("\r\n".join([*fields, "^\r\n"]) for fields in records(forms))
    return target


def write(forms: TaxForms, out_dir: Path) -> list[Path]:
    """``taxmargin-YYYY.txf``, ``turbotax-online-YYYY.csv`` and ``taxact-YYYY.csv``."""
    out = Path(out_dir)
    year = forms.tax_year
    return [write_txf(forms, out / f"taxmargin-{year}.txf"),
            write_turbotax_online_csv(forms, out / f"turbotax-online-{year}.csv"),
            write_taxact_csv(forms, out / f"taxact-{year}.csv")]
