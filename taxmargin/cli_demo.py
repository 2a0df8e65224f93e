"""``taxmargin demo``: the whole pipeline on the bundled sample files (interfaces.md §1).

Inputs come from the installed package ``taxmargin.fixtures`` (``importlib.resources``):

- ``demo/*.csv``: a 2024–2025 year of a margin trader in the taxmargin CSV, and
  ``demo/prices.csv``, a user price table (imported as ``taxmargin prices import`` would);
- the exchange samples under ``binance/``, ``kraken/``, ``coinbase/`` when present: every
  ``*.csv`` that is not a golden file, each stored in its exchange's own account (pool), so
  they never mix with the demo taxpayer's accounts; a sample that cannot be read is skipped
  with a note.

A fresh ledger ``DIR/demo-ledger.db`` is built on every run, every report for 2025 is
written into ``DIR`` with ``demo/profile.toml`` (copied to ``DIR/profile.toml`` so the user
can change it and run ``taxmargin report --ledger DIR/demo-ledger.db --profile
DIR/profile.toml --year 2025``).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import ExitStack
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from taxmargin import api
from taxmargin.cli_output import print_import, print_report_notes, print_summary, say
from taxmargin.errors import InputError
from taxmargin.ledger import Ledger
from taxmargin.profile import load_profile

__all__ = ["run_demo", "DEMO_YEAR", "EXCHANGE_SAMPLES", "demo_inputs"]

DEMO_YEAR = 2025
EXCHANGE_SAMPLES: tuple[str, ...] = ("binance", "kraken", "coinbase")
LEDGER_NAME = "demo-ledger.db"


def _is_sample(entry: Traversable) -> bool:
    name = entry.name.lower()
    golden = any(mark in name for mark in (".events.", "golden", "expected"))
    return entry.is_file() and name.endswith(".csv") and not golden


def demo_inputs() -> tuple[list[Traversable], list[Traversable], Traversable]:
    """(demo CSVs, exchange samples, the demo profile), each list sorted by name."""
    root = resources.files("taxmargin.fixtures")
    demo = root / "demo"
    demo_files = sorted((e for e in demo.iterdir() if _is_sample(e)), key=lambda e: e.name)
    samples: list[Traversable] = []
    for folder in EXCHANGE_SAMPLES:
        place = root / folder
        if place.is_dir():
            samples.extend(sorted((e for e in place.iterdir() if _is_sample(e)), key=lambda e: e.name))
    return demo_files, samples, demo / "profile.toml"


def _paths(stack: ExitStack, entries: list[Traversable]) -> Iterator[Path]:
    for entry in entries:
        yield stack.enter_context(resources.as_file(entry))


def _import_demo(store: Ledger, paths: Iterator[Path]) -> None:
    for path in paths:
        if path.name.startswith("prices"):
            done = api.store_prices(store, path)
            say(f"{path.name}: price table, {len(done.table.points)} prices", style="bold")
            continue
        print_import(api.import_file(store, path))


def _import_samples(store: Ledger, paths: Iterator[Path]) -> None:
    """Exchange samples, one line each. Their good rows are stored (several samples carry
    bad rows on purpose, to show the row errors); a sample that cannot be read at all, or
    whose rows do not add up, is skipped with a note."""
    for path in paths:
        label = f"{path.parent.name}/{path.name}"
        try:
            file, result = api.read_import(path)
        except InputError as exc:
            say(f"  skipped {label}: {exc}", style="dim")
            continue
        if result.unaccounted:
            say(f"  skipped {label}: {result.unaccounted} rows unaccounted for", style="dim")
            continue
        record = store.store(file, result)
        rejected = f", {record.rejected} rows rejected" if record.rejected else ""
        say(f"  {label}: {result.layout}, {record.events_stored} events stored{rejected}", style="dim")


def run_demo(out_dir: Path, *, progress: api.Progress | None = None) -> api.Report:
    """Build the demo ledger in ``out_dir``, write every 2025 report there, print the summary."""
    out_dir.mkdir(parents=True, exist_ok=True)
    ledger_path = out_dir / LEDGER_NAME
    ledger_path.unlink(missing_ok=True)
    demo_files, samples, profile_entry = demo_inputs()
    with ExitStack() as stack:
        profile_path = stack.enter_context(resources.as_file(profile_entry))
        profile = load_profile(profile_path)
        shutil.copyfile(profile_path, out_dir / "profile.toml")
        say(f"Demo: importing {len(demo_files)} files into {ledger_path}", style="bold")
        with Ledger.open(ledger_path) as store:
            _import_demo(store, _paths(stack, demo_files))
            if samples:
                say(
                    f"Exchange samples ({len(samples)} files; some carry bad rows on purpose, to show "
                    "how rejected rows are reported by 'taxmargin import'):",
                    style="bold",
                )
                _import_samples(store, _paths(stack, samples))
    report = api.report_from_ledger(ledger_path, profile, DEMO_YEAR, progress=progress)
    have, missing = api.available_formats(api.parse_formats(None)[0])
    written = api.write_reports(report.forms, out_dir, have)
    say("")
    print_summary(report.forms)
    print_report_notes(report)
    say(f"Wrote {len(written)} files to {out_dir}/: {', '.join(p.name for p in written)}", style="bold")
    if missing:
        say(f"(not in this installation: {', '.join(missing)})", style="dim")
    say(f"Next: taxmargin review --year {DEMO_YEAR} --ledger {ledger_path} --profile {out_dir / 'profile.toml'}")
    return report
