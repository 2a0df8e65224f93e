"""Shared helpers of the ledger tests (test_ledger*, test_perf_import, test_perf_load):
small CSV files to store and what
``taxmargin check`` finds wrong with a ledger."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, settings
from taxmargin.importers.base import FileText
from taxmargin.importers.generic import GenericCsv

from taxmargin.check import check
from taxmargin.codec import GENERIC_COLUMNS
from taxmargin.ledger import ImportRecord, Ledger
from taxmargin.ledger_audit import read_snapshot

T0 = datetime(2024, 3, 1, tzinfo=UTC)
HEADER = "time,account,type,sent_quantity,sent_asset,received_quantity,received_asset,id"
LAYOUT = GenericCsv()


def csv_file(name: str, rows: Sequence[str]) -> FileText:
    text = "\n".join([HEADER, *rows]) + "\n"
    data = text.encode()
    return FileText(name, text, "utf-8", hashlib.sha256(data).hexdigest(), len(data))


def fill(minute: int, quantity: str = "0.002", event_id: str = "") -> str:
    """One exchange fill: 100 USD for ``quantity`` BTC at T0 + ``minute``."""
    return f"{(T0 + timedelta(minutes=minute)).isoformat()},kraken,trade,100,USD,{quantity},BTC,{event_id}"


def store(ledger: Ledger, file: FileText) -> ImportRecord:
    return ledger.store(file, LAYOUT.parse(file))


def errors(ledger: Ledger) -> list[str]:
    """What ``taxmargin check`` finds wrong with the ledger file itself (error severity)."""
    return [str(d) for d in check(read_snapshot(ledger)).diagnostics if d.severity == "error"]


# ---- files of every generic column (test_perf_import, test_perf_load) --------------------
GENERIC_HEADER = ",".join(GENERIC_COLUMNS)
SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def row(minute: int, quantity: str = "0.002", event_id: str = "", note: str = "", account: str = "kraken") -> str:
    """A trade row in GENERIC_COLUMNS order: 100 USD for ``quantity`` BTC at T0 + minute."""
    time = (T0 + timedelta(minutes=minute)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{time},{account},trade,100,USD,{quantity},BTC,0.1,USD,100,0.1,,,,,{event_id},{note},"


def write(path: Path, rows: Sequence[str]) -> Path:
    path.write_text("\n".join([GENERIC_HEADER, *rows]) + "\n", encoding="utf-8")
    return path
