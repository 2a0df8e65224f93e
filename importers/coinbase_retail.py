"""Coinbase retail "Transaction history" report: one layout class per version.

Versions (exchange-formats.md §3): v0 (≤2018, ``<CCY> Amount Transacted (Inclusive of
Coinbase Fees)``, date-only ``MM/DD/YYYY``), v1 (2020 → mid-2021, currency code baked into
the header: ``EUR Subtotal``), v2 (``Spot Price Currency``, ``Total (inclusive of fees)``),
v3 (``Total (inclusive of fees and/or spread)``, ``Fees and/or Spread``), v4 (2024-05 →,
``ID`` column, ``Price Currency``, currency symbols, signed quantities) and v5 (v4 +
``Sender Address``, ``Recipient Address``). Every version's header must match exactly
(``strict_columns``), so two versions never both claim one file.

Each layout reads its rows into :class:`~taxmargin.importers.coinbase_rows.CbRow` values;
:mod:`taxmargin.importers.coinbase_events` turns them into events.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping, Sequence
from typing import ClassVar

from taxmargin.importers.base import CsvLayout, FileText, ImportResult, RowContext
from taxmargin.importers.coinbase_common import ResultBuilder
from taxmargin.importers.coinbase_events import build_events
from taxmargin.importers.coinbase_rows import CbRow, read_row

__all__ = [
    "CoinbaseRetailV0",
    "CoinbaseRetailV1",
    "CoinbaseRetailV2",
    "CoinbaseRetailV3",
    "CoinbaseRetailV4",
    "CoinbaseRetailV5",
    "RETAIL_LAYOUTS",
]


def header_at(file: FileText, index: int) -> list[str]:
    """The cells of physical line ``index`` (0-based), cleaned like base.py does."""
    line = file.head_lines(index + 1)[index]
    cells = next(csv.reader([line]), [])
    return [c.strip().lstrip("\ufeff").strip() for c in cells]


class _RetailLayout(CsvLayout):
    """Shared parsing: map the version's columns to canonical keys, then build events."""

    #: canonical key -> column name (``{C}`` = the currency code of the header, v0/v1)
    mapping: ClassVar[Mapping[str, str]] = {}
    #: timestamps are date-only (v0): a diagnostic says the time was set to 00:00 UTC
    date_only: ClassVar[bool] = False
    strict_columns = True

    def column_map(self, file: FileText) -> dict[str, str]:
        return dict(self.mapping)

    def parse(self, file: FileText) -> ImportResult:
        cmap = self.column_map(file)
        builder = ResultBuilder(self.name)
        rows: list[CbRow] = []
        for item in self.rows(file):
            builder.rows_read += 1
            if not isinstance(item, RowContext):
                builder.reject([item])
                continue
            row = read_row(item, cmap)
            if row is None:
                builder.reject(item.errors)
            else:
                rows.append(row)
        if self.date_only and rows:
            builder.note_once(
                "assumed-timezone",
                "the v0 report gives dates without a time; each is taken as 00:00 UTC",
                rows[0].source,
            )
        build_events(rows, builder)
        return builder.result()


_V45 = {
    "id": "ID",
    "time": "Timestamp",
    "type": "Transaction Type",
    "asset": "Asset",
    "quantity": "Quantity Transacted",
    "currency": "Price Currency",
    "price": "Price at Transaction",
    "subtotal": "Subtotal",
    "total": "Total (inclusive of fees and/or spread)",
    "fees": "Fees and/or Spread",
    "notes": "Notes",
}


class CoinbaseRetailV5(_RetailLayout):
    name = "coinbase-v5"
    description = "Coinbase transaction history, 2025+ (v4 + Sender/Recipient Address)"
    mapping = _V45
    columns = (*_V45.values(), "Sender Address", "Recipient Address")


class CoinbaseRetailV4(_RetailLayout):
    name = "coinbase-v4"
    description = "Coinbase transaction history, 2024-05+ (ID, Price Currency, symbols)"
    mapping = _V45
    columns = tuple(_V45.values())


_V3 = {
    "time": "Timestamp",
    "type": "Transaction Type",
    "asset": "Asset",
    "quantity": "Quantity Transacted",
    "currency": "Spot Price Currency",
    "price": "Spot Price at Transaction",
    "subtotal": "Subtotal",
    "total": "Total (inclusive of fees and/or spread)",
    "fees": "Fees and/or Spread",
    "notes": "Notes",
}


class CoinbaseRetailV3(_RetailLayout):
    name = "coinbase-v3"
    description = "Coinbase transaction history, 2022-09 .. early 2024 (fees and/or spread)"
    mapping = _V3
    columns = tuple(_V3.values())


_V2 = {
    **_V3,
    "total": "Total (inclusive of fees)",
    "fees": "Fees",
}


class CoinbaseRetailV2(_RetailLayout):
    name = "coinbase-v2"
    description = "Coinbase transaction history, mid-2021 .. 2022 (Spot Price Currency)"
    mapping = _V2
    columns = tuple(_V2.values())


class _CurrencyHeaderLayout(_RetailLayout):
    """v0/v1: the native currency is part of column names (``EUR Subtotal``)."""

    fixed: ClassVar[tuple[str, ...]] = ()
    templated: ClassVar[Mapping[str, str]] = {}
    columns: ClassVar[tuple[str, ...]] = ()
    strict_columns = False

    def _currency(self, cells: Sequence[str]) -> str | None:
        present = {c for c in cells if c}
        for cell in present:
            match = re.fullmatch(r"([A-Z]{3}) Spot Price at Transaction", cell)
            if match:
                code = match.group(1)
                wanted = set(self.fixed) | {t.format(C=code) for t in self.templated.values()}
                return code if present == wanted else None
        return None

    def accepts_header(self, cells: list[str]) -> bool:
        return self._currency(cells) is not None

    def header_cells(self, file: FileText) -> Sequence[str]:
        return (*self.fixed, *(t.format(C="USD") for t in self.templated.values()))

    def column_map(self, file: FileText) -> dict[str, str]:
        index = self.find_header(file)
        code = self._currency(header_at(file, index or 0)) or "USD"
        cmap = {key: col.format(C=code) for key, col in self.templated.items()}
        cmap.update(
            time="Timestamp", type="Transaction Type", asset="Asset",
            quantity="Quantity Transacted", notes="Notes", currency="=" + code,
        )
        return cmap


class CoinbaseRetailV1(_CurrencyHeaderLayout):
    name = "coinbase-v1"
    description = "Coinbase transaction history, 2020 .. mid-2021 (currency in column names)"
    fixed = ("Timestamp", "Transaction Type", "Asset", "Quantity Transacted", "Notes")
    columns = fixed
    templated = {
        "price": "{C} Spot Price at Transaction",
        "subtotal": "{C} Subtotal",
        "total": "{C} Total (inclusive of fees)",
        "fees": "{C} Fees",
    }


class CoinbaseRetailV0(_CurrencyHeaderLayout):
    name = "coinbase-v0"
    description = "Coinbase transaction history, up to 2018 (date-only timestamps)"
    fixed = ("Timestamp", "Transaction Type", "Asset", "Quantity Transacted", "Address", "Notes")
    columns = fixed
    templated = {
        "price": "{C} Spot Price at Transaction",
        "total": "{C} Amount Transacted (Inclusive of Coinbase Fees)",
    }
    date_only = True


RETAIL_LAYOUTS = (
    CoinbaseRetailV0(),
    CoinbaseRetailV1(),
    CoinbaseRetailV2(),
    CoinbaseRetailV3(),
    CoinbaseRetailV4(),
    CoinbaseRetailV5(),
)
