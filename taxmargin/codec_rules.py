"""Validation of one taxmargin-CSV row (interfaces.md §2); used by :mod:`taxmargin.codec`.

Rules, each a :class:`~taxmargin.errors.RowError` naming its column:

* ``time``, ``account``, ``type`` are required; ``type`` is one of :data:`EVENT_TYPES`.
* ``time`` / ``acquired``: ISO 8601 (``Z`` or an offset; none = UTC), 2009-01-03 .. 2099;
  ``acquired`` must not be after ``time``.
* Sides follow :data:`~taxmargin.models.SIDES`: a required side missing, a forbidden side
  given, or (``realized_pnl`` / ``funding``) not exactly one side, is an error. A quantity
  needs its asset and an asset its quantity. ``sent`` / ``received`` quantities are
  positive; a zero fee means no fee.
* Numbers: exact decimals (``taxmargin.money.parse_decimal``: no NaN / infinity / over-long
  or huge values, ``-0`` is zero); quantities, ``usd_value``, ``fee_usd_value`` and
  ``basis_usd`` must not be negative.
* Asset codes are upper-cased and must match ``[A-Z0-9._-]{1,20}``.
* ``to_account`` is required for (and only for) ``transfer`` and differs from ``account``;
  ``basis_usd`` is only for ``deposit``; ``acquired`` only for ``deposit`` / ``realized_pnl``.
* Text cells have length limits (``note`` 1000, ``account`` 100, ``id`` 200) and no control
  characters (except in ``note``); ``id`` and lot ids cannot contain ``;``.
* ``source`` (written by ``export``) is ``FILE:LINE`` and becomes the event's source.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from taxmargin.errors import RowError
from taxmargin.models import EVENT_TYPES, SIDES, Amount, EventBase, SourceRef
from taxmargin.money import DecimalParseError, fmt_quantity, parse_decimal

__all__ = [
    "GENERIC_COLUMNS",
    "MAX_NOTE_CHARS",
    "PLAIN_DECIMAL",
    "REQUIRED_COLUMNS",
    "asset_code",
    "format_decimal",
    "format_time",
    "parse_time",
    "stored_time",
    "validate_cells",
]

GENERIC_COLUMNS: tuple[str, ...] = (
    "time", "account", "type",
    "sent_quantity", "sent_asset", "received_quantity", "received_asset",
    "fee_quantity", "fee_asset", "usd_value", "fee_usd_value", "to_account",
    "basis_usd", "acquired", "lots", "id", "note", "source",
)  # fmt: skip
REQUIRED_COLUMNS: tuple[str, ...] = ("time", "account", "type")

MAX_NOTE_CHARS = 1000
MAX_NAME_CHARS = 100
MAX_ID_CHARS = 200
MAX_LOTS_CHARS = 100_000
MAX_SOURCE_CHARS = 1000

_ASSET = re.compile(r"[A-Z0-9._\-]{1,20}")
#: Plain decimals that ``parse_decimal`` would accept unchanged (fast path).
PLAIN_DECIMAL = re.compile(r"[0-9]{1,18}(?:\.[0-9]{1,24})?")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_KNOWN_TYPES = ", ".join(EVENT_TYPES)
_CACHE_LIMIT = 200_000
#: Times accepted without asking parse_utc (strictly inside its 2009-01-03 .. 2099 range).
_QUICK_FROM = datetime(2009, 1, 4, tzinfo=UTC)
_QUICK_TO = datetime(2099, 12, 31, tzinfo=UTC)
_time_cache: dict[str, datetime | str] = {}
_asset_cache: dict[str, str | None] = {}


#: Exact plain text of a decimal (``money.fmt_quantity``): no exponent, no trailing zeros.
format_decimal = fmt_quantity


def format_time(value: datetime) -> str:
    """ISO 8601 in UTC with ``Z``; microseconds only when present. Naive times are bugs."""
    if value.tzinfo is not UTC:
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: event times must be aware UTC")
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat() + "Z"


def stored_time(value: datetime) -> str:
    """Fixed-width ISO 8601 UTC text (microseconds always written): text order = time order
    (the ledger's form)."""
    if value.tzinfo is not UTC:
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: event times must be aware UTC")
        value = value.astimezone(UTC)
    text = value.replace(tzinfo=None).isoformat()
    return text + "Z" if value.microsecond else text + ".000000Z"


def parse_time(raw: str) -> datetime:
    """ISO 8601 text to aware UTC (no offset = UTC), cached by string (fills share times).

    Raises ``ValueError`` with the user-facing reason.
    """
    cached = _time_cache.get(raw)
    if cached is None:
        cached = _parse_time_uncached(raw)
        if len(_time_cache) >= _CACHE_LIMIT:
            _time_cache.clear()
        _time_cache[raw] = cached
    if isinstance(cached, str):
        raise ValueError(cached)
    return cached


def _parse_time_uncached(raw: str) -> datetime | str:
    """``importers.base.parse_utc`` for ISO text, with a quick path for plain ISO times
    well inside its accepted range (the common case); it decides everything else."""
    if not _ISO_DATE.match(raw):
        return "not an ISO 8601 date/time (expected e.g. 2024-03-01T12:00:00Z)"
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        pass
    else:
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        if _QUICK_FROM <= value < _QUICK_TO:
            return value
    from taxmargin.importers.base import parse_utc  # lazy: importers import this module

    try:
        return parse_utc(raw)
    except ValueError as exc:
        return str(exc)


def asset_code(raw: str) -> str | None:
    """Upper-cased asset code, or None when it is not a sane code."""
    if raw in _asset_cache:
        return _asset_cache[raw]
    upper = raw.upper()
    code = upper if _ASSET.fullmatch(upper) else None
    if len(_asset_cache) >= _CACHE_LIMIT:
        _asset_cache.clear()
    _asset_cache[raw] = code
    return code


def _parse_number(raw: str) -> Decimal:
    if PLAIN_DECIMAL.fullmatch(raw):
        return Decimal(raw)
    return parse_decimal(raw)


class _Row:
    """One row being validated: its cells, where it is, and the problems found so far."""

    __slots__ = ("bad", "cells", "errors", "source")

    def __init__(self, cells: Mapping[str, str], source: SourceRef, errors: list[RowError]) -> None:
        self.cells = cells
        self.source = source
        self.errors = errors
        self.bad = False

    def get(self, column: str) -> str:
        value = self.cells.get(column)
        return value.strip() if value else ""

    def fail(self, column: str, message: str) -> None:
        self.errors.append(RowError(self.source, column, self.get(column), message))
        self.bad = True

    def number(self, column: str) -> Decimal | None:
        """A non-negative decimal, or None when empty or bad (bad is recorded)."""
        raw = self.get(column)
        if not raw:
            return None
        try:
            return _parse_number(raw)
        except DecimalParseError as exc:
            self.fail(column, str(exc))
            return None

    def time(self, column: str) -> datetime | None:
        raw = self.get(column)
        if not raw:
            return None
        try:
            return parse_time(raw)
        except ValueError as exc:
            self.fail(column, str(exc))
            return None

    def text(self, column: str, limit: int, *, single_line: bool = True) -> str:
        raw = self.get(column)
        if len(raw) > limit:
            self.fail(column, f"is longer than {limit} characters ({len(raw)})")
        elif single_line and raw and not raw.isprintable():
            self.fail(column, "must not contain control characters or line breaks")
        return raw


def _type_name(row: _Row) -> str | None:
    raw = row.get("type")
    if not raw:
        row.fail("type", f"is required (one of: {_KNOWN_TYPES})")
        return None
    name = raw.lower()
    if name not in EVENT_TYPES:
        row.fail("type", f"unknown type (known: {_KNOWN_TYPES})")
        return None
    return name


def _leg(row: _Row, side: str) -> Amount | None:
    """One ``<side>_quantity`` / ``<side>_asset`` pair; None when absent, zero fee or bad."""
    q_col, a_col = f"{side}_quantity", f"{side}_asset"
    q_raw, a_raw = row.get(q_col), row.get(a_col)
    if not q_raw and not a_raw:
        return None
    asset = asset_code(a_raw) if a_raw else None
    if not a_raw:
        row.fail(a_col, f"is required when {q_col} is given")
    elif asset is None:
        row.fail(a_col, "is not an asset code (1-20 letters, digits, '.', '-', '_')")
    if not q_raw:
        row.fail(q_col, f"is required when {a_col} is given")
        return None
    quantity = row.number(q_col)
    if quantity is None or asset is None:
        return None
    if quantity.is_zero():
        if side != "fee":
            row.fail(q_col, "must be greater than zero")
        return None
    return Amount(quantity, asset)


def _given(row: _Row, side: str) -> bool:
    return bool(row.get(f"{side}_quantity") or row.get(f"{side}_asset"))


def _check_sides(row: _Row, type_name: str) -> frozenset[str]:
    """Sides per ``SIDES`` (interfaces.md §2 type table); returns the forbidden sides that
    were given (already reported: their cells are not checked further)."""
    rule_sent, rule_received = SIDES[type_name]
    if rule_sent == "one":
        count = _given(row, "sent") + _given(row, "received")
        if count != 1:
            what = "not both" if count == 2 else "none given"
            row.fail("sent_quantity", f"type '{type_name}' takes exactly one side: "
                     f"sent (paid / loss) or received (gain / received); {what}")
        return frozenset()
    forbidden: set[str] = set()
    for side, rule in (("sent", rule_sent), ("received", rule_received)):
        given = _given(row, side)
        if rule == "req" and not given:
            row.fail(f"{side}_quantity", f"is required for type '{type_name}' "
                     f"(with {side}_asset)")
        elif rule == "no" and given:
            column = f"{side}_quantity" if row.get(f"{side}_quantity") else f"{side}_asset"
            row.fail(column, f"must be empty for type '{type_name}' (it has no {side} side)")
            forbidden.add(side)
    return frozenset(forbidden)


def _only_for(row: _Row, column: str, type_name: str, allowed: tuple[str, ...]) -> bool:
    """True when ``column`` is given; an error when it is given for another type."""
    if not row.get(column):
        return False
    if type_name not in allowed:
        row.fail(column, f"is only used by type {' / '.join(allowed)}, not '{type_name}'")
        return False
    return True


def _extras(row: _Row, type_name: str, time: datetime | None, account: str) -> dict[str, Any]:
    """Type-specific fields: ``to_account``, ``basis_usd``, ``acquired``."""
    out: dict[str, Any] = {}
    if type_name == "transfer":
        to_account = row.text("to_account", MAX_NAME_CHARS)
        if not to_account:
            row.fail("to_account", "is required for type 'transfer'")
        elif to_account == account:
            row.fail("to_account", "must differ from account (a transfer moves between two accounts)")
        out["to_account"] = to_account
    else:
        _only_for(row, "to_account", type_name, ("transfer",))
    if _only_for(row, "basis_usd", type_name, ("deposit",)):
        out["basis_usd"] = row.number("basis_usd")
    if _only_for(row, "acquired", type_name, ("deposit", "realized_pnl")):
        acquired = row.time("acquired")
        if acquired is not None and time is not None and acquired > time:
            row.fail("acquired", "is after the event's time")
        out["acquired"] = acquired
    return out


def _lots(row: _Row) -> tuple[str, ...]:
    raw = row.text("lots", MAX_LOTS_CHARS)
    ids = tuple(part.strip() for part in raw.split(";") if part.strip())
    if any(len(lot) > MAX_ID_CHARS for lot in ids):
        row.fail("lots", f"a lot id is longer than {MAX_ID_CHARS} characters")
    return ids


def _event_id(row: _Row) -> str:
    event_id = row.text("id", MAX_ID_CHARS)
    if ";" in event_id:
        row.fail("id", "must not contain ';' (lots are separated by ';')")
    return event_id


def _source(row: _Row) -> SourceRef:
    """The ``source`` cell as a SourceRef (round trip of ``export``), else the row itself."""
    raw = row.get("source")
    if not raw:
        return row.source
    path, _, line = raw.rpartition(":")
    if not path or not (line.isascii() and line.isdigit()) or not 0 < int(line) < 10**9 or len(raw) > MAX_SOURCE_CHARS:
        row.fail("source", "must be FILE:LINE (as written by 'taxmargin export')")
        return row.source
    return SourceRef(path, int(line))


def _fee_usd(row: _Row, fee: Amount | None) -> Decimal | None:
    value = row.number("fee_usd_value")
    if value is not None and not value.is_zero() and not _given(row, "fee"):
        row.fail("fee_usd_value", "is given but the row has no fee (fee_quantity / fee_asset)")
    return value if fee is not None else None


def validate_cells(
    cells: Mapping[str, str], source: SourceRef, errors: list[RowError], *, seq: int = 0
) -> EventBase | None:
    """Validate one row's ``cells`` (column -> text) read at ``source``.

    Appends every problem to ``errors`` and returns None if there was any; otherwise the
    event (its ``source`` from the ``source`` cell when given).
    """
    row = _Row(cells, source, errors)
    type_name = _type_name(row)
    time = row.time("time")
    if time is None and not row.get("time"):
        row.fail("time", "is required")
    account = row.text("account", MAX_NAME_CHARS)
    if not account:
        row.fail("account", "is required")
    skip = _check_sides(row, type_name) if type_name is not None else frozenset()
    sent = None if "sent" in skip else _leg(row, "sent")
    received = None if "received" in skip else _leg(row, "received")
    fee = _leg(row, "fee")
    fields: dict[str, Any] = {
        "usd_value": row.number("usd_value"),
        "fee_usd": _fee_usd(row, fee),
        "lots": _lots(row),
        "event_id": _event_id(row),
        "note": row.text("note", MAX_NOTE_CHARS, single_line=False),
    }
    event_source = _source(row)
    if type_name is not None:
        fields.update(_extras(row, type_name, time, account))
    if row.bad or type_name is None or time is None:
        return None
    return EVENT_TYPES[type_name](
        time=time, account=account, source=event_source, seq=seq,
        sent=sent, received=received, fee=fee, **fields,
    )
