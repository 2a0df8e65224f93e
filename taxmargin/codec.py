"""Events <-> rows of the taxmargin CSV (interfaces.md §2).

Three directions, one column list (:data:`GENERIC_COLUMNS`):

* :func:`event_to_row` — an event as its canonical generic row: exact decimals written
  plainly (``0.00000001``, never ``1E-8``, no trailing zeros), times ISO 8601 in UTC with
  ``Z``, ``lots`` joined by ``;``, ``source`` = ``FILE:LINE``. ``export`` writes these rows
  (:func:`write_csv`) and the ledger stores them.
* :func:`parse_event_row` — a user-supplied row, fully validated (the rules are listed in
  :mod:`taxmargin.codec_rules`); every problem becomes a
  ``FILE:LINE: column 'X': ...`` :class:`~taxmargin.errors.RowError`.
* :func:`event_from_values` — the trusted fast path for rows this module wrote itself
  (the ledger's load path): no validation, only construction.
"""

from __future__ import annotations

import csv
import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from sys import intern
from typing import TYPE_CHECKING, Any, TextIO

from taxmargin.codec_fast import fast_event
from taxmargin.codec_rules import (
    GENERIC_COLUMNS,
    REQUIRED_COLUMNS,
    format_decimal,
    format_time,
    stored_time,
    validate_cells,
)
from taxmargin.errors import RowError
from taxmargin.models import (
    EVENT_TYPES,
    Amount,
    Deposit,
    EventBase,
    RealizedPnl,
    SourceRef,
    Transfer,
)

if TYPE_CHECKING:
    from taxmargin.importers.base import RowContext

__all__ = [
    "CONTENT_COLUMNS",
    "GENERIC_COLUMNS",
    "REQUIRED_COLUMNS",
    "content_key",
    "event_from_values",
    "event_to_row",
    "event_to_values",
    "format_decimal",
    "format_time",
    "parse_cells",
    "parse_event_row",
    "stored_text",
    "stored_time",
    "write_csv",
]

#: Every column except ``source``: what makes two events "the same content" (the ledger's
#: de-duplication fingerprint and the generic importer's duplicate-id check).
CONTENT_COLUMNS: tuple[str, ...] = GENERIC_COLUMNS[:-1]

#: Dataclass fields the row format can carry; an event class with any other field would
#: lose data silently, so :func:`event_to_row` refuses it (a bug to fix here).
_KNOWN_FIELDS = frozenset(
    {"time", "account", "source", "event_id", "sent", "received", "fee", "fee_usd",
     "usd_value", "lots", "note", "seq", "basis_usd", "acquired", "to_account"}
)
_checked_classes: set[type[EventBase]] = set()


def _check_class(cls: type[EventBase]) -> None:
    if cls in _checked_classes:
        return
    unknown = {f.name for f in dataclasses.fields(cls)} - _KNOWN_FIELDS
    if unknown:
        raise ValueError(f"codec cannot store {cls.__name__} fields {sorted(unknown)}")
    if EVENT_TYPES.get(cls.type_name) is not cls:
        raise ValueError(f"{cls.__name__} is not a registered event type")
    _checked_classes.add(cls)


def _opt_decimal(value: Decimal | None) -> str:
    return "" if value is None else format_decimal(value)


def _specific(event: EventBase) -> tuple[str, str, str]:
    """``to_account``, ``basis_usd``, ``acquired`` cells (type-specific fields)."""
    if isinstance(event, Transfer):
        return event.to_account, "", ""
    if isinstance(event, Deposit):
        acquired = "" if event.acquired is None else format_time(event.acquired)
        return "", _opt_decimal(event.basis_usd), acquired
    if isinstance(event, RealizedPnl) and event.acquired is not None:
        return "", "", format_time(event.acquired)
    return "", "", ""


_SPECIFIC_CLASSES = frozenset(cls for cls in EVENT_TYPES.values() if issubclass(cls, (Transfer, Deposit, RealizedPnl)))


def _lots_cell(event: EventBase) -> str:
    if any(not lot or ";" in lot for lot in event.lots):
        raise ValueError(f"{event.source}: an empty lot id or one containing ';' cannot be written")
    return ";".join(event.lots)


def event_to_values(event: EventBase, *, fixed_width_time: bool = False) -> tuple[str, ...]:
    """The event's canonical cells in :data:`CONTENT_COLUMNS` order (no ``source``).

    ``note`` is written without surrounding blanks (as reading it back gives it).
    ``fixed_width_time`` writes ``time`` always with microseconds (the ledger's sortable
    form). Raises ``ValueError`` for an event the format cannot carry exactly (a naive
    time, a bad lot id, an unregistered class): those are importer bugs.
    """
    cls = type(event)
    if cls not in _checked_classes:
        _check_class(cls)
    sent, received, fee, usd, fee_usd = event.sent, event.received, event.fee, event.usd_value, event.fee_usd
    return (
        stored_time(event.time) if fixed_width_time else format_time(event.time),
        event.account, cls.type_name,
        "" if sent is None else format_decimal(sent.quantity), "" if sent is None else sent.asset,
        "" if received is None else format_decimal(received.quantity), "" if received is None else received.asset,
        "" if fee is None else format_decimal(fee.quantity), "" if fee is None else fee.asset,
        "" if usd is None else format_decimal(usd), "" if fee_usd is None else format_decimal(fee_usd),
        *(_specific(event) if cls in _SPECIFIC_CLASSES else ("", "", "")),
        _lots_cell(event) if event.lots else "", event.event_id, event.note.strip(),
    )


def event_to_row(event: EventBase) -> dict[str, str]:
    """The event as a generic CSV row (every column of :data:`GENERIC_COLUMNS`)."""
    row = dict(zip(CONTENT_COLUMNS, event_to_values(event)))
    row["source"] = str(event.source)
    return row


def stored_text(event: EventBase) -> str:
    """The event's canonical cells (``time`` fixed-width) joined by U+001F: what the ledger
    fingerprints and stores (``taxmargin.ledger_cells``)."""
    return "\x1f".join(event_to_values(event, fixed_width_time=True))


def content_key(event: EventBase) -> tuple[str, ...]:
    """What two events must share to be the same event wherever they were read from:
    the canonical row without ``source`` (and without ``seq``)."""
    return event_to_values(event)


def _stored_time(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value if value.tzinfo is UTC else value.astimezone(UTC)


_NO_EXTRA: dict[str, Any] = {}


def _extra_fields(to_account: str, basis: str, acquired: str) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if to_account:
        extra["to_account"] = to_account
    if basis:
        extra["basis_usd"] = Decimal(basis)
    if acquired:
        extra["acquired"] = _stored_time(acquired)
    return extra


def event_from_values(values: Sequence[Any], source: SourceRef, seq: int = 0) -> EventBase:
    """Rebuild an event from cells this module wrote (:func:`event_to_values` order; only
    the first 17 items of ``values`` are read).

    Trusted: no validation beyond what constructing the values does (the ledger's load
    path). Account and asset names are interned: a million events share a few strings.
    """
    (time, account, type_name, sent_q, sent_a, recv_q, recv_a, fee_q, fee_a, usd, fee_usd,
     to_account, basis, acquired, lots, event_id, note) = values[:17]
    cls = EVENT_TYPES[type_name]
    extra = _extra_fields(to_account, basis, acquired) if (to_account or basis or acquired) else _NO_EXTRA
    return cls(
        time=_stored_time(time), account=intern(account), source=source, seq=seq,
        sent=Amount(Decimal(sent_q), intern(sent_a)) if sent_a else None,
        received=Amount(Decimal(recv_q), intern(recv_a)) if recv_a else None,
        fee=Amount(Decimal(fee_q), intern(fee_a)) if fee_a else None,
        usd_value=Decimal(usd) if usd else None, fee_usd=Decimal(fee_usd) if fee_usd else None,
        lots=tuple(lots.split(";")) if lots else (), event_id=event_id, note=note, **extra,
    )


def parse_event_row(ctx: RowContext, *, seq: int = 0) -> EventBase | None:
    """Validate one taxmargin-CSV row and build its event (interfaces.md §2).

    Every problem is recorded on ``ctx`` (one :class:`RowError` per problem, naming the
    column); the result is ``None`` when there was any. A ``source`` cell (written by
    ``export``) becomes the event's source, so a round trip keeps the original FILE:LINE.
    """
    return parse_cells(ctx.cells, ctx.source, ctx.errors, seq=seq)


def parse_cells(
    cells: Mapping[str, str], source: SourceRef, errors: list[RowError], *, seq: int = 0
) -> EventBase | None:
    """:func:`parse_event_row` on a plain ``column -> text`` mapping (the importer's loop).

    Plainly valid rows take the fast path (:mod:`taxmargin.codec_fast`); every other row
    goes through the full validator (:mod:`taxmargin.codec_rules`), which reports problems.
    """
    return fast_event(cells, source, seq) or validate_cells(cells, source, errors, seq=seq)


def write_csv(events: Iterable[EventBase], stream: TextIO) -> int:
    """Write ``events`` as a taxmargin CSV (header + one row per event); returns the count.

    ``stream`` should be opened with ``newline=""`` (the csv module writes ``\\r\\n``).
    """
    writer = csv.writer(stream)
    writer.writerow(GENERIC_COLUMNS)
    count = 0
    for event in events:
        writer.writerow((*event_to_values(event), str(event.source)))
        count += 1
    return count
