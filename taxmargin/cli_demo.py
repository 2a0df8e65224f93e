"""``taxmargin demo``: the whole pipeline on the bundled sample year (interfaces.md §1).

The inputs are exactly the files of ``fixtures/demo/``, read from the installed package
``taxmargin.fixtures`` with ``importlib.resources`` (pyproject installs ``fixtures/`` as
``taxmargin.fixtures``; its package-data globs include the ``demo/`` folder):

- every ``demo/*.csv`` except the price table: real exchange exports (a Binance
  Transaction History statement, a Kraken ``ledgers.csv``, a Coinbase transaction
  report) and taxmargin CSV files for what no importer covers, each imported exactly as
  ``taxmargin import`` would (format detected from the content, per-file summary);
- ``demo/prices.csv``: the user price table (``taxmargin prices import``);
- ``demo/profile.toml``: the demo taxpayer.

The importer test samples under ``fixtures/<exchange>/`` are not read: they carry
malformed rows and unrelated events on purpose.

A fresh ledger ``DIR/demo-ledger.db`` is built on every run and every report for 2025 is
written into ``DIR``, with the profile copied to ``DIR/profile.toml`` so the user can change
it and run ``taxmargin report --ledger DIR/demo-ledger.db --profile DIR/profile.toml
--year 2025``. The story behind the files is told in README.md ("The demo").
"""

from __future__ import annotations

import shutil
from contextlib import ExitStack
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from taxmargin import api
from taxmargin.cli_output import print_import, print_report_notes, print_summary, say
from taxmargin.ledger import Ledger
from taxmargin.profile import load_profile

__all__ = ["run_demo", "DEMO_YEAR", "PRICE_TABLE", "PROFILE", "demo_inputs"]

DEMO_YEAR = 2025
LEDGER_NAME = "demo-ledger.db"
PRICE_TABLE = "prices.csv"
PROFILE = "profile.toml"


def demo_inputs() -> tuple[list[Traversable], Traversable, Traversable]:
    """(the event files sorted by name, the price table, the profile) of ``demo/``."""
    demo = resources.files("taxmargin.fixtures") / "demo"
    files = sorted(
        (e for e in demo.iterdir() if e.is_file() and e.name.endswith(".csv") and e.name != PRICE_TABLE),
        key=lambda e: e.name,
    )
    return files, demo / PRICE_TABLE, demo / PROFILE


def _import_files(store: Ledger, paths: list[Path]) -> None:
    """Each file as ``taxmargin import`` does it, with the same per-file summary."""
    for path in paths:
        print_import(api.import_file(store, path))


def _import_prices(store: Ledger, path: Path) -> None:
    """The price table as ``taxmargin prices import`` does it, with its summary."""
    table = api.store_prices(store, path).table
    say(f"{path.name}: price table", style="bold")
    say(f"  rows read {table.rows_read} = prices {len(table.points)} + rejected {table.rows_read - len(table.points)}")
    for error in table.errors:
        say(str(error), style="red")


def run_demo(out_dir: Path, *, progress: api.Progress | None = None) -> api.Report:
    """Build the demo ledger in ``out_dir``, write every 2025 report there, print the summary."""
    out_dir.mkdir(parents=True, exist_ok=True)
    ledger_path = out_dir / LEDGER_NAME
    ledger_path.unlink(missing_ok=True)
    files, prices_entry, profile_entry = demo_inputs()
    with ExitStack() as stack:
        paths = [stack.enter_context(resources.as_file(entry)) for entry in files]
        prices_path = stack.enter_context(resources.as_file(prices_entry))
        profile_path = stack.enter_context(resources.as_file(profile_entry))
        profile = load_profile(profile_path)
        shutil.copyfile(profile_path, out_dir / PROFILE)
        say(f"Demo: importing {len(paths)} files and a price table into {ledger_path}", style="bold")
        with Ledger.open(ledger_path) as store:
            _import_files(store, paths)
            _import_prices(store, prices_path)
    report = api.report_from_ledger(ledger_path, profile, DEMO_YEAR, progress=progress)
    have, missing = api.available_formats(api.parse_formats(None)[0])
    written = api.write_reports(report.forms, out_dir, have)
    say("")
    print_summary(report.forms)
    print_report_notes(report)
    say(f"Wrote {len(written)} files to {out_dir}/: {', '.join(p.name for p in written)}", style="bold")
    if missing:
        say(f"(not in this installation: {', '.join(missing)})", style="dim")
    say(f"Next: taxmargin review --year {DEMO_YEAR} --ledger {ledger_path} --profile {out_dir / PROFILE}")
    return report
