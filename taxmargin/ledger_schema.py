"""The ledger's SQLite schema, its version, and migrations (used by :mod:`taxmargin.ledger`).

``PRAGMA user_version`` holds the schema version and the ``meta`` table repeats it beside
``application = taxmargin``. Opening a ledger written by a newer schema is refused; an
older one is migrated step by step (:data:`MIGRATIONS`: version ``n`` -> ``n + 1``, each
inside the one transaction that also bumps ``user_version``). Creating a new ledger is the
migration from version 0 (an empty database).

Version 2 (issue 7: "proof that nothing was lost") adds, per import, the row
reconciliation (rows in stored / duplicate / conflicting events), the events an import
found already stored (``import_links``), the source files its events name
(``import_sources``) and the exchange's balance checkpoints (``balances``). The migration
from version 1 backfills ``import_sources`` from the stored events; what version 1 never
recorded (reconciliation, links, balances) stays NULL / empty and ``taxmargin check``
says so.

Version 3 (issue 6, speed) keeps the 16 cells after ``time`` in one ``cells`` column
(``taxmargin.ledger_cells``) and the unique index on ``dedup_key`` as a named index; and
(issue 4, Kraken trades.csv cross-checked against ledgers.csv) each event's ``authority``
(``ImportResult.authority``) and, in ``import_replacements``, every stored event an import
of higher authority replaced (same de-duplication key and row; the replaced event's
import, source and fingerprint are kept there).

Amounts are exact decimal text (never REAL); times are ISO 8601 UTC text of fixed width
(``2024-03-01T12:00:00.000000Z``) so that text order is time order.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime

from taxmargin import __version__
from taxmargin.codec import CONTENT_COLUMNS, stored_time
from taxmargin.errors import LedgerError
from taxmargin.ledger_cells import pack

__all__ = [
    "APPLICATION",
    "DEDUP_INDEX",
    "EVENT_VALUE_COLUMNS",
    "V3_EVENTS",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "ensure_schema",
    "stored_time",
]

SCHEMA_VERSION = 3
APPLICATION = "taxmargin"

#: SQL column names of the event cells, in ``codec.CONTENT_COLUMNS`` order (``id`` is
#: stored as ``event_id``). Written out, not derived: schema version 1 must never change.
EVENT_VALUE_COLUMNS: tuple[str, ...] = (
    "time", "account", "type", "sent_quantity", "sent_asset", "received_quantity", "received_asset",
    "fee_quantity", "fee_asset", "usd_value", "fee_usd_value", "to_account", "basis_usd", "acquired",
    "lots", "event_id", "note",
)  # fmt: skip
if tuple("event_id" if c == "id" else c for c in CONTENT_COLUMNS) != EVENT_VALUE_COLUMNS:
    # The generic row gained or lost a column: add schema version 2 and its migration.
    raise RuntimeError("codec.CONTENT_COLUMNS no longer matches the ledger schema")


#: Version 1 of the schema. Amounts are TEXT (exact decimals), times fixed-width ISO TEXT.
_V1_VALUE_COLUMNS = ",\n    ".join(f"{name} TEXT NOT NULL DEFAULT ''" for name in EVENT_VALUE_COLUMNS)
_V1_DDL = f"""
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE imports (
    import_id INTEGER PRIMARY KEY,
    file_name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    layout TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    rows_read INTEGER NOT NULL,
    events_stored INTEGER NOT NULL,
    duplicates INTEGER NOT NULL,
    non_taxable INTEGER NOT NULL,
    rejected INTEGER NOT NULL
);
CREATE TABLE import_conflicts (
    import_id INTEGER NOT NULL REFERENCES imports(import_id),
    position INTEGER NOT NULL,
    message TEXT NOT NULL,
    PRIMARY KEY (import_id, position)
) WITHOUT ROWID;
CREATE TABLE events (
    event_pk INTEGER PRIMARY KEY,
    import_id INTEGER NOT NULL REFERENCES imports(import_id),
    dedup_key INTEGER NOT NULL UNIQUE,
    fingerprint BLOB NOT NULL,
    {_V1_VALUE_COLUMNS},
    source_path TEXT NOT NULL,
    source_line INTEGER NOT NULL,
    seq INTEGER NOT NULL
);
CREATE TABLE prices (
    time TEXT NOT NULL,
    asset TEXT NOT NULL,
    usd_per_unit TEXT NOT NULL,
    source TEXT NOT NULL,
    PRIMARY KEY (time, asset, source)
) WITHOUT ROWID;
"""


def _create_v1(conn: sqlite3.Connection) -> None:
    """Version 0 (empty database) -> 1: the whole schema."""
    # One statement at a time: executescript() would COMMIT the migration transaction.
    for statement in _V1_DDL.split(";"):
        if statement.strip():
            conn.execute(statement)
    conn.executemany(
        "INSERT INTO meta (key, value) VALUES (?, ?)",
        [
            ("application", APPLICATION),
            ("created_by", f"taxmargin {__version__}"),
            ("created_at", stored_time(datetime.now(UTC))),
        ],
    )


_V2_DDL = """
ALTER TABLE imports ADD COLUMN rows_stored INTEGER;
ALTER TABLE imports ADD COLUMN rows_duplicate INTEGER;
ALTER TABLE imports ADD COLUMN rows_conflict INTEGER;
CREATE TABLE import_links (
    import_id INTEGER NOT NULL REFERENCES imports(import_id),
    event_pk INTEGER NOT NULL REFERENCES events(event_pk),
    role TEXT NOT NULL CHECK (role IN ('duplicate', 'conflict')),
    PRIMARY KEY (import_id, event_pk)
) WITHOUT ROWID;
CREATE TABLE import_sources (
    import_id INTEGER NOT NULL REFERENCES imports(import_id),
    source_path TEXT NOT NULL,
    PRIMARY KEY (import_id, source_path)
) WITHOUT ROWID;
CREATE TABLE balances (
    import_id INTEGER NOT NULL REFERENCES imports(import_id),
    position INTEGER NOT NULL,
    account TEXT NOT NULL,
    asset TEXT NOT NULL,
    time TEXT NOT NULL,
    balance TEXT NOT NULL,
    skipped TEXT NOT NULL,
    opening TEXT NOT NULL,
    source_path TEXT NOT NULL,
    source_line INTEGER NOT NULL,
    PRIMARY KEY (import_id, position)
) WITHOUT ROWID;
INSERT INTO import_sources (import_id, source_path) SELECT DISTINCT import_id, source_path FROM events
"""


def _v1_to_v2(conn: sqlite3.Connection) -> None:
    """Version 1 -> 2: reconciliation columns, import links, import sources (backfilled
    from the stored events), balance checkpoints (module docstring)."""
    _run(conn, _V2_DDL)


#: Version 3's events table (module docstring; ``taxmargin.ledger_cells``).
V3_EVENTS = """
CREATE TABLE events (
    event_pk INTEGER PRIMARY KEY,
    import_id INTEGER NOT NULL REFERENCES imports(import_id),
    dedup_key INTEGER NOT NULL,
    fingerprint BLOB NOT NULL,
    time TEXT NOT NULL,
    cells TEXT NOT NULL,
    source_path TEXT NOT NULL,
    source_line INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    authority INTEGER NOT NULL DEFAULT 1
)
"""
#: The unique index on ``dedup_key`` (named: ``Ledger.store`` rebuilds it after a bulk load).
DEDUP_INDEX = "CREATE UNIQUE INDEX events_dedup_key ON events (dedup_key)"
_V3_DDL = """
CREATE TABLE import_replacements (
    import_id INTEGER NOT NULL REFERENCES imports(import_id),
    event_pk INTEGER NOT NULL REFERENCES events(event_pk),
    replaced_import_id INTEGER NOT NULL REFERENCES imports(import_id),
    replaced_path TEXT NOT NULL,
    replaced_line INTEGER NOT NULL,
    replaced_fingerprint BLOB NOT NULL,
    PRIMARY KEY (import_id, event_pk)
) WITHOUT ROWID
"""
_V2_COLUMNS = ", ".join(("event_pk", "import_id", "dedup_key", "fingerprint", *EVENT_VALUE_COLUMNS, "source_path",
                         "source_line", "seq"))


def _v2_to_v3(conn: sqlite3.Connection) -> None:
    """Version 2 -> 3: the events table rebuilt with the 16 cells after ``time`` in one
    ``cells`` column (``taxmargin.ledger_cells``), each event's ``authority`` (version 2's
    get the default 1), a named unique index on ``dedup_key``, and the events an import
    replaced (module docstring). Same event_pk, key and fingerprint for every event."""
    # keep the foreign keys of import_links naming "events" (the new table) while renaming
    conn.execute("PRAGMA legacy_alter_table = ON")
    try:
        conn.execute("ALTER TABLE events RENAME TO events_v2")
        conn.execute(V3_EVENTS)
        rows = conn.execute(f"SELECT {_V2_COLUMNS} FROM events_v2 ORDER BY event_pk")
        while batch := rows.fetchmany(10_000):
            conn.executemany(
                "INSERT INTO events (event_pk, import_id, dedup_key, fingerprint, time, cells, source_path,"
                " source_line, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(*row[:4], *pack(row[4:21])[1:], *row[21:]) for row in batch],
            )
        conn.execute("DROP TABLE events_v2")
    finally:
        conn.execute("PRAGMA legacy_alter_table = OFF")
    conn.execute(DEDUP_INDEX)
    _run(conn, _V3_DDL)


def _run(conn: sqlite3.Connection, ddl: str) -> None:
    # One statement at a time: executescript() would COMMIT the migration transaction.
    for statement in ddl.split(";"):
        if statement.strip():
            conn.execute(statement)


#: version n -> the function that upgrades a version-n ledger to n + 1.
MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {0: _create_v1, 1: _v1_to_v2, 2: _v2_to_v3}


def _user_version(conn: sqlite3.Connection) -> int:
    row = conn.execute("PRAGMA user_version").fetchone()
    return int(row[0])


def _check_identity(conn: sqlite3.Connection, version: int, label: str) -> None:
    """Refuse SQLite files that are not taxmargin ledgers, and newer schemas."""
    if version == 0:
        tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        if tables:
            raise LedgerError(f"{label}: an SQLite database, but not a taxmargin ledger")
        return
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'application'").fetchone()
    except sqlite3.OperationalError:
        row = None
    if row is None or row[0] != APPLICATION:
        raise LedgerError(f"{label}: an SQLite database, but not a taxmargin ledger")
    if version > SCHEMA_VERSION:
        raise LedgerError(
            f"{label}: ledger schema version {version} was written by a newer taxmargin; "
            f"this version reads up to {SCHEMA_VERSION}: upgrade taxmargin"
        )


def ensure_schema(conn: sqlite3.Connection, label: str) -> int:
    """Check, create or migrate the schema; returns the (current) schema version.

    ``conn`` must be in autocommit mode (``isolation_level=None``).
    """
    version = _user_version(conn)
    if version != 0:
        # (version 0 is checked inside the write transaction only: another process creating
        # the same new ledger at this moment must not look like "not a taxmargin ledger")
        _check_identity(conn, version, label)
    if version == SCHEMA_VERSION:
        return version
    # Migrations rebuild tables (the 12 steps of https://sqlite.org/lang_altertable.html):
    # foreign keys are enforced again, and checked, once the transaction is done.
    enforced = conn.execute("PRAGMA foreign_keys").fetchone()[0]
    conn.execute("PRAGMA foreign_keys = OFF")
    try:
        return _migrate(conn, label)
    finally:
        conn.execute(f"PRAGMA foreign_keys = {1 if enforced else 0}")


def _migrate(conn: sqlite3.Connection, label: str) -> int:
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = _user_version(conn)  # another process may have migrated meanwhile
        _check_identity(conn, version, label)
        while version < SCHEMA_VERSION:
            MIGRATIONS[version](conn)
            version += 1
            conn.execute(f"PRAGMA user_version = {int(version)}")
        if conn.execute("PRAGMA foreign_key_check").fetchone() is not None:
            raise LedgerError(f"{label}: the ledger's links are broken (run 'taxmargin check'); not migrated")
        conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)", (str(version),)
        )
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return version
