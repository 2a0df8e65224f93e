"""The lot engine: priced events in, a ``taxmargin.booking.Booking`` out.

``book(events, plan, options)`` keeps pools per (account, asset) (tax-rules.md §5.1), with
open lots, loans and shorts, and turns every event into disposals (one per lot
consumed), income, interest, funding paid and diagnostics. Modules:

- ``options``: :class:`EngineOptions` (uncertainty register, tax-rules.md §9);
- ``lots``, ``pool``, ``consume``: lots and shorts, per-pool indexes (heaps), the one
  function that consumes and splits lots;
- ``state``: the mutable state of one run; ``dispose``: acquire / dispose / remove;
- ``trade`` (fee rules §4.0(4), §4.6), ``spot``, ``margin``, ``shorts`` (§4.3),
  ``perps`` (§4.7), ``liqfees`` (stand-alone fee rows of a trade or liquidation, §4.2, §4.6);
- ``run``: ``book`` itself: ordering, dispatch, the Booking.
"""

from taxmargin.engine.options import EngineOptions
from taxmargin.engine.run import book, book_stages, book_until

__all__ = ["EngineOptions", "book", "book_stages", "book_until"]
