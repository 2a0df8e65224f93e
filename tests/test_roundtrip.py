"""``export`` round trip (interfaces.md §1): importing the exported CSV (and its price table)
into an empty ledger gives the same reports, down to every FILE:LINE source."""

from __future__ import annotations

import json
from pathlib import Path

from taxmargin import api
from taxmargin.ledger import Ledger
from taxmargin.profile import load_profile
from taxmargin.reports.jsonout import forms_to_dict

DEMO = Path(__file__).resolve().parent.parent / "fixtures" / "demo"


def _import_all(ledger_path: Path, files: list[Path]) -> None:
    with Ledger.open(ledger_path) as ledger:
        for path in files:
            if path.name.endswith("prices.csv"):
                assert not api.store_prices(ledger, path).table.errors
            else:
                done = api.import_file(ledger, path)
                assert done.exit_code == 0, [str(e) for e in done.result.errors]


def _forms_json(ledger_path: Path, year: int) -> str:
    profile = load_profile(DEMO / "profile.toml")
    report = api.report_from_ledger(ledger_path, profile, year)
    return json.dumps(forms_to_dict(report.forms), indent=1, sort_keys=True)


def test_export_then_import_into_an_empty_ledger_gives_the_same_forms(tmp_path: Path) -> None:
    first = tmp_path / "first.db"
    _import_all(first, sorted(DEMO.glob("*.csv")))
    exported = tmp_path / "export.csv"
    done = api.export_csv(first, exported)
    assert done.prices_path == tmp_path / "export-prices.csv" and done.prices == 8
    with Ledger.open(first) as ledger:
        assert done.events == ledger.event_count()

    second = tmp_path / "second.db"
    _import_all(second, [exported, done.prices_path])
    for year in (2024, 2025):
        assert _forms_json(second, year) == _forms_json(first, year)

    # the sources survive: every stored event points at the original demo file and line
    with Ledger.open(first) as a, Ledger.open(second) as b:
        assert [(e.source, e.seq) for e in a.events()] == [(e.source, e.seq) for e in b.events()]

    # and exporting again writes the same file: a fixed point
    again = tmp_path / "again.csv"
    api.export_csv(second, again)
    assert again.read_text() == exported.read_text()


def test_importing_the_export_into_the_same_ledger_adds_nothing(tmp_path: Path) -> None:
    ledger_path = tmp_path / "l.db"
    _import_all(ledger_path, [DEMO / "gemini.csv", DEMO / "us-margin.csv"])
    exported = tmp_path / "e.csv"
    api.export_csv(ledger_path, exported)
    with Ledger.open(ledger_path) as ledger:
        before = ledger.event_count()
        record = api.import_file(ledger, exported).record
        assert record is not None
        assert record.events_stored == 0 and record.duplicates == before
