"""Cell-level readers shared by every layout: a row with its source and column-error
helpers, timestamps to aware UTC, and legs as :class:`Amount` (design.md §5).

Re-exported by :mod:`taxmargin.importers.base`, where layouts usually import them from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone, tzinfo
from decimal import Decimal

from dateutil import parser as date_parser

from taxmargin.errors import RowError
from taxmargin.models import Amount, SourceRef
from taxmargin.money import DecimalParseError, parse_decimal

__all__ = ["RowContext", "EARLIEST", "LATEST", "parse_utc", "fixed_offset", "amount"]


@dataclass(frozen=True, slots=True)
class RowContext:
    """A data row with its source, and helpers that record column errors."""

    source: SourceRef
    cells: dict[str, str]
    errors: list[RowError] = field(default_factory=list)

    def get(self, column: str) -> str:
        return self.cells.get(column, "").strip()

    def fail(self, column: str, message: str, value: str | None = None) -> None:
        self.errors.append(
            RowError(self.source, column, self.get(column) if value is None else value, message)
        )

    def decimal(self, column: str, *, signed: bool = False, required: bool = True) -> Decimal | None:
        """Parse a number column; records an error and returns None when it is bad."""
        raw = self.get(column)
        if raw == "":
            if required:
                self.fail(column, "is required")
            return None
        try:
            return parse_decimal(raw, allow_negative=signed)
        except DecimalParseError as exc:
            self.fail(column, str(exc))
            return None

    def time(self, column: str, default_tz: tzinfo = timezone.utc, *, dayfirst: bool = False) -> datetime | None:
        raw = self.get(column)
        if raw == "":
            self.fail(column, "is required")
            return None
        try:
            return parse_utc(raw, default_tz, dayfirst=dayfirst)
        except ValueError as exc:
            self.fail(column, str(exc))
            return None


#: Earliest and latest times accepted (Bitcoin's genesis block; a sane future bound).
EARLIEST = datetime(2009, 1, 3, tzinfo=timezone.utc)
LATEST = datetime(2100, 1, 1, tzinfo=timezone.utc)


def parse_utc(text: str, default_tz: tzinfo = timezone.utc, *, dayfirst: bool = False) -> datetime:
    """Parse a timestamp to aware UTC. A stated offset wins; otherwise ``default_tz``.

    Accepts ISO 8601 and the usual exchange forms (``2023-11-19 22:13:33``,
    ``23-11-19 22:13:33``, ``11/19/2023 22:13``). Rejects times before 2009-01-03 or
    after 2100 (typos or hostile input).
    """
    raw = text.strip()
    if len(raw) > 64:
        raise ValueError("not a date/time (too long)")
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        try:
            value = date_parser.parse(raw, dayfirst=dayfirst)
        except (ValueError, OverflowError, TypeError):
            raise ValueError("not a date/time") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=default_tz)
    value = value.astimezone(timezone.utc)
    if value < EARLIEST or value >= LATEST:
        raise ValueError("date/time outside 2009-01-03 .. 2099-12-31")
    return value


def fixed_offset(hours: float) -> tzinfo:
    return timezone(timedelta(hours=hours))


def amount(quantity: Decimal | None, asset: str) -> Amount | None:
    """An :class:`Amount` for a positive quantity, else None (zero legs are no legs)."""
    if quantity is None or quantity == 0 or not asset:
        return None
    return Amount(abs(quantity), asset)
