"""Helpers shared by the Coinbase and Kraken layouts: row accounting and money cells.

:class:`ResultBuilder` collects what a layout makes of a file (events with the number of
rows each was built from, known non-taxable rows, rejected rows, diagnostics) and returns
the :class:`~taxmargin.importers.base.ImportResult`, so that every row read lands in
exactly one bucket (issue 7). It lives here because ``importers/base.py`` is not ours to
edit; the Kraken modules import it from this module.

:func:`parse_money` reads Coinbase money cells with currency symbols and thousands
separators (exchange-formats.md P6: ``$1.00``, ``"$16,047.61"``, ``-€597.49846``,
``€3343.11229989``, a bare ``-15.62``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import cast

from taxmargin.errors import Diagnostic, RowError, Severity
from taxmargin.importers.base import CsvLayout, ImportResult, Layout, NonTaxableRow, RowContext
from taxmargin.models import EventBase, SourceRef
from taxmargin.money import DecimalParseError, parse_decimal

__all__ = ["ResultBuilder", "parse_money", "money_cell", "fail_rows", "as_layouts"]

#: optional sign, optional currency prefix (``$``, ``€``, ``£``, ``CA$``, ``A$``...), sign
#: again (``$-5``), then the number. Anything else in the cell is an error, not stripped.
_MONEY = re.compile(r"\s*(-)?\s*(?:[A-Z]{0,3}[$€£¥₹])?\s*(-)?\s*([0-9][0-9,]*(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?|\.[0-9]+)\s*")


def parse_money(raw: str) -> Decimal:
    """A signed Decimal from a money cell with an optional currency symbol (P6).

    Raises :class:`DecimalParseError` with a user-facing reason.
    """
    match = _MONEY.fullmatch(raw)
    if match is None:
        raise DecimalParseError("not a number")
    negative = bool(match.group(1) or match.group(2))
    value = parse_decimal(match.group(3), allow_negative=False)
    return -value if negative else value


def money_cell(ctx: RowContext, column: str, *, required: bool) -> Decimal | None:
    """Parse a money column of ``ctx``; records a column error and returns None when bad."""
    raw = ctx.get(column)
    if raw in ("", '""'):
        if required:
            ctx.fail(column, "is required")
        return None
    try:
        return parse_money(raw)
    except DecimalParseError as exc:
        ctx.fail(column, str(exc))
        return None


def fail_rows(sources: list[SourceRef], column: str, value: str, message: str) -> list[RowError]:
    """The same rejection for several rows (e.g. every leg of a broken trade group)."""
    return [RowError(source, column, value, message) for source in sources]


@dataclass
class ResultBuilder:
    """Mutable collector used inside one ``parse`` call; :meth:`result` freezes it."""

    layout: str
    rows_read: int = 0
    events: list[EventBase] = field(default_factory=list)
    rows_per_event: list[int] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    non_taxable: list[NonTaxableRow] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def add(self, event: EventBase, rows: int = 1) -> None:
        """An event built from ``rows`` input rows (0 for a second event of a row)."""
        self.events.append(event)
        self.rows_per_event.append(rows)

    def skip(self, source: SourceRef, reason: str) -> None:
        """A row knowingly not turned into an event."""
        self.non_taxable.append(NonTaxableRow(source, reason))

    def reject(self, errors: list[RowError]) -> None:
        self.errors.extend(errors)

    def note(self, code: str, message: str, source: SourceRef | None = None, *,
             severity: Severity = Severity.INFO) -> None:
        self.diagnostics.append(Diagnostic(severity, code, message, source))

    def note_once(self, code: str, message: str, source: SourceRef | None = None, *,
                  severity: Severity = Severity.INFO) -> None:
        """A diagnostic that is shown once per file (e.g. ``assumed-timezone``)."""
        if not any(d.code == code for d in self.diagnostics):
            self.note(code, message, source, severity=severity)

    def result(self) -> ImportResult:
        """Events in booking order ``(time, path, line, seq)``; errors by line."""
        order = sorted(range(len(self.events)), key=lambda i: self.events[i].sort_key)
        return ImportResult(
            layout=self.layout,
            events=tuple(self.events[i] for i in order),
            errors=tuple(sorted(self.errors, key=lambda e: (e.source.line, e.column))),
            rows_read=self.rows_read,
            rows_in_events=sum(self.rows_per_event),
            non_taxable=tuple(sorted(self.non_taxable, key=lambda n: n.source.line)),
            diagnostics=tuple(self.diagnostics),
            rows_per_event=tuple(self.rows_per_event[i] for i in order),
        )


def as_layouts(layouts: Sequence[CsvLayout]) -> tuple[Layout, ...]:
    """The layouts typed as :class:`Layout` (base.Layout declares ``name`` as an instance
    attribute, CsvLayout as a ClassVar; every instance has it — same cast as other modules)."""
    return tuple(cast(Layout, layout) for layout in layouts)
