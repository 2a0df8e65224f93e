"""Helpers shared by the importer tests (tests/test_import_*.py)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from decimal import Decimal

from taxmargin.importers import LAYOUTS
from taxmargin.importers.base import FileText, ImportResult, detect_layout
from taxmargin.models import Amount, EventBase


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
