"""CSV imports for online tax software: TurboTax Online and TaxAct, one row per Form 8949
detail row (Exception 2 summary rows are never exported).

TurboTax Online (``turbotax-online-YYYY.csv``): the gains/losses CSV that TurboTax Online
accepts for crypto from an unsupported source, with the five columns ``Currency Name,
Purchase Date, Cost Basis, Date Sold, Proceeds``. Intuit's own page for this layout is no
longer published in English; the columns are those shown by public TurboTax-upload
converters (github.com/jdc-cunningham/cbp-csv-parser-for-turbotax README; an older
variant with the same five fields, ``ASSET NAME, RECEIVED DATE, COST BASIS(USD), DATE
SOLD, PROCEEDS``, is quoted at nickdnickd.com/posts/2021-3-1-crypto-taxes). Intuit's
current help page for crypto CSVs (ttlc.intuit.com, "Cómo creo un archivo CSV", es-US)
says negative numbers make the upload fail and numbers are limited to 8 decimal places:
amounts here are non-negative cents as on the form, dates MM/DD/YYYY, "VARIOUS" when a
row has several acquisition dates. The layout has no column (f)/(g): rows with an
adjustment code import without their adjustment, and TurboTax decides the term and box
itself, so check Form 8949 after importing.

TaxAct (``taxact-YYYY.csv``): "Form 1099-B - Create Your Own Spreadsheet (CSV File)",
taxact.com/support/882: required columns Description, Date Acquired, Date Sold, Sales
Proceeds, Cost or Other Basis; optional Adjustment Code, Adjustment Amount, Reporting
Category (the Form 8949 box) and Long/Short (needed when Date Acquired is "Various").
taxmargin writes the 2025 box letter (A-L) as the reporting category; TaxAct's page lists
the 1099-B categories A-F, so a version without the 1099-DA boxes needs G-L changed to
A-F (G->A, H->B, I->C, J->D, K->E, L->F, the same mapping as the TXF file).

Text cells that start with ``=``, ``+``, ``-``, ``@``, tab or CR get a leading ``'`` so a
spreadsheet opening the CSV never runs them as formulas (OWASP CSV injection).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import cache
from datetime import date
from decimal import Decimal
from pathlib import Path

from taxmargin.reports.atomic import atomic_text
from taxmargin.reports.forms import Form8949Row, TaxForms

__all__ = [
    "TAXACT_COLUMNS",
    "TURBOTAX_COLUMNS",
    "us_date",
    "safe_text",
    "write_taxact_csv",
    "write_turbotax_online_csv",
]

TURBOTAX_COLUMNS = ("Currency Name", "Purchase Date", "Cost Basis", "Date Sold", "Proceeds")
TAXACT_COLUMNS = ("Description", "Date Acquired", "Date Sold", "Sales Proceeds",
                  "Cost or Other Basis", "Adjustment Code", "Adjustment Amount",
                  "Reporting Category", "Long/Short")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: str) -> str:
    """Input text for a CSV cell: one line, never read as a formula by a spreadsheet."""
    value = value.replace("\r", " ").replace("\n", " ")
    return "'" + value if value.startswith(_FORMULA_START) else value


@cache
def _us(value: date) -> str:
    return value.strftime("%m/%d/%Y")


def us_date(value: date | None, missing: str) -> str:
    """``MM/DD/YYYY`` text of a date (``missing`` for None), each distinct date formatted
    once (``strftime`` is slow and a year has a few hundred distinct dates); shared by the
    TXF and CSV writers."""
    return missing if value is None else _us(value)


def _cents(value: Decimal) -> str:
    return f"{value:.2f}"


def _turbotax(rows: Iterable[Form8949Row]) -> Iterator[list[str]]:
    for row in rows:
        yield [safe_text(row.asset or row.description), us_date(row.date_acquired, "VARIOUS"),
               f"{row.cost_basis:.2f}", us_date(row.date_sold, ""), f"{row.proceeds:.2f}"]


def _taxact(rows: Iterable[Form8949Row]) -> Iterator[list[str]]:
    for row in rows:
        adjustment = _cents(row.adjustment) if row.code or row.adjustment else ""
        yield [safe_text(row.description), us_date(row.date_acquired, "Various"),
               us_date(row.date_sold, ""), f"{row.proceeds:.2f}", f"{row.cost_basis:.2f}",
               safe_text(row.code), adjustment, row.box,
               "Short" if row.term == "short" else "Long"]


def _write(forms: TaxForms, target: Path, header: Sequence[str],
           build: Callable[[Iterable[Form8949Row]], Iterator[list[str]]]) -> Path:
    with atomic_text(target, newline="") as out:
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(build(forms.form_8949.rows))
    return target


def write_turbotax_online_csv(forms: TaxForms, target: Path) -> Path:
    """``turbotax-online-YYYY.csv``: Currency Name, Purchase Date, Cost Basis, Date Sold,
    Proceeds (module doc)."""
    return _write(forms, target, TURBOTAX_COLUMNS, _turbotax)


def write_taxact_csv(forms: TaxForms, target: Path) -> Path:
    """``taxact-YYYY.csv``: TaxAct's Form 1099-B spreadsheet import columns (module doc)."""
    return _write(forms, target, TAXACT_COLUMNS, _taxact)
