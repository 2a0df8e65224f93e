"""Issue 7.1 "every row accounted for": ``rows read = stored + duplicates + in conflict +
non-taxable + rejected`` for every file, printed by ``import`` and stored with the import
record; a file whose numbers do not add up is a failed import (exit 1) naming the gap,
and nothing of it is stored."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from rel_support import FIXTURES, generic_csv, ledger_digest, no_traceback, run_cli, run_script

from taxmargin import api
from taxmargin.errors import LedgerError
from taxmargin.importers.base import ImportResult, NonTaxableRow, accounting_gap, load_file
from taxmargin.importers.generic import GenericCsv
from taxmargin.ledger import Ledger
from taxmargin.models import SourceRef

ROWS = [
    "2025-01-10T12:00:00Z,kraken,trade,1000,USD,0.5,ETH,1,USD,,",
    "2025-02-10T12:00:00Z,kraken,trade,0.25,ETH,800,USD,,,,",
    "2025-03-10T12:00:00Z,kraken,trade,0.25,ETH,450,USD,,,,",
]


def test_import_prints_the_reconciliation_with_duplicates(tmp_path: Path) -> None:
    generic_csv(tmp_path / "good.csv", ROWS)
    first = run_cli(tmp_path, "import", "good.csv")
    again = run_cli(tmp_path, "import", "good.csv")
    assert (first.returncode, again.returncode) == (0, 0), first.stderr + again.stderr
    assert "reconciled: rows read 3 = stored 3 + duplicates 0 + non-taxable 0 + rejected 0" in first.stdout
    assert "reconciled: rows read 3 = stored 0 + duplicates 3 + non-taxable 0 + rejected 0" in again.stdout
    with Ledger.open(tmp_path / "taxmargin.db") as ledger:
        records = ledger.imports()
    assert [(r.rows_read, r.rows_stored, r.rows_duplicate, r.rows_conflict) for r in records] == [
        (3, 3, 0, 0), (3, 0, 3, 0)
    ]
    assert [r.gap for r in records] == [0, 0]


def test_rows_of_a_multi_row_event_count_as_rows(tmp_path: Path) -> None:
    # Kraken ledgers: a trade is two rows (one per leg) and ONE event; re-importing the
    # file makes those 2 rows duplicates, not 1 (fixture ledgers_oldest.csv, by hand:
    # line 2 deposit, lines 3-4 one trade, line 5 withdrawal, line 6 rejected)
    source = FIXTURES / "kraken" / "ledgers_oldest.csv"
    with Ledger.open(tmp_path / "l.db") as ledger:
        first = api.import_file(ledger, source).record
        second = api.import_file(ledger, source).record
    assert first is not None and second is not None
    assert (first.rows_read, first.rows_stored, first.rows_duplicate, first.rejected) == (5, 4, 0, 1)
    assert (second.rows_stored, second.rows_duplicate, second.events_stored, second.duplicates) == (0, 4, 0, 3)
    assert second.reconciliation() == "rows read 5 = stored 0 + duplicates 4 + non-taxable 0 + rejected 1"


def test_conflicting_rows_are_their_own_bucket(tmp_path: Path) -> None:
    generic_csv(tmp_path / "a.csv", ["2025-01-10T12:00:00Z,k,trade,100,USD,0.5,ETH,,,T1,"])
    generic_csv(tmp_path / "b.csv", ["2025-01-10T12:00:00Z,k,trade,100,USD,0.6,ETH,,,T1,",
                                     "2025-01-11T12:00:00Z,k,trade,100,USD,0.6,ETH,,,T2,"])
    assert run_cli(tmp_path, "import", "a.csv").returncode == 0
    done = run_cli(tmp_path, "import", "b.csv")
    assert done.returncode == 1  # a conflict is a problem to look at
    assert "reconciled: rows read 2 = stored 1 + duplicates 0 + in conflict 1 + non-taxable 0 + rejected 0" in done.stdout
    assert "b.csv:2: event id 'T1' (account 'k') is already stored from a.csv:2" in done.stdout


def _fixtures() -> list[Path]:
    skip = {"demo"}  # the demo's files belong to the demo (and its own tests)
    return sorted(p for p in FIXTURES.rglob("*.csv") if p.parent.name not in skip)


@pytest.mark.parametrize("path", _fixtures(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_fixture_reconciles_on_first_and_second_import(tmp_path: Path, path: Path) -> None:
    with Ledger.open(tmp_path / "l.db") as ledger:
        first = api.import_file(ledger, path)
        second = api.import_file(ledger, path)
    assert first.gap is None and first.record is not None and second.record is not None
    one, two = first.record, second.record
    assert one.gap == 0 and two.gap == 0
    # second time: every row that made an event is a duplicate row, nothing is stored
    assert (two.rows_stored, two.rows_duplicate, two.events_stored) == (0, one.rows_stored, 0)
    assert one.rows_stored == first.result.rows_in_events


BROKEN_PLUGIN = """
import dataclasses, sys
from taxmargin import api
from taxmargin.cli import main
from taxmargin.importers.base import NonTaxableRow
from taxmargin.importers.generic import GenericCsv

MODE = sys.argv[1]

class Broken(GenericCsv):
    name = "broken-test-layout"

    def parse(self, file):
        r = super().parse(file)
        if MODE == "lose":  # a row read that lands in no bucket
            return dataclasses.replace(r, rows_read=r.rows_read + 1)
        if MODE == "twice":  # a row both in an event and skipped
            return dataclasses.replace(r, non_taxable=r.non_taxable + (NonTaxableRow(r.events[0].source, "x"),))
        return dataclasses.replace(r, rows_per_event=(2,) + r.rows_per_event[1:])

real = api.detect_layout
api.detect_layout = lambda file, layouts: Broken() if file.name.startswith("broken") else real(file, layouts)
main(sys.argv[2:])
"""


@pytest.mark.parametrize(
    ("mode", "gap"),
    [
        ("lose", "rows read 4 = in events 3 + non-taxable 0 + rejected 0 does not add up: 1 rows in no bucket"),
        ("twice", "rows read 3 = in events 3 + non-taxable 1 + rejected 0 does not add up: 1 rows counted twice"),
        ("rows", "its events are built from 4 rows but it counts 3 rows in events"),
    ],
)
def test_a_layout_that_loses_rows_fails_the_file_through_the_cli(tmp_path: Path, mode: str, gap: str) -> None:
    generic_csv(tmp_path / "broken.csv", ROWS)
    generic_csv(tmp_path / "fine.csv", ["2025-04-10T12:00:00Z,other,trade,5,USD,1,SOL,,,,"])
    assert run_cli(tmp_path, "import", "fine.csv").returncode == 0
    before = ledger_digest(tmp_path / "taxmargin.db")
    done = run_script(tmp_path, BROKEN_PLUGIN, mode, "import", "broken.csv")
    assert done.returncode == 1 and no_traceback(done)
    assert f"broken.csv: the rows do not add up: {gap}" in done.stderr
    assert "(layout broken-test-layout): nothing was stored from this file" in done.stderr
    assert ledger_digest(tmp_path / "taxmargin.db") == before  # the ledger is as it was
    # the same file read by the real layout imports fine
    assert run_cli(tmp_path, "import", "broken.csv").returncode == 0


def test_the_ledger_refuses_a_result_whose_rows_do_not_add_up(tmp_path: Path) -> None:
    path = generic_csv(tmp_path / "k.csv", ROWS)
    file = load_file(path)
    good = GenericCsv().parse(file)
    uneven = dataclasses.replace(good, rows_per_event=(1, 1))  # 2 counts for 3 events
    assert accounting_gap(uneven) == "the layout gives the rows of 2 events but made 3 events"
    twice = dataclasses.replace(good, non_taxable=(NonTaxableRow(SourceRef("k.csv", 2), "x"),))
    with Ledger.open(tmp_path / "l.db") as ledger:
        for bad in (uneven, twice, ImportResult(layout="x", events=good.events, rows_read=3, rows_in_events=2)):
            with pytest.raises(LedgerError, match="nothing stored"):
                ledger.store(file, bad)
        assert ledger.imports() == [] and ledger.event_count() == 0
