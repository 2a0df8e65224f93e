"""What :meth:`taxmargin.ledger.Ledger.store` records beside the events (issue 7, schema
version 2): the row reconciliation, the links from an import to the events it found
already stored, the source files its events name, and the exchange's balance checkpoints.

Rows are attributed through ``ImportResult.rows_per_event``: the rows of an event that was
stored count as *stored*, those of an event already in the ledger as *duplicates*, those
of an event whose id is stored with different content as *in conflict*. So
``rows read = stored + duplicates + in conflict + non-taxable + rejected`` for every
import (``ImportRecord.reconciliation``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field

from taxmargin.codec_rules import format_decimal
from taxmargin.importers.base import BalanceCheckpoint
from taxmargin.ledger_queries import Existing
from taxmargin.ledger_schema import stored_time
from taxmargin.models import EventBase

__all__ = ["Prepared", "Tally", "store_extras"]

#: An event ready for insertion: (event, dedup key, content fingerprint, stored cells,
#: input rows it was built from) — ``ledger._prepare``.
Prepared = tuple[EventBase, int, bytes, tuple[str, ...], int]


@dataclass(slots=True)
class Tally:
    """Counts and links of one import while its chunks are classified."""

    stored: int = 0
    duplicates: int = 0
    rows_stored: int = 0
    rows_duplicate: int = 0
    rows_conflict: int = 0
    conflicts: list[str] = field(default_factory=list)
    links: list[tuple[int, str]] = field(default_factory=list)  # (stored event_pk, role)
    sources: set[str] = field(default_factory=set)

    def classify(self, prepared: Sequence[Prepared], existing: dict[int, Existing]) -> list[Prepared]:
        """The new events of a chunk; duplicates and conflicts are counted and linked."""
        new: list[Prepared] = []
        for item in prepared:
            event, key, fingerprint, _, rows = item
            stored = existing.get(key)
            if stored is None:
                new.append(item)
                self.stored += 1
                self.rows_stored += rows
            elif stored[0] == fingerprint:
                self.duplicates += 1
                self.rows_duplicate += rows
                self.links.append((stored[3], "duplicate"))
            else:
                self.rows_conflict += rows
                self.links.append((stored[3], "conflict"))
                self.conflicts.append(_conflict_message(event, stored))
        return new


def _conflict_message(event: EventBase, stored: Existing) -> str:
    what = f"event id '{event.event_id}'" if event.event_id else "an event whose de-duplication key"
    return (
        f"{event.source}: {what} (account '{event.account}') is "
        f"already stored from {stored[1]}:{stored[2]} with different content; kept the stored event"
    )


def store_extras(
    conn: sqlite3.Connection, import_id: int, tally: Tally, balances: Sequence[BalanceCheckpoint]
) -> None:
    """Counts, conflict messages, links, source files and balance checkpoints of an import
    (inside the import's transaction)."""
    conn.execute(
        "UPDATE imports SET events_stored = ?, duplicates = ?, rows_stored = ?, rows_duplicate = ?,"
        " rows_conflict = ? WHERE import_id = ?",
        (tally.stored, tally.duplicates, tally.rows_stored, tally.rows_duplicate, tally.rows_conflict, import_id),
    )
    conn.executemany(
        "INSERT INTO import_conflicts (import_id, position, message) VALUES (?, ?, ?)",
        [(import_id, i, message) for i, message in enumerate(tally.conflicts)],
    )
    conn.executemany(
        "INSERT OR IGNORE INTO import_links (import_id, event_pk, role) VALUES (?, ?, ?)",
        [(import_id, pk, role) for pk, role in tally.links],
    )
    conn.executemany(
        "INSERT INTO import_sources (import_id, source_path) VALUES (?, ?)",
        [(import_id, path) for path in sorted(tally.sources)],
    )
    conn.executemany(
        "INSERT INTO balances (import_id, position, account, asset, time, balance, skipped, opening,"
        " source_path, source_line) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (import_id, i, cp.account, cp.asset, stored_time(cp.time), format_decimal(cp.balance),
             format_decimal(cp.skipped), format_decimal(cp.opening), cp.source.path, cp.source.line)
            for i, cp in enumerate(balances)
        ],
    )
