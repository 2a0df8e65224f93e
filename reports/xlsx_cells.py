"""Workbook cells: the openpyxl cells of the general path, and the column kinds shared
with the serialized rows of the fast path (``xlsx_xml``, issue 6).

Text from input files (descriptions, accounts, assets, sources, notes, diagnostics, the
taxpayer name) can never become a formula (CSV/formula injection, OWASP): every such cell
is an inline string (``t="inlineStr"``: Excel stores and shows it as text, whatever its
first character), and a value starting with ``=``, ``+``, ``-``, ``@``, tab or carriage
return is also prefixed with a single quote ``'``, so the text stays inert even after the
sheet is exported to CSV and reopened. The quote is then part of the visible text; that is
the documented price of the second guard. Characters XML cannot hold (control characters,
U+FFFE, U+FFFF, lone surrogates) are dropped and text is cut at Excel's 32,767-character
cell limit (``clean_text``).

A table column has a *kind* (``TEXT``, ``MONEY``, ``MONEY_IF``, ``DATE``, ``VARIOUS``,
``UTC_TIME``, ``PLAIN``); ``cell(ws, kind, value)`` is its openpyxl cell.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

__all__ = [
    "DATE",
    "DATE_FORMAT",
    "MONEY",
    "MONEY_FORMAT",
    "MONEY_IF",
    "PLAIN",
    "TEXT",
    "TIME_FORMAT",
    "UTC_TIME",
    "VARIOUS",
    "Cell",
    "amount",
    "cell",
    "clean_text",
    "day",
    "formula",
    "text",
    "utc",
]

MONEY_FORMAT = '#,##0.00_);(#,##0.00)'
DATE_FORMAT = "mm/dd/yyyy"
TIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_BOLD = Font(bold=True)
_MAX_TEXT = 32_767

#: Column kinds: input text; money (a Decimal, or None: an empty currency cell); money or
#: no cell at all (None); a date, or "" when missing; a date,
#: or "VARIOUS" when missing (Form 8949 (b)); a UTC time, or "" when missing; a plain
#: bool, int or None (None: no cell).
TEXT, MONEY, MONEY_IF, DATE, VARIOUS, UTC_TIME, PLAIN = (
    "text", "money", "money_if", "date", "various", "utc", "plain")

Cell = Any  # a WriteOnlyCell, a plain int/bool, or None for an empty cell


def clean_text(value: str) -> str:
    """``value`` as it is stored: unstorable characters dropped, a formula-like start
    quoted, cut at the cell limit (module doc)."""
    if _ILLEGAL.search(value) is not None:
        value = _ILLEGAL.sub("", value)
    if value.startswith(_FORMULA_START):
        value = "'" + value
    return value[:_MAX_TEXT]


def text(ws: Any, value: str, bold: bool = False) -> Any:
    """A cell that holds ``value`` as text and can never run as a formula (module doc)."""
    cell = WriteOnlyCell(ws, value=clean_text(value))
    cell.data_type = "s"
    if bold:
        cell.font = _BOLD
    return cell


def amount(ws: Any, value: Decimal | None, bold: bool = False) -> Any:
    """A money cell holding the Decimal the form holds (openpyxl writes it with 16
    significant digits: exact for any amount below $100 trillion), currency-formatted."""
    cell = WriteOnlyCell(ws, value=value)
    cell.number_format = MONEY_FORMAT
    if bold:
        cell.font = _BOLD
    return cell


def day(ws: Any, value: date | None, missing: str = "") -> Any:
    """A date cell (MM/DD/YYYY), or ``missing`` as text ("VARIOUS")."""
    if value is None:
        return text(ws, missing)
    cell = WriteOnlyCell(ws, value=value)
    cell.number_format = DATE_FORMAT
    return cell


def utc(ws: Any, value: datetime | None) -> Any:
    """A UTC time (Excel has no time zones: the header says UTC)."""
    if value is None:
        return text(ws, "")
    cell = WriteOnlyCell(ws, value=value.astimezone(UTC).replace(tzinfo=None))
    cell.number_format = TIME_FORMAT
    return cell


def formula(ws: Any, expression: str, money: bool = True) -> Any:
    """A formula cell we wrote ourselves (never built from input text)."""
    cell = WriteOnlyCell(ws, value=expression)
    cell.font = _BOLD
    if money:
        cell.number_format = MONEY_FORMAT
    return cell


_CELLS: dict[str, Callable[[Any, Any], Cell]] = {
    TEXT: text, MONEY: amount, MONEY_IF: lambda ws, v: None if v is None else amount(ws, v), DATE: day, VARIOUS: lambda ws, v: day(ws, v, "VARIOUS"),
    UTC_TIME: utc, PLAIN: lambda ws, v: v,
}


def cell(ws: Any, kind: str, value: Any) -> Cell:
    """The openpyxl cell of a ``kind`` column (the general path)."""
    return _CELLS[kind](ws, value)
