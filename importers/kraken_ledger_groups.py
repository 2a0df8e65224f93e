"""Kraken ledger rows that belong together: trades (by ``refid``) and margin rows.

Trades (P13): the ``trade`` rows sharing a ``refid`` — one negative leg, one positive leg,
the fee on either leg or on a zero-amount row — make ONE Trade with ``event_id = refid``,
which is also the ``txid`` of that fill in ``trades.csv``, so importing both files stores
the trade once. ``settled`` (a margin position settled with spot balance) and
``spend``/``receive`` (a purchase with card/fiat) pair the same way; ``adjustment`` pairs
are conversions, a lone adjustment is a credit (income) or debit (spend). When both legs
carry a fee (seen in the real 2024 export), the received-asset fee is withheld from the
units received (net quantity) and the other is the Trade's fee; a fee in a third asset
becomes a Fee event. One leg without its counter-leg is rejected (P15): the counter-asset
is outside the export, and inventing a zero-cost disposal would be wrong.

Margin (exchange-formats.md §4.1, §8; [KR-L] [KR-D] [BT-kraken]): Kraken margin is
P/L-settled — the borrowed funds never reach the balance, there are no borrow/repay rows.
A ``margin`` row with amount ≠ 0 is the realised P/L of a (partial) close and its fee the
closing fee; amount = 0 with a fee is an opening (or zero-P/L closing) fee. They become
:class:`RealizedPnl` events (gain = received, loss = sent; tax-rules.md §4.7(1),(4): fees of
the position are part of its capital P&L). Several ``margin`` rows under one ``refid``
(deductions in several currencies) are a liquidation [KR-D]: same events, flagged with a
``liquidation`` warning. Ids are the ledger row ``txid`` (rollovers share the refid).
"""

from __future__ import annotations

from decimal import Decimal

from taxmargin.errors import Severity
from taxmargin.importers.coinbase_common import ResultBuilder, fail_rows
from taxmargin.importers.kraken_common import ACCOUNT
from taxmargin.importers.kraken_rows import LedgerRow
from taxmargin.models import USD, Amount, Fee, Income, RealizedPnl, Spend, Trade

__all__ = ["trade_group", "margin_group", "usd_of", "fee_of", "fee_usd_of"]

NOTES = {
    "trade": "",
    "settled": "margin position settled with spot balance",
    "spend": "purchase (spend/receive)",
    "adjustment": "conversion (adjustment pair)",
}


def usd_of(row: LedgerRow, quantity: Decimal, asset: str) -> Decimal | None:
    """USD value the file states: ``amountusd``, or the quantity itself when it is USD."""
    if row.amount_usd is not None and row.amount_usd != 0:
        return abs(row.amount_usd)
    return quantity if asset == USD else None


def fee_of(row: LedgerRow) -> Amount | None:
    return Amount(row.fee, row.fee_asset) if row.fee > 0 else None


def fee_usd_of(row: LedgerRow) -> Decimal | None:
    if row.fee <= 0:
        return None
    if row.fee_usd is not None and row.fee_usd != 0:
        return abs(row.fee_usd)
    return row.fee if row.fee_asset == USD else None


def _fees(group: list[LedgerRow]) -> list[tuple[Amount, Decimal | None]]:
    """Fees of a group per asset, in order of appearance, with their stated USD values."""
    quantity: dict[str, Decimal] = {}
    usd: dict[str, Decimal | None] = {}
    for row in group:
        if row.fee <= 0:
            continue
        asset = row.fee_asset
        stated, before = fee_usd_of(row), usd.get(asset, Decimal(0))
        quantity[asset] = quantity.get(asset, Decimal(0)) + row.fee
        usd[asset] = None if stated is None or before is None else before + stated
    return [(Amount(q, asset), usd[asset]) for asset, q in quantity.items()]


def _lone_adjustment(row: LedgerRow, builder: ResultBuilder) -> None:
    units = Amount(abs(row.amount), row.asset)
    usd = usd_of(row, units.quantity, units.asset)
    if row.amount > 0:
        builder.add(Income(time=row.time, account=ACCOUNT, source=row.source, event_id=row.txid,
                           received=units, fee=fee_of(row), fee_usd=fee_usd_of(row), usd_value=usd,
                           note="adjustment credit (review)"))
    else:
        builder.add(Spend(time=row.time, account=ACCOUNT, source=row.source, event_id=row.txid,
                          sent=units, fee=fee_of(row), fee_usd=fee_usd_of(row), usd_value=usd,
                          note="adjustment debit (review)"))


def trade_group(kind: str, group: list[LedgerRow], builder: ResultBuilder) -> None:
    """One refid's rows of one trade class -> one Trade (+ Fee events for extra fee assets)."""
    legs = [r for r in group if r.amount != 0]
    gets = [r for r in legs if r.amount > 0]
    gives = [r for r in legs if r.amount < 0]
    sources = [r.source for r in group]
    refid = group[0].refid
    if kind == "adjustment" and (not gets or not gives):
        for row in group:
            _lone_adjustment(row, builder) if row.amount != 0 else builder.reject(
                fail_rows([row.source], "amount", "0", "adjustment without an amount"))
        return
    if not gets or not gives:
        builder.reject(fail_rows(sources, "refid", refid, "trade leg without its counter-leg"))
        return
    if len({r.asset for r in gets}) > 1 or len({r.asset for r in gives}) > 1:
        builder.reject(fail_rows(sources, "asset", refid, "several assets on one side of a trade"))
        return
    received = Amount(sum((r.amount for r in gets), Decimal(0)), gets[0].asset)
    sent = Amount(-sum((r.amount for r in gives), Decimal(0)), gives[0].asset)
    if sent.asset == received.asset:
        _same_asset(group, sent, received, builder)
        return
    fees = _fees(group)
    received, usd, note = _withhold(fees, received, _trade_usd(gets, received, sent), NOTES[kind])
    time, source = min(r.time for r in group), min(sources)
    first_fee, first_fee_usd = fees[0] if fees else (None, None)
    builder.add(Trade(time=time, account=ACCOUNT, source=source, event_id=refid, sent=sent,
                      received=received, fee=first_fee, fee_usd=first_fee_usd, usd_value=usd,
                      note=note), rows=len(group))
    for seq, (extra, extra_usd) in enumerate(fees[1:], start=1):
        builder.add(Fee(time=time, account=ACCOUNT, source=source, event_id=f"{refid}:fee:{extra.asset}",
                        sent=extra, usd_value=extra_usd, seq=seq, note="third-asset fee of a trade"), rows=0)


def _withhold(fees: list[tuple[Amount, Decimal | None]], received: Amount, usd: Decimal | None,
              note: str) -> tuple[Amount, Decimal | None, str]:
    """Fees on both legs: the one in the received asset is withheld from the units received
    (REG1012 (h)(2)(ii)(C) "cascading" fee, which reduces the amount realized); removes it
    from ``fees`` and returns the net received units, their USD value and the note."""
    withheld = next((f for f in fees if f[0].asset == received.asset), None) if len(fees) > 1 else None
    if withheld is None:
        return received, usd, note
    fees.remove(withheld)
    net = Amount(received.quantity - withheld[0].quantity, received.asset)
    net_usd = None if usd is None or withheld[1] is None else usd - withheld[1]
    return net, net_usd, (f"{note}; " if note else "") + f"fee {withheld[0]} withheld from the units received"


def _trade_usd(gets: list[LedgerRow], received: Amount, sent: Amount) -> Decimal | None:
    """Value of the received units: the ledger's ``amountusd`` of those rows, or a USD leg."""
    stated = [abs(r.amount_usd) for r in gets if r.amount_usd is not None]
    if len(stated) == len(gets) and sum(stated, Decimal(0)):
        return sum(stated, Decimal(0))
    if received.asset == USD:
        return received.quantity
    return sent.quantity if sent.asset == USD else None


def _same_asset(group: list[LedgerRow], sent: Amount, received: Amount, builder: ResultBuilder) -> None:
    if sent.quantity == received.quantity and not any(r.fee for r in group):
        for row in group:
            builder.skip(row.source, f"move of {sent.asset} between Kraken wallets (same account, U6)")
    else:
        builder.reject(fail_rows([r.source for r in group], "asset", sent.asset,
                                 "trade with the same asset on both sides"))


def margin_group(group: list[LedgerRow], builder: ResultBuilder) -> None:
    """``margin`` rows of one refid -> RealizedPnl events; several rows = liquidation."""
    liquidation = len(group) > 1
    if liquidation:
        builder.note("liquidation", f"margin position liquidated (refid {group[0].refid}: "
                     f"{len(group)} margin rows); review the realised loss", group[0].source,
                     severity=Severity.WARNING)
    prefix = "liquidation: " if liquidation else ""
    for row in group:
        _margin_row(row, prefix, builder)


def _margin_row(row: LedgerRow, prefix: str, builder: ResultBuilder) -> None:
    """Profit -> received (closing fee as fee); loss -> sent; a fee alone -> sent (§4.7(4))."""
    if row.amount == 0 and row.fee <= 0:
        builder.skip(row.source, "margin row without amount or fee")
        return
    fee, fee_usd = fee_of(row), fee_usd_of(row)
    if row.amount > 0:
        gain, loss, note = Amount(row.amount, row.asset), None, "margin position closed: realised profit"
    elif row.amount < 0:
        gain, loss, note = None, Amount(-row.amount, row.asset), "margin position closed: realised loss"
    else:
        gain, loss, note = None, fee, "margin position fee (part of the position's P&L, tax-rules.md §4.7(4))"
        fee, fee_usd = None, None
    main = gain or loss
    usd = usd_of(row, main.quantity, main.asset) if main and row.amount else fee_usd_of(row)
    builder.add(RealizedPnl(time=row.time, account=ACCOUNT, source=row.source, event_id=row.txid,
                            received=gain, sent=loss, fee=fee, fee_usd=fee_usd, usd_value=usd,
                            note=prefix + note + ("" if row.amount == 0 else " (P/L-settled)")))
