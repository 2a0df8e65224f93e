"""Acquiring, disposing of and removing units of one pool (tax-rules.md §4.0, §4.3, §5).

A disposal takes owned lots first (in the order of the policy in force, §5.3); the excess,
up to the borrowed units still unspent in the pool, opens a short (§4.3, nothing
reported yet); anything beyond is reported with zero basis and flagged (``missing-basis``
and ``negative-balance``), never a crash. Fiat has no lots and is never disposed of.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from itertools import chain

from taxmargin.booking import Disposal, FundingPayment, IncomeItem, Purpose
from taxmargin.engine.consume import (
    COVERED,
    Taken,
    consume,
    consume_ordered,
    named_lots,
    take_ordered,
)
from taxmargin.frozen import positional
from taxmargin.engine.lots import Lot, ShortLot, make_lot
from taxmargin.engine.pool import Pool
from taxmargin.engine.state import UNIVERSAL, ZERO, State
from taxmargin.errors import Severity
from taxmargin.models import FIAT, EventBase
from taxmargin.policies import POLICIES

__all__ = [
    "acquire",
    "dispose",
    "make_disposal",
    "make_funding_payment",
    "make_income_item",
    "record_missing",
    "remove",
    "take_owned",
    "trace_out",
]

#: ``Disposal(account, asset, quantity, acquired, disposed, proceeds_usd, basis_usd,
#: purpose, short_sale, liquidation, missing_basis, term_override, sources, event_id,
#: lot_id)``, every field positional, faster (``taxmargin.frozen``): one per
#: lot consumed, the engine's hot path.
make_disposal = positional(Disposal)
#: ``IncomeItem(time, account, asset, quantity, usd_value, kind, source)``, positional.
make_income_item = positional(IncomeItem)
#: ``FundingPayment(time, account, asset, quantity, usd_value, source)``, positional.
make_funding_payment = positional(FundingPayment)


def acquire(st: State, ev: EventBase, asset: str, quantity: Decimal, basis: Decimal, *,
            acquired: datetime | None = None, missing_basis: bool = False,
            liquidation: bool = False) -> None:
    """Open a lot of ``quantity`` units costing ``basis`` (fiat and empty amounts: nothing)."""
    if asset in FIAT or quantity <= 0:
        return
    st.open_lot(ev, asset, quantity, basis, acquired, missing_basis, liquidation)


#: The heap order of each policy: spec-ID orders the unnamed remainder FIFO, so it shares
#: the FIFO heap rather than build a twin.
_HEAP_ORDER = {name: POLICIES["fifo"] if p.uses_named_lots else p for name, p in POLICIES.items()}
#: The name of that heap in ``Pool.heaps``.
_HEAP_NAME = {name: p.name for name, p in _HEAP_ORDER.items()}


def take_owned(st: State, ev: EventBase, pool: Pool, quantity: Decimal,
               first: Iterator[int] | None = None) -> tuple[list[Lot], Decimal]:
    """Consume owned lots for ``ev``: ``first`` (if given), then the account's policy
    (spec-ID: the lots the row names, then FIFO). Returns (pieces, uncovered quantity).
    A named lot that is missing, used up or too small is a ``spec-id`` warning."""
    name = st.method(ev.account, ev.time)
    if first is None and not (ev.lots and POLICIES[name].uses_named_lots):
        return consume_ordered(pool, quantity, _HEAP_ORDER[name])
    return _take_picked(st, ev, pool, quantity, name, first)


def _take_picked(st: State, ev: EventBase, pool: Pool, quantity: Decimal, name: str,
                 first: Iterator[int] | None) -> tuple[list[Lot], Decimal]:
    """:func:`take_owned` when lots are picked before the policy order: ``first``, or
    the lots a spec-ID disposal names."""
    policy = POLICIES[name]
    problems: list[str] = []
    named: set[int] = set()
    early: set[int] = set()
    picks: Iterator[int] = pool.ordered(_HEAP_ORDER[name])
    if policy.uses_named_lots and ev.lots:
        picks = chain(_tagged(named_lots(pool, ev.lots, problems), named), picks)
    if first is not None:
        picks = chain(_tagged(first, early), picks)
    pieces, rest = consume(pool, quantity, picks)
    if policy.uses_named_lots and ev.lots:
        covered = sum((p.quantity for p in pieces if p.serial in named), ZERO)
        wanted = quantity - sum((p.quantity for p in pieces if p.serial in early), ZERO)
        if 0 < covered < wanted:
            problems.append(f"the named lots cover {covered} of {wanted} {pool.asset} (too small)")
        if problems:
            st.diag(Severity.WARNING, "spec-id",
                    "; ".join(problems) + "; the rest is taken first-in first-out", ev.source)
    return pieces, rest


def _tagged(source: Iterator[int], tags: set[int]) -> Iterator[int]:
    """Pass ``source`` through, remembering every serial it yields in ``tags``."""
    for serial in source:
        tags.add(serial)
        yield serial


def dispose(st: State, ev: EventBase, asset: str, quantity: Decimal, proceeds: Decimal,
            purpose: Purpose, liquidation: bool = False) -> None:
    """Dispose of ``quantity`` units for an amount realized of ``proceeds`` USD, divided
    over the pieces pro rata to quantity (one ``Disposal`` per lot consumed).

    The hot path: lots are taken with :func:`take_ordered` (no Lot value for the part of
    a split lot, which only feeds the Disposal) unless the row names lots (spec-ID)."""
    if asset in FIAT or quantity <= ZERO:
        return
    account = ev.account
    pool = st.pools.get((account if st.by_account else UNIVERSAL, asset))  # st.pool(), inlined
    if pool is None:
        pool = st.pool(account, asset)
    name = st.single_method or st.method(account, ev.time)
    if not ev.lots:
        # the commonest disposal (3 in 4 of the bench's): the heap exists and needs no
        # rebuild, its top is open and larger than the quantity (so it is split and covers
        # it all), and no borrowed units are negative: what take_ordered and the loop below
        # do then, done at once without the Taken list (same operations in the same order,
        # so the same Decimals); anything else goes the general way (test_perf_engine_fast)
        lots = pool.lots
        heap = pool.heaps.get(_HEAP_NAME[name])
        if heap and len(heap) <= 2 * len(lots) + 32 and not pool.unspent < COVERED:
            serial = heap[0][-1]
            lot = lots.get(serial)
            if lot is not None and quantity < lot.quantity:
                lot_qty, basis = lot.quantity, lot.basis_usd
                part_basis = basis * quantity / lot_qty
                left_qty = lot_qty - quantity
                lots[serial] = make_lot(serial, lot.seq, lot.lot_id, lot.account, left_qty,
                                        basis - part_basis, lot.acquired, lot.unit_basis_usd,
                                        lot.sources, lot.missing_basis, lot.from_liquidation)
                pool.held -= lot_qty - left_qty
                st.disposals.append(make_disposal(
                    account, asset, quantity, lot.acquired, ev.time,
                    proceeds * quantity / (ZERO + quantity), part_basis, purpose, False,
                    liquidation, lot.missing_basis, None, (ev.source,) + lot.sources,
                    ev.event_id, lot.lot_id,
                ))
                return
    owned_before = pool.held
    taken: list[Taken]
    if ev.lots and POLICIES[name].uses_named_lots:
        pieces, rest = _take_picked(st, ev, pool, quantity, name, None)
        taken = [(piece, piece.quantity, piece.basis_usd) for piece in pieces]
        left_qty = ZERO
        for piece in pieces:
            left_qty += piece.quantity
    else:  # left_qty = ZERO + the quantities taken, summed in the walk
        taken, rest, left_qty = take_ordered(pool, quantity, _HEAP_ORDER[name])
    unspent = pool.unspent
    # split_amount(proceeds, [piece quantities..., short_qty, missing]) inlined, with the
    # same operations in the same order (so the same Decimals): share = what is left times
    # the piece's quantity over the quantity left; the last entry takes what is left
    covered = rest is COVERED and not unspent < rest
    if covered:
        # a split lot covered the rest: short_qty = rest = 0 and missing = 0, and adding
        # them would change no Decimal (left_qty = ZERO + quantities has an exponent <= 0)
        short_qty = missing = rest
    else:
        short_qty = unspent if unspent < rest else rest  # min(rest, unspent)
        missing = rest - short_qty
        left_qty = left_qty + short_qty + missing
    left = proceeds
    time, source, event_id = ev.time, ev.source, ev.event_id
    append = st.disposals.append
    for lot, piece_qty, piece_basis in taken:
        share = left * piece_qty / left_qty if left_qty > ZERO else ZERO
        left -= share
        left_qty -= piece_qty
        append(make_disposal(
            account, asset, piece_qty, lot.acquired, time, share, piece_basis, purpose,
            False, liquidation, lot.missing_basis, None, (source,) + lot.sources, event_id,
            lot.lot_id,
        ))
    if not covered and (short_qty > ZERO or missing > ZERO):
        short_share = left * short_qty / left_qty if left_qty > ZERO else ZERO
        if short_qty > ZERO:
            open_short(st, ev, pool, short_qty, short_share, liquidation)
        if missing > ZERO:
            explained = owned_before + short_qty
            record_missing(st, ev, asset, missing, left - short_share, purpose, liquidation, explained)


def record_missing(st: State, ev: EventBase, asset: str, missing: Decimal, proceeds: Decimal,
                   purpose: Purpose, liquidation: bool, explained: Decimal, *,
                   short_sale: bool = False) -> None:
    """Units disposed of that no lot or loan explains: zero basis, acquired = disposal
    time, flagged; ``missing-basis`` and ``negative-balance`` name the row."""
    st.disposals.append(Disposal(
        account=ev.account, asset=asset, quantity=missing, acquired=ev.time, disposed=ev.time,
        proceeds_usd=proceeds, basis_usd=ZERO, purpose=purpose, short_sale=short_sale,
        liquidation=liquidation, missing_basis=True, sources=(ev.source,), event_id=ev.event_id,
    ))
    st.diag(Severity.WARNING, "missing-basis",
            f"{missing} {asset} disposed of with no known lot; reported with basis 0", ev.source)
    st.diag(Severity.WARNING, "negative-balance",
            f"{ev.type_name} needs {missing} {asset} more than the {explained} held "
            f"(owned + unspent borrowed) in {ev.account}", ev.source)


def remove(st: State, ev: EventBase, asset: str, quantity: Decimal) -> tuple[list[Lot], Decimal, Decimal]:
    """Take units out of the pool without a disposal (withdrawal, transfer, repayment):
    owned lots by the account's order, then unspent borrowed units.

    Returns (lots taken, borrowed units taken, units nothing explains); the last is a
    ``negative-balance`` warning."""
    pool = st.pool(ev.account, asset)
    owned_before = pool.held
    pieces, rest = take_owned(st, ev, pool, quantity)
    borrowed = min(rest, pool.unspent)
    pool.unspent -= borrowed
    missing = rest - borrowed
    if missing > 0:
        st.diag(Severity.WARNING, "negative-balance",
                f"{ev.type_name} of {quantity} {asset} exceeds the {owned_before + borrowed} "
                f"held (owned + unspent borrowed) in {ev.account} by {missing}", ev.source)
    return pieces, borrowed, missing


def trace_out(st: State, ev: EventBase, asset: str) -> None:
    """Units of ``asset`` leave the account while a loan of it is outstanding: interest
    paid in that account needs tracing by the user (tax-rules.md §3.2)."""
    if st.pool(ev.account, asset).liability > 0:
        st.tainted.setdefault(ev.account, set()).add(asset)


def open_short(st: State, ev: EventBase, pool: Pool, quantity: Decimal, proceeds: Decimal,
               liquidation: bool) -> None:
    """Sell borrowed units short (tax-rules.md §4.3): nothing is reported until delivery.

    Units of the asset held in another pool at this moment make it a short against the
    box (U2): flagged, and the earliest holding date remembered for the loss rule."""
    pool.unspent -= quantity
    held_since: datetime | None = None
    for other in st.by_asset.get(pool.asset, ()):
        if other is not pool and other.held > 0:
            first = other.earliest()
            if first is not None and (held_since is None or first.acquired < held_since):
                held_since = first.acquired
    short = ShortLot(
        seq=st.next_seq(), account=ev.account, quantity=quantity, proceeds_usd=proceeds,
        opened=ev.time, source=ev.source, event_id=ev.event_id, from_liquidation=liquidation,
        against_box=held_since is not None, box_held_since=held_since,
    )
    if held_since is not None:
        flag_box(st, ev, pool.asset, "other accounts hold")
    pool.open_short(short)


def flag_box(st: State, ev: EventBase, asset: str, why: str) -> None:
    """The ``short-against-box`` warning (tax-rules.md §4.3, U2) and the option used."""
    choice = st.options.short_against_box
    st.used["short_against_box"] = choice
    st.diag(Severity.WARNING, "short-against-box",
            f"short sale of {asset} while {why} {asset} (short against the box); "
            f"option short_against_box = {choice}", ev.source)
