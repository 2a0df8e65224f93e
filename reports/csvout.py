"""form8949.csv: one row per Form 8949 detail row, with the same keys as a forms.json
``form_8949`` entry (interfaces.md §4); ``sources`` joined by ``;``, booleans as
``true``/``false``. Computes nothing (it reuses ``jsonout.row_to_dict``).

Text cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``,
``@``, tab or carriage return) are prefixed with ``'`` (CSV injection, OWASP); amounts
are never touched, so ``-25.00`` stays a number.
"""

from __future__ import annotations

import csv
from pathlib import Path

from taxmargin.reports.atomic import atomic_text
from taxmargin.reports.forms import TaxForms
from taxmargin.reports.jsonout import row_to_dict

__all__ = ["COLUMNS", "FILE_NAME", "csv_rows", "write"]

FILE_NAME = "form8949.csv"
COLUMNS: tuple[str, ...] = (
    "part", "box", "description", "date_acquired", "date_sold", "proceeds", "cost_basis",
    "code", "adjustment", "gain", "account", "asset", "quantity", "short_sale", "liquidation",
    "sources", "term", "purpose",
)
_TEXT_COLUMNS = frozenset({"description", "account", "asset", "sources"})
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(column: str, value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        text = ";".join(str(v) for v in value)
    else:
        text = str(value)
    if column in _TEXT_COLUMNS and text.startswith(_FORMULA_START):
        return "'" + text
    return text


def csv_rows(forms: TaxForms) -> list[dict[str, str]]:
    """The CSV records, one per detail row in print order."""
    return [
        {column: _cell(column, record[column]) for column in COLUMNS}
        for record in (row_to_dict(r) for r in forms.form_8949.rows)
    ]


def write(forms: TaxForms, out_dir: Path) -> list[Path]:
    """Write ``out_dir/form8949.csv`` atomically; returns ``[path]``."""
    target = out_dir / FILE_NAME
    with atomic_text(target, newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(COLUMNS), lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(csv_rows(forms))
    return [target]
