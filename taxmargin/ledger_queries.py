"""SQL used by :mod:`taxmargin.ledger`, built once from the schema's column list."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from functools import cache

from taxmargin.ledger_schema import EVENT_VALUE_COLUMNS

__all__ = ["LOOKUP_CHUNK", "PRICE_ASSET", "Existing", "find_existing", "insert_sql", "select_events_sql"]

#: Asset codes in the price table: the generic CSV's rule (interfaces.md §2).
PRICE_ASSET = re.compile(r"[A-Z0-9._\-]{1,20}")
#: Keys looked up per query (below SQLite's oldest host-parameter limit of 999).
LOOKUP_CHUNK = 900


@cache
def insert_sql() -> str:
    columns = ("import_id", "dedup_key", "fingerprint", *EVENT_VALUE_COLUMNS, "source_path", "source_line", "seq")
    marks = ", ".join("?" * len(columns))
    return f"INSERT INTO events ({', '.join(columns)}) VALUES ({marks})"


@cache
def select_events_sql() -> str:
    """Event cells, then source path, line and seq; in booking order (design.md §4)."""
    columns = ", ".join((*EVENT_VALUE_COLUMNS, "source_path", "source_line", "seq"))
    return f"SELECT {columns} FROM events ORDER BY time, source_path, source_line, seq, event_pk"


#: A stored event found by its de-duplication key: (fingerprint, source path, source line, event_pk).
Existing = tuple[bytes, str, int, int]


def find_existing(conn: sqlite3.Connection, keys: Sequence[int]) -> dict[int, Existing]:
    """Stored events among ``keys``: key -> (fingerprint, source path, source line, event_pk)."""
    found: dict[int, Existing] = {}
    for start in range(0, len(keys), LOOKUP_CHUNK):
        chunk = keys[start : start + LOOKUP_CHUNK]
        marks = ", ".join("?" * len(chunk))
        for key, fingerprint, path, line, pk in conn.execute(
            "SELECT dedup_key, fingerprint, source_path, source_line, event_pk FROM events"
            f" WHERE dedup_key IN ({marks})",
            chunk,
        ):
            found[key] = (fingerprint, path, line, pk)
    return found
