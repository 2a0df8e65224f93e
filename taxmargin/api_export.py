"""``taxmargin export`` and ``taxmargin prices import`` (interfaces.md §1): the ledger's
events as a taxmargin CSV (with the user price table beside it), and a price-table CSV
into the ledger. Split from ``taxmargin.api`` (which re-exports these names)."""

from __future__ import annotations

import csv
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO, cast

from taxmargin.codec import format_decimal, format_time, write_csv
from taxmargin.errors import InputError
from taxmargin.importers.base import load_file
from taxmargin.ledger import Ledger
from taxmargin.pricing import PricePoint, PriceTable, read_price_table
from taxmargin.reports.atomic import atomic_text

__all__ = ["Export", "PriceImport", "export_csv", "import_prices", "prices_path_for", "store_prices"]


@dataclass(frozen=True, slots=True)
class Export:
    """What ``export`` wrote: the events file (None = standard output) and, when the
    ledger has a user price table, the price file beside it."""

    events: int
    prices: int
    prices_path: Path | None


def prices_path_for(out: Path) -> Path:
    """Where the price table goes beside an export: ``NAME-prices.csv``."""
    return out.with_name(f"{out.stem}-prices.csv")


def _write_prices(points: Sequence[PricePoint], target: Path) -> None:
    with atomic_text(target, newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(("time", "asset", "usd", "note"))
        for time, asset, usd, source in points:
            writer.writerow((format_time(time), asset, format_decimal(usd), f"from {source}"))


def export_csv(ledger_path: Path, out: Path | None) -> Export:
    """Every stored event as a taxmargin CSV (interfaces.md §2), one row per event with its
    ``id`` and ``source``; ``out`` None writes the events to standard output.

    The user price table is not an event: when there is one (and ``out`` is a file) it is
    written beside the events as ``NAME-prices.csv`` (``taxmargin prices import`` reads it
    back), so importing both into an empty ledger gives the same reports (round trip)."""
    from taxmargin.api import load_events  # api re-exports this module: import at call time

    events, prices = load_events(ledger_path)
    if out is None:
        return Export(write_csv(events, sys.stdout), len(prices), None)
    try:
        with atomic_text(out, newline="") as handle:
            count = write_csv(events, cast(TextIO, handle))
        if not prices:
            return Export(count, 0, None)
        target = prices_path_for(out)
        _write_prices(prices, target)
    except OSError as exc:
        raise InputError(f"{out}: cannot write: {exc.strerror}") from None
    return Export(count, len(prices), target)


@dataclass(frozen=True, slots=True)
class PriceImport:
    table: PriceTable
    stored: int


def store_prices(ledger: Ledger, path: Path) -> PriceImport:
    """Store the good rows of a price-table CSV (``time, asset, usd``) in ``ledger``."""
    table = read_price_table(load_file(path))
    stored = ledger.add_prices(table.points) if table.points else 0
    return PriceImport(table, stored)


def import_prices(ledger_path: Path, path: Path) -> PriceImport:
    """:func:`store_prices` into the ledger at ``ledger_path`` (created on first use)."""
    with Ledger.open(ledger_path) as ledger:
        return store_prices(ledger, path)
