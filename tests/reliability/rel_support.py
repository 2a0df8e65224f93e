"""Shared helpers of the reliability suite (issue 7). Not a test module: pytest collects
``test_*.py`` only; this folder has no ``__init__.py`` (pytest puts it on ``sys.path``)."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
GENERIC_HEADER = (
    "time,account,type,sent_quantity,sent_asset,received_quantity,received_asset,"
    "fee_quantity,fee_asset,id,note"
)


def env() -> dict[str, str]:
    """The environment of a child taxmargin: no debug tracebacks, wide lines."""
    out = {k: v for k, v in os.environ.items() if k != "TAXMARGIN_DEBUG"}
    out["COLUMNS"] = "250"
    return out


def run_cli(cwd: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``taxmargin ARGS`` in a fresh process, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "taxmargin.cli", *args], cwd=cwd, capture_output=True, text=True,
        timeout=timeout, env=env(),
    )


def run_script(cwd: Path, code: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``python -c CODE ARGS`` in a fresh process (test-only plugins, patched writers)."""
    return subprocess.run(
        [sys.executable, "-c", code, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env(),
    )


def no_traceback(done: subprocess.CompletedProcess[str]) -> bool:
    """A user never sees a Python traceback (exit 3 is the bug path, also without one)."""
    return "Traceback" not in done.stdout + done.stderr and done.returncode in (0, 1, 2)


def ledger_digest(path: Path) -> str:
    """A hash of every table's rows, in a canonical order: equal digests = equal ledgers.
    Opening the file also rolls back a transaction a killed process left behind."""
    if not path.exists():
        return "absent"
    conn = sqlite3.connect(path)
    try:
        digest = hashlib.sha256()
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        for table in tables:
            if table == "meta":
                continue  # created_at differs between ledgers with equal content
            digest.update(table.encode())
            for row in sorted(conn.execute(f"SELECT * FROM {table}").fetchall(), key=repr):
                digest.update(repr(row).encode())
        return digest.hexdigest()
    finally:
        conn.close()


def table_count(path: Path, table: str) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    finally:
        conn.close()


def generic_csv(path: Path, rows: Sequence[str], header: str = GENERIC_HEADER) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def big_generic_csv(path: Path, count: int) -> Path:
    """``count`` valid trade rows (distinct: each buys a different quantity)."""
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(GENERIC_HEADER + "\n")
        for i in range(count):
            day, second = divmod(i, 86_400)
            out.write(
                f"2024-{1 + day // 28:02d}-{1 + day % 28:02d}T{second // 3600:02d}:{second // 60 % 60:02d}:"
                f"{second % 60:02d}Z,acct,trade,{100 + i % 97},USD,0.{i:08d}1,BTC,,,,\n"
            )
    return path


KRAKEN_HEADER = '"txid","refid","time","type","subtype","aclass","asset","amount","fee","balance"'


def kraken_ledger(rows: Sequence[tuple[str, str, str, str, str, str, str]], start: Sequence[tuple[str, str]] = ()) -> str:
    """A Kraken classic ``ledgers.csv`` from ``(refid, time, type, subtype, asset, amount,
    fee)`` rows, with the ``balance`` column computed exactly as Kraken writes it
    (previous + amount - fee per asset code [KR-L]); ``start`` = opening balances."""
    from decimal import Decimal

    balance = {asset: Decimal(value) for asset, value in start}
    lines = [KRAKEN_HEADER]
    for n, (refid, time, kind, subtype, asset, amount, fee) in enumerate(rows, start=1):
        balance[asset] = balance.get(asset, Decimal(0)) + Decimal(amount) - Decimal(fee)
        lines.append(f'"L{n:05d}-TEST-LEDGER","{refid}","{time}","{kind}","{subtype}","currency","{asset}",'
                     f'{amount},{fee},{balance[asset]}')
    return "\n".join(lines) + "\n"


#: A small Kraken year (lines 2-14 of the file); balances by hand in the tests.
KRAKEN_YEAR = [
    ("QDEP1", "2024-01-02 09:00:00", "deposit", "", "ZUSD", "10000.0000", "0.0000"),
    ("TBUY1", "2024-01-03 10:00:00", "trade", "", "ZUSD", "-5000.0000", "10.0000"),
    ("TBUY1", "2024-01-03 10:00:00", "trade", "", "XXBT", "0.1000000000", "0.0000000000"),
    ("QDEP2", "2024-01-04 09:00:00", "deposit", "", "DOT", "12.00000000", "0.00000000"),
    ("STK1", "2024-01-05 08:00:00", "transfer", "spottostaking", "DOT", "-2.00000000", "0.00000000"),
    ("STK2", "2024-01-06 08:00:00", "transfer", "stakingfromspot", "DOT.S", "2.0000000000", "0.0000000000"),
    ("RWD1", "2024-01-07 00:00:00", "staking", "", "DOT.S", "0.0100000000", "0.0000000000"),
    ("TMOPEN", "2024-02-01 10:00:00", "margin", "", "ZUSD", "0.0000", "2.5000"),
    ("TMOPEN", "2024-02-01 14:00:00", "rollover", "", "ZUSD", "0.0000", "0.5000"),
    ("TMCLOS", "2024-02-02 10:00:00", "margin", "", "ZUSD", "120.0000", "2.6000"),
    ("TSELL1", "2024-03-01 12:00:00", "trade", "", "XXBT", "-0.0400000000", "0.0000000000"),
    ("TSELL1", "2024-03-01 12:00:00", "trade", "", "ZUSD", "2400.0000", "3.8400"),
    ("AWDR1", "2024-03-05 12:00:00", "withdrawal", "", "XXBT", "-0.0500000000", "0.0001000000"),
]


def make_v1_ledger(path: Path, csv_path: Path) -> None:
    """A ledger exactly as schema version 1 stored one import (tables of ``_create_v1``,
    the v1 import record, the events by the unchanged codec: one column per cell, the
    fingerprint and key of ``ledger_cells``)."""
    from taxmargin import ledger_schema
    from taxmargin.codec import event_to_values
    from taxmargin.importers.base import load_file
    from taxmargin.importers.generic import GenericCsv
    from taxmargin.ledger_cells import dedup_base, dedup_key, fingerprint

    file = load_file(csv_path)
    result = GenericCsv().parse(file)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    ledger_schema._create_v1(conn)
    conn.execute("PRAGMA user_version = 1")
    conn.execute("INSERT INTO meta (key, value) VALUES ('schema_version', '1')")
    conn.execute(
        "INSERT INTO imports (file_name, sha256, layout, imported_at, rows_read, events_stored, duplicates,"
        " non_taxable, rejected) VALUES (?, ?, ?, ?, ?, ?, 0, 0, 0)",
        (file.name, file.sha256, result.layout, "2025-01-01T00:00:00.000000Z", result.rows_read, len(result.events)),
    )
    columns = ("import_id", "dedup_key", "fingerprint", *ledger_schema.EVENT_VALUE_COLUMNS, "source_path",
               "source_line", "seq")  # version 1's events table
    rows, seen = [], {}
    for event in result.events:
        values = event_to_values(event, fixed_width_time=True)
        print_ = fingerprint("\x1f".join(values))
        base = dedup_base(event, print_)
        seen[base] = seen.get(base, -1) + 1
        rows.append((1, dedup_key(base, seen[base]), print_, *values, event.source.path, event.source.line, event.seq))
    conn.executemany(f"INSERT INTO events ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", rows)
    conn.execute("COMMIT")
    conn.close()


def ledger_content(path: Path) -> tuple[int, int, str]:
    """(imports, events, digest of the events' cells and sources): what an import adds,
    without the import times (two complete imports of one file give equal contents)."""
    conn = sqlite3.connect(path)
    try:
        rows = sorted(conn.execute("SELECT time, cells, source_path, source_line, seq FROM events").fetchall())
        imports = conn.execute("SELECT count(*) FROM imports").fetchone()[0]
        return int(imports), len(rows), hashlib.sha256(repr(rows).encode()).hexdigest()
    finally:
        conn.close()


#: the 16 cells after ``time`` in the ``cells`` column of schema version 3 (taxmargin.ledger_cells)
CELLS = ("account", "type", "sent_quantity", "sent_asset", "received_quantity", "received_asset", "fee_quantity",
         "fee_asset", "usd_value", "fee_usd_value", "to_account", "basis_usd", "acquired", "lots", "event_id", "note")


def with_event_id(event_id: str) -> str:
    """SQL condition: the stored event with this id (its ``event_id`` cell, between two
    U+001F separators in ``cells``)."""
    return f"instr(cells, char(31) || '{event_id}' || char(31)) > 0"


def set_cell(conn: sqlite3.Connection, column: str, value: str, where: str) -> None:
    """A hand edit of one stored cell of the events matching ``where``, as a user with a
    sqlite3 shell could make it (fingerprints untouched)."""
    at = CELLS.index(column)
    for pk, cells in conn.execute(f"SELECT event_pk, cells FROM events WHERE {where}").fetchall():
        values = cells.split("\x1f", 15)
        values[at] = value
        conn.execute("UPDATE events SET cells = ? WHERE event_pk = ?", ("\x1f".join(values), pk))
