"""Helpers shared by the importer tests (tests/test_import_*.py)."""

from __future__ import annotations

import hashlib
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


def _net(events: tuple[EventBase, ...]) -> dict[str, Decimal]:
    net: dict[str, Decimal] = {}
    for e in events:
        for amount, sign in ((e.received, 1), (e.sent, -1), (e.fee, -1)):
            if amount:
                net[amount.asset] = net.get(amount.asset, Decimal(0)) + sign * amount.quantity
    return {asset: qty for asset, qty in net.items() if qty}


def _q(amount: Amount | None) -> Decimal:
    """The quantity of an optional side (0 when absent)."""
    return amount.quantity if amount else Decimal(0)


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _of(result: ImportResult, type_name: str) -> list[EventBase]:
    return [e for e in result.events if e.type_name == type_name]


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
