"""Binance Transaction History statement, three header versions (exchange-formats.md §1.1).

* v1 (<=2021): ``UTC_Time,Account,Operation,Coin,Change,Remark``
* v2 (2021-2025): ``User_ID,UTC_Time,Account,Operation,Coin,Change,Remark`` — unquoted,
  fully quoted, all-but-User_ID quoted, BOM-prefixed, or the broken whole-row-quoted form
  ``"User_ID,""UTC_Time"",..."`` (P1, P3)
* v3 (2026): ``\\ufeffUser ID,Time,Account,Operation,Coin,Change,Remark`` with two-digit
  years ``26-01-05 09:30:00`` (P9) [CTM]

Each version is its own class; the column sets are exclusive (strict), so exactly one
matches. ``Remark`` may be missing from the header and from rows (short rows, [ROTKI]).
Time zone: v1/v2 ``UTC_Time`` is UTC (stated in the header). v3 ``Time`` states none: UTC,
the zone of its predecessor, is assumed with a Diagnostic ``assumed-timezone``.
``User_ID`` is never copied into events (privacy).
"""

from __future__ import annotations

import csv
import dataclasses
from typing import ClassVar

from taxmargin.errors import RowError, Severity
from taxmargin.importers.base import CsvLayout, FileText, ImportResult, Layout, RowContext
from taxmargin.importers.binance_common import as_layouts, Collector, parse_exchange_time, valid_asset
from taxmargin.importers.binance_statement_events import StatementRow, build_events
from taxmargin.importers.binance_vocab import ACCOUNTS, operation_kind

__all__ = ["StatementV1", "StatementV2", "StatementV3", "LAYOUTS"]


def _single_cell(line: str) -> str | None:
    """The inner text when ``line`` is one quoted CSV field holding a whole row (P3)."""
    try:
        cells = next(csv.reader([line]))
    except (csv.Error, StopIteration):
        return None
    return cells[0] if len(cells) == 1 and "," in cells[0] else None


def _whole_row_quoted(file: FileText) -> bool:
    """True when the first non-blank line is one quoted field holding the header (P3)."""
    header = next((line for line in file.head_lines(12) if line.strip()), "").lstrip("\ufeff")
    return header.startswith('"') and _single_cell(header) is not None


def _unwrap_lines(lines: list[str]) -> str:
    out = []
    for line in lines:
        body = line.rstrip("\r")
        inner = _single_cell(body.lstrip("\ufeff")) if body.strip() else None
        out.append((inner if inner is not None else body) + line[len(body):])
    return "\n".join(out)


def unwrap_whole_rows(file: FileText, *, head_only: bool = False) -> FileText | None:
    """The file with every whole-row-quoted line unwrapped, or None when the header is not
    quoted that way. Line numbers are unchanged (one physical line per row). ``head_only``
    unwraps just the first lines (enough for detection, cheap on big files)."""
    if not _whole_row_quoted(file):
        return None
    lines = file.head_lines(12) if head_only else file.text.split("\n")
    return dataclasses.replace(file, text=_unwrap_lines(lines))


class _Statement(CsvLayout):
    """Shared reading of the three versions; subclasses set the columns and the time form."""

    time_column: ClassVar[str] = "UTC_Time"
    two_digit_year: ClassVar[bool] = False
    zone_stated: ClassVar[bool] = True
    extra_columns = ("Remark",)
    strict_columns = True

    def detect(self, file: FileText) -> bool:
        if self.find_header(file) is not None:
            return True
        unwrapped = unwrap_whole_rows(file, head_only=True)
        return unwrapped is not None and self.find_header(unwrapped) is not None

    def _read(self, ctx: RowContext) -> StatementRow | None:
        """A validated row, or None with the column errors recorded on ``ctx``."""
        raw_time = ctx.get(self.time_column)
        time = None
        if raw_time == "":
            ctx.fail(self.time_column, "is required")
        else:
            try:
                time = parse_exchange_time(raw_time, two_digit_year=self.two_digit_year)
            except ValueError as exc:
                ctx.fail(self.time_column, str(exc))
        account = ctx.get("Account")
        account_type = ACCOUNTS.get(account)
        if account_type is None:
            ctx.fail("Account", "is required" if not account else "unknown Binance sub-account")
        operation = ctx.get("Operation")
        kind = operation_kind(account_type or "spot", operation)
        if kind is None and account_type is not None:
            ctx.fail("Operation", "is required" if not operation else f"unknown operation for account '{account}'")
        coin = ctx.get("Coin")
        if not coin or not valid_asset(coin):
            ctx.fail("Coin", "is required" if not coin else "not an asset code")
        change = ctx.decimal("Change", signed=True)
        if ctx.errors or time is None or account_type is None or kind is None or change is None:
            return None
        return StatementRow(ctx.source, time, account, account_type, operation, kind[0], kind[1],
                            coin, change, ctx.get("Remark"))

    def parse(self, file: FileText) -> ImportResult:
        if self.find_header(file) is None:
            file = unwrap_whole_rows(file) or file
        out = Collector(self.name)
        rows: list[StatementRow] = []
        for item in self.rows(file):
            out.rows_read += 1
            if isinstance(item, RowError):
                out.reject([item])
                continue
            row = self._read(item)
            if row is None:
                out.reject(item.errors)
            else:
                rows.append(row)
        if not self.zone_stated:
            out.note(Severity.WARNING, "assumed-timezone",
                     f"{file.name}: the '{self.time_column}' column states no time zone; UTC assumed "
                     "(the zone of the earlier UTC_Time header)", None)
        build_events(rows, out)
        return out.result()


class StatementV1(_Statement):
    name = "binance-statement-v1"
    description = "Binance Transaction History, v1 header (UTC_Time, no User_ID), up to 2021"
    columns = ("UTC_Time", "Account", "Operation", "Coin", "Change")


class StatementV2(_Statement):
    name = "binance-statement-v2"
    description = "Binance Transaction History, v2 header (User_ID, UTC_Time), 2021-2025"
    columns = ("User_ID", "UTC_Time", "Account", "Operation", "Coin", "Change")


class StatementV3(_Statement):
    name = "binance-statement-v3"
    description = "Binance Transaction History, 2026 header (User ID, Time, two-digit years)"
    columns = ("User ID", "Time", "Account", "Operation", "Coin", "Change")
    time_column = "Time"
    two_digit_year = True
    zone_stated = False


LAYOUTS: tuple[Layout, ...] = as_layouts(StatementV1(), StatementV2(), StatementV3())
