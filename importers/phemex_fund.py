"""Phemex contract funds / tax report ("TAXATION_FUND_<YYYY-MM-DD>.csv").

Layout ``phemex-taxation-fund`` (exchange-formats.md §9): columns ``Time (UTC)``,
``Operation``, ``Change``, ``Remark`` — the only ones seen, in third-party code that reads
a real export (jonas0915/Phmex-S ``scripts/backfill_fees.py`` @ 5a334b7 [PHX-S]; it parses
``Time (UTC)`` with ``%Y-%m-%d %H:%M:%S`` and groups rows by ``Remark``). Other columns of
the real file (currency, balance, ...) and their order are unknown: extra columns are
accepted and ignored.

Operations [PHX-S]: ``Closed PNL`` (realised P&L of a closed contract position, signed),
``Trade Fee`` (negative = paid; positive = rebate, as the contract API's negative maker
fee rates allow [PHX-API]), ``Funding Fee`` (signed from the account's view: net =
Closed PNL - |Trade Fee| + Funding Fee). Any other value (deposit, liquidation, ...) is
unverified and rejected.

Events (tax-rules.md §4.7): the ``Closed PNL`` and ``Trade Fee`` rows sharing one ``Remark``
and one time are one ``RealizedPnl`` (gain received / loss sent), the fees paid as its
``fee``, rebates added to the P&L; a fee row alone (an opening fee) is a ``RealizedPnl``
loss of the fee, a lone rebate a gain (perp fees are part of the position's P&L,
§4.7(4)). ``Funding Fee`` -> ``Funding`` (received = income, paid = nondeductible,
§4.7(2)-(3)). No borrow, repay or interest rows exist (contracts are P/L-settled, §14).

Currency: the file names none. Linear contracts settle in USDT, inverse ones (``BTCUSD``)
in BTC: USDT is assumed (as in the sample's EXPECTED entry) and stated by an
``assumed-currency`` diagnostic; a ``Currency`` column, if present, wins. Time zone:
``Time (UTC)`` = UTC. Account name ``phemex``. Overlapping 3-month exports are
de-duplicated across files only (P12).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
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

__all__ = ["LAYOUTS", "PhemexTaxationFund"]

ACCOUNT = "phemex"
ASSUMED_CURRENCY = "USDT"
_OPERATIONS = ("closed pnl", "trade fee", "funding fee")


class PhemexTaxationFund(CsvLayout):
    name = "phemex-taxation-fund"
    description = "Phemex contract funds / tax report (TAXATION_FUND)"
    columns = ("Time (UTC)", "Operation", "Change", "Remark")

    def parse(self, file: FileText) -> ImportResult:
        col = Collector(self.name)
        groups: dict[tuple[datetime, str, str], list[tuple[RowContext, str, Decimal]]] = defaultdict(list)
        warned = False
        for ctx in read_rows(self, file, col):
            when = row_time(ctx, "Time (UTC)", UTC)
            change = number(ctx, "Change")
            operation = ctx.get("Operation").lower()
            if operation not in _OPERATIONS:
                ctx.fail("Operation", "unknown operation")
            currency = ctx.get("Currency").upper() or ASSUMED_CURRENCY
            if when is None or change is None or ctx.errors:
                col.reject(ctx.errors)
                continue
            if not ctx.get("Currency") and not warned:
                warned = True
                col.warn("assumed-currency", "the file names no currency: USDT assumed (linear contracts)",
                         SourceRef(file.name, (self.find_header(file) or 0) + 1))
            if operation == "funding fee":
                _funding(col, ctx, when, change, currency)
            else:
                groups[(when, ctx.get("Remark"), currency)].append((ctx, operation, change))
        for (when, remark, currency), rows in groups.items():
            _position(col, when, remark, currency, rows)
        return col.result()


def _funding(col: Collector, ctx: RowContext, when: datetime, change: Decimal, currency: str) -> None:
    if change == 0:
        col.skip(ctx.source, "no balance change")
        return
    amount = Amount(abs(change), currency)
    note = f"funding {ctx.get('Remark')}".strip()
    event = Funding(**where(when, ACCOUNT, ctx.source), received=amount if change > 0 else None,
                    sent=amount if change < 0 else None, note=note)
    col.event(event, [ctx.source])


def _position(col: Collector, when: datetime, remark: str,
              currency: str, rows: list[tuple[RowContext, str, Decimal]]) -> None:
    """Closed PNL and Trade Fee rows of one remark and time -> one RealizedPnl."""
    pnl = sum((c for _, op, c in rows if op == "closed pnl"), Decimal(0))
    pnl += sum((c for _, op, c in rows if op == "trade fee" and c > 0), Decimal(0))
    fees = -sum((c for _, op, c in rows if op == "trade fee" and c < 0), Decimal(0))
    sources = [ctx.source for ctx, _, _ in rows]
    base = where(when, ACCOUNT, min(sources))
    has_pnl = any(op == "closed pnl" for _, op, _ in rows)
    label = ("closed position " if has_pnl else "trading fee ") + remark
    fee = Amount(fees, currency) if fees else None
    event: EventBase
    if pnl > 0:
        event = RealizedPnl(**base, received=Amount(pnl, currency), fee=fee, note=label)
    elif pnl < 0:
        event = RealizedPnl(**base, sent=Amount(-pnl, currency), fee=fee, note=label)
    elif fees:
        event = RealizedPnl(**base, sent=Amount(fees, currency), note=label)
    else:
        for source in sources:
            col.skip(source, "no balance change")
        return
    col.event(event, sources)


LAYOUTS: tuple[Layout, ...] = layouts(PhemexTaxationFund())
