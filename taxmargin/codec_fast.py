"""Fast path for ordinary, valid taxmargin-CSV rows (issue 6: a million rows in seconds).

:func:`fast_cells` / :func:`fast_event` accept only rows they can prove valid with a few
cheap checks (exact lower-case ``type``, cells without surrounding blanks, plain decimals,
plainly valid account names and asset codes, ISO times inside the accepted range, no
``lots``) and build exactly the event the full validator
(:func:`taxmargin.codec_rules.validate_cells`) would build. Anything else returns ``None``
and the caller runs the full validator, which reports the problems. :func:`fast_cells` also
returns the event's stored text (``taxmargin.codec.stored_text``: what the ledger stores and
fingerprints), taken from the cells themselves where they are already canonical, so the
ledger need not format the event again. Property tests check that the two paths agree and
that the text is the codec's (tests/test_codec_fast.py)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal

from taxmargin.codec_build import Builder, amount, builders, source_ref
from taxmargin.codec_rules import (
    GENERIC_COLUMNS,
    MAX_ID_CHARS,
    MAX_NAME_CHARS,
    MAX_NOTE_CHARS,
    MAX_SOURCE_CHARS,
    PLAIN_DECIMAL,
    _asset_cache,
    _parse_time_uncached,
    asset_code,
    format_decimal,
    format_time,
    stored_time,
)
from taxmargin.models import EVENT_TYPES, SIDES, Amount, EventBase, SourceRef

__all__ = ["Positions", "fast_cells", "fast_event", "fast_row", "fast_text", "positions"]

#: Index of each of GENERIC_COLUMNS in a row list (see :func:`positions`).
Positions = tuple[int, ...]

#: Plain decimals already in ``format_decimal``'s form (no leading / trailing zeros): stored as read.
_CANONICAL = re.compile(r"(?:0|[1-9][0-9]{0,17})(?:\.[0-9]{0,23}[1-9])?")
_fullmatch = _CANONICAL.fullmatch
_fromisoformat = datetime.fromisoformat
_BUILD = builders()
#: ``(sent given, received given)`` as ``2 * sent + received`` -> allowed, per sides rule
_SIDE_MASKS = {("req", "req"): frozenset({3}), ("no", "req"): frozenset({1}), ("req", "no"): frozenset({2}),
               ("one", "one"): frozenset({1, 2})}
#: Every type: its builder, the side masks it allows, the type-specific columns it takes, its name.
_TYPES: dict[str, tuple[Builder, frozenset[int], frozenset[str], str]] = {
    name: (_BUILD[cls], _SIDE_MASKS[SIDES[name]], frozenset(
        {"transfer": {"to_account"}, "deposit": {"basis_usd", "acquired"}, "realized_pnl": {"acquired"}}.get(name, ())
    ), name)
    for name, cls in EVENT_TYPES.items()
}
#: A leg, a USD value or the type-specific cells: (value(s), canonical cell text(s)).
Leg = tuple[Amount | None, str, str]
_NO_LEG: Leg = (None, "", "")
Value = tuple[Decimal | None, str]
_NO_VALUE: Value = (None, "")
Extras = tuple[str, Decimal | None, datetime | None, str, str]
_NO_EXTRAS: Extras = ("", None, None, "", "")
#: A time: (value, stored form ``stored_time``, export form ``format_time``).
Timed = tuple[datetime, str, str]
_good_accounts: dict[str, str] = {}
_paths: dict[str, str] = {}
_times: dict[str, Timed] = {}
_TIMES_LIMIT = 200_000
#: ``codec_rules``' quick range (2009-01-04 .. 2099-12-31) as text: ISO text order is time order
_QUICK_FROM, _QUICK_TO = "2009-01-04", "2099-12-31"


def _canonical(raw: str) -> str | None:
    """``format_decimal`` of a plain decimal (the cell as read when already in that form),
    None when not a plain decimal."""
    if _CANONICAL.fullmatch(raw):
        return raw
    return format_decimal(Decimal(raw)) if PLAIN_DECIMAL.fullmatch(raw) else None


def _leg(quantity: str, asset: str, is_fee: bool) -> Leg | None:
    """A given leg with its cells (``_NO_LEG`` for a zero fee), None when it needs the full
    validator (the checks of :func:`_leg_text`, repeated here rather than called: three legs
    a row, a million rows)."""
    code = _asset_cache.get(asset) or asset_code(asset)
    if code is None:
        return None
    text = quantity if _fullmatch(quantity) else _canonical(quantity)
    if text is None:
        return None
    if text == "0":
        return _NO_LEG if is_fee else None
    return amount(Decimal(quantity), code), text, code


def _leg_text(quantity: str, asset: str, is_fee: bool) -> tuple[str, str] | None:
    """A given leg's cells: (quantity text, asset code); ``_NO_TEXT`` for a zero fee, None
    when it needs the full validator."""
    code = _asset_cache.get(asset) or asset_code(asset)
    if code is None:
        return None
    text = quantity if _fullmatch(quantity) else _canonical(quantity)
    if text is None:
        return None
    if text == "0":
        return _NO_TEXT if is_fee else None
    return text, code


_NO_TEXT = ("", "")


def _value(raw: str) -> Value | None:
    """A given USD value with its cell, None when not a plain decimal."""
    text = raw if _fullmatch(raw) else _canonical(raw)
    return None if text is None else (Decimal(raw), text)


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
    return source_ref(_paths.setdefault(path, path), number)


def _timed(raw: str) -> Timed | None:
    """The time of a cell with its two texts, None when the full validator must look at it."""
    if len(raw) == 20 and raw[4] == "-" and raw[7] == "-" and raw[10] == "T" and raw[13] == ":" \
            and raw[16] == ":" and raw[19] == "Z" and _QUICK_FROM <= raw < _QUICK_TO:
        # 2024-03-01T12:00:00Z, the usual form: stored and export texts follow from the cell
        try:
            timed = (datetime.fromisoformat(raw), raw[:19] + ".000000Z", raw)
        except ValueError:
            return None
    else:
        value = _parse_time_uncached(raw)
        if isinstance(value, str):
            return None
        timed = (value, stored_time(value), format_time(value))
    return timed


def _timed_cached(raw: str) -> Timed | None:
    """:func:`_timed`, cached by cell (``acquired``: many events share a position's opening)."""
    found = _times.get(raw)
    if found is None:
        found = _timed(raw)
        if found is not None:
            if len(_times) >= _TIMES_LIMIT:
                _times.clear()
            _times[raw] = found
    return found


def _extras(type_name: str, allowed: frozenset[str], cells: tuple[str, str, str], time: datetime,
            account: str) -> Extras | None:
    """``to_account`` / ``basis_usd`` / ``acquired`` (``cells``) with their stored cells,
    when plainly valid for the type."""
    to_account, basis, acquired = cells
    if type_name == "transfer" and (to_account == account or _account(to_account) is None):
        return None  # a transfer needs its (other, plainly valid) receiving account
    if (to_account and "to_account" not in allowed) or (basis and "basis_usd" not in allowed) or (
        acquired and "acquired" not in allowed
    ):
        return None
    value = _value(basis) if basis else _NO_VALUE
    when = _timed_cached(acquired) if acquired else None
    if value is None or (acquired and (when is None or when[0] > time)):
        return None
    return (to_account, value[0], None if when is None else when[0], value[1], "" if when is None else when[2])


def positions(header: Sequence[str]) -> Positions:
    """Where each of :data:`GENERIC_COLUMNS` is in rows read under ``header`` (-1 = absent:
    the last cell of the row, which must be an extra ``""``; see :func:`fast_row`)."""
    index = {name: i for i, name in enumerate(header)}
    return tuple(index.get(column, -1) for column in GENERIC_COLUMNS)


def fast_event(cells: Mapping[str, str], source: SourceRef, seq: int) -> EventBase | None:
    """The row's event when it is plainly valid, else None (run the full validator)."""
    found = fast_cells([cells.get(column) or "" for column in GENERIC_COLUMNS], source, seq)
    return None if found is None else found[0]


def fast_row(row: Sequence[str], at: Positions, source: SourceRef, seq: int) -> tuple[EventBase, str] | None:
    """:func:`fast_cells` on a CSV row: cells at ``at`` (:func:`positions`), plus a last ``""``."""
    return fast_cells([row[i] for i in at], source, seq)


def _head(time_raw: str, account_raw: str, allowed: frozenset[str], type_name: str, to_raw: str, basis_raw: str,
          acquired_raw: str) -> tuple[datetime, str, str, Extras] | None:
    """What :func:`fast_cells` and :func:`fast_text` check first: the time (its value and
    stored text), the account and the type's own cells; None when the full validator must
    decide."""
    if len(time_raw) == 20 and time_raw[19] == "Z" and time_raw[10] == "T" and time_raw[4] == "-" \
            and time_raw[7] == "-" and time_raw[13] == ":" and time_raw[16] == ":" and _QUICK_FROM <= time_raw < _QUICK_TO:
        try:  # (as _timed's usual form, inline: once per row)
            time, stored = _fromisoformat(time_raw), time_raw[:19] + ".000000Z"
        except ValueError:
            return None
    else:
        timed = _timed(time_raw)
        if timed is None:
            return None
        time, stored = timed[0], timed[1]
    account = _good_accounts.get(account_raw) or _account(account_raw)
    if account is None:
        return None
    if allowed or to_raw or basis_raw or acquired_raw:
        extras = _extras(type_name, allowed, (to_raw, basis_raw, acquired_raw), time, account)
        return None if extras is None else (time, stored, account, extras)
    return time, stored, account, _NO_EXTRAS


def fast_cells(cells: Sequence[str], source: SourceRef, seq: int) -> tuple[EventBase, str] | None:
    """The event of a row given as its cells in :data:`GENERIC_COLUMNS` order, with its
    stored text, when plainly valid; None when the full validator must decide. (One
    function on purpose: it runs once per row of a million-row file.)"""
    (time_raw, account_raw, type_raw, sent_q, sent_a, recv_q, recv_a, fee_q, fee_a, usd_raw, fee_usd_raw,
     to_raw, basis_raw, acquired_raw, lots, event_id, note, source_raw) = cells
    spec = _TYPES.get(type_raw)
    if spec is None or lots:
        return None
    build, masks, allowed, type_name = spec
    head = _head(time_raw, account_raw, allowed, type_name, to_raw, basis_raw, acquired_raw)
    if head is None:
        return None
    time, stored, account, extras = head
    sent = _leg(sent_q, sent_a, False) if sent_q or sent_a else _NO_LEG
    received = _leg(recv_q, recv_a, False) if recv_q or recv_a else _NO_LEG
    fee = _leg(fee_q, fee_a, True) if fee_q or fee_a else _NO_LEG
    if sent is None or received is None or fee is None or \
            (sent[0] is not None) * 2 + (received[0] is not None) not in masks:
        return None
    # a USD value is often its USD leg's quantity: the same number, one shared value
    # (a given leg's amount is never None here: ``_NO_LEG`` is only a fee of zero, and zero
    # is no USD value of a fee)
    usd = _NO_VALUE if not usd_raw else (sent[0].quantity, sent[1]) if usd_raw == sent_q and sent[0] else \
        (received[0].quantity, received[1]) if usd_raw == recv_q and received[0] else _value(usd_raw)
    fee_usd = _NO_VALUE if not fee_usd_raw else (fee[0].quantity, fee[1]) if fee_usd_raw == fee_q and fee[0] else \
        _value(fee_usd_raw)
    if usd is None or fee_usd is None or (fee[0] is None and fee_usd[0]):
        return None  # (a fee value without a fee: the full validator explains)
    if fee[0] is None:
        fee_usd = _NO_VALUE
    event_source = _source(source_raw, source) if source_raw else source
    if event_source is None or ((event_id or note) and not _text_ok(event_id, note)):
        return None
    event = build(time, account, event_source, event_id, sent[0], received[0], fee[0], fee_usd[0], usd[0], (),
                  note, seq, extras[0], extras[1], extras[2])
    return event, "\x1f".join((stored, account, type_name, sent[1], sent[2], received[1], received[2], fee[1],
                               fee[2], usd[1], fee_usd[1], extras[0], extras[3], extras[4], "", event_id, note))


def fast_text(cells: Sequence[str]) -> str | None:
    """``fast_cells(cells, ...)[1]`` without building the event: the stored text of a
    plainly valid row without a ``source`` cell, None where :func:`fast_cells` gives None
    (or the row has a ``source`` cell). The same checks in the same order, minus the
    amounts and the event: building them is two fifths of the parse, and a large import
    stored while it is parsed needs only the texts (``importers.generic``, issue 6). A
    property test checks that the two agree (tests/test_perf_import_lazy.py)."""
    (time_raw, account_raw, type_raw, sent_q, sent_a, recv_q, recv_a, fee_q, fee_a, usd_raw, fee_usd_raw,
     to_raw, basis_raw, acquired_raw, lots, event_id, note, source_raw) = cells
    spec = _TYPES.get(type_raw)
    if spec is None or lots or source_raw:
        return None
    _, masks, allowed, type_name = spec
    head = _head(time_raw, account_raw, allowed, type_name, to_raw, basis_raw, acquired_raw)
    if head is None:
        return None
    _, stored, account, extras = head
    sent = _leg_text(sent_q, sent_a, False) if sent_q or sent_a else _NO_TEXT
    received = _leg_text(recv_q, recv_a, False) if recv_q or recv_a else _NO_TEXT
    fee = _leg_text(fee_q, fee_a, True) if fee_q or fee_a else _NO_TEXT
    if sent is None or received is None or fee is None or (sent[0] != "") * 2 + (received[0] != "") not in masks:
        return None
    usd = "" if not usd_raw else sent[0] if usd_raw == sent_q and sent[0] else \
        received[0] if usd_raw == recv_q and received[0] else _value_text(usd_raw)
    fee_usd: Value | None = _NO_VALUE if not fee_usd_raw else (None, fee[0]) if fee_usd_raw == fee_q and fee[0] else \
        _value(fee_usd_raw)
    if usd is None or fee_usd is None or (not fee[0] and fee_usd[0]):
        return None
    if (event_id or note) and not _text_ok(event_id, note):
        return None
    return "\x1f".join((stored, account, type_name, sent[0], sent[1], received[0], received[1], fee[0], fee[1],
                        usd, fee_usd[1] if fee[0] else "", extras[0], extras[3], extras[4], "", event_id, note))


def _value_text(raw: str) -> str | None:
    """A given USD value's cell, None when not a plain decimal (as :func:`_value`)."""
    return raw if _fullmatch(raw) else _canonical(raw)
