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

Amounts are exact decimal TEXT (never REAL); times are ISO 8601 UTC text of fixed width
(``2024-03-01T12:00:00.000000Z``) so that text order is time order.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime

from taxmargin import __version__
from taxmargin.codec import CONTENT_COLUMNS, stored_time
from taxmargin.errors import LedgerError

__all__ = [
    "APPLICATION",
    "EVENT_VALUE_COLUMNS",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "ensure_schema",
    "stored_time",
]

SCHEMA_VERSION = 2
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
    for statement in _V2_DDL.split(";"):
        if statement.strip():
            conn.execute(statement)


#: version n -> the function that upgrades a version-n ledger to n + 1.
MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {0: _create_v1, 1: _v1_to_v2}


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
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = _user_version(conn)  # another process may have migrated meanwhile
        _check_identity(conn, version, label)
        while version < SCHEMA_VERSION:
            MIGRATIONS[version](conn)
            version += 1
            conn.execute(f"PRAGMA user_version = {int(version)}")
        conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)", (str(version),)
        )
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return version
