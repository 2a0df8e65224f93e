"""One cost-basis pool: the open lots, loans and shorts of one asset in one account.

Pools are keyed by ``(account, asset)`` (tax-rules.md §5.1; U6: the sub-wallets of one
exchange account are one pool). Open lots live in a dict keyed by ``serial``.

Ordering indexes (design.md §4, cost O(log m) per disposal in the pool's m open lots):

- one binary heap per policy actually used in this pool, of ``(*policy key, serial)``
  (``policies.heap_entry``; the serial is the last item of an entry); it is
  built by ``heapify`` the first time the policy is used here, and every lot added later
  is pushed onto every heap that exists. Consumed lots are deleted *lazily*: a heap entry
  whose serial is no longer open is popped when it reaches the top. A partly consumed
  lot keeps its serial and its key (keys depend only on facts fixed at creation), so its
  entry stays valid. A heap holding more than twice the open lots (+32) is rebuilt, which
  keeps the memory linear and the amortized cost logarithmic.
- a sorted list by (acquired, creation order), built on the first buy-to-cover delivery,
  used to find the units acquired after a short opened (tax-rules.md §4.3), O(log m) per
  change. Like the heaps it forgets closed lots lazily: ``acquired_after`` deletes the
  entries of closed lots it meets, and the list is rebuilt from the open lots when it
  holds more than the open lots + 32 such entries. The earliest open lot (short against
  the box) is the top of the FIFO heap, which has the same order.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

from sortedcontainers import SortedList

from taxmargin.engine.lots import Lot, ShortLot
from taxmargin.policies import POLICIES, HeapEntry, LotFacts, Policy, fifo_entry, heap_entry, micros

__all__ = ["Pool", "PoolKey"]

PoolKey = tuple[str, str]
ZERO = Decimal(0)
_FIFO = POLICIES["fifo"]


class Pool:
    """Mutable state of one pool; owned by one ``book`` call (never shared)."""

    __slots__ = (
                "_keyed",
        "_stale",
        "account",
        "asset",
        "by_id",
        "by_time",
        "heaps",
        "held",
        "liability",
        "lots",
        "short_qty",
        "shorts",
        "unspent",
    )

    def __init__(self, account: str, asset: str, *, track_ids: bool = True) -> None:
        self.account = account
        self.asset = asset
        self.lots: dict[int, Lot] = {}
        self.held = ZERO  # sum of open lot quantities
        #: lot_id -> serials ever opened here (spec-ID); None when the plan never names
        #: lots (``track_ids=False``): nothing would read it
        self.by_id: dict[str, list[int]] | None = {} if track_ids else None
        self.liability = ZERO  # borrowed units outstanding
        self.unspent = ZERO  # borrowed units still in the account (not sold, not moved)
        self.shorts: deque[ShortLot] = deque()  # open shorts, oldest first
        self.short_qty = ZERO
        #: policy name -> its heap (``heap``; ``consume.take_ordered`` reads it directly)
        self.heaps: dict[str, list[HeapEntry]] = {}
        #: every heap with its policy's entry function (what ``add`` pushes onto)
        self._keyed: list[tuple[list[HeapEntry], Callable[[LotFacts, int], HeapEntry]]] = []
        #: SortedList[(micros, seq, serial)] of the lots, None until a delivery needs it
        #: (``acquired_after``); ``_stale`` of its entries are lots closed since
        self.by_time: Any = None
        self._stale = 0

    # -- lots ---------------------------------------------------------------------------
    def add(self, lot: Lot) -> None:
        """Open ``lot`` and register it in every index that exists."""
        serial = lot.serial
        self.lots[serial] = lot
        self.held += lot.quantity
        by_id = self.by_id
        if by_id is not None:
            serials = by_id.get(lot.lot_id)
            if serials is None:
                by_id[lot.lot_id] = [serial]
            else:
                serials.append(serial)
        fifo: HeapEntry | None = None
        for heap, entry in self._keyed:
            item = entry(lot, serial)
            heapq.heappush(heap, item)
            if entry is fifo_entry:
                fifo = item  # (micros(acquired), seq, serial): the time index's entry too
        if self.by_time is not None:
            if self._stale > len(self.lots) + 32:
                self._index_open_lots()  # the new lot included
            else:
                self.by_time.add(fifo if fifo is not None else (micros(lot.acquired), lot.seq, serial))

    def close(self, serial: int) -> Lot:
        """Remove an open lot entirely (the indexes forget it lazily)."""
        lot = self.lots.pop(serial)
        self.held -= lot.quantity
        if self.by_time is not None:
            self._stale += 1
        return lot

    def closed_elsewhere(self, count: int) -> None:
        """``count`` lots were closed by removing them from ``lots`` directly (the inlined
        :meth:`close` of ``consume.take_ordered``): the time index has that many more
        entries to forget."""
        if self.by_time is not None:
            self._stale += count

    def shrink(self, serial: int, remainder: Lot) -> None:
        """Replace an open lot by its remainder after a partial consumption."""
        self.held -= self.lots[serial].quantity - remainder.quantity
        self.lots[serial] = remainder

    # -- orders -------------------------------------------------------------------------
    def ordered(self, policy: Policy) -> Iterator[int]:
        """Open serials in ``policy`` order, lazily. The caller consumes each serial it is
        given before asking for the next; a serial still open when the caller comes back
        (it stopped after a partial take) ends the walk."""
        heap = self.heap(policy)
        while heap:
            serial = heap[0][-1]
            if serial not in self.lots:
                heapq.heappop(heap)
                continue
            yield serial
            if serial in self.lots:
                return

    def acquired_after(self, key: tuple[int, int]) -> Iterator[int]:
        """Open serials whose (acquired micros, creation order) is after ``key``, oldest
        first: the units bought after a short opened (tax-rules.md §4.3)."""
        if self.by_time is None:
            self._index_open_lots()
        index = self.by_time
        lots = self.lots
        while True:
            at = index.bisect_right(key)
            size = len(index)
            while at < size and index[at][2] not in lots:  # a closed lot: forget it now
                del index[at]
                self._stale -= 1
                size -= 1
            if at >= size:
                return
            serial: int = index[at][2]
            yield serial
            if serial in lots:
                return

    def earliest(self) -> Lot | None:
        """The open lot acquired first (creation order breaks ties), or None: the top of
        the FIFO heap, whose order (acquired, creation order, serial) is the sorted list's,
        without making every later lot pay for a sorted list."""
        heap = self.heap(_FIFO)
        while heap:
            lot = self.lots.get(heap[0][-1])
            if lot is not None:
                return lot
            heapq.heappop(heap)
        return None

    def heap(self, policy: Policy) -> list[HeapEntry]:
        """The heap of ``policy`` in this pool (built on first use, rebuilt when it holds
        too many consumed entries). Callers pop entries of consumed lots, nothing else."""
        name = policy.name
        heap = self.heaps.get(name)
        if heap is None:
            heap = self.heaps[name] = []
            self._keyed.append((heap, heap_entry(policy)))
        elif len(heap) <= 2 * len(self.lots) + 32:
            return heap
        entry = heap_entry(policy)  # (re)build in place: ``_keyed`` holds this very list
        heap[:] = [entry(lot, serial) for serial, lot in self.lots.items()]
        heapq.heapify(heap)
        return heap

    def _time_index(self) -> Any:
        """The time index holding exactly the open lots (built or rebuilt as needed)."""
        if self.by_time is None or self._stale:
            self._index_open_lots()
        return self.by_time

    def _index_open_lots(self) -> None:
        self.by_time = SortedList(
            (micros(lot.acquired), lot.seq, serial) for serial, lot in self.lots.items()
        )
        self._stale = 0

    # -- shorts -------------------------------------------------------------------------
    def open_short(self, short: ShortLot) -> None:
        self.shorts.append(short)
        self.short_qty += short.quantity

    def reduce_short(self, quantity: Decimal) -> tuple[ShortLot, Decimal]:
        """Take ``quantity`` (<= the oldest short's quantity) from the oldest open short.

        Returns (that short as it was, the amount realized of the units taken); the
        remainder keeps ``proceeds - share`` so proceeds are conserved exactly."""
        short = self.shorts[0]
        if quantity >= short.quantity:
            self.shorts.popleft()
            self.short_qty -= short.quantity
            return short, short.proceeds_usd
        share = short.proceeds_usd * quantity / short.quantity
        self.shorts[0] = ShortLot(
            seq=short.seq, account=short.account, quantity=short.quantity - quantity,
            proceeds_usd=short.proceeds_usd - share, opened=short.opened, source=short.source,
            event_id=short.event_id, from_liquidation=short.from_liquidation,
            against_box=short.against_box, box_held_since=short.box_held_since,
        )
        self.short_qty -= quantity
        return short, share
