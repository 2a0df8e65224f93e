"""One Coinbase retail report row, validated, in canonical form (all versions).

Signs (exchange-formats.md P17): v4+ writes ``Quantity Transacted`` negative for outflows,
older versions unsigned; we keep the magnitude and remember whether a minus was written.
Money cells carry currency symbols and thousands separators (P6). ``ETH2`` is Coinbase's
staked ETH: it is read as ``ETH`` (one pool, basis and holding period continue), and the
row remembers the asset as written so migrations ETH↔ETH2 can be recognised.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from taxmargin.importers.base import RowContext, parse_utc
from taxmargin.importers.coinbase_common import money_cell
from taxmargin.models import SourceRef
from taxmargin.money import DecimalParseError, parse_decimal

__all__ = ["CbRow", "read_row", "coinbase_asset", "ASSET_ALIASES"]

#: Coinbase asset codes pooled with another asset. ETH2 = ETH staked on Coinbase (migrated
#: back to ETH in 2023-2025 by "Retail Eth2 Deprecation" / Send+Receive pairs).
ASSET_ALIASES: dict[str, str] = {"ETH2": "ETH"}
_ASSET = re.compile(r"[A-Z0-9][A-Z0-9.\-]{0,19}")


def coinbase_asset(code: str) -> str:
    upper = code.strip().upper()
    return ASSET_ALIASES.get(upper, upper)


@dataclass(frozen=True, slots=True)
class CbRow:
    """A valid report row. Money amounts are magnitudes in ``currency`` (None = empty)."""

    source: SourceRef
    row_id: str
    time: datetime
    kind: str  # transaction type, lower case, "advance" typo fixed
    kind_text: str  # as written
    asset: str  # normalized (ETH2 -> ETH)
    asset_written: str
    quantity: Decimal  # magnitude
    negative: bool  # a minus sign was written
    currency: str
    subtotal: Decimal | None
    total: Decimal | None
    fees: Decimal | None
    notes: str
    cells: tuple[tuple[str, str], ...]  # every cell, to compare rows sharing an ID


def _kind(text: str) -> str:
    kind = " ".join(text.lower().split())
    return kind.replace("advance trade", "advanced trade")


def _quantity(ctx: RowContext, column: str) -> Decimal | None:
    raw = ctx.get(column)
    if raw == "":
        ctx.fail(column, "is required")
        return None
    try:
        value = parse_decimal(raw, allow_negative=True)
    except DecimalParseError as exc:
        ctx.fail(column, str(exc))
        return None
    if value == 0:
        ctx.fail(column, "must not be zero")
        return None
    return value


def _time(ctx: RowContext, column: str) -> datetime | None:
    """``2025-01-17 16:57:02 UTC`` (v3+) read as ISO with ``+00:00`` — the fast path;
    other forms (``Z``, ``MM/DD/YYYY``) go through ``base.parse_utc`` unchanged."""
    raw = ctx.get(column)
    if raw.endswith(" UTC"):
        raw = raw[:-4] + "+00:00"
    if raw == "":
        ctx.fail(column, "is required")
        return None
    try:
        return parse_utc(raw)
    except ValueError as exc:
        ctx.fail(column, str(exc))
        return None


def _currency(ctx: RowContext, cmap: dict[str, str]) -> str:
    spec = cmap["currency"]
    if spec.startswith("="):
        return spec[1:]
    code = ctx.get(spec).upper()
    if not re.fullmatch(r"[A-Z]{3,5}", code):
        ctx.fail(spec, "is not a currency code")
    return code


def read_row(ctx: RowContext, cmap: dict[str, str]) -> CbRow | None:
    """Validate one row; on any bad cell record column errors in ``ctx`` and return None."""
    time = _time(ctx, cmap["time"])
    kind_text = ctx.get(cmap["type"])
    if kind_text == "":
        ctx.fail(cmap["type"], "is required")
    asset_written = ctx.get(cmap["asset"]).upper()
    if not _ASSET.fullmatch(asset_written):
        ctx.fail(cmap["asset"], "is not an asset code")
    quantity = _quantity(ctx, cmap["quantity"])
    currency = _currency(ctx, cmap)
    amounts = {
        key: money_cell(ctx, cmap[key], required=False) for key in ("subtotal", "total", "fees") if key in cmap
    }
    if "price" in cmap:
        money_cell(ctx, cmap["price"], required=False)  # validated, not used (no pricing)
    if ctx.errors or time is None or quantity is None:
        return None
    return CbRow(
        source=ctx.source,
        row_id=ctx.get(cmap["id"]) if "id" in cmap else "",
        time=time,
        kind=_kind(kind_text),
        kind_text=kind_text,
        asset=coinbase_asset(asset_written),
        asset_written=asset_written,
        quantity=abs(quantity),
        negative=quantity < 0,
        currency=currency,
        subtotal=_magnitude(amounts.get("subtotal")),
        total=_magnitude(amounts.get("total")),
        fees=_magnitude(amounts.get("fees")),
        notes=ctx.get(cmap["notes"]),
        cells=tuple(sorted(ctx.cells.items())),
    )


def _magnitude(value: Decimal | None) -> Decimal | None:
    return None if value is None else abs(value)
