"""Reading every stored event in booking order: ``Ledger.events`` (issue 6: a million
events in a few seconds).

Booking order is ``(time, source path, line, seq)``, ties by ``event_pk``
(:func:`taxmargin.ledger_queries.select_events_sql`). Sorting a million rows costs SQLite
half a second; but an import usually appends events in that very order, and the store
records whether every event so far was (the ``meta`` flag
:data:`taxmargin.ledger_queries.IN_ORDER`, ``ledger_store.Order``). When it says so, the rows
are read in ``event_pk`` order without sorting, and each chunk is checked to continue the
booking order (:func:`taxmargin.ledger_load.in_order`): the flag only saves the sort, it is
never trusted. A large ledger's rows are then fetched by a helper process
(:mod:`taxmargin.ledger_fetch`). Anything unexpected in that read — rows out of order, a
row that cannot be read, the helper failing (a ledger edited by hand, or written by a
taxmargin without the flag) — drops it and reads the rows again sorted by SQLite, which
gives the same events, or the same error, as always.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Generator
from pathlib import Path
from typing import Any

from taxmargin.errors import LedgerError
from taxmargin.ledger_fetch import FETCH_ROWS, fetched_rows
from taxmargin.ledger_load import BookingKey, InsaneAmount, in_order, read_events
from taxmargin.ledger_queries import IN_ORDER, select_events_sql, select_stored_order_sql
from taxmargin.models import EventBase

__all__ = ["LOAD_CHUNK", "stored_events"]

#: Stored rows fetched from SQLite at a time while loading.
LOAD_CHUNK = 5_000


def stored_events(conn: sqlite3.Connection, path: Path, timeout: float) -> list[EventBase]:
    """Every stored event of the ledger ``path`` open on ``conn``, in booking order (module
    docstring); a row that cannot be read raises :class:`LedgerError` naming it."""
    flag = conn.execute("SELECT value FROM meta WHERE key = ?", (IN_ORDER,)).fetchone()
    if flag == ("1",):
        found = _read(conn, path, timeout, select_stored_order_sql(), checked=True)
        if found is not None:
            return found
    events = _read(conn, path, timeout, select_events_sql(), checked=False)
    if events is None:  # cannot happen: only a checked read gives up
        raise LedgerError(f"{path}: the stored events could not be read")
    return events


def _read(conn: sqlite3.Connection, path: Path, timeout: float, sql: str, *, checked: bool) -> list[EventBase] | None:
    """The events of ``sql``'s rows; ``checked``: None when they are not in booking order,
    one cannot be read or the helper failed (the sorted read then reports it)."""
    out: list[EventBase] = []
    last: BookingKey | None = None
    chunks = _chunks(conn, path, timeout, sql, helper=checked)
    try:
        for rows in chunks:
            if rows is None:
                return out
            before = len(out)
            if checked and (last := in_order(rows, last)) is None:
                return None
            try:
                read_events(rows, out)
            except (ArithmeticError, ValueError, TypeError, KeyError, IndexError) as exc:
                if checked:
                    return None
                row = rows[len(out) - before]  # events are appended one by one: the next row failed
                what = "holds an amount that is not positive, finite and at most 1e18" if isinstance(
                    exc, InsaneAmount) else f"cannot be read ({type(exc).__name__})"
                raise LedgerError(
                    f"{path}: the stored event from {row[2]}:{row[3]} {what}: the ledger was changed "
                    f"outside taxmargin; run 'taxmargin check --ledger {path}'"
                ) from None
        return None  # the helper stopped before the end: read again
    finally:
        chunks.close()


def _chunks(
    conn: sqlite3.Connection, path: Path, timeout: float, sql: str, *, helper: bool
) -> Generator[list[Any] | None, None, None]:
    """``sql``'s rows a chunk at a time, then None (a missing None: not all delivered);
    by the helper process when ``helper`` and the ledger is large."""
    if helper:
        top = conn.execute("SELECT max(event_pk) FROM events").fetchone()[0]
        if isinstance(top, int) and top >= FETCH_ROWS:
            yield from fetched_rows(path, sql, timeout)
            return
    cursor = conn.execute(sql)
    while rows := cursor.fetchmany(LOAD_CHUNK):
        yield rows
    yield None
