"""Cell readers shared by the binance.com trade-history and order-history layouts (§1.2).

* Numbers: the semicolon variants are Excel re-saves in EU locales (P4); there a comma can
  only be a decimal comma (``0,007393``), so it is read as one, and a cell holding both ``.``
  and ``,`` is rejected as ambiguous. In comma-delimited files a comma inside a quoted cell
  is a thousands separator (``"1,234.5USDT"``).
* Amounts with the asset glued on (``0.0416BTC``, ``0.01612653BNB``; P5): the asset is
  taken from the pair (or BNB for fees), never guessed from the first letter, so ``1INCH``
  and ``1000SATS`` split right.
"""

from __future__ import annotations

import re
from decimal import Decimal

from taxmargin.importers.base import RowContext
from taxmargin.importers.binance_common import split_pair, split_suffixed
from taxmargin.money import DecimalParseError, parse_decimal

__all__ = ["read_number", "read_fee", "read_pair", "read_side"]

_FEE = re.compile(r"^([0-9][0-9.,]*(?:[eE][-+]?\d+)?)\s*([A-Za-z][A-Za-z0-9]*)$")


def _normalise(raw: str, decimal_comma: bool) -> str:
    if not decimal_comma or "," not in raw:
        return raw
    if "." in raw:
        raise DecimalParseError("both '.' and ',' in a number of a semicolon file: ambiguous")
    return raw.replace(",", ".")


def read_number(ctx: RowContext, column: str, *, decimal_comma: bool = False, positive: bool = True) -> Decimal | None:
    """A required non-negative number (positive when ``positive``); errors go to ``ctx``."""
    raw = ctx.get(column)
    if raw == "":
        ctx.fail(column, "is required")
        return None
    try:
        value = parse_decimal(_normalise(raw, decimal_comma))
    except DecimalParseError as exc:
        ctx.fail(column, str(exc))
        return None
    if positive and value == 0:
        ctx.fail(column, "must be greater than zero")
        return None
    return value


def read_side(ctx: RowContext, column: str) -> str | None:
    side = ctx.get(column).upper()
    if side not in ("BUY", "SELL"):
        ctx.fail(column, "is required" if not side else "must be BUY or SELL")
        return None
    return side


def read_pair(ctx: RowContext, column: str) -> tuple[str, str] | None:
    """Split a concatenated pair (``LTCBTC``) with the known quote list [BT-binance]."""
    pair = ctx.get(column).upper()
    split = split_pair(pair) if pair.isalnum() else None
    if split is None:
        ctx.fail(column, "is required" if not pair else "not a known trading pair (quote asset not recognised)")
    return split


def read_fee(ctx: RowContext, column: str, assets: tuple[str, ...], *, decimal_comma: bool = False) -> tuple[Decimal, str] | None:
    """``0.01612653BNB`` -> (quantity, asset); assets tried first (longest first), then a
    letters-after-digits split. A bare zero means no fee: ``(0, "")``."""
    raw = ctx.get(column).replace(" ", "")
    if raw == "":
        ctx.fail(column, "is required")
        return None
    for asset in sorted({a for a in assets if a}, key=len, reverse=True):
        if raw.upper().endswith(asset):
            quantity = split_suffixed(_safe(raw[: -len(asset)], decimal_comma) + asset, asset)
            if quantity is not None:
                return quantity, asset
    match = _FEE.match(raw)
    if match:
        try:
            return parse_decimal(_normalise(match.group(1), decimal_comma)), match.group(2).upper()
        except DecimalParseError:
            pass
    try:
        if parse_decimal(_normalise(raw, decimal_comma)) == 0:
            return Decimal(0), ""
    except DecimalParseError:
        pass
    ctx.fail(column, "not an amount followed by its asset (e.g. 0.01BNB)")
    return None


def _safe(number: str, decimal_comma: bool) -> str:
    try:
        return _normalise(number, decimal_comma)
    except DecimalParseError:
        return "x"


def read_suffixed(ctx: RowContext, column: str, asset: str) -> Decimal | None:
    """A quantity written plain (``0.0416``) or with ``asset`` appended (``0.0416BTC``)."""
    raw = ctx.get(column)
    value = split_suffixed(raw, asset)
    if value is None:
        try:
            value = parse_decimal(raw)
        except DecimalParseError as exc:
            ctx.fail(column, "is required" if not raw else f"{exc} (expected a quantity of {asset})")
            return None
    if value == 0:
        ctx.fail(column, "must be greater than zero")
        return None
    return value
