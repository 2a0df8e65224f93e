"""The one place where lots are consumed and split (design.md §4).

Splitting is by subtraction: the part taken gets ``basis * q / quantity`` (exact Decimal
division in the 60-digit context, no quantizing) and the remainder keeps
``basis - part``, so the quantities and bases of the two pieces add up to the original
exactly. :func:`split_amount` divides an amount (proceeds) over pieces the same way
(``dispose`` inlines it on its hot path, with the same operations).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal

from taxmargin.engine.lots import Lot, make_lot
from taxmargin.engine.pool import Pool
from taxmargin.policies import Policy

__all__ = ["consume", "consume_ordered", "named_lots", "split_amount"]

ZERO = Decimal(0)


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
            remaining = ZERO
        if remaining <= 0:
            break
    return taken, remaining


def consume_ordered(pool: Pool, quantity: Decimal, policy: Policy) -> tuple[list[Lot], Decimal]:
    """:func:`consume` with the picks of ``pool.ordered(policy)``, walking the pool's heap
    directly (the engine's hottest loop: no generator, no per-lot call). Same pieces,
    same remainder: a lot used up is popped at once instead of on the next visit, and heap
    entries are unique, so the order of the open lots is unchanged."""
    taken: list[Lot] = []
    remaining = quantity
    if remaining <= 0:
        return taken, ZERO
    heap = pool.heap(policy)
    lots = pool.lots
    pop = heapq.heappop
    while heap:
        serial = heap[0][1]
        lot = lots.get(serial)
        if lot is None:
            pop(heap)
            continue
        if lot.quantity <= remaining:
            taken.append(pool.close(serial))
            pop(heap)
            remaining -= lot.quantity
            if remaining <= 0:
                break
        else:
            part_basis = lot.basis_usd * remaining / lot.quantity
            taken.append(_resized(lot, remaining, part_basis))
            pool.shrink(serial, _resized(lot, lot.quantity - remaining, lot.basis_usd - part_basis))
            remaining = ZERO
            break
    return taken, remaining


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
    seen: set[str] = set()
    for lot_id in lot_ids:
        if lot_id in seen:
            continue
        seen.add(lot_id)
        serials = pool.by_id.get(lot_id)
        if serials is None:
            problems.append(f"lot {lot_id!r} is not in {pool.account}/{pool.asset} (missing)")
            continue
        open_serials = [serial for serial in serials if serial in pool.lots]
        if not open_serials:
            problems.append(f"lot {lot_id!r} in {pool.account}/{pool.asset} is already used")
        yield from open_serials
