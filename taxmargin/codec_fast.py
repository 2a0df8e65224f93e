"""Fast path for ordinary, valid taxmargin-CSV rows (issue 6: a million rows in seconds).

:func:`fast_event` accepts only rows it can prove valid with a few cheap checks (exact
lower-case ``type``, cells without surrounding blanks, plain decimals, known-good account
and asset codes, no type-specific columns) and builds exactly the event the full validator
(:func:`taxmargin.codec_rules.parse_cells`) would build. Anything else returns ``None`` and
the caller runs the full validator, which reports the problems. A property test checks that
the two paths agree (tests/test_codec.py).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal

from taxmargin.codec_rules import (
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

__all__ = ["fast_event", "paused_gc"]

#: Stands for "this leg needs the full validator" (never part of an event).
_BAD = Amount(Decimal(-1), "")
_NOT_PLAIN = Decimal(-1)
#: Types the fast path builds: those without type-specific columns.
_TYPES: dict[str, tuple[type[EventBase], tuple[str, str]]] = {
    name: (cls, SIDES[name]) for name, cls in EVENT_TYPES.items() if name != "transfer"
}
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


def fast_event(cells: Mapping[str, str], source: SourceRef, seq: int) -> EventBase | None:
    """The row's event when it is plainly valid, else None (run the full validator)."""
    get = cells.get
    spec = _TYPES.get(get("type", ""))
    if spec is None or get("to_account") or get("basis_usd") or get("acquired") or get("lots"):
        return None
    time = _time(get("time", ""))
    raw_account = get("account", "")
    account = _good_accounts.get(raw_account) or _account(raw_account)
    if time is None or account is None:
        return None
    sent = _leg(get("sent_quantity", ""), get("sent_asset", ""), False)
    received = _leg(get("received_quantity", ""), get("received_asset", ""), False)
    fee = _leg(get("fee_quantity", ""), get("fee_asset", ""), True)
    if sent is _BAD or received is _BAD or fee is _BAD or not _sides_ok(spec[1], sent, received):
        return None
    usd, fee_usd = _plain(get("usd_value", "")), _plain(get("fee_usd_value", ""))
    if usd is _NOT_PLAIN or fee_usd is _NOT_PLAIN or (fee is None and fee_usd):
        return None  # (a fee value without a fee: the full validator explains)
    event_id, note, raw_source = get("id", ""), get("note", ""), get("source", "")
    event_source = _source(raw_source, source) if raw_source else source
    if event_source is None or ((event_id or note) and not _text_ok(event_id, note)):
        return None
    return spec[0](
        time=time, account=account, source=event_source, seq=seq, sent=sent, received=received,
        fee=fee, usd_value=usd, fee_usd=fee_usd if fee is not None else None,
        event_id=event_id, note=note,
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
