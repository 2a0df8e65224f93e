"""Fast path for ordinary, valid taxmargin-CSV rows (issue 6: a million rows in seconds).

:func:`fast_row` / :func:`fast_event` accept only rows they can prove valid with a few
cheap checks (exact lower-case ``type``, cells without surrounding blanks, plain decimals,
plainly valid account names and asset codes, ISO times inside the accepted range, no
``lots``) and build exactly the event the full validator
(:func:`taxmargin.codec_rules.validate_cells`) would build. Anything else returns ``None``
and the caller runs the full validator, which reports the problems. A property test checks
that the two paths agree (tests/test_codec.py)."""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from typing import Any

from taxmargin.codec_rules import (
    GENERIC_COLUMNS,
    MAX_ID_CHARS,
    MAX_NAME_CHARS,
    MAX_NOTE_CHARS,
    MAX_SOURCE_CHARS,
    PLAIN_DECIMAL,
    _time_cache,
    asset_code,
    parse_time,
)
from taxmargin.models import EVENT_TYPES, SIDES, Amount, EventBase, SourceRef

__all__ = ["Positions", "fast_event", "fast_row", "paused_gc", "positions"]

#: Index of each of GENERIC_COLUMNS in a row list (see :func:`positions`).
Positions = tuple[int, ...]

#: Stands for "this leg needs the full validator" (never part of an event).
_BAD = Amount(Decimal(-1), "")
_NOT_PLAIN = Decimal(-1)
#: Every type: its class, its sides rule and the type-specific columns it takes.
_TYPES: dict[str, tuple[type[EventBase], tuple[str, str], frozenset[str]]] = {
    name: (cls, SIDES[name], frozenset(
        {"transfer": {"to_account"}, "deposit": {"basis_usd", "acquired"}, "realized_pnl": {"acquired"}}.get(name, ())
    ))
    for name, cls in EVENT_TYPES.items()
}
_NO_EXTRA: dict[str, Any] = {}
_good_accounts: dict[str, str] = {}
_paths: dict[str, str] = {}


def _leg(quantity: str, asset: str, is_fee: bool) -> Amount | None:
    if not quantity and not asset:
        return None
    code = asset_code(asset)
    if code is None or not PLAIN_DECIMAL.fullmatch(quantity):
        return _BAD
    value = Decimal(quantity)
    if not value:
        return None if is_fee else _BAD
    return Amount(value, code)


def _plain(raw: str) -> Decimal | None:
    """None for empty, the value for a plain decimal, else ``_NOT_PLAIN``."""
    if not raw:
        return None
    return Decimal(raw) if PLAIN_DECIMAL.fullmatch(raw) else _NOT_PLAIN


def _account(account: str) -> str | None:
    """The account name (one shared string per name) when plainly valid, else None."""
    if account and account == account.strip() and len(account) <= MAX_NAME_CHARS and account.isprintable():
        if len(_good_accounts) < 10_000:
            _good_accounts[account] = account
        return account
    return None


def _text_ok(event_id: str, note: str) -> bool:
    if event_id and (
        event_id != event_id.strip() or len(event_id) > MAX_ID_CHARS
        or not event_id.isprintable() or ";" in event_id
    ):
        return False
    return not note or (note == note.strip() and len(note) <= MAX_NOTE_CHARS)


def _source(raw: str, default: SourceRef) -> SourceRef | None:
    if not raw:
        return default
    path, _, line = raw.rpartition(":")
    if not path or not (line.isascii() and line.isdigit()) or len(raw) > MAX_SOURCE_CHARS or raw != raw.strip():
        return None
    number = int(line)
    if not 0 < number < 10**9:
        return None
    return SourceRef(_paths.setdefault(path, path), number)


def _time(raw: str) -> datetime | None:
    cached = _time_cache.get(raw)
    if isinstance(cached, datetime):
        return cached
    try:
        return parse_time(raw)
    except ValueError:
        return None


def _sides_ok(rules: tuple[str, str], sent: Amount | None, received: Amount | None) -> bool:
    rule_sent, rule_received = rules
    if rule_sent == "one":
        return (sent is None) != (received is None)  # exactly one side
    return (sent is None) == (rule_sent == "no") and (received is None) == (rule_received == "no")


def _extras(
    type_name: str, allowed: frozenset[str], cells: tuple[str, str, str], time: datetime, account: str
) -> dict[str, Any] | None:
    """``to_account`` / ``basis_usd`` / ``acquired`` (``cells``) when plainly valid for the type."""
    to_account, basis, acquired = cells
    if type_name == "transfer" and (to_account == account or _account(to_account) is None):
        return None  # a transfer needs its (other, plainly valid) receiving account
    if (to_account and "to_account" not in allowed) or (basis and "basis_usd" not in allowed) or (
        acquired and "acquired" not in allowed
    ):
        return None
    extra: dict[str, Any] = {"to_account": to_account} if to_account else {}
    if basis:
        value = _plain(basis)
        if value is _NOT_PLAIN:
            return None
        extra["basis_usd"] = value
    if acquired:
        when = _time(acquired)
        if when is None or when > time:
            return None
        extra["acquired"] = when
    return extra


def positions(header: Sequence[str]) -> Positions:
    """Where each of :data:`GENERIC_COLUMNS` is in rows read under ``header`` (-1 = absent:
    the last cell of a row given to :func:`fast_row`, which must be an extra ``""``)."""
    index = {name: i for i, name in enumerate(header)}
    return tuple(index.get(column, -1) for column in GENERIC_COLUMNS)


_IN_ORDER: Positions = tuple(range(len(GENERIC_COLUMNS)))


def fast_event(cells: Mapping[str, str], source: SourceRef, seq: int) -> EventBase | None:
    """The row's event when it is plainly valid, else None (run the full validator)."""
    row = [cells.get(column) or "" for column in GENERIC_COLUMNS]
    row.append("")
    return fast_row(row, _IN_ORDER, source, seq)


def fast_row(row: Sequence[str], at: Positions, source: SourceRef, seq: int) -> EventBase | None:
    """:func:`fast_event` on a CSV row: cells at ``at`` (:func:`positions`), plus a last ``""``."""
    (i_time, i_account, i_type, i_sent_q, i_sent_a, i_recv_q, i_recv_a, i_fee_q, i_fee_a, i_usd,
     i_fee_usd, i_to, i_basis, i_acquired, i_lots, i_id, i_note, i_source) = at
    type_name = row[i_type]
    spec = _TYPES.get(type_name)
    if spec is None or row[i_lots]:
        return None
    time = _time(row[i_time])
    account = _good_accounts.get(row[i_account]) or _account(row[i_account])
    if time is None or account is None:
        return None
    extra = _NO_EXTRA
    specific = (row[i_to], row[i_basis], row[i_acquired])
    if spec[2] or specific[0] or specific[1] or specific[2]:
        found = _extras(type_name, spec[2], specific, time, account)
        if found is None:
            return None
        extra = found
    sent = _leg(row[i_sent_q], row[i_sent_a], False)
    received = _leg(row[i_recv_q], row[i_recv_a], False)
    fee = _leg(row[i_fee_q], row[i_fee_a], True)
    if sent is _BAD or received is _BAD or fee is _BAD or not _sides_ok(spec[1], sent, received):
        return None
    usd, fee_usd = _plain(row[i_usd]), _plain(row[i_fee_usd])
    if usd is _NOT_PLAIN or fee_usd is _NOT_PLAIN or (fee is None and fee_usd):
        return None  # (a fee value without a fee: the full validator explains)
    event_id, note, raw_source = row[i_id], row[i_note], row[i_source]
    event_source = _source(raw_source, source) if raw_source else source
    if event_source is None or ((event_id or note) and not _text_ok(event_id, note)):
        return None
    return spec[0](
        time=time, account=account, source=event_source, seq=seq, sent=sent, received=received,
        fee=fee, usd_value=usd, fee_usd=fee_usd if fee is not None else None,
        event_id=event_id, note=note, **extra,
    )


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many acyclic objects.

    Bulk loads (a million events) otherwise trigger repeated full collections that scan
    every object built so far, which costs more than the parsing itself. Reference counting
    still frees everything; the collector is restored (and never left off) on exit.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
