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

__all__ = ["gc_paused"]


@contextmanager
def gc_paused() -> Iterator[None]:
    """Switch the cyclic collector off for the block (or the decorated call), then back on
    if it was on before. Results are unaffected: only the timing of collections changes."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
