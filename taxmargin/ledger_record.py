"""The record of one import (:class:`ImportRecord`) and what ``Ledger.store`` (and a
streamed store, :mod:`taxmargin.ledger_stream`) reads from an
:class:`~taxmargin.importers.base.ImportResult` before and after storing it: the row
accounting check, rows per event, precomputed stored texts. Re-exported by
:mod:`taxmargin.ledger`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from taxmargin.errors import Diagnostic, LedgerError
from taxmargin.importers.base import FileText, ImportResult, accounting_gap
from taxmargin.ledger_store import Tally

__all__ = ["ImportRecord", "check_storable", "import_record", "precomputed_texts", "rows_per_event"]


@dataclass(frozen=True, slots=True)
class ImportRecord:
    """One ``store`` call: what was read and what happened to it.

    ``events_stored + duplicates + len(conflicts)`` = the events the importer produced.
    ``conflicts`` are messages naming ``FILE:LINE`` of events whose id was already stored
    with different content (not stored; the earlier event is kept).
    """

    import_id: int
    file_name: str
    sha256: str
    layout: str
    imported_at: datetime
    rows_read: int
    events_stored: int
    duplicates: int
    non_taxable: int
    rejected: int
    conflicts: tuple[str, ...] = ()
    #: issue 7 reconciliation: rows of the file in events this import stored, in events
    #: already stored (duplicates) and in events in conflict with stored ones. ``None`` for
    #: an import recorded by schema version 1, which did not count them.
    rows_stored: int | None = None
    rows_duplicate: int | None = None
    rows_conflict: int | None = None
    #: exchange balance checkpoints stored with the import (``taxmargin check``)
    balances: int = 0
    #: stored events of lower authority this import replaced (counted in ``events_stored``;
    #: ``taxmargin.ledger_crosscheck``), and the cross-check notes of this ``store`` call
    #: (not kept in the ledger: ``imports()`` gives none)
    replaced: int = 0
    diagnostics: tuple[Diagnostic, ...] = ()

    @property
    def gap(self) -> int | None:
        """Rows read that are in no bucket (0 for every import ``store`` accepts)."""
        if self.rows_stored is None or self.rows_duplicate is None or self.rows_conflict is None:
            return None
        buckets = self.rows_stored + self.rows_duplicate + self.rows_conflict
        return self.rows_read - buckets - self.non_taxable - self.rejected

    def reconciliation(self) -> str:
        """``rows read N = stored A + duplicates D [+ in conflict C] + non-taxable B +
        rejected R`` (rows, not events: a trade of two rows counts 2)."""
        if self.rows_stored is None:
            return f"rows read {self.rows_read} (import recorded before schema version 2: not reconciled)"
        conflict = f" + in conflict {self.rows_conflict}" if self.rows_conflict else ""
        return (
            f"rows read {self.rows_read} = stored {self.rows_stored} + duplicates {self.rows_duplicate}"
            f"{conflict} + non-taxable {self.non_taxable} + rejected {self.rejected}"
        )


def rows_per_event(result: ImportResult) -> Sequence[int]:
    """How many input rows each event is built from (``base.accounting_gap`` has checked
    that this adds up to ``rows_in_events``)."""
    if len(result.rows_per_event) == len(result.events):
        return result.rows_per_event
    return [1 if result.rows_in_events else 0] * len(result.events)


def precomputed_texts(result: ImportResult) -> Sequence[str | None]:
    """The layout's precomputed stored texts, or None for every event."""
    texts = result.stored_texts.for_events(result.events) if result.stored_texts is not None else None
    return texts if texts is not None else [None] * len(result.events)


def check_storable(file: FileText, result: ImportResult) -> None:
    """Refuse (:class:`LedgerError`) a result whose rows do not add up: nothing is stored."""
    if result.unaccounted != 0:
        raise LedgerError(
            f"{file.name}: {result.unaccounted} rows are not accounted for by layout "
            f"{result.layout} (an importer bug); nothing stored"
        )
    gap = accounting_gap(result)
    if gap is not None:
        raise LedgerError(f"{file.name}: layout {result.layout}: {gap} (an importer bug); nothing stored")


def import_record(import_id: int, file: FileText, result: ImportResult, imported_at: datetime,
                  tally: Tally) -> ImportRecord:
    """The :class:`ImportRecord` of a ``store`` (or a streamed store) that went through."""
    return ImportRecord(
        import_id, file.name, file.sha256, result.layout, imported_at, result.rows_read,
        tally.stored, tally.duplicates, len(result.non_taxable), result.rows_rejected,
        tuple(tally.conflicts), tally.rows_stored, tally.rows_duplicate, tally.rows_conflict,
        len(result.balances), tally.replaced, tuple(tally.diagnostics),
    )
