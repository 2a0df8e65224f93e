"""Issue 7.4 "interrupted runs".

* ``import`` killed (SIGKILL: no clean-up code runs) at any point leaves the ledger as it
  was before that file, or with the whole file: timed kills of a real ``taxmargin
  import`` of a generated file, and kills at exact points inside the store transaction
  and inside a schema migration (a test-only wrapper kills the process there).
* ``report`` killed leaves every output file either the previous complete one or absent,
  never half written; every renderer goes through ``reports.atomic``.
* two ``import`` processes on one ledger serialize, or the second fails cleanly.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from rel_support import (
    big_generic_csv,
    env,
    generic_csv,
    ledger_content,
    ledger_digest,
    make_v1_ledger,
    no_traceback,
    run_cli,
    run_script,
)

from taxmargin import api
from taxmargin.ledger import Ledger
from taxmargin.ledger_schema import SCHEMA_VERSION
from taxmargin.profile import Profile
from taxmargin.reports.writers import FORMATS

ROWS = 40_000  # a generated file large enough that a kill lands in parsing or in the store


def start(cwd: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "taxmargin.cli", *args], cwd=cwd, text=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env())


def sound(path: Path) -> bool:
    """SQLite finds the file intact (these ledgers have no price table, the one table
    SQLite 3.40's integrity check misreports: ``ledger_audit._quick_check``)."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        conn.close()


@pytest.fixture(scope="module")
def import_setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes, tuple[int, int, str], float]:
    """A ledger holding one small file (its bytes), the content after importing the big
    file too, and how long that import took uninterrupted."""
    folder = tmp_path_factory.mktemp("kill-import")
    generic_csv(folder / "small.csv", ["2023-06-01T00:00:00Z,acct,deposit,,,100000,USD,,,,"])
    big_generic_csv(folder / "big.csv", ROWS)
    assert run_cli(folder, "import", "small.csv", "--ledger", "base.db").returncode == 0
    base = (folder / "base.db").read_bytes()
    (folder / "full.db").write_bytes(base)
    began = time.monotonic()
    assert run_cli(folder, "import", "big.csv", "--ledger", "full.db").returncode == 0
    return folder, base, ledger_content(folder / "full.db"), time.monotonic() - began


FRACTIONS = (0.15, 0.35, 0.5, 0.65, 0.8, 0.95)


def test_import_killed_at_timed_points(import_setup: tuple[Path, bytes, tuple[int, int, str], float]) -> None:
    folder, base, full, duration = import_setup
    (folder / "before.db").write_bytes(base)
    before = ledger_content(folder / "before.db")
    outcomes = []
    for n, fraction in enumerate(FRACTIONS):
        ledger = folder / f"killed-{n}.db"
        ledger.write_bytes(base)
        process = start(folder, "import", "big.csv", "--ledger", ledger.name)
        time.sleep(duration * fraction)
        hot = (folder / f"{ledger.name}-journal").exists()
        process.send_signal(signal.SIGKILL)
        process.wait()
        after = ledger_content(ledger)  # (opening rolls back what the killed process left)
        assert after in (before, full), (fraction, after)
        assert sound(ledger)
        outcomes.append(("in transaction" if hot else "outside", "complete" if after == full else "as before"))
    # the last interrupted ledger takes the whole file afterwards, exactly once
    done = run_cli(folder, "import", "big.csv", "--ledger", f"killed-{len(FRACTIONS) - 1}.db")
    assert done.returncode == 0 and ledger_content(folder / f"killed-{len(FRACTIONS) - 1}.db")[1:] == full[1:]
    print("timed kills:", outcomes)


KILLER = """
import os, signal, sys
from taxmargin import ledger as L, ledger_schema as S
import taxmargin.cli as C

point, n = sys.argv[1], int(sys.argv[2])
L.CHUNK = 5000
L.BULK_EVENTS = 20_000  # an import this large into a ledger without events is a bulk load
calls = [0]

def die():
    os.kill(os.getpid(), signal.SIGKILL)

if point == "chunk":  # after the n-th chunk of events is inserted (inside the transaction)
    insert = L.Ledger._insert_chunk
    def chunk(self, *args):
        insert(self, *args)
        calls[0] += 1
        if calls[0] == n:
            die()
    L.Ledger._insert_chunk = chunk
elif point == "extras":  # everything written, just before COMMIT
    extras = L.store_extras
    def last(*args):
        extras(*args)
        die()
    L.store_extras = last
elif point == "committed":  # after COMMIT, before anything is printed
    C.print_import = lambda done: die()
elif point == "migration":  # inside the 1 -> 2 migration, its statements done
    migrate = S.MIGRATIONS[1]
    def half(conn):
        migrate(conn)
        die()
    S.MIGRATIONS[1] = half
C.main(sys.argv[3:])
"""

#: (point, n, whole file stored afterwards?)
POINTS = [("chunk", 1, False), ("chunk", 4, False), ("chunk", 8, False), ("extras", 0, False),
          ("committed", 0, True)]


@pytest.mark.parametrize(("point", "n", "complete"), POINTS, ids=[f"{p}-{n}" for p, n, _ in POINTS])
def test_import_killed_inside_the_store(import_setup: tuple[Path, bytes, tuple[int, int, str], float],
                                        point: str, n: int, complete: bool) -> None:
    folder, base, full, _ = import_setup
    ledger = folder / f"exact-{point}-{n}.db"
    ledger.write_bytes(base)
    before = ledger_digest(ledger)
    done = run_script(folder, KILLER, point, str(n), "import", "big.csv", "--ledger", ledger.name)
    assert done.returncode == -signal.SIGKILL
    if point != "committed":
        assert (folder / f"{ledger.name}-journal").exists()  # killed inside the write transaction
    if complete:
        assert ledger_content(ledger)[1:] == full[1:]
    else:
        assert ledger_digest(ledger) == before
    assert sound(ledger)


@pytest.mark.parametrize("n", [1, 8])
def test_bulk_load_killed_inside_the_store(import_setup: tuple[Path, bytes, tuple[int, int, str], float],
                                           n: int) -> None:
    """Into a ledger without events, a large import is inserted without the unique index on
    the de-duplication key, rebuilt at the end (Ledger._store_events), in the one
    transaction: killed after chunk n (the last chunk: 8), the ledger is as before, index
    included; the next import stores the whole file."""
    folder = import_setup[0]
    ledger = folder / f"bulk-{n}.db"
    Ledger.open(ledger).close()  # a new ledger: schema, no events
    before = ledger_digest(ledger)
    done = run_script(folder, KILLER, "chunk", str(n), "import", "big.csv", "--ledger", ledger.name)
    assert done.returncode == -signal.SIGKILL and (folder / f"{ledger.name}-journal").exists()
    assert ledger_digest(ledger) == before and sound(ledger)
    conn = sqlite3.connect(ledger)
    assert conn.execute("SELECT sql FROM sqlite_master WHERE name = 'events_dedup_key'").fetchone() is not None
    conn.close()
    assert run_cli(folder, "import", "big.csv", "--ledger", ledger.name).returncode == 0
    assert ledger_content(ledger)[:2] == (1, ROWS)


def test_killed_during_a_schema_migration(tmp_path: Path) -> None:
    source = generic_csv(tmp_path / "g.csv", ["2024-01-02T00:00:00Z,k,deposit,,,1,BTC,,,,"])
    make_v1_ledger(tmp_path / "old.db", source)
    before = ledger_digest(tmp_path / "old.db")
    done = run_script(tmp_path, KILLER, "migration", "0", "import", "g.csv", "--ledger", "old.db")
    assert done.returncode == -signal.SIGKILL
    assert ledger_digest(tmp_path / "old.db") == before  # still version 1, untouched
    with Ledger.open(tmp_path / "old.db") as ledger:  # the next run migrates it
        assert ledger.schema_version == SCHEMA_VERSION and len(ledger.events()) == 1


# ---- report -----------------------------------------------------------------------------------------


def complete(path: Path) -> bool:
    """The file is whole: it parses as its format does."""
    if path.suffix == ".pdf":
        return len(PdfReader(path).pages) > 0
    if path.suffix == ".xlsx":
        wb = load_workbook(path, read_only=True)
        ok = bool(wb.sheetnames)
        wb.close()
        return ok
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        return bool(json.loads(text))
    return text.endswith("\n")


@pytest.fixture(scope="module")
def report_setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, bytes], float]:
    folder = tmp_path_factory.mktemp("kill-report")
    rows = []
    for i in range(1200):
        day, month = 1 + i % 28, 1 + (i // 28) % 6
        rows.append(f"2024-{month:02d}-{day:02d}T{i % 24:02d}:00:00Z,k,trade,100,USD,0.001,BTC,,,,")
        rows.append(f"2024-{month + 6:02d}-{day:02d}T{i % 24:02d}:00:00Z,k,trade,0.001,BTC,{110 + i % 50},USD,,,,")
    generic_csv(folder / "r.csv", rows)
    assert run_cli(folder, "import", "r.csv").returncode == 0
    began = time.monotonic()
    assert run_cli(folder, "report", "--year", "2024", "--out", "first").returncode == 0
    duration = time.monotonic() - began
    return folder, {p.name: p.read_bytes() for p in (folder / "first").iterdir()}, duration


@pytest.mark.parametrize("previous", [True, False], ids=["over-previous-output", "into-empty-folder"])
def test_report_killed_at_timed_points(report_setup: tuple[Path, dict[str, bytes], float], previous: bool) -> None:
    folder, first, duration = report_setup
    for n, fraction in enumerate((0.35, 0.6, 0.85) if previous else (0.5, 0.8)):
        out = folder / f"out-{previous}-{n}"
        out.mkdir()
        if previous:
            for name, data in first.items():
                (out / name).write_bytes(data)
        process = start(folder, "report", "--year", "2024", "--out", out.name)
        time.sleep(duration * fraction)
        process.send_signal(signal.SIGKILL)
        process.wait()
        names = {p.name for p in out.iterdir() if not p.name.startswith(".")}
        assert names <= set(first) and (names == set(first) or not previous)
        for path in (out / name for name in names):
            assert complete(path), path.name


def test_report_killed_just_before_a_rename(report_setup: tuple[Path, dict[str, bytes], float]) -> None:
    folder, first, _ = report_setup
    out = folder / "out-rename"
    out.mkdir()
    for name, data in first.items():
        (out / name).write_bytes(data)
    code = """
import os, signal, sys
real = os.replace
def replace(src, dst):
    if str(dst).endswith("taxmargin-2024.xlsx"):
        os.kill(os.getpid(), signal.SIGKILL)
    real(src, dst)
os.replace = replace
from taxmargin.cli import main
main(sys.argv[1:])
"""
    done = run_script(folder, code, "report", "--year", "2024", "--out", out.name, "--format", "xlsx,json")
    assert done.returncode == -signal.SIGKILL, (done.returncode, done.stdout, done.stderr)
    assert (out / "taxmargin-2024.xlsx").read_bytes() == first["taxmargin-2024.xlsx"]  # the previous one
    leftovers = [p.name for p in out.iterdir() if p.name.startswith(".")]
    assert [name.split(".")[1] for name in leftovers] == ["taxmargin-2024"]  # only the hidden temp file


def test_every_renderer_writes_through_atomic_rename(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with Ledger.open(tmp_path / "l.db") as ledger:
        api.import_file(ledger, generic_csv(tmp_path / "g.csv", [
            "2024-01-02T00:00:00Z,k,trade,100,USD,0.01,BTC,,,,", "2024-03-02T00:00:00Z,k,trade,0.01,BTC,150,USD,,,,"]))
    report = api.report_from_ledger(tmp_path / "l.db", Profile(), 2024)
    renamed: list[str] = []
    real = os.replace

    def spy(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        renamed.append(Path(dst).name)
        real(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    written = api.write_reports(report.forms, tmp_path / "out", FORMATS)
    assert {p.name for p in written} == {p.name for p in (tmp_path / "out").iterdir()}
    assert sorted(renamed) == sorted(p.name for p in written)  # every file was renamed into place


# ---- two imports at once ------------------------------------------------------------------------------


def test_two_imports_at_once_serialize_or_fail_cleanly(tmp_path: Path) -> None:
    big_generic_csv(tmp_path / "a.csv", 10_000)
    (tmp_path / "b.csv").write_text((tmp_path / "a.csv").read_text().replace(",acct,", ",other,"))
    for round_ in range(2):  # a fresh ledger each time: both processes may create the schema
        ledger = f"both-{round_}.db"
        runs = [subprocess.Popen([sys.executable, "-m", "taxmargin.cli", "import", name, "--ledger", ledger],
                                 cwd=tmp_path, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env())
                for name in ("a.csv", "b.csv")]
        results = [(run.wait(timeout=120), *run.communicate()) for run in runs]
        for status, out, err in results:
            assert "Traceback" not in out + err and (status == 0 or (status == 2 and "ledger is busy" in err))
        stored = sum(10_000 for status, _, _ in results if status == 0)
        assert ledger_content(tmp_path / ledger)[1] == stored and sound(tmp_path / ledger)
        assert no_traceback(run_cli(tmp_path, "check", "--ledger", ledger))
