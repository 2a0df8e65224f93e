"""The user price table file (``taxmargin prices import FILE.csv``): columns ``time``,
``asset``, ``usd`` and optional ``note``, read with the importers' CSV row reader into
price points for :func:`taxmargin.pricing.price_events`. Re-exported by
:mod:`taxmargin.pricing`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from taxmargin.errors import InputError, RowError
from taxmargin.pricing_index import PricePoint

if TYPE_CHECKING:  # loaded only when a table is read, never by the pricing stage itself
    from taxmargin.importers.base import CsvLayout, FileText, RowContext

__all__ = ["PriceTable", "read_price_table"]


@dataclass(frozen=True, slots=True)
class PriceTable:
    """What a price-table CSV held: good points, rejected rows, rows read."""

    points: tuple[PricePoint, ...]
    errors: tuple[RowError, ...]
    rows_read: int


def _price_table_layout() -> CsvLayout:
    """The price-table CSV, declared once and read with the importers' row reader
    (imported here so that the pricing stage itself never loads the importers)."""
    from taxmargin.importers.base import CsvLayout

    class PriceTableLayout(CsvLayout):
        name = "price-table"
        description = "taxmargin price table (time, asset, usd)"
        columns = ("time", "asset", "usd")
        extra_columns = ("note",)
        strict_columns = True

    return PriceTableLayout()


def read_price_table(file: FileText) -> PriceTable:
    """Read a user price table: columns ``time`` (ISO 8601, no offset = UTC), ``asset``
    and ``usd`` (USD per unit, > 0), optional ``note``; any other column is an error (as
    in the generic CSV, it catches typos). Bad rows become ``RowError`` values."""
    layout = _price_table_layout()
    if not layout.detect(file):
        head = file.head_lines(1)
        raise InputError(
            f"{file.name}: not a price table: the header must be time, asset, usd "
            f"(optionally note); header seen: {head[0][:200] if head else '(nothing)'}"
        )
    points: list[PricePoint] = []
    errors: list[RowError] = []
    rows_read = 0
    for row in layout.rows(file):
        rows_read += 1
        if isinstance(row, RowError):
            errors.append(row)
            continue
        point = _price_row(row)
        errors.extend(row.errors)
        if point is not None and not row.errors:
            points.append(point)
    return PriceTable(tuple(points), tuple(errors), rows_read)


def _price_row(row: RowContext) -> PricePoint | None:
    time = row.time("time")
    asset = row.get("asset").upper()
    if not asset:
        row.fail("asset", "is required")
    elif not asset.replace(".", "").replace("-", "").isalnum() or len(asset) > 20:
        row.fail("asset", "is not an asset symbol")
    usd = row.decimal("usd")
    if usd is not None and usd <= 0:
        row.fail("usd", "must be a positive USD price per unit")
    if time is None or usd is None or row.errors:
        return None
    return (time, asset, usd, str(row.source))
