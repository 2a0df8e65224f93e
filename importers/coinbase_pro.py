"""Coinbase Pro / Exchange (2018-2023) and Advanced Trade: fills and account statements.

Layouts (exchange-formats.md §3.1; [BT-coinbasepro], [ET-files], [ROTKI]):

* fills ``portfolio,trade id,product,side,created at,size,size unit,price,fee,total,
  price/fee/total unit`` (and the older one without ``portfolio``): one row per fill;
  ``total`` is signed (negative for buys) and net of the fee, so a buy pays
  ``|total| − fee`` plus ``fee`` and a sell receives ``total + fee`` minus ``fee``.
* account statement ``portfolio,type,time,amount,balance,amount/balance unit,transfer id,
  trade id,order id`` (older without ``portfolio``; rotki's Title-Case variant with
  ``Timestamp``): one trade = two ``match`` rows + one ``fee`` row sharing ``trade id``
  (and ``order id``), see :mod:`taxmargin.importers.coinbase_pro_account`.

Times are ISO 8601 with ``Z`` (UTC). Both files describe the same trades: a trade's
``event_id`` is ``coinbase-pro:<assets sorted>:<trade id>`` in both, so importing fills
and statement together stores each trade once (the ledger de-duplicates by id). Trade ids
are per product, hence the assets in the id.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import ClassVar

from taxmargin.importers.base import CsvLayout, FileText, ImportResult, RowContext
from taxmargin.importers.coinbase_common import ResultBuilder
from taxmargin.models import USD, Amount, Trade

__all__ = ["CoinbaseProFills", "CoinbaseProFillsV1", "pro_trade_id", "ACCOUNT"]

ACCOUNT = "coinbase"
_PRODUCT = re.compile(r"([A-Z0-9]{2,12})-([A-Z0-9]{2,12})")


def pro_trade_id(assets: tuple[str, str], trade_id: str) -> str:
    """Event id shared by the fills report and the account statement."""
    first, second = sorted(assets)
    return f"coinbase-pro:{first}-{second}:{trade_id}"


class CoinbaseProFills(CsvLayout):
    """Fills report with ``portfolio`` (2020+)."""

    name = "coinbase-pro-fills"
    description = "Coinbase Pro / Advanced Trade fills report"
    columns: ClassVar[tuple[str, ...]] = (
        "portfolio", "trade id", "product", "side", "created at", "size", "size unit",
        "price", "fee", "total", "price/fee/total unit",
    )
    strict_columns = True

    def parse(self, file: FileText) -> ImportResult:
        builder = ResultBuilder(self.name)
        for item in self.rows(file):
            builder.rows_read += 1
            if not isinstance(item, RowContext):
                builder.reject([item])
                continue
            trade = _fill(item)
            if trade is None:
                builder.reject(item.errors)
            else:
                builder.add(trade)
        return builder.result()


class CoinbaseProFillsV1(CoinbaseProFills):
    """Fills report before ``portfolio`` was added."""

    name = "coinbase-pro-fills-v1"
    description = "Coinbase Pro fills report (without portfolio column)"
    columns = CoinbaseProFills.columns[1:]


def _product(ctx: RowContext) -> tuple[str, str] | None:
    match = _PRODUCT.fullmatch(ctx.get("product").upper())
    if match is None:
        ctx.fail("product", "is not a BASE-QUOTE product")
        return None
    base, quote = match.group(1), match.group(2)
    if ctx.get("size unit").upper() != base:
        ctx.fail("size unit", f"is not the base asset of {base}-{quote}")
    if ctx.get("price/fee/total unit").upper() != quote:
        ctx.fail("price/fee/total unit", f"is not the quote asset of {base}-{quote}")
    return base, quote


def _fill(ctx: RowContext) -> Trade | None:
    """One fill -> one Trade; records column errors in ``ctx`` and returns None when bad."""
    pair = _product(ctx)
    side = ctx.get("side").upper()
    if side not in ("BUY", "SELL"):
        ctx.fail("side", "must be BUY or SELL")
    time = ctx.time("created at")
    size = ctx.decimal("size")
    fee = ctx.decimal("fee") or Decimal(0)
    total = ctx.decimal("total", signed=True)
    ctx.decimal("price")
    trade_id = ctx.get("trade id")
    if not trade_id:
        ctx.fail("trade id", "is required")
    if ctx.errors or pair is None or time is None or not size or total is None:
        if not ctx.errors:
            ctx.fail("size", "must not be zero")
        return None
    base, quote = pair
    gross = abs(total) - fee if side == "BUY" else abs(total) + fee
    if gross <= 0:
        ctx.fail("total", "is smaller than the fee")
        return None
    coin, cash = Amount(size, base), Amount(gross, quote)
    return Trade(
        time=time, account=ACCOUNT, source=ctx.source, event_id=pro_trade_id(pair, trade_id),
        sent=cash if side == "BUY" else coin, received=coin if side == "BUY" else cash,
        fee=Amount(fee, quote) if fee else None,
        usd_value=gross if quote == USD else None, fee_usd=fee if quote == USD and fee else None,
        note=f"{side.lower()} {base}-{quote}",
    )
