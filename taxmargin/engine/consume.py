"""The one place where lots are consumed and split (design.md §4).

Splitting is by subtraction: the part taken gets ``basis * q / quantity`` (exact Decimal
division in the 60-digit context, no quantizing) and the remainder keeps
``basis - part``, so the quantities and bases of the two pieces add up to the original
exactly. :func:`split_amount` divides an amount (proceeds) over pieces the same way
(``dispose`` inlines it on its hot path, with the same operations; it also inlines
:func:`take_ordered` for its commonest case, one lot split, with the same operations).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal

from taxmargin.engine.lots import Lot, make_lot
from taxmargin.engine.pool import Pool
from taxmargin.policies import Policy

__all__ = ["COVERED", "Taken", "consume", "consume_ordered", "named_lots", "split_amount", "take_ordered"]

ZERO = Decimal(0)
#: The remainder :func:`consume` and :func:`take_ordered` return when a split lot covered
#: the quantity: this very object (``dispose`` tests ``rest is COVERED``).
COVERED = ZERO
#: A part taken from a lot: (the lot before the take, quantity taken, basis taken).
Taken = tuple[Lot, Decimal, Decimal]


def _resized(lot: Lot, quantity: Decimal, basis: Decimal) -> Lot:
    """``lot`` with another quantity and basis (a positional constructor: this is the
    engine's hottest path, and ``dataclasses.replace`` is several times slower)."""
    return make_lot(lot.serial, lot.seq, lot.lot_id, lot.account, quantity, basis, lot.acquired,
                    lot.unit_basis_usd, lot.sources, lot.missing_basis, lot.from_liquidation)


def consume(pool: Pool, quantity: Decimal, picks: Iterable[int]) -> tuple[list[Lot], Decimal]:
    """Take ``quantity`` units from ``pool``'s open lots in the order ``picks`` gives.

    Returns the consumed pieces (each a Lot value holding the units and basis taken) and
    the quantity no open lot could cover (0 when fully covered). ``picks`` may yield
    serials that are no longer open; they are skipped.
    """
    taken: list[Lot] = []
    remaining = quantity
    if remaining <= 0:
        return taken, ZERO
    for serial in picks:
        lot = pool.lots.get(serial)
        if lot is None:
            continue
        if lot.quantity <= remaining:
            taken.append(pool.close(serial))
            remaining -= lot.quantity
        else:
            part_basis = lot.basis_usd * remaining / lot.quantity
            taken.append(_resized(lot, remaining, part_basis))
            pool.shrink(serial, _resized(lot, lot.quantity - remaining, lot.basis_usd - part_basis))
            remaining = COVERED
        if remaining <= 0:
            break
    return taken, remaining


def take_ordered(pool: Pool, quantity: Decimal, policy: Policy) -> tuple[list[Taken], Decimal, Decimal]:
    """Take ``quantity`` (> 0) units from ``pool``'s open lots in ``policy`` order, walking
    the pool's heap directly (the engine's hottest loop: no generator, no per-lot call,
    and no Lot value made for the part taken of a lot split).

    Returns the parts taken as ``(lot, quantity taken, basis taken)`` — a lot used up is
    ``(lot, lot.quantity, lot.basis_usd)``; the lot split is the lot *before* the split
    with the part's quantity and basis —, the quantity no open lot could cover, and the
    sum of the quantities taken (``ZERO + q1 + q2 ...``, in that order). The pool is left
    exactly as :func:`consume` over ``pool.ordered(policy)`` leaves it (same remainders,
    same ``held``, same time index; ``Pool.close`` and ``Pool.shrink`` are inlined): a lot
    used up is popped at once instead of on the next visit, and heap entries are unique,
    so the order of the open lots is unchanged."""
    taken: list[Taken] = []
    remaining = quantity
    total = ZERO
    lots = pool.lots
    heap = pool.heaps.get(policy.name)  # pool.heap(policy), its usual answer inlined
    if heap is None or len(heap) > 2 * len(lots) + 32:
        heap = pool.heap(policy)
    held = pool.held  # pool.close / pool.shrink inlined: the same subtractions, in order
    split = 0  # 1 when the walk ends with a lot split
    pop = heapq.heappop
    while heap:
        serial = heap[0][-1]
        lot = lots.get(serial)
        if lot is None:
            pop(heap)
            continue
        lot_qty = lot.quantity
        if lot_qty <= remaining:
            del lots[serial]
            held -= lot_qty
            taken.append((lot, lot_qty, lot.basis_usd))
            pop(heap)
            total += lot_qty
            remaining -= lot_qty
            if remaining <= ZERO:
                break
        else:
            basis = lot.basis_usd
            part_basis = basis * remaining / lot_qty
            taken.append((lot, remaining, part_basis))
            total += remaining
            left_qty = lot_qty - remaining
            lots[serial] = make_lot(serial, lot.seq, lot.lot_id, lot.account, left_qty,
                                    basis - part_basis, lot.acquired, lot.unit_basis_usd,
                                    lot.sources, lot.missing_basis, lot.from_liquidation)
            held -= lot_qty - left_qty
            remaining = COVERED
            split = 1
            break
    pool.held = held
    if pool.by_time is not None:  # the lots used up: all but a split one (the last)
        pool.closed_elsewhere(len(taken) - split)
    return taken, remaining, total


def consume_ordered(pool: Pool, quantity: Decimal, policy: Policy) -> tuple[list[Lot], Decimal]:
    """:func:`consume` with the picks of ``pool.ordered(policy)``: :func:`take_ordered`
    with each part as a Lot value (the lot itself when used up). Same pieces, same
    remainder, same pool afterwards."""
    if quantity <= 0:
        return [], ZERO
    taken, remaining, _ = take_ordered(pool, quantity, policy)
    # a lot used up is taken as (lot, lot.quantity, ...): that very object; a split's part
    # is smaller than the lot, so another object
    return [lot if part is lot.quantity else _resized(lot, part, basis)
            for lot, part, basis in taken], remaining


def split_amount(total: Decimal, quantities: Sequence[Decimal]) -> list[Decimal]:
    """Divide ``total`` over pieces pro rata to ``quantities``, by subtraction: the shares
    add up to ``total`` exactly and the last piece takes what is left."""
    shares: list[Decimal] = []
    left_amount = total
    left_qty = sum(quantities, ZERO)
    last = len(quantities) - 1
    for index, quantity in enumerate(quantities):
        if index == last:
            shares.append(left_amount)
            break
        share = left_amount * quantity / left_qty if left_qty > 0 else ZERO
        shares.append(share)
        left_amount -= share
        left_qty -= quantity
    return shares


def named_lots(pool: Pool, lot_ids: Sequence[str], problems: list[str]) -> Iterator[int]:
    """Serials of the open lots named by ``lot_ids`` (spec-ID), in the order named.

    Appends a human-readable problem to ``problems`` for a name that never opened a lot in
    this pool ("missing") or whose lots are all consumed ("already used").
    """
    by_id = pool.by_id
    if by_id is None:  # a bug: State tracks ids whenever the plan can name lots
        raise ValueError(f"pool {pool.account}/{pool.asset} does not track lot ids")
    seen: set[str] = set()
    for lot_id in lot_ids:
        if lot_id in seen:
            continue
        seen.add(lot_id)
        serials = by_id.get(lot_id)
        if serials is None:
            problems.append(f"lot {lot_id!r} is not in {pool.account}/{pool.asset} (missing)")
            continue
        open_serials = [serial for serial in serials if serial in pool.lots]
        if not open_serials:
            problems.append(f"lot {lot_id!r} in {pool.account}/{pool.asset} is already used")
        yield from open_serials
