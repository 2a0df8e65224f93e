"""Closing short sales by delivery (tax-rules.md §4.3, §9 U2).

Gain or loss on a short sale is realized when units are delivered to close it. Each
(short, delivered lot) pair is one ``Disposal`` with ``short_sale=True``: proceeds = the
short's amount realized for those units, basis = the delivered units' basis, acquired =
when the delivered units were acquired (I8949 col (b)), disposed = the delivery (col (c));
the term follows those dates (P550: holding period of the property delivered).

Units delivered: first those acquired after the short opened (the covering units, FIFO),
then the account's method among older lots. Shorts are closed oldest first.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from taxmargin.booking import Disposal, Purpose, Term
from taxmargin.engine.consume import split_amount
from taxmargin.engine.dispose import flag_box, record_missing, take_owned
from taxmargin.engine.lots import Lot, ShortLot, more_than_one_year
from taxmargin.engine.pool import Pool
from taxmargin.engine.state import State
from taxmargin.models import EventBase
from taxmargin.policies import micros

__all__ = ["close_without_delivery", "deliver", "term_override"]


def term_override(st: State, short: ShortLot, proceeds: Decimal, basis: Decimal) -> Term | None:
    """§1233(b)/(d) by analogy for a short against the box (U2 default ``analogy``): a gain
    is short-term; a loss is long-term when the units held had been held more than one
    year at the short date. ``literal`` (or no box): the dates decide (None)."""
    if not short.against_box or st.options.short_against_box != "analogy":
        return None
    if proceeds > basis:
        return Term.SHORT
    held = short.box_held_since
    if proceeds < basis and held is not None and more_than_one_year(held, short.opened):
        return Term.LONG
    return None


def _box_at_close(st: State, ev: EventBase, pool: Pool, short: ShortLot) -> ShortLot:
    """Lots of the same pool acquired before the short and still held after the delivery
    make it a short against the box too (U2)."""
    if short.against_box:
        return short
    first = pool.earliest()
    if first is None or (micros(first.acquired), first.seq) >= (micros(short.opened), short.seq):
        return short
    flag_box(st, ev, pool.asset, f"{pool.account} still holds older")
    marked = replace(short, against_box=True, box_held_since=first.acquired)
    pool.shorts[0] = marked
    return marked


def _record(st: State, ev: EventBase, pool: Pool, short: ShortLot, piece: Lot,
            proceeds: Decimal) -> None:
    st.disposals.append(Disposal(
        account=ev.account, asset=pool.asset, quantity=piece.quantity, acquired=piece.acquired,
        disposed=ev.time, proceeds_usd=proceeds, basis_usd=piece.basis_usd,
        purpose=Purpose.SHORT, short_sale=True,
        liquidation=short.from_liquidation or piece.from_liquidation,
        missing_basis=piece.missing_basis,
        term_override=term_override(st, short, proceeds, piece.basis_usd),
        sources=(ev.source, short.source, *piece.sources), event_id=ev.event_id,
        lot_id=piece.lot_id,
    ))


def deliver(st: State, ev: EventBase, pool: Pool, quantity: Decimal) -> None:
    """Deliver ``quantity`` owned units against the pool's open shorts, oldest short first."""
    while quantity > 0 and pool.shorts:
        short = pool.shorts[0]
        take = min(quantity, short.quantity)
        owned_before = pool.held
        covering = pool.acquired_after((micros(short.opened), short.seq))
        pieces, missing = take_owned(st, ev, pool, take, first=covering)
        short = _box_at_close(st, ev, pool, short)
        _, proceeds = pool.reduce_short(take)
        shares = split_amount(proceeds, [p.quantity for p in pieces] + [missing])
        for piece, share in zip(pieces, shares):
            _record(st, ev, pool, short, piece, share)
        if missing > 0:
            record_missing(st, ev, pool.asset, missing, shares[-1], Purpose.SHORT,
                           short.from_liquidation, owned_before, short_sale=True)
        quantity -= take


def close_without_delivery(st: State, ev: EventBase, pool: Pool, quantity: Decimal,
                           cost: Decimal) -> None:
    """Close ``quantity`` short units whose loan the exchange cancelled (a write-off, U4):
    the cancelled units count as delivered at ``cost`` USD (their FMV), acquired and
    delivered at the write-off; flagged as liquidation rows."""
    while quantity > 0 and pool.shorts:
        take = min(quantity, pool.shorts[0].quantity)
        share = cost * take / quantity if take < quantity else cost
        short, proceeds = pool.reduce_short(take)
        st.disposals.append(Disposal(
            account=ev.account, asset=pool.asset, quantity=take, acquired=ev.time, disposed=ev.time,
            proceeds_usd=proceeds, basis_usd=share, purpose=Purpose.SHORT, short_sale=True,
            liquidation=True, term_override=term_override(st, short, proceeds, share),
            sources=(ev.source, short.source), event_id=ev.event_id,
        ))
        cost -= share
        quantity -= take
