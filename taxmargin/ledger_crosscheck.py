"""Two files' events with one de-duplication key, different content and different
``ImportResult.authority`` (issue 4: Kraken ``trades.csv``, "cross-checked against the ledger
when both are imported"; exchange-formats.md P14: ``ledgers.csv`` is authoritative).

The higher authority's event is the one stored, whichever file is imported first:

* the incoming event has the lower authority: it is a duplicate of the stored event
  (``Tally.classify`` links it as such);
* it has the higher authority: it replaces the stored event in place (same ``event_pk``,
  same key), and ``import_replacements`` records the replaced event's import, source and
  fingerprint (schema version 3).

Either way the two are compared, and a ``cross-check`` :class:`~taxmargin.errors.Diagnostic`
at the lower-authority event's row names the kept one where they differ: a *warning* when
``sent`` or ``received`` differ, *info* when only the fee does (trades.csv's fee is Kraken's
quote-currency estimate, P14). Quantities agree when, rounded (half up or down) to the
places of the less precise one, they are equal: ``ledgers.csv`` writes GBP with 4 places
where ``trades.csv`` has 8 (``1478.0404`` and ``1478.04040853`` agree; ``204`` USDT and
``203.72014494`` do not). One info note per import counts the events cross-checked.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from taxmargin.codec_rules import format_decimal
from taxmargin.errors import Diagnostic, Severity
from taxmargin.ledger_load import event_from_row
from taxmargin.ledger_queries import LOOKUP_CHUNK, replace_sql, stored_events_sql
from taxmargin.ledger_store import Collision, Tally
from taxmargin.models import FIAT, Amount, EventBase

__all__ = ["resolve"]

#: A stored event read back: (event, its import id, its fingerprint).
_Stored = tuple[EventBase, int, bytes]


def resolve(
    conn: sqlite3.Connection, import_id: int, authority: int, collisions: Sequence[Collision], tally: Tally
) -> None:
    """Replace the stored events of lower authority among ``collisions`` and cross-check
    every pair (module docstring); inside the import's transaction."""
    if not collisions:
        return
    stored = _load(conn, [existing[3] for _, existing in collisions])
    for item, existing in collisions:
        event, _, fingerprint, time, cells, _ = item
        kept, kept_import, kept_fingerprint = stored[existing[3]]
        if authority > existing[4]:
            conn.execute(replace_sql(), (import_id, fingerprint, time, cells, event.source.path, event.source.line,
                                         event.seq, authority, existing[3]))
            conn.execute(
                "INSERT INTO import_replacements (import_id, event_pk, replaced_import_id, replaced_path,"
                " replaced_line, replaced_fingerprint) VALUES (?, ?, ?, ?, ?, ?)",
                (import_id, existing[3], kept_import, kept.source.path, kept.source.line, kept_fingerprint),
            )
            tally.sources.add(event.source.path)
            low, high = kept, event
        else:
            low, high = event, kept
        note = cross_check(low, high)
        if note is not None:
            tally.diagnostics.append(note)
    tally.diagnostics.append(_summary(collisions, authority, stored))


def _load(conn: sqlite3.Connection, pks: Sequence[int]) -> dict[int, _Stored]:
    found: dict[int, _Stored] = {}
    for start in range(0, len(pks), LOOKUP_CHUNK):
        chunk = pks[start : start + LOOKUP_CHUNK]
        for row in conn.execute(stored_events_sql(len(chunk)), chunk):
            found[row[0]] = (event_from_row(row[3:]), row[1], row[2])
    return found


def cross_check(low: EventBase, high: EventBase) -> Diagnostic | None:
    """What differs between a cross-check-only event (``low``) and the authoritative event
    with its key (``high``), as a ``cross-check`` diagnostic at ``low``'s row; None when
    sent, received and fee agree (module docstring)."""
    sides = [name for name in ("sent", "received") if not _agree(getattr(low, name), getattr(high, name))]
    fee = not _agree(low.fee, high.fee)
    if not sides and not fee:
        return None
    differ = [*sides, *(["fee"] if fee else [])]
    detail = "; ".join(f"{name} {_show(getattr(low, name))} here, {_show(getattr(high, name))} there" for name in differ)
    ident = f" (id '{high.event_id}')" if high.event_id else ""
    severity = Severity.WARNING if sides else Severity.INFO
    why = "" if sides else " (its fee is an estimate, exchange-formats.md P14)"
    return Diagnostic(
        severity, "cross-check",
        f"cross-checked against {high.source}{ident}: {detail}; the authoritative event from "
        f"{high.source} is the one stored{why}",
        low.source,
    )


def _show(amount: Amount | None) -> str:
    return "none" if amount is None else f"{format_decimal(amount.quantity)} {amount.asset}"


def _agree(a: Amount | None, b: Amount | None) -> bool:
    """Same asset, and quantities equal to the precision of the less precise one (module
    docstring). Both are taken in their stored (canonical) form, so the answer does not
    depend on which file was imported first; as trailing zeros are not stored, a figure is
    taken to have at least the places Kraken's ledger writes (4 for fiat, 8 for crypto)."""
    if a is None or b is None:
        return a is b
    if a.asset != b.asset:
        return False
    one, two = Decimal(format_decimal(a.quantity)), Decimal(format_decimal(b.quantity))
    places = max(min(_places(one), _places(two)), 4 if a.asset in FIAT else 8)
    unit = Decimal(1).scaleb(-places)
    rounded = [{x.quantize(unit, rounding=ROUND_HALF_UP), x.quantize(unit, rounding=ROUND_DOWN)} for x in (one, two)]
    return bool(rounded[0] & rounded[1])


def _places(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _summary(collisions: Sequence[Collision], authority: int, stored: dict[int, _Stored]) -> Diagnostic:
    files = sorted({stored[existing[3]][0].source.path for _, existing in collisions})
    replaced = sum(1 for _, existing in collisions if authority > existing[4])
    count = len(collisions)
    if replaced:
        what = (f"{replaced} stored events of lower authority (cross-check only) from {', '.join(files)} "
                "were replaced by this file's events with the same ids")
    else:
        what = (f"{count} events of this file have the same ids as stored authoritative events from "
                f"{', '.join(files)}: those are kept, these only cross-check them")
    return Diagnostic(Severity.INFO, "cross-check", f"{what} (differences are listed as cross-check notes)")
