"""Bybit derivatives "Closed P&L" export ("Bybit-AllPerp-ClosedPNL-…csv").

Layouts (exchange-formats.md §5):

* ``bybit-closed-pnl`` — ``Market,Order Quantity,Entry Price,Exit Price,Opening Fee,Closing
  Fee,Funding Fee,cumClosedPzOpenFeeInfo,cumClosedPzTradeFeeInfo,Trade Type,Realized
  P&L,Trade time``; the two ``cum…Info`` cells hold JSON keyed by the fee coin
  (``{"USDT":"0.11"}``). Sources: public test code [pub-bybit-tests]; public parsers that
  state they checked the columns against real exports (one notes the CSV has no side and
  no order id).
* ``bybit-closed-pnl-v1`` — the same without the two ``cum…Info`` columns (older exports,
  as a public parser notes).

Semantics: ``Realized P&L`` = price P&L − ``Opening Fee`` − ``Closing Fee`` − ``Funding
Fee`` (checked on the test rows: 20 − 0.11 − 0.121 − 0.02 = 19.749); ``Funding Fee`` > 0 was
paid. One row per closed position -> a ``RealizedPnl`` of the price P&L with the two fees
as its ``fee`` (tax-rules.md §4.7(1), (4)) and a separate ``Funding`` event (§4.7(2)-(3),
U3). Settlement coin: the JSON key, else from ``Market`` (``…USDT`` -> USDT, ``…USDC`` or
``…PERP`` -> USDC, inverse ``…USD`` -> the base coin). ``Trade Type`` ``Liquidation``/``ADL``
is noted and flagged.

Time: ``Trade time`` is ``HH:MM YYYY-MM-DD`` (minutes only) with no zone: UTC assumed
(``assumed-timezone``; unverified). The position's opening time is not in the file
(``acquired`` left empty). Importing this file together with the UTA log of the same
period counts the P&L twice.
"""

from __future__ import annotations

import json
from datetime import UTC
from decimal import Decimal

from taxmargin.importers.base import (
    CsvLayout,
    FileText,
    ImportResult,
    Layout,
    RowContext,
)
from taxmargin.importers.bybit_shared import (
    Collector,
    layouts,
    number,
    read_rows,
    row_time,
    where,
)

from taxmargin.models import Amount, EventBase, Funding, RealizedPnl, SourceRef

__all__ = ["LAYOUTS", "BybitClosedPnl", "BybitClosedPnlV1"]

ACCOUNT = "bybit"
_TYPES = {"trade": "", "liquidation": "liquidation", "adl": "auto-deleveraging", "delivery": "delivery"}
_BASE = ("Market", "Order Quantity", "Entry Price", "Exit Price", "Opening Fee", "Closing Fee",
         "Funding Fee", "Trade Type", "Realized P&L", "Trade time")
_INFO = ("cumClosedPzOpenFeeInfo", "cumClosedPzTradeFeeInfo")


def settlement_coin(ctx: RowContext) -> str | None:
    """The coin the P&L is paid in (see module docstring); records an error if unknown."""
    for column in _INFO:
        raw = ctx.get(column)
        if raw:
            try:
                keys = list(json.loads(raw))
            except (ValueError, TypeError):
                ctx.fail(column, "not a JSON object of fee coins")
                return None
            if len(keys) == 1 and isinstance(keys[0], str) and keys[0]:
                return keys[0].upper()
    market = ctx.get("Market").upper().split("-")[0]
    for suffix, coin in (("USDT", "USDT"), ("USDC", "USDC"), ("PERP", "USDC")):
        if market.endswith(suffix) and len(market) > len(suffix):
            return coin
    if market.endswith("USD") and len(market) > 3:
        return market[:-3]
    ctx.fail("Market", "settlement coin cannot be told from the market name")
    return None


def _events(ctx: RowContext, coin: str) -> list[EventBase] | None:
    when = row_time(ctx, "Trade time", UTC, ("%H:%M %Y-%m-%d", "%H:%M:%S %Y-%m-%d"))
    values = [number(ctx, c) for c in ("Opening Fee", "Closing Fee", "Funding Fee", "Realized P&L")]
    kind = ctx.get("Trade Type").lower()
    if kind not in _TYPES:
        ctx.fail("Trade Type", "unknown trade type")
    if when is None or ctx.errors:
        return None
    opening, closing, funding, realized = (v if v is not None else Decimal(0) for v in values)
    fees = opening + closing
    pnl = realized + fees + funding
    if fees < 0:  # net rebate: part of the P&L
        pnl, fees = pnl - fees, Decimal(0)
    label = " ".join(p for p in (ctx.get("Market"), _TYPES[kind]) if p)
    base = where(when, ACCOUNT, ctx.source)
    fee = Amount(fees, coin) if fees else None
    out: list[EventBase] = []
    if pnl > 0:
        out.append(RealizedPnl(**base, received=Amount(pnl, coin), fee=fee, note=label))
    elif pnl < 0:
        out.append(RealizedPnl(**base, sent=Amount(-pnl, coin), fee=fee, note=label))
    elif fees:
        out.append(RealizedPnl(**base, sent=Amount(fees, coin), note=f"{label} trading fees"))
    if funding:
        paid = Amount(funding, coin) if funding > 0 else None
        got = Amount(-funding, coin) if funding < 0 else None
        out.append(Funding(**base, sent=paid, received=got, seq=len(out), note=f"{ctx.get('Market')} funding"))
    return out


class _ClosedPnl(CsvLayout):
    def parse(self, file: FileText) -> ImportResult:
        col = Collector(self.name)
        col.warn("assumed-timezone", "column 'Trade time' states no zone: UTC assumed",
                 SourceRef(file.name, (self.find_header(file) or 0) + 1))
        for ctx in read_rows(self, file, col):
            coin = settlement_coin(ctx)
            events = _events(ctx, coin) if coin else None
            if events is None or coin is None:
                col.reject(ctx.errors)
                continue
            if not events:
                col.skip(ctx.source, "no balance change")
            for i, event in enumerate(events):
                col.event(event, [ctx.source] if i == 0 else [])
            if "liquidation" in ctx.get("Trade Type").lower():
                col.warn("liquidation", f"{ctx.get('Market')} position liquidated", ctx.source)
        return col.result()


class BybitClosedPnl(_ClosedPnl):
    name = "bybit-closed-pnl"
    description = "Bybit derivatives Closed P&L export (with fee-coin JSON columns)"
    columns = (*_BASE[:7], *_INFO, *_BASE[7:])


class BybitClosedPnlV1(_ClosedPnl):
    name = "bybit-closed-pnl-v1"
    description = "Bybit derivatives Closed P&L export, older version without fee-coin JSON"
    columns = _BASE
    strict_columns = True


LAYOUTS: tuple[Layout, ...] = layouts(BybitClosedPnl(), BybitClosedPnlV1())
