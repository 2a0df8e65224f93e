"""Issue 7.5 "integrity of the ledger file": the schema version and its migration, the
checksum of each imported file, and ``taxmargin check`` finding a ledger edited by hand;
``report`` on such a ledger stops with a message (exit 2), never a traceback."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from rel_support import (
    KRAKEN_YEAR,
    generic_csv,
    kraken_ledger,
    make_v1_ledger,
    no_traceback,
    run_cli,
    set_cell,
    with_event_id,
)

from taxmargin import api
from taxmargin.cli import main
from taxmargin.ledger import Ledger
from taxmargin.ledger_schema import SCHEMA_VERSION
from taxmargin.profile import Profile

ROWS = [
    "2024-01-02T00:00:00Z,k,deposit,,,1,BTC,,,,",
    "2024-01-03T00:00:00Z,k,trade,0.5,BTC,20000,USD,10,USD,,",
    "2024-01-04T00:00:00Z,k,trade,0.5,BTC,21000,USD,,,,",
]


def test_a_version_1_ledger_is_migrated_and_keeps_its_events(tmp_path: Path) -> None:
    source = generic_csv(tmp_path / "g.csv", ROWS)
    make_v1_ledger(tmp_path / "old.db", source)
    with Ledger.open(tmp_path / "old.db") as ledger:
        assert ledger.schema_version == SCHEMA_VERSION == 3
        assert len(ledger.events()) == 3
        [record] = ledger.imports()
        assert record.rows_stored is None and record.gap is None  # v1 did not count rows
        assert record.reconciliation() == "rows read 3 (import recorded before schema version 2: not reconciled)"
        again = api.import_file(ledger, source).record  # the same file again: all duplicates
        assert again is not None and (again.events_stored, again.rows_duplicate) == (0, 3)
    conn = sqlite3.connect(tmp_path / "old.db")
    assert conn.execute("PRAGMA user_version").fetchone() == (3,)
    assert conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == ("3",)
    # version 3: the migrated events have the default authority 1, nothing was replaced
    assert conn.execute("SELECT DISTINCT authority FROM events").fetchall() == [(1,)]
    assert conn.execute("SELECT count(*) FROM import_replacements").fetchone() == (0,)
    assert conn.execute("SELECT import_id, source_path FROM import_sources").fetchall() == [(1, "g.csv")]
    assert conn.execute("SELECT count(*) FROM import_links").fetchone() == (3,)  # import 2's duplicates
    conn.close()
    done = api.check_ledger(tmp_path / "old.db")
    assert done.report.diagnostics == () and done.report.exit_code == 0


def test_the_ledger_records_each_files_checksum(tmp_path: Path) -> None:
    source = generic_csv(tmp_path / "g.csv", ROWS)
    with Ledger.open(tmp_path / "l.db") as ledger:
        api.import_file(ledger, source)
        [record] = ledger.imports()
    assert record.sha256 == hashlib.sha256(source.read_bytes()).hexdigest()


Edit = Callable[[sqlite3.Connection], None]


def sql(*statements: str) -> Edit:
    def apply(conn: sqlite3.Connection) -> None:
        for statement in statements:
            conn.execute(statement)

    return apply


def cell(column: str, value: str, where: str) -> Edit:
    """Set one stored cell (schema version 3 keeps them in ``cells``: rel_support.set_cell)."""
    return lambda conn: set_cell(conn, column, value, where)


#: (hand edit, code check reports, whether ``report`` must stop (exit 2) or still runs (0))
EDITS: list[tuple[str, Edit, str, int]] = [
    ("amount not canonical", cell("sent_quantity", "0.50", "source_line = 3"), "bad-event", 0),
    ("amount NaN", cell("sent_quantity", "NaN", "source_line = 3"), "bad-event", 2),
    ("amount negative", cell("sent_quantity", "-0.5", "source_line = 3"), "bad-event", 2),
    ("amount text", cell("received_quantity", "lots", "source_line = 2"), "bad-event", 2),
    ("amount exponent", cell("sent_quantity", "5E-1", "source_line = 3"), "bad-event", 0),
    ("cells blob", sql("UPDATE events SET cells = X'00' WHERE source_line = 3"), "bad-event", 2),
    ("cells cut short", sql("UPDATE events SET cells = 'k' || char(31) || 'trade' WHERE source_line = 3"),
     "bad-event", 2),
    ("time unreadable", sql("UPDATE events SET time = 'yesterday' WHERE source_line = 2"), "bad-event", 2),
    ("time year 9999", sql("UPDATE events SET time = '9999-01-01T00:00:00.000000Z' WHERE source_line = 2"),
     "bad-event", 0),
    ("type unknown", cell("type", "swap", "source_line = 2"), "bad-event", 2),
    ("content edited", cell("received_quantity", "2", "source_line = 2"), "edited-event", 0),
    ("import id missing", sql("UPDATE events SET import_id = 99 WHERE source_line = 2"), "unknown-import", 0),
    ("source never imported", sql("UPDATE events SET source_path = 'made-up.csv' WHERE source_line = 2"),
     "unknown-source", 0),
    ("event inserted", sql("INSERT INTO events SELECT 99, import_id, 12345, fingerprint, time, cells, source_path,"
                           " 9, seq, authority FROM events WHERE source_line = 2"), "import-count", 0),
    ("event deleted", sql("DELETE FROM events WHERE source_line = 4"), "import-count", 0),
    ("checksum removed", sql("UPDATE imports SET sha256 = ''"), "bad-checksum", 0),
    ("counts changed", sql("UPDATE imports SET rows_read = rows_read + 1"), "unreconciled-import", 0),
]


@pytest.fixture(scope="module")
def clean_ledger(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    folder = tmp_path_factory.mktemp("clean")
    with Ledger.open(folder / "l.db") as ledger:
        api.import_file(ledger, generic_csv(folder / "g.csv", ROWS))
    assert api.check_ledger(folder / "l.db").report.diagnostics == ()
    return (folder / "l.db").read_bytes()


@pytest.mark.parametrize(("name", "edit", "code", "report_status"), EDITS, ids=[e[0] for e in EDITS])
def test_check_finds_a_hand_edit(tmp_path: Path, clean_ledger: bytes, name: str, edit: Edit, code: str,
                                 report_status: int, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "taxmargin.db").write_bytes(clean_ledger)
    conn = sqlite3.connect(tmp_path / "taxmargin.db")  # a user's sqlite3 shell: no foreign keys
    edit(conn)
    conn.commit()
    conn.close()
    found = api.check_ledger(tmp_path / "taxmargin.db")
    errors = [d for d in found.report.diagnostics if d.severity.value == "error"]
    assert code in {d.code for d in errors} and found.report.exit_code == 1
    if report_status == 0:  # the events still read back: the year can be computed
        api.report_from_ledger(tmp_path / "taxmargin.db", Profile(), 2024)
    # as a user sees it: check names the problem (exit 1) ...
    with pytest.raises(SystemExit) as stopped:
        main(["check", "--ledger", str(tmp_path / "taxmargin.db")])
    assert stopped.value.code == 1 and f"[{code}]" in capsys.readouterr().out
    if report_status == 2:  # ... and report stops with a message, not a traceback
        done = run_cli(tmp_path, "report", "--year", "2024", "--format", "json")
        assert done.returncode == 2 and no_traceback(done), done.stderr
        assert "changed outside taxmargin; run 'taxmargin check --ledger taxmargin.db'" in done.stderr


def test_a_deleted_duplicate_and_a_damaged_checkpoint(tmp_path: Path) -> None:
    (tmp_path / "k.csv").write_text(kraken_ledger(KRAKEN_YEAR), encoding="utf-8")
    assert run_cli(tmp_path, "import", "k.csv").returncode == 0
    assert run_cli(tmp_path, "import", "k.csv").returncode == 0  # the second import links 9 events
    conn = sqlite3.connect(tmp_path / "taxmargin.db")
    conn.execute(f"DELETE FROM events WHERE {with_event_id('L00013-TEST-LEDGER')}")
    conn.execute("UPDATE balances SET balance = 'many' WHERE import_id = 2 AND position = 0")
    conn.commit()
    conn.close()
    found = {d.code for d in api.check_ledger(tmp_path / "taxmargin.db").report.diagnostics}
    assert {"broken-link", "import-count", "bad-balance", "balance-mismatch"} <= found


def test_a_damaged_file_is_reported_not_a_traceback(tmp_path: Path) -> None:
    generic_csv(tmp_path / "g.csv", [f"2024-01-{d:02d}T00:00:00Z,k,deposit,,,{d},BTC,,,,note {'x' * 300}"
                                     for d in range(1, 29)] * 20)
    assert run_cli(tmp_path, "import", "g.csv").returncode == 0
    data = bytearray((tmp_path / "taxmargin.db").read_bytes())
    middle = len(data) // 2
    data[middle : middle + 2048] = b"\xff" * 2048  # a run of garbage inside the file
    (tmp_path / "taxmargin.db").write_bytes(bytes(data))
    for command in (("check",), ("report", "--year", "2024", "--format", "json"), ("export", "--out", "-")):
        done = run_cli(tmp_path, *command)
        assert done.returncode in (1, 2) and no_traceback(done), (command, done.stderr)
        assert "damaged" in done.stdout + done.stderr or "malformed" in done.stdout + done.stderr


def test_times_are_checked_in_utc_fixed_width(tmp_path: Path) -> None:
    # a stored time must be the ledger's fixed-width UTC text (text order = time order)
    generic_csv(tmp_path / "g.csv", ROWS)
    assert run_cli(tmp_path, "import", "g.csv").returncode == 0
    conn = sqlite3.connect(tmp_path / "taxmargin.db")
    conn.execute("UPDATE events SET time = '2024-01-02T00:00:00+01:00' WHERE source_line = 2")
    conn.commit()
    conn.close()
    found = api.check_ledger(tmp_path / "taxmargin.db").report.diagnostics
    [problem] = [d for d in found if d.severity.value == "error"]
    assert problem.code == "bad-event" and "is not a stored UTC time" in problem.message
    assert str(problem.source) == "g.csv:2"


def test_a_ledger_taxmargin_wrote_passes_every_integrity_check(tmp_path: Path) -> None:
    # every event type and optional column, as stored by taxmargin itself (acquired with
    # and without microseconds: the codec writes it in its short form)
    header = "time,account,type,sent_quantity,sent_asset,received_quantity,received_asset,fee_quantity,fee_asset," \
             "usd_value,fee_usd_value,to_account,basis_usd,acquired,lots,id,note"
    rows = [
        "2024-01-02T00:00:00Z,k,deposit,,,1,BTC,,,40000,,,35000,2023-05-01T10:00:00Z,,D1,carried in",
        "2024-01-02T00:00:01.5Z,k,deposit,,,1,ETH,0.01,ETH,,,,2000,2023-05-01T10:00:00.250000Z,,D2,",
        "2024-01-03T00:00:00Z,k,trade,0.5,BTC,21000,USD,10,USD,21000,10,,,,D1,T1,",
        "2024-01-04T00:00:00Z,k,transfer,0.5,ETH,,,,,,,cold,,,,,",
        "2024-01-05T00:00:00Z,k,realized_pnl,,,100,USDT,,,100,,,,2024-01-04T12:00:00.123456Z,,,",
        "2024-01-06T00:00:00Z,k,borrow,,,1000,USDT,,,,,,,,,,",
        "2024-01-07T00:00:00Z,k,repay,1000,USDT,,,,,,,,,,,,",
    ]
    (tmp_path / "all.csv").write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    with Ledger.open(tmp_path / "l.db") as ledger:
        done = api.import_file(ledger, tmp_path / "all.csv")
    assert done.result.errors == () and done.record is not None and done.record.events_stored == 7
    found = api.check_ledger(tmp_path / "l.db").report.diagnostics
    assert [d for d in found if d.severity.value != "info"] == []
