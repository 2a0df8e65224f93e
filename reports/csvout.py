"""form8949.csv: one row per Form 8949 detail row, with the same keys as a forms.json
``form_8949`` entry (interfaces.md §4); ``sources`` joined by ``;``, booleans as
``true``/``false``. Computes nothing (it reuses ``jsonout.row_values``).

Text cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``,
``@``, tab or carriage return) are prefixed with ``'`` (CSV injection, OWASP); amounts
are never touched, so ``-25.00`` stays a number.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from pathlib import Path

from taxmargin.reports.atomic import atomic_text
from taxmargin.reports.forms import Form8949Row, TaxForms
from taxmargin.reports.jsonout import ROW_KEYS, rows_values

from taxmargin.gcpause import gc_paused

__all__ = ["COLUMNS", "FILE_NAME", "csv_cells", "csv_records", "csv_rows", "write"]

FILE_NAME = "form8949.csv"
#: The keys of a forms.json ``form_8949`` entry, in that order.
COLUMNS: tuple[str, ...] = ROW_KEYS
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _guard(text: str) -> str:
    """Prefix a text cell that a spreadsheet would run as a formula with ``'``."""
    return "'" + text if text.startswith(_FORMULA_START) else text


_TRUE_FALSE = ("false", "true")


def csv_cells(row: Form8949Row) -> list[str]:
    """One CSV record in :data:`COLUMNS` order: the values of ``jsonout.row_values``,
    booleans as ``true``/``false``, ``sources`` joined by ``;``, the text columns
    (description, account, asset, sources) guarded against formulas."""
    return next(csv_records((row,)))


def csv_records(rows: Iterable[Form8949Row]) -> Iterator[list[str]]:
    """:func:`csv_cells` of each row, in one loop over ``jsonout.rows_values``; the guarded
    account and asset texts, which repeat from row to row, are made once each."""
    guarded: dict[str, str] = {}
    get, put, flag = guarded.get, guarded.setdefault, _TRUE_FALSE
    for (part, box, description, acquired, sold, proceeds, basis, code, adjustment, gain, account,
         asset, quantity, short_sale, liquidation, sources, term, purpose) in rows_values(rows):
        yield [
            part, box, _guard(description), acquired, sold, proceeds, basis, code, adjustment, gain,
            get(account) or put(account, _guard(account)), get(asset) or put(asset, _guard(asset)), quantity,
            flag[short_sale], flag[liquidation], _guard(";".join(sources)), term, purpose,
        ]


def csv_rows(forms: TaxForms) -> list[dict[str, str]]:
    """The CSV records, one per detail row in print order."""
    return [dict(zip(COLUMNS, csv_cells(r))) for r in forms.form_8949.rows]


@gc_paused()  # short-lived text only (taxmargin.gcpause)
def write(forms: TaxForms, out_dir: Path) -> list[Path]:
    """Write ``out_dir/form8949.csv`` atomically, row by row; returns ``[path]``."""
    target = out_dir / FILE_NAME
    with atomic_text(target, newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(COLUMNS)
        writer.writerows(csv_records(forms.form_8949.rows))
    return [target]
