"""The SQLite ledger (``taxmargin.db``): every imported event stored once.

* Events are stored as their generic-CSV cells (:mod:`taxmargin.codec`): exact decimal
  TEXT, ISO UTC times, plus ``import_id``, ``seq``, source path/line and a de-duplication
  key (schema: :mod:`taxmargin.ledger_schema`).
* De-duplication (interfaces.md §1: "importing the same file twice, or two exports whose
  date ranges overlap, stores every real event once; identical rows inside one file are
  real and are all kept"):

  - an event with an id: key ``(account, id, k)``, k = how many earlier events of the same
    import had that ``(account, id)``; the same key with different content is a
    *conflict*: the stored event is kept and the import reports it;
  - otherwise: key ``(fingerprint, k)``, fingerprint = the canonical row without
    ``source``, k = how many earlier events of the same import had that fingerprint. So
    3 identical fills in one file are 3 events; importing the file again adds none.

* :meth:`Ledger.store` is one ``BEGIN IMMEDIATE`` transaction: all or nothing. A second
  writer waits up to ``timeout`` seconds, then gets ``LedgerError("ledger is busy ...")``.
* Every import is recorded (file name, sha256, layout, time, row counts, conflicts).
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from sys import intern
from types import TracebackType
from typing import Self

from taxmargin.codec import event_from_values, event_to_values
from taxmargin.codec_fast import paused_gc
from taxmargin.codec_rules import format_decimal
from taxmargin.errors import InputError, LedgerError
from taxmargin.importers.base import FileText, ImportResult
from taxmargin.ledger_queries import (
    PRICE_ASSET,
    find_existing,
    insert_sql,
    select_events_sql,
)
from taxmargin.ledger_schema import SCHEMA_VERSION, ensure_schema, stored_time
from taxmargin.models import EventBase, SourceRef

__all__ = ["SCHEMA_VERSION", "ImportRecord", "Ledger"]

#: Events inserted per ``executemany`` call (all inside the one transaction).
CHUNK = 20_000


@dataclass(frozen=True, slots=True)
class ImportRecord:
    """One ``store`` call: what was read and what happened to it.

    ``events_stored + duplicates + len(conflicts)`` = the events the importer produced.
    ``conflicts`` are messages naming ``FILE:LINE`` of events whose id was already stored
    with different content (not stored; the earlier event is kept).
    """

    import_id: int
    file_name: str
    sha256: str
    layout: str
    imported_at: datetime
    rows_read: int
    events_stored: int
    duplicates: int
    non_taxable: int
    rejected: int
    conflicts: tuple[str, ...] = ()


#: An event ready for insertion: (event, dedup key, content fingerprint, stored cells).
_Prepared = tuple[EventBase, int, bytes, tuple[str, ...]]


def _prepare(events: Sequence[EventBase], seen: dict[bytes, int]) -> list[_Prepared]:
    """Canonical cells, content fingerprint and de-duplication key of every event.

    The fingerprint hashes the canonical cells without ``source``; the key is a 64-bit hash
    of ``(account, id)`` or of the fingerprint, plus k = how many earlier events of this
    import had the same one (counted in ``seen``, shared by the chunks of one import), so
    identical fills in one file stay distinct (module docstring). A key collision is never
    silent: with different fingerprints it is reported as a conflict.
    """
    out: list[_Prepared] = []
    blake2b = hashlib.blake2b
    for event in events:
        values = event_to_values(event, fixed_width_time=True)
        fingerprint = blake2b("\x1f".join(values).encode("utf-8", "surrogatepass"), digest_size=16).digest()
        if event.event_id:
            text = f"{event.account}\x1f{event.event_id}".encode("utf-8", "surrogatepass")
            base = b"i" + blake2b(text, digest_size=16).digest()
        else:
            base = b"f" + fingerprint
        k = seen.get(base, 0)
        seen[base] = k + 1
        key = int.from_bytes(blake2b(base + k.to_bytes(4, "big"), digest_size=8).digest(), "big", signed=True)
        out.append((event, key, fingerprint, values))
    return out


@contextmanager
def _sql_errors(label: str) -> Iterator[None]:
    """sqlite3 errors become :class:`LedgerError` with a message a user can act on."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        text = str(exc)
        if "locked" in text or "busy" in text:
            raise LedgerError(f"{label}: ledger is busy (another taxmargin is writing to it); try again") from None
        raise LedgerError(f"{label}: cannot use the ledger: {text}") from None
    except sqlite3.DatabaseError as exc:
        raise LedgerError(f"{label}: not a taxmargin ledger or damaged ({exc})") from None


class Ledger:
    """An open ledger file. Use :meth:`open`; a context manager (closes on exit)."""

    def __init__(self, conn: sqlite3.Connection, path: Path, version: int) -> None:
        self._conn = conn
        self._path = path
        self._version = version

    @classmethod
    def open(cls, path: Path, *, timeout: float = 5.0) -> Ledger:
        """Open ``path`` (created with the current schema on first use).

        Raises :class:`LedgerError` for a file that is not a taxmargin ledger, a newer
        schema, or a ledger that stays locked longer than ``timeout`` seconds.
        """
        label = str(path)
        if path.is_dir():
            raise LedgerError(f"{label}: is a directory, not a ledger file")
        conn: sqlite3.Connection | None = None
        try:
            with _sql_errors(label):
                conn = sqlite3.connect(label, timeout=timeout, isolation_level=None)
                conn.execute("PRAGMA foreign_keys = ON")
                conn.execute("PRAGMA cache_size = -65536")  # 64 MiB: big imports touch a large index
                version = ensure_schema(conn, label)
        except BaseException:
            if conn is not None:
                conn.close()
            raise
        return cls(conn, path, version)

    @property
    def path(self) -> Path:
        return self._path

    @property
    def schema_version(self) -> int:
        return self._version

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # ---- writing -------------------------------------------------------------------
    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` .. ``COMMIT``; any exception rolls everything back."""
        with _sql_errors(str(self._path)):
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
                self._conn.execute("COMMIT")
            except BaseException:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise

    def store(self, file: FileText, result: ImportResult, *, now: datetime | None = None) -> ImportRecord:
        """Store ``result`` (what a layout made of ``file``) in one transaction.

        New events are inserted; events already stored are counted as duplicates; an
        event whose id is stored with different content is a conflict (reported, not
        stored). The import itself is always recorded.
        """
        if result.unaccounted != 0:
            raise LedgerError(
                f"{file.name}: {result.unaccounted} rows are not accounted for by layout "
                f"{result.layout} (an importer bug); nothing stored"
            )
        imported_at = (now or datetime.now(UTC)).astimezone(UTC)
        seen: dict[bytes, int] = {}
        stored, duplicates, conflicts = 0, 0, []
        events = result.events
        with paused_gc(), self._transaction() as conn:
            # keys inside one import are distinct by construction: only earlier imports can match
            earlier = conn.execute("SELECT 1 FROM events LIMIT 1").fetchone() is not None
            import_id = self._insert_import(conn, file, result, imported_at)
            for start in range(0, len(events), CHUNK):  # chunks: bounded memory
                prepared = _prepare(events[start : start + CHUNK], seen)
                existing = find_existing(conn, [p[1] for p in prepared]) if earlier else {}
                new, chunk_duplicates, chunk_conflicts = _classify(prepared, existing)
                self._insert_chunk(conn, import_id, new)
                stored, duplicates = stored + len(new), duplicates + chunk_duplicates
                conflicts += chunk_conflicts
            conn.execute(
                "UPDATE imports SET events_stored = ?, duplicates = ? WHERE import_id = ?",
                (stored, duplicates, import_id),
            )
            conn.executemany(
                "INSERT INTO import_conflicts (import_id, position, message) VALUES (?, ?, ?)",
                [(import_id, i, message) for i, message in enumerate(conflicts)],
            )
        return ImportRecord(
            import_id, file.name, file.sha256, result.layout, imported_at, result.rows_read,
            stored, duplicates, len(result.non_taxable), result.rows_rejected, tuple(conflicts),
        )

    def _insert_import(
        self, conn: sqlite3.Connection, file: FileText, result: ImportResult, imported_at: datetime
    ) -> int:
        """The import's record (event counts are filled in when the events are stored)."""
        cursor = conn.execute(
            "INSERT INTO imports (file_name, sha256, layout, imported_at, rows_read, events_stored,"
            " duplicates, non_taxable, rejected) VALUES (?, ?, ?, ?, ?, 0, 0, ?, ?)",
            (file.name, file.sha256, result.layout, stored_time(imported_at), result.rows_read,
             len(result.non_taxable), result.rows_rejected),
        )
        if cursor.lastrowid is None:  # cannot happen: an INSERT into a rowid table sets it
            raise LedgerError(f"{self._path}: the import record got no id")
        return cursor.lastrowid

    def _insert_chunk(self, conn: sqlite3.Connection, import_id: int, chunk: Sequence[_Prepared]) -> None:
        conn.executemany(
            insert_sql(),
            [(import_id, key, fp, *values, e.source.path, e.source.line, e.seq) for e, key, fp, values in chunk],
        )

    def add_prices(self, points: Iterable[tuple[datetime, str, Decimal, str]]) -> int:
        """Add user price points ``(time, asset, usd per unit, source)`` in one transaction.

        A point with the same (time, asset, source) replaces the stored price. Returns how
        many points were new or changed. Raises :class:`InputError` for a negative or
        non-finite price or a bad asset code.
        """
        rows = [_price_row(point) for point in points]
        with self._transaction() as conn:
            before = conn.total_changes
            conn.executemany(
                "INSERT INTO prices (time, asset, usd_per_unit, source) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (time, asset, source) DO UPDATE SET usd_per_unit = excluded.usd_per_unit"
                " WHERE usd_per_unit != excluded.usd_per_unit",
                rows,
            )
            return conn.total_changes - before

    # ---- reading -------------------------------------------------------------------
    def events(self) -> list[EventBase]:
        """Every stored event, sorted by (time, source path, line, seq) (design.md §4)."""
        out: list[EventBase] = []
        append = out.append
        with _sql_errors(str(self._path)), paused_gc():
            for row in self._conn.execute(select_events_sql()):
                append(event_from_values(row, SourceRef(intern(row[17]), row[18]), row[19]))
        return out

    def event_count(self) -> int:
        with _sql_errors(str(self._path)):
            return int(self._conn.execute("SELECT count(*) FROM events").fetchone()[0])

    def imports(self) -> list[ImportRecord]:
        """Every recorded import, oldest first."""
        with _sql_errors(str(self._path)):
            conflicts: dict[int, list[str]] = {}
            for import_id, message in self._conn.execute(
                "SELECT import_id, message FROM import_conflicts ORDER BY import_id, position"
            ):
                conflicts.setdefault(import_id, []).append(message)
            rows = self._conn.execute(
                "SELECT import_id, file_name, sha256, layout, imported_at, rows_read, events_stored,"
                " duplicates, non_taxable, rejected FROM imports ORDER BY import_id"
            ).fetchall()
        return [
            ImportRecord(r[0], r[1], r[2], r[3], datetime.fromisoformat(r[4]), r[5], r[6], r[7], r[8],
                         r[9], tuple(conflicts.get(r[0], ())))
            for r in rows
        ]

    def prices(self) -> list[tuple[datetime, str, Decimal, str]]:
        """The user price table, sorted by (time, asset, source)."""
        with _sql_errors(str(self._path)):
            rows = self._conn.execute(
                "SELECT time, asset, usd_per_unit, source FROM prices ORDER BY time, asset, source"
            ).fetchall()
        return [(datetime.fromisoformat(t), asset, Decimal(usd), source) for t, asset, usd, source in rows]


def _classify(
    prepared: list[_Prepared], existing: dict[int, tuple[bytes, str, int]]
) -> tuple[list[_Prepared], int, list[str]]:
    """Split into (new events, duplicate count, conflict messages)."""
    new: list[_Prepared] = []
    duplicates = 0
    conflicts: list[str] = []
    for item in prepared:
        event, key, fingerprint, _ = item
        stored = existing.get(key)
        if stored is None:
            new.append(item)
        elif stored[0] == fingerprint:
            duplicates += 1
        else:
            what = f"event id '{event.event_id}'" if event.event_id else "an event whose de-duplication key"
            conflicts.append(
                f"{event.source}: {what} (account '{event.account}') is "
                f"already stored from {stored[1]}:{stored[2]} with different content; kept the stored event"
            )
    return new, duplicates, conflicts


def _price_row(point: tuple[datetime, str, Decimal, str]) -> tuple[str, str, str, str]:
    time, asset, usd, source = point
    code = asset.strip().upper()
    if not PRICE_ASSET.fullmatch(code):
        raise InputError(f"{source}: price for '{asset}': not an asset code")
    if not usd.is_finite() or usd < 0:
        raise InputError(f"{source}: price of {code} at {time}: must be a non-negative number (got {usd})")
    return stored_time(time), code, format_decimal(usd), source
