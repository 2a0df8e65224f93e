"""What a layout makes of a file: :class:`ImportResult` (events, row errors, non-taxable
rows, balance checkpoints, source authority) and its parts. Re-exported by
:mod:`taxmargin.importers.base`.

Row accounting (issue 7): every physical data row read ends up in exactly one of
``rows_in_events`` (it contributed to an event), ``non_taxable`` (a known non-taxable row,
with its reason) or ``errors`` (rejected, possibly with several column errors).
:meth:`ImportResult.unaccounted` must be 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from taxmargin.errors import Diagnostic, RowError
from taxmargin.importers.accounting import BalanceCheckpoint
from taxmargin.models import EventBase, SourceRef

__all__ = [
    "AUTHORITY_CROSS_CHECK",
    "AUTHORITY_DEFAULT",
    "AUTHORITY_LEDGER",
    "ImportResult",
    "NonTaxableRow",
    "StoredTexts",
]

#: ``ImportResult.authority`` (issue 4, "trades.csv, cross-checked against the ledger when
#: both are imported"): when two imports give one de-duplication key different content, the
#: higher authority's event is the one kept (``taxmargin.ledger``); equal ones conflict.
AUTHORITY_CROSS_CHECK = 0  # a derived file, e.g. Kraken trades.csv: only checks the ledger
AUTHORITY_DEFAULT = 1
AUTHORITY_LEDGER = 2  # an exchange's authoritative ledger, e.g. Kraken ledgers.csv


@dataclass(frozen=True, slots=True)
class NonTaxableRow:
    """A row knowingly not turned into an event (internal transfer, earn subscription...)."""

    source: SourceRef
    reason: str


@dataclass(frozen=True, slots=True)
class StoredTexts:
    """The ledger's text of each event (``taxmargin.codec.stored_text``), when a layout has
    it anyway: the generic CSV's plainly valid rows are already in the canonical form, so
    ``Ledger.store`` need not format those events again (issue 6). It belongs to the very
    ``events`` tuple it was made with: a result whose events were replaced afterwards
    (``import --account``) gets no texts from :meth:`for_events`, and the ledger formats
    its events itself."""

    events: tuple[EventBase, ...]
    #: parallel to ``events``; None where the ledger must format the event itself
    texts: tuple[str | None, ...]

    def for_events(self, events: tuple[EventBase, ...]) -> tuple[str | None, ...] | None:
        """The texts when ``events`` is the tuple they were made for, else None."""
        return self.texts if events is self.events and len(self.texts) == len(events) else None


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What one layout made of one file."""

    layout: str
    events: tuple[EventBase, ...]
    errors: tuple[RowError, ...] = ()
    rows_read: int = 0
    rows_in_events: int = 0
    non_taxable: tuple[NonTaxableRow, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    #: parallel to ``events``: how many input rows each event was built from
    rows_per_event: tuple[int, ...] = ()
    #: the exchange's own running balances, where the export states them (issue 7;
    #: :func:`balance_checkpoints`); ``taxmargin check`` compares the ledger with them
    balances: tuple[BalanceCheckpoint, ...] = ()
    #: how far the ledger trusts these events against another file's event with the same
    #: de-duplication key and different content: :data:`AUTHORITY_LEDGER` replaces a stored
    #: lower-authority event, :data:`AUTHORITY_CROSS_CHECK` never replaces one (the file only
    #: cross-checks what is stored); equal authorities are a conflict (``taxmargin.ledger``)
    authority: int = AUTHORITY_DEFAULT
    #: precomputed stored texts of the events (:class:`StoredTexts`; not part of equality)
    stored_texts: StoredTexts | None = field(default=None, compare=False, repr=False)

    @property
    def rows_rejected(self) -> int:
        return len({(e.source.path, e.source.line) for e in self.errors})

    @property
    def unaccounted(self) -> int:
        """Rows read but in no bucket (must be 0; a non-zero value fails the import)."""
        return self.rows_read - self.rows_in_events - len(self.non_taxable) - self.rows_rejected
