"""Helpers shared by the importer tests (tests/test_import_*.py)."""

from __future__ import annotations

import csv
import hashlib
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from taxmargin.importers import LAYOUTS
from taxmargin.importers.base import FileText, ImportResult, detect_layout, load_file
from taxmargin.models import Amount, EventBase
from tests.golden import assert_golden


def _text(name: str, text: str) -> FileText:
    data = text.encode()
    return FileText(name, text, "utf-8", hashlib.sha256(data).hexdigest(), len(data))


def _parse(file: FileText) -> tuple[str, ImportResult]:
    layout = detect_layout(file, LAYOUTS)
    return layout.name, layout.parse(file)


def import_file(path: Path) -> ImportResult:
    """``path`` read by the one layout of the registry that detects it."""
    return _parse(load_file(path))[1]


def run(path: Path) -> ImportResult:
    """``path`` imported, with every row accounted for and one row count per event."""
    result = import_file(path)
    assert result.unaccounted == 0, f"{path.name}: {result.unaccounted} rows unaccounted"
    assert len(result.rows_per_event) == len(result.events)
    return result


def check_rows_accounted(result: ImportResult, *, rejected_apart: bool = False) -> None:
    """Every row read is in an event, non-taxable or rejected, and the rows per event add
    up; with ``rejected_apart`` no rejected row is also a non-taxable one."""
    assert result.unaccounted == 0
    assert len(result.rows_per_event) == len(result.events)
    assert sum(result.rows_per_event) == result.rows_in_events
    if rejected_apart:
        lines_in_errors = {e.source.line for e in result.errors}
        assert not lines_in_errors & {r.source.line for r in result.non_taxable}


def _net(events: Sequence[EventBase]) -> dict[str, Decimal]:
    """Sum of received − sent − fee per asset, assets that net to zero left out
    (EXPECTED.md "net per asset")."""
    net: dict[str, Decimal] = {}
    for e in events:
        for amount, sign in ((e.received, 1), (e.sent, -1), (e.fee, -1)):
            if amount:
                net[amount.asset] = net.get(amount.asset, Decimal(0)) + sign * amount.quantity
    return {asset: qty for asset, qty in net.items() if qty}


def total(amounts: Sequence[Amount | None]) -> dict[str, Decimal]:
    """Sum of the given amounts per asset (absent ones skipped)."""
    out: dict[str, Decimal] = defaultdict(Decimal)
    for amount in amounts:
        if amount is not None:
            out[amount.asset] += amount.quantity
    return dict(out)


def _q(amount: Amount | None) -> Decimal:
    """The quantity of an optional side (0 when absent)."""
    return amount.quantity if amount else Decimal(0)


def _amount(quantity: str, asset: str) -> Amount:
    return Amount(Decimal(quantity), asset)


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _of(result: ImportResult, type_name: str) -> list[EventBase]:
    return [e for e in result.events if e.type_name == type_name]


def of_kind(events: Sequence[EventBase], kind: type[EventBase]) -> list[EventBase]:
    """The events of exactly the class ``kind`` (not its subclasses)."""
    return [e for e in events if type(e) is kind]


def _at(result: ImportResult, when: str) -> list[EventBase]:
    """The events at the UTC time ``when`` ("YYYY-MM-DD HH:MM:SS")."""
    return [e for e in result.events if e.time == _utc(when)]


def error_cells(result: ImportResult) -> set[tuple[int, str]]:
    """(line, column) of every rejected cell."""
    return {(e.source.line, e.column) for e in result.errors}


def statement_changes(path: Path, lines: set[int], by_account: bool = False) -> dict[object, Decimal]:
    """Sum of ``Change`` per coin (or per (Account, Coin)) of the given physical lines of a
    one-line-per-row Binance statement."""
    text = path.read_text(encoding="utf-8-sig").splitlines()
    header = next(csv.reader([text[0]]))
    out: dict[object, Decimal] = defaultdict(Decimal)
    for line in lines:
        row = dict(zip(header, next(csv.reader([text[line - 1]]))))
        key = (row["Account"], row["Coin"]) if by_account else row["Coin"]
        out[key] += Decimal(row["Change"])
    return out


def detected_layouts(file: FileText) -> list[str]:
    """Names of every registered layout whose detection accepts ``file`` (must be one)."""
    return [layout.name for layout in LAYOUTS if layout.detect(file)]


def check_fixture(path: Path, layout: str) -> None:
    """A fixture is read by ``layout``, with every row accounted for and no rejected row,
    and its events equal the hand-checked golden file beside it."""
    name, result = _parse(load_file(path))
    assert name == layout
    assert result.unaccounted == 0 and result.errors == ()
    assert len(result.rows_per_event) == len(result.events)
    assert_golden(path, result.events)


def check_malformed_rows(path: Path, extra: str, expected: dict[int, set[str]]) -> None:
    """``extra`` rows appended to the good fixture ``path`` are rejected on exactly the
    ``expected`` columns per line, each as "FILE:LINE: column 'X': ...", and the good rows
    import exactly as they do alone."""
    good = load_file(path)
    _, clean = _parse(good)
    _, result = _parse(_text(good.name, good.text + extra))
    rejected: dict[int, set[str]] = {}
    for error in result.errors:
        rejected.setdefault(error.source.line, set()).add(error.column)
        assert str(error).startswith(f"{good.name}:{error.source.line}: column '{error.column}': ")
    assert rejected == expected
    assert result.events == clean.events
    assert result.unaccounted == 0
