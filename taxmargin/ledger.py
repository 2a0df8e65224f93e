"""The SQLite ledger (``taxmargin.db``): every imported event stored once.

* Events are stored as their generic-CSV cells (:mod:`taxmargin.codec`): exact decimal
  text, ISO UTC times (``time`` in its own column, the other 16 cells in ``cells``:
  :mod:`taxmargin.ledger_cells`), plus ``import_id``, ``seq``, source path/line, a content
  fingerprint and a de-duplication key (schema: :mod:`taxmargin.ledger_schema`). Stored
  and loaded in bulk (issue 6): :mod:`taxmargin.ledger_store`, :mod:`taxmargin.ledger_load`;
  a large generic CSV is stored while it is parsed, by a writer process running the same
  :meth:`Ledger.store_events` in one transaction (:mod:`taxmargin.ledger_stream`); events
  stored in booking order are read back without sorting (:mod:`taxmargin.ledger_read`,
  the ``meta`` flag ``events_in_order``, checked on every read).
* De-duplication (interfaces.md §1: "importing the same file twice, or two exports whose
  date ranges overlap, stores every real event once; identical rows inside one file are
  real and are all kept"):

  - an event with an id: key ``(account, id, k)``, k = how many earlier events of the same
    import had that ``(account, id)``; the same key with different content is a
    *conflict*: the stored event is kept and the import reports it — unless the two files
    have different ``ImportResult.authority``: then the higher one's event is kept (it
    replaces a stored one) and the two are cross-checked (:mod:`taxmargin.ledger_crosscheck`);
  - otherwise: key ``(fingerprint, k)``, fingerprint = the canonical row without
    ``source``, k = how many earlier events of the same import had that fingerprint. So
    3 identical fills in one file are 3 events; importing the file again adds none.

* :meth:`Ledger.store` (and a streamed store) is one ``BEGIN IMMEDIATE`` transaction:
  all or nothing. A second writer waits up to ``timeout`` seconds, then gets
  ``LedgerError("ledger is busy ...")``.
* Every import is recorded (file name, sha256, layout, time, row counts, conflicts):
  :class:`ImportRecord` and the checks of a result before it is stored live in
  :mod:`taxmargin.ledger_record` (re-exported here).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Self

from taxmargin.gcpause import gc_paused
from taxmargin.codec_rules import format_decimal
from taxmargin.errors import InputError, LedgerError
from taxmargin.importers.base import FileText, ImportResult
from taxmargin.ledger_crosscheck import resolve
from taxmargin.ledger_read import stored_events
from taxmargin.ledger_record import ImportRecord, check_storable, import_record, precomputed_texts, rows_per_event
from taxmargin.ledger_queries import PRICE_ASSET, find_existing
from taxmargin.ledger_schema import (
    DEDUP_INDEX,
    SCHEMA_VERSION,
    ensure_schema,
    stored_time,
)
from taxmargin.ledger_store import (
    Collision,
    Order,
    Prepared,
    insert_rows,
    prepare,
    source_paths,
    store_extras,
)
from taxmargin.ledger_store import Tally as _Tally
from taxmargin.models import EventBase

__all__ = ["SCHEMA_VERSION", "ImportRecord", "Ledger", "check_storable", "import_record", "sql_errors"]

#: Events inserted per ``executemany`` call (all inside the one transaction).
CHUNK = 20_000
#: An import of at least this many events into a ledger without events builds the unique
#: index on ``dedup_key`` after inserting them (``Ledger.store_events``).
BULK_EVENTS = 50_000


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


#: ``with sql_errors(label):`` — sqlite3 errors as :class:`LedgerError` (for readers of
#: :attr:`Ledger.connection`, e.g. ``taxmargin.ledger_audit``).
sql_errors = _sql_errors


class Ledger:
    """An open ledger file. Use :meth:`open`; a context manager (closes on exit)."""

    def __init__(self, conn: sqlite3.Connection, path: Path, version: int, timeout: float = 5.0) -> None:
        self._conn = conn
        self._path = path
        self._version = version
        self._timeout = timeout

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
        return cls(conn, path, version, timeout)

    @property
    def path(self) -> Path:
        return self._path

    @property
    def timeout(self) -> float:
        """How long a write waits for another writer (``open``'s ``timeout``)."""
        return self._timeout

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
    def transaction(self) -> Iterator[sqlite3.Connection]:
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

        New events are inserted; events already stored are counted as duplicates (and
        linked to this import); an event whose id is stored with different content is a
        conflict (reported, not stored). The import itself is always recorded, with its
        row reconciliation, the source files its events name and the exchange's balance
        checkpoints. A result whose rows do not add up (``base.accounting_gap``) is
        refused: nothing is stored.
        """
        check_storable(file, result)
        imported_at = (now or datetime.now(UTC)).astimezone(UTC)
        tally = _Tally()
        events, rows, texts = result.events, rows_per_event(result), precomputed_texts(result)
        seen: dict[bytes, int] = {}
        chunks = (prepare(events[start : start + CHUNK], texts[start : start + CHUNK], rows[start : start + CHUNK],
                          seen) for start in range(0, len(events), CHUNK))
        with gc_paused(), self.transaction() as conn:
            import_id = self.insert_import(conn, (file.name, file.sha256, result.layout, imported_at),
                                           (result.rows_read, len(result.non_taxable), result.rows_rejected))
            self.store_events(conn, import_id, chunks, result.authority, tally, large=len(events) >= BULK_EVENTS)
            store_extras(conn, import_id, tally, result.balances)
        return import_record(import_id, file, result, imported_at, tally)

    def store_events(
        self, conn: sqlite3.Connection, import_id: int, chunks: Iterable[Sequence[Prepared]], authority: int,
        tally: _Tally, *, large: bool, realize: Callable[[Collision], Collision] | None = None,
    ) -> None:
        """Insert the new events chunk by chunk (bounded memory) and classify the rest
        (``chunks``: :func:`taxmargin.ledger_store.prepare` of successive events of the
        import, sharing one ``seen``; inside :meth:`transaction`).

        Into a ledger without events, a ``large`` import is inserted without the unique
        index on ``dedup_key``, which is built afterwards (sorting the keys once is cheaper
        than a million random index insertions); inside the same transaction, so an
        interrupted import still leaves the ledger exactly as it was. ``realize`` gives the
        events of collisions whose prepared items hold stand-ins (``taxmargin.ledger_stream``)."""
        # keys inside one import are distinct by construction: only earlier imports can match
        earlier = conn.execute("SELECT 1 FROM events LIMIT 1").fetchone() is not None
        bulk = not earlier and large
        if bulk:
            conn.execute("DROP INDEX events_dedup_key")
        collisions: list[Collision] = []
        order = Order(conn, earlier)
        for prepared in chunks:
            existing = find_existing(conn, [p[1] for p in prepared]) if earlier else {}
            new, met = tally.classify(prepared, existing, authority)
            collisions.extend(met)
            self._insert_chunk(conn, import_id, new, authority)
            order.add(new)
            tally.sources.update(source_paths(new))
        if bulk:
            conn.execute(DEDUP_INDEX)
        resolve(conn, import_id, authority, [realize(c) for c in collisions] if realize else collisions, tally)
        order.save(conn, tally.replaced > 0)

    def insert_import(
        self, conn: sqlite3.Connection, what: tuple[str, str, str, datetime], counts: tuple[int, int, int]
    ) -> int:
        """The import's record: ``what`` = (file name, sha256, layout, imported at),
        ``counts`` = (rows read, non-taxable, rejected); event counts are filled in when the
        events are stored (``ledger_store.store_extras``)."""
        name, sha256, layout, imported_at = what
        cursor = conn.execute(
            "INSERT INTO imports (file_name, sha256, layout, imported_at, rows_read, events_stored,"
            " duplicates, non_taxable, rejected) VALUES (?, ?, ?, ?, ?, 0, 0, ?, ?)",
            (name, sha256, layout, stored_time(imported_at), *counts),
        )
        if cursor.lastrowid is None:  # cannot happen: an INSERT into a rowid table sets it
            raise LedgerError(f"{self._path}: the import record got no id")
        return cursor.lastrowid

    def _insert_chunk(
        self, conn: sqlite3.Connection, import_id: int, chunk: Sequence[Prepared], authority: int
    ) -> None:
        insert_rows(conn, import_id, authority, chunk)

    def add_prices(self, points: Iterable[tuple[datetime, str, Decimal, str]]) -> int:
        """Add user price points ``(time, asset, usd per unit, source)`` in one transaction.

        A point with the same (time, asset, source) replaces the stored price. Returns how
        many points were new or changed. Raises :class:`InputError` for a negative or
        non-finite price or a bad asset code.
        """
        rows = [_price_row(point) for point in points]
        with self.transaction() as conn:
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
        """Every stored event, sorted by (time, source path, line, seq) (design.md §4;
        :func:`taxmargin.ledger_read.stored_events`).

        A row that cannot be read back (a ledger edited by hand: a bad number, time or
        type) raises :class:`LedgerError` naming it, never a traceback."""
        with _sql_errors(str(self._path)), gc_paused(keep=True):  # the run's events (taxmargin.gcpause)
            return stored_events(self._conn, self._path, self._timeout)

    @property
    def connection(self) -> sqlite3.Connection:
        """The open SQLite connection (read-only use: ``taxmargin.ledger_audit``)."""
        return self._conn

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
            balances = dict(self._conn.execute("SELECT import_id, count(*) FROM balances GROUP BY import_id"))
            replaced = dict(self._conn.execute(
                "SELECT import_id, count(*) FROM import_replacements GROUP BY import_id"))
            rows = self._conn.execute(
                "SELECT import_id, file_name, sha256, layout, imported_at, rows_read, events_stored,"
                " duplicates, non_taxable, rejected, rows_stored, rows_duplicate, rows_conflict"
                " FROM imports ORDER BY import_id"
            ).fetchall()
        return [
            ImportRecord(r[0], r[1], r[2], r[3], datetime.fromisoformat(r[4]), r[5], r[6], r[7], r[8],
                         r[9], tuple(conflicts.get(r[0], ())), r[10], r[11], r[12], balances.get(r[0], 0),
                         replaced.get(r[0], 0))
            for r in rows
        ]

    def prices(self) -> list[tuple[datetime, str, Decimal, str]]:
        """The user price table, sorted by (time, asset, source)."""
        with _sql_errors(str(self._path)):
            rows = self._conn.execute(
                "SELECT time, asset, usd_per_unit, source FROM prices ORDER BY time, asset, source"
            ).fetchall()
        return [(datetime.fromisoformat(t), asset, Decimal(usd), source) for t, asset, usd, source in rows]


def _price_row(point: tuple[datetime, str, Decimal, str]) -> tuple[str, str, str, str]:
    time, asset, usd, source = point
    code = asset.strip().upper()
    if not PRICE_ASSET.fullmatch(code):
        raise InputError(f"{source}: price for '{asset}': not an asset code")
    if not usd.is_finite() or usd < 0:
        raise InputError(f"{source}: price of {code} at {time}: must be a non-negative number (got {usd})")
    return stored_time(time), code, format_decimal(usd), source
