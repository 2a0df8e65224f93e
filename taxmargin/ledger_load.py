"""Stored event rows back to events: the ledger's load path (issue 6: a million events in
a few seconds).

A row is :data:`taxmargin.ledger_queries.STORED_COLUMNS`: ``time``, ``cells`` (the 16 cells
after ``time``, :mod:`taxmargin.ledger_cells`), source path, line and seq. Trusted: no
validation beyond what constructing the values does (``taxmargin check`` reads the ledger
without trusting it, :mod:`taxmargin.ledger_audit`); a cell that cannot be read raises
``ValueError``, ``ArithmeticError``, ``KeyError``, ``IndexError`` or ``TypeError``, which the
ledger turns into a message. The values are built by :mod:`taxmargin.codec_build` and
equal what :func:`taxmargin.codec.event_from_values` builds; account, asset and file names
are shared strings (a million events name a few).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import islice
from operator import itemgetter, le, lt
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from taxmargin.codec_build import amount, builders, source_ref, specific_fields
from taxmargin.ledger_cells import SEP, unpack
from taxmargin.models import EVENT_TYPES, EventBase
from taxmargin.money import MAX_MAGNITUDE

__all__ = ["BookingKey", "InsaneAmount", "event_from_row", "in_order", "read_events"]

_BUILD = {cls.type_name: build for cls, build in builders().items()}
_fromisoformat = datetime.fromisoformat


def _time(text: str) -> datetime:
    value = _fromisoformat(text)
    return value if value.tzinfo is UTC else value.astimezone(UTC)


def read_events(rows: Iterable[Sequence[Any]], out: list[EventBase]) -> None:
    """Append the event of every stored row to ``out`` (in the rows' order).

    Equal names and number texts among ``rows`` share one value: a million events name a
    few accounts, assets and files, and neighbouring rows repeat numbers (a trade's USD
    value is its USD leg; fills repeat sizes and fees): a ``Decimal`` is ~100 bytes, and
    sharing them within chunks of a few thousand rows saves a fifth of the memory at no
    cost in time (one table for the whole ledger would be slower: too large to stay in
    the CPU caches). Each distinct amount is checked once (:class:`InsaneAmount`)."""
    names: dict[str, str] = {}
    name = names.setdefault
    numbers: dict[str, Decimal] = {}
    number = numbers.get
    append = out.append
    for time, cells, path, line, seq in rows:
        (account, type_name, sent_q, sent_a, recv_q, recv_a, fee_q, fee_a, usd, fee_usd, to_account, basis,
         acquired, lots, event_id, note) = cells.split(SEP, 15) if cells[:1] != "\x1e" else unpack(cells)
        value = _fromisoformat(time)
        if to_account or basis or acquired:
            _check_specific(type_name, to_account, basis, acquired)
        append(_BUILD[type_name](
            value if value.tzinfo is UTC else value.astimezone(UTC), name(account, account),
            source_ref(name(path, path), line), event_id,
            amount(number(sent_q) or _quantity(numbers, sent_q), name(sent_a, sent_a)) if sent_a else None,
            amount(number(recv_q) or _quantity(numbers, recv_q), name(recv_a, recv_a)) if recv_a else None,
            amount(number(fee_q) or _quantity(numbers, fee_q), name(fee_a, fee_a)) if fee_a else None,
            (number(fee_usd) or _value(numbers, fee_usd)) if fee_usd else None,
            (number(usd) or _value(numbers, usd)) if usd else None,
            tuple(lots.split(";")) if lots else (), note, seq,
            to_account, Decimal(basis) if basis else None, _time(acquired) if acquired else None,
        ))


_BOOKING_KEY, _TIME = itemgetter(0, 2, 3, 4), itemgetter(0)
#: A stored row's booking order: (time, source path, line, seq); ties go by ``event_pk``.
BookingKey = tuple[Any, ...]


def in_order(rows: Sequence[Sequence[Any]], last: BookingKey | None) -> BookingKey | None:
    """The booking key of the last of ``rows`` (stored rows read in ``event_pk`` order) when
    they continue ``last`` in booking order (equal keys keep their ``event_pk`` order, as
    ``ledger_queries.select_events_sql`` sorts), else None (also for cells of unexpected
    types: the caller then lets SQLite sort)."""
    if not rows:
        return last
    try:
        times = list(map(_TIME, rows))
        if (last is None or last[0] < times[0]) and all(map(lt, times, islice(times, 1, None))):
            return tuple(_BOOKING_KEY(rows[-1]))  # times strictly increasing (the usual case): in order
        keys = list(map(_BOOKING_KEY, rows))
        if (last is not None and keys[0] < last) or not all(map(le, keys, islice(keys, 1, None))):
            return None
    except TypeError:
        return None
    return tuple(keys[-1])


def _check_specific(type_name: str, to_account: str, basis: str, acquired: str) -> None:
    """A ``to_account`` / ``basis_usd`` / ``acquired`` cell on a type without that field (a
    hand edit) is a ``TypeError``, as the class's constructor would raise."""
    takes = _SPECIFIC[type_name]
    if (to_account and "to_account" not in takes) or (basis and "basis_usd" not in takes) or (
        acquired and "acquired" not in takes
    ):
        raise TypeError(f"a {type_name} has none of to_account / basis_usd / acquired")


#: type name -> the type-specific fields its class has
_SPECIFIC = {cls.type_name: specific_fields(cls) for cls in EVENT_TYPES.values()}


class InsaneAmount(ValueError):
    """A stored amount that ``Ledger.store`` never writes (a ledger edited by hand): a
    quantity that is not positive, finite and at most 1e18, or a USD value that is negative
    or not finite."""


def _value(numbers: dict[str, Decimal], text: str) -> Decimal:
    """A USD value (finite, not negative); shared when it could also be a quantity."""
    value = Decimal(text)
    if not value.is_finite() or value < 0:
        raise InsaneAmount(text)
    if value <= MAX_MAGNITUDE:  # what is shared passes as a quantity too (when not zero)
        numbers[text] = value
    return value


def _quantity(numbers: dict[str, Decimal], text: str) -> Decimal:
    """A quantity: positive, finite, at most 1e18 (a shared zero is falsy: always checked)."""
    value = Decimal(text)
    if not (value.is_finite() and 0 < value <= MAX_MAGNITUDE):
        raise InsaneAmount(text)
    numbers[text] = value
    return value


def event_from_row(row: Sequence[Any]) -> EventBase:
    """The event of one stored row (:data:`~taxmargin.ledger_queries.STORED_COLUMNS`)."""
    out: list[EventBase] = []
    read_events((row,), out)
    return out[0]
