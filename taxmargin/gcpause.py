"""Pausing Python's cyclic garbage collector during a pipeline stage (issue 6, performance).

The report stages (pricing, booking, rules, forms, renderers) build hundreds of thousands
of small long-lived values (events, lots, disposals, rows) and no reference cycles. Each
such allocation counts towards the collector's thresholds, so a stage over a large ledger
triggers many collections, each scanning every object alive in the process (the whole
ledger included): a third of the booking time at 100,000 events. Memory is freed by
reference counting either way; the pause only postpones the search for cycles, which
resumes (and catches up) as soon as the stage returns.

``gc_paused()`` is a context manager and a decorator; nested pauses are harmless, and the
collector is switched back on only if it was on when the outermost pause began.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["FREEZE_AFTER", "gc_paused"]


#: ``gc_paused(keep=True)`` freezes what it built when the pause built at least this many
#: objects that the collector tracks.
FREEZE_AFTER = 200_000


@contextmanager
def gc_paused(*, keep: bool = False, age: bool = False) -> Iterator[None]:
    """Switch the cyclic collector off for the block (or the decorated call), then back on
    if it was on before. Results are unaffected: only the timing of collections changes.

    The collector's first run after a long pause would still scan every object the pause
    built (a second per million). Two ways to spare that, for values that outlive the block:

    - ``keep`` (the ledger's events, alive for the whole run): when the pause built at least
      :data:`FREEZE_AFTER` tracked objects, move everything to the permanent generation
      (``gc.freeze``): never scanned, still freed by reference counting when dropped.
    - ``age`` (a report's rows and lots): move everything into the oldest generation without
      scanning it (``gc.freeze`` + ``gc.unfreeze``, two list splices), where it is examined
      at the next full collection like any long-lived value; a process that already keeps
      objects frozen keeps them (and ours) frozen.

    (Unreachable cycles pending at that moment would be kept too; the bulk paths build none.)
    """
    was_enabled = gc.isenabled()
    gc.disable()
    before = gc.get_count()[0]
    try:
        yield
    finally:
        if keep and gc.get_count()[0] - before >= FREEZE_AFTER:
            gc.freeze()
        elif age:
            frozen_before = gc.get_freeze_count()
            gc.freeze()
            if not frozen_before:
                gc.unfreeze()
        if was_enabled:
            gc.enable()
