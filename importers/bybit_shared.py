"""Helpers shared by the Bybit, KuCoin, Phemex and Crypto.com importers (one issue).

Candidates for ``importers/base.py`` (not edited here: it belongs to the core):

* :class:`Collector` — accumulates events, row errors, non-taxable rows and diagnostics and
  keeps the row accounting of ``ImportResult`` exact: a physical line is in events, in
  ``non_taxable`` or in ``errors``, never in two of them (a bug raises).
* :func:`read_rows` — the data rows of a :class:`CsvLayout`, CSV-level errors rejected.
* :func:`assemble_trade` — one trade from the signed flows and fees of several rows
  (exchange-formats.md P13: a trade is several rows).
* :func:`header_offset` / :class:`OffsetHeaderLayout` — headers that state their zone
  (``Filled Time(UTC+02:00)``, P10).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from typing import ClassVar, TypedDict, cast

from taxmargin.importers.base import (
    CsvLayout,
    FileText,
    ImportResult,
    Layout,
    NonTaxableRow,
    RowContext,
    _split_header,
    parse_utc,
)

from taxmargin.errors import Diagnostic, RowError, Severity
from taxmargin.models import Amount, EventBase, Fee, SourceRef, Trade
from taxmargin.money import ZERO, DecimalParseError, parse_decimal

__all__ = [
    "NO_VALUE",
    "Collector",
    "OffsetHeaderLayout",
    "TradeShape",
    "Where",
    "assemble_trade",
    "header_offset",
    "layouts",
    "number",
    "read_rows",
    "row_time",
    "trade_events",
    "usd_value",
    "where",
]

#: Cells meaning "no value" (Bybit writes ``--``).
NO_VALUE = frozenset({"", "--"})


class Where(TypedDict):
    """The fields every event of a row shares, spread into event constructors."""

    time: datetime
    account: str
    source: SourceRef


def where(time: datetime, account: str, source: SourceRef) -> Where:
    return Where(time=time, account=account, source=source)


def layouts(*items: CsvLayout) -> tuple[Layout, ...]:
    """The registry tuple. (``CsvLayout`` declares ``name``/``description`` as ClassVars,
    which mypy does not accept for the protocol's instance attributes; every CsvLayout
    does provide them, so the cast is safe.)"""
    return cast(tuple[Layout, ...], items)


@dataclass
class Collector:
    """Mutable accumulator used inside one ``parse`` call (never shared or returned)."""

    layout: str
    events: list[tuple[EventBase, int]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    skipped: list[NonTaxableRow] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    rows_read: int = 0
    _used: set[SourceRef] = field(default_factory=set)

    def event(self, event: EventBase, rows: Iterable[SourceRef]) -> None:
        """Record ``event`` built from ``rows`` (empty for an event derived from rows
        already counted, e.g. a third-asset fee of the same trade)."""
        lines = set(rows)
        self._used |= lines
        self.events.append((_normalized(event), len(lines)))

    def skip(self, source: SourceRef, reason: str) -> None:
        self.skipped.append(NonTaxableRow(source, reason))

    def reject(self, errors: Iterable[RowError]) -> None:
        self.errors.extend(errors)

    def fail(self, sources: Iterable[SourceRef], column: str, value: str, message: str) -> None:
        """Reject every row of ``sources`` with the same message (a group that failed)."""
        for source in sorted(set(sources)):
            self.errors.append(RowError(source, column, value, message))

    def warn(self, code: str, message: str, source: SourceRef | None = None) -> None:
        self.diagnostics.append(Diagnostic(Severity.WARNING, code, message, source))

    def info(self, code: str, message: str, source: SourceRef | None = None) -> None:
        self.diagnostics.append(Diagnostic(Severity.INFO, code, message, source))

    def result(self) -> ImportResult:
        """The frozen result; events sorted by their booking key (design.md §4)."""
        skipped = {row.source for row in self.skipped}
        rejected = {err.source for err in self.errors}
        if self._used & skipped or self._used & rejected or skipped & rejected:
            raise AssertionError(f"{self.layout}: a row was counted in two buckets")
        ordered = sorted(self.events, key=lambda pair: pair[0].sort_key)
        return ImportResult(
            layout=self.layout,
            events=tuple(event for event, _ in ordered),
            errors=tuple(sorted(self.errors, key=lambda e: (e.source, e.column))),
            rows_read=self.rows_read,
            rows_in_events=len(self._used),
            non_taxable=tuple(sorted(self.skipped, key=lambda r: r.source)),
            diagnostics=tuple(self.diagnostics),
            rows_per_event=tuple(count for _, count in ordered),
        )


def _plain(value: Decimal) -> Decimal:
    """``value`` without trailing zeros (``0.44000`` -> ``0.44``; equal as a number)."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def _amount(value: Amount | None) -> Amount | None:
    return None if value is None else Amount(_plain(value.quantity), value.asset)


def _normalized(event: EventBase) -> EventBase:
    """The same event with its numbers written without trailing zeros (P8: 20-decimal
    cells), so golden files and messages stay readable."""
    return replace(
        event,
        sent=_amount(event.sent),
        received=_amount(event.received),
        fee=_amount(event.fee),
        usd_value=None if event.usd_value is None else _plain(event.usd_value),
        fee_usd=None if event.fee_usd is None else _plain(event.fee_usd),
    )


def read_rows(layout: CsvLayout, file: FileText, collector: Collector) -> list[RowContext]:
    """Every data row of ``file``; CSV-level problems become row errors (counted as read)."""
    rows: list[RowContext] = []
    for item in layout.rows(file):
        collector.rows_read += 1
        if isinstance(item, RowError):
            collector.reject([item])
        else:
            rows.append(item)
    return rows


def number(ctx: RowContext, column: str, *, required: bool = True) -> Decimal | None:
    """A signed number; ``--`` or empty is zero unless ``required`` (then an error)."""
    raw = ctx.get(column)
    if raw in NO_VALUE:
        if required:
            ctx.fail(column, "is required")
            return None
        return ZERO
    try:
        return parse_decimal(raw, allow_negative=True)
    except DecimalParseError as exc:
        ctx.fail(column, str(exc))
        return None


#: USD values are informational: more places than quantities allow are rounded to this.
_USD_PLACES = Decimal("1e-18")


def usd_value(ctx: RowContext, column: str) -> Decimal | None:
    """The magnitude of a stated USD value; zero or empty means "not stated" (pricing fills
    it). Crypto.com writes up to 43 significant digits here (exchange-formats.md §10)."""
    raw = ctx.get(column).replace(",", "")
    if raw in NO_VALUE:
        return None
    try:
        value = parse_decimal(raw, allow_negative=True)
    except DecimalParseError as exc:
        if "decimal places" not in str(exc):
            ctx.fail(column, str(exc))
            return None
        value = Decimal(raw).quantize(_USD_PLACES)
    return abs(value) if value else None


def row_time(ctx: RowContext, column: str, zone: tzinfo, formats: Sequence[str] = ()) -> datetime | None:
    """The row's time as aware UTC: explicit ``formats`` first (``%H:%M %Y-%m-%d``), then
    :func:`parse_utc`; ``zone`` applies when the value states none."""
    raw = ctx.get(column)
    if raw == "":
        ctx.fail(column, "is required")
        return None
    for fmt in formats:
        try:
            return parse_utc(datetime.strptime(raw, fmt).replace(tzinfo=zone).isoformat())
        except ValueError:
            continue
    try:
        return parse_utc(raw, zone)
    except ValueError as exc:
        ctx.fail(column, str(exc))
        return None


@dataclass(frozen=True, slots=True)
class TradeShape:
    """One trade's sides. ``fee`` is the fee in the received asset, else in the sent asset,
    else in a third asset; when fees were charged in both traded assets the sent-asset fee
    is added to ``sent`` (a cost of the same disposal, tax-rules.md §4.0(4)); ``extra_fees``
    are further third-asset fees (stand-alone Fee events)."""

    sent: Amount
    received: Amount
    fee: Amount | None
    extra_fees: tuple[Amount, ...]
    note: str


def assemble_trade(flows: Mapping[str, Decimal], fees: Mapping[str, Decimal]) -> TradeShape | str:
    """Build a trade from gross signed ``flows`` per asset (received > 0, sent < 0, fees
    excluded) and ``fees`` per asset (> 0 paid, < 0 a rebate credited). Returns a message
    when the rows do not form one two-legged trade."""
    net = {asset: qty for asset, qty in flows.items()}
    paid: dict[str, Decimal] = {}
    for asset, qty in fees.items():
        if qty < 0:
            net[asset] = net.get(asset, ZERO) - qty
        elif qty > 0:
            paid[asset] = paid.get(asset, ZERO) + qty
    out = [(a, -q) for a, q in net.items() if q < 0]
    into = [(a, q) for a, q in net.items() if q > 0]
    if not out or not into:
        return "trade leg without its counter-leg"
    if len(out) > 1 or len(into) > 1:
        return "rows of one trade move more than two assets; the split is not in the file"
    (sent_asset, sent_qty), (recv_asset, recv_qty) = out[0], into[0]
    note = ""
    fee = paid.pop(recv_asset, None)
    fee_amount = Amount(fee, recv_asset) if fee else None
    if sent_asset in paid and fee_amount is None:
        fee_amount = Amount(paid.pop(sent_asset), sent_asset)
    elif sent_asset in paid:
        sent_qty += paid.pop(sent_asset)
        note = f"fee in {sent_asset} included in the amount sent"
    others = [Amount(q, a) for a, q in sorted(paid.items())]
    if fee_amount is None and others:
        fee_amount = others.pop(0)
    return TradeShape(Amount(sent_qty, sent_asset), Amount(recv_qty, recv_asset), fee_amount, tuple(others), note)


def trade_events(
    shape: TradeShape,
    template: Trade,
    collector: Collector,
    rows: Iterable[SourceRef],
) -> int:
    """Record the trade (``template`` gives class, time, account, source, id, seq) and one
    Fee event per extra third-asset fee; returns the next free ``seq``."""
    note = "; ".join(n for n in (template.note, shape.note) if n)
    trade = replace(template, sent=shape.sent, received=shape.received, fee=shape.fee, note=note)
    collector.event(trade, rows)
    seq = template.seq + 1
    for extra in shape.extra_fees:
        fee = Fee(
            time=template.time,
            account=template.account,
            source=template.source,
            sent=extra,
            note="trading fee in a third asset",
            seq=seq,
            event_id=f"{template.event_id}:fee{seq}" if template.event_id else "",
        )
        collector.event(fee, ())
        seq += 1
    return seq


_OFFSET = re.compile(r"^\(UTC(?:(?P<sign>[+-])(?P<h>\d{1,2})(?::?(?P<m>\d{2}))?)?\)$")


def header_offset(cell: str, prefix: str) -> tzinfo | None:
    """The zone stated in a header cell ``Prefix(UTC)``, ``Prefix(UTC+8)``,
    ``Prefix(UTC+02:00)`` or ``Prefix(UTCnull)`` (= UTC, P10); None when the cell is not
    ``prefix`` followed by such a zone."""
    if not cell.startswith(prefix):
        return None
    rest = cell[len(prefix) :].strip()
    if rest == "(UTCnull)":
        return UTC
    match = _OFFSET.match(rest)
    if match is None:
        return None
    if match["sign"] is None:
        return UTC
    hours, minutes = int(match["h"]), int(match["m"] or 0)
    if hours > 14 or minutes >= 60:
        return None
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(-delta if match["sign"] == "-" else delta)


class OffsetHeaderLayout(CsvLayout):
    """A CSV layout whose time columns carry their zone in the header (P10).

    ``time_columns`` are prefixes (``"Filled Time"``) that must appear exactly once as
    ``Filled Time(UTC…)``. A layout whose time column has no zone lists it in ``columns``
    instead (its own class, with its documented default zone). ``strict_columns`` treats
    the time columns as declared.
    """

    time_columns: ClassVar[tuple[str, ...]] = ()

    def header_cells(self, file: FileText) -> Sequence[str]:
        return (*self.columns, *(f"{c}(UTC)" for c in self.time_columns))

    def _header(self, file: FileText) -> tuple[int, dict[str, str]] | None:
        allowed = set(self.columns) | set(self.extra_columns)
        for index, line in enumerate(file.head_lines(self.header_search_lines)):
            cells = [c for c in _split_header(line, self.delimiter) if c]
            present = set(cells)
            if not set(self.columns) <= present:
                continue
            times = self._time_cells(cells)
            if times is None:
                continue
            if self.strict_columns and not present - set(times.values()) <= allowed:
                continue
            if self.accepts_header(cells):
                return index, times
        return None

    def _time_cells(self, cells: list[str]) -> dict[str, str] | None:
        found: dict[str, str] = {}
        for prefix in self.time_columns:
            hits = [c for c in cells if header_offset(c, prefix) is not None]
            if len(hits) != 1:
                return None
            found[prefix] = hits[0]
        return found

    def find_header(self, file: FileText) -> int | None:
        found = self._header(file)
        return None if found is None else found[0]

    def time_column(self, file: FileText, prefix: str) -> tuple[str, tzinfo]:
        """The real header cell for ``prefix`` and the zone it states."""
        found = self._header(file)
        if found is None:
            raise ValueError(f"{self.name}: header not found")
        cell = found[1][prefix]
        zone = header_offset(cell, prefix)
        if zone is None:  # pragma: no cover - _time_cells only keeps parseable cells
            raise ValueError(f"{self.name}: no zone in {cell!r}")
        return cell, zone
