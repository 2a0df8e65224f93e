"""SQL used by :mod:`taxmargin.ledger`, built once from the schema's column list."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from functools import cache

__all__ = [
    "IN_ORDER",
    "INSERT_COLUMNS",
    "LOOKUP_CHUNK",
    "STORED_COLUMNS",
    "PRICE_ASSET",
    "Existing",
    "find_existing",
    "insert_sql",
    "replace_sql",
    "select_events_sql",
    "select_stored_order_sql",
    "stored_events_sql",
]

#: Asset codes in the price table: the generic CSV's rule (interfaces.md §2).
PRICE_ASSET = re.compile(r"[A-Z0-9._\-]{1,20}")
#: ``meta`` key: "1" while the events' ``event_pk`` order is their booking order, so
#: ``Ledger.events`` may read them without sorting (it still checks: ``taxmargin.ledger_read``);
#: kept by ``ledger_store.Order``.
IN_ORDER = "events_in_order"
#: Keys looked up per query (below SQLite's oldest host-parameter limit of 999).
LOOKUP_CHUNK = 900


#: An event row as ``Ledger.store`` inserts it (schema version 3).
INSERT_COLUMNS = ("import_id", "dedup_key", "fingerprint", "time", "cells", "source_path", "source_line", "seq",
                  "authority")
#: An event row as it is read back: the cells, then source path, line and seq.
STORED_COLUMNS = ("time", "cells", "source_path", "source_line", "seq")


@cache
def insert_sql(import_id: int, authority: int) -> str:
    """Insert events of one import: ``import_id`` and ``authority`` are the same for all of
    them (written into the statement: two numbers fewer to bind per event), the other
    :data:`INSERT_COLUMNS` are bound in order."""
    values = f"{int(import_id)}, ?, ?, ?, ?, ?, ?, ?, {int(authority)}"
    return f"INSERT INTO events ({', '.join(INSERT_COLUMNS)}) VALUES ({values})"


@cache
def replace_sql() -> str:
    """Replace a stored event's content, source and owner in place (same key and event_pk):
    the :data:`INSERT_COLUMNS` but the key, then the event_pk."""
    columns = [c for c in INSERT_COLUMNS if c != "dedup_key"]
    return f"UPDATE events SET {', '.join(c + ' = ?' for c in columns)} WHERE event_pk = ?"


@cache
def stored_events_sql(count: int) -> str:
    """``count`` stored events by event_pk: event_pk, import_id, fingerprint, then
    :data:`STORED_COLUMNS`."""
    columns = ", ".join(("event_pk", "import_id", "fingerprint", *STORED_COLUMNS))
    return f"SELECT {columns} FROM events WHERE event_pk IN ({', '.join('?' * count)})"


@cache
def select_events_sql() -> str:
    """Every event's :data:`STORED_COLUMNS`, in booking order (design.md §4)."""
    return f"SELECT {', '.join(STORED_COLUMNS)} FROM events ORDER BY time, source_path, source_line, seq, event_pk"


@cache
def select_stored_order_sql() -> str:
    """Every event's :data:`STORED_COLUMNS` in ``event_pk`` order (no sort: the booking
    order when the events were stored in it, ``ledger_store.Order``)."""
    return f"SELECT {', '.join(STORED_COLUMNS)} FROM events ORDER BY event_pk"


#: A stored event found by its de-duplication key: (fingerprint, source path, source line,
#: event_pk, authority).
Existing = tuple[bytes, str, int, int, int]


def find_existing(conn: sqlite3.Connection, keys: Sequence[int]) -> dict[int, Existing]:
    """Stored events among ``keys``: key -> :data:`Existing`."""
    found: dict[int, Existing] = {}
    for start in range(0, len(keys), LOOKUP_CHUNK):
        chunk = keys[start : start + LOOKUP_CHUNK]
        marks = ", ".join("?" * len(chunk))
        for key, fingerprint, path, line, pk, authority in conn.execute(
            "SELECT dedup_key, fingerprint, source_path, source_line, event_pk, authority FROM events"
            f" WHERE dedup_key IN ({marks})",
            chunk,
        ):
            found[key] = (fingerprint, path, line, pk, authority)
    return found
