"""The stage wiring behind the command line (and the tests): one function per command.

Pipeline (docs/ARCHITECTURE.md)::

    files --importers--> ImportResult --ledger.store--> taxmargin.db
    ledger.events() --match_transfers--> --price_events--> --engine.book-->
        --rules.us.tax_year--> --reports.build.build_forms--> TaxForms --writers.render-->

Everything here is plain functions over the stage contracts; printing belongs to
``taxmargin.cli``. Expected problems raise :class:`~taxmargin.errors.TaxMarginError`
subclasses; problems in the data come back as values (``RowError``, ``Diagnostic``).
"""

from __future__ import annotations

import dataclasses
import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from taxmargin.gcpause import gc_paused
from taxmargin.errors import InputError
from taxmargin.fanout import render_parallel
from taxmargin.importers.base import (
    AUTHORITY_DEFAULT,
    FileText,
    ImportResult,
    accounting_gap,
    detect_layout,
    load_file,
)
from taxmargin.importers.generic import GenericCsv
from taxmargin.ledger import ImportRecord, Ledger
from taxmargin.ledger_stream import STREAM_BYTES, StreamStore
from taxmargin.models import EventBase, Transfer
from taxmargin.reports.writers import FORMATS, RENDERERS, render

if TYPE_CHECKING:
    from taxmargin.check import CheckReport
    from taxmargin.pipeline import (
        Prepared,
        Progress,
        Report,
        check_method,
        compute_report,
        finish_year,
        prepare_years,
        year_end,
    )
    from taxmargin.pricing import PricePoint
    from taxmargin.profile import Profile
    from taxmargin.reports.forms import TaxForms

#: Re-exported from ``taxmargin.pipeline`` on first use (:func:`__getattr__`): ``taxmargin
#: import`` then starts without loading the engine, the rules and the forms (startup time).
_FROM_PIPELINE = frozenset(
    {"Prepared", "Progress", "Report", "check_method", "compute_report", "finish_year", "prepare_years", "year_end"}
)


def __getattr__(name: str) -> object:
    """PEP 562: the pipeline's names, imported when first asked for."""
    if name in _FROM_PIPELINE:
        from taxmargin import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "DEFAULT_LEDGER",
    "FileImport",
    "Report",
    "PriceImport",
    "read_import",
    "import_file",
    "open_existing",
    "load_events",
    "year_end",
    "compute_report",
    "prepare_years",
    "finish_year",
    "Prepared",
    "Progress",
    "Report",
    "report_from_ledger",
    "parse_formats",
    "available_formats",
    "write_reports",
    "export_csv",
    "Export",
    "prices_path_for",
    "import_prices",
    "store_prices",
    "check_method",
    "LedgerCheck",
    "check_ledger",
]

DEFAULT_LEDGER = Path("taxmargin.db")



# ---- import ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FileImport:
    """One file's import: the layout's result and what the ledger did with it.

    ``record`` is ``None`` when nothing was stored: the result did not account for every
    row read (``gap``: ``importers.base.accounting_gap``, an importer bug), which fails
    the file."""

    file: FileText
    result: ImportResult
    record: ImportRecord | None

    @property
    def gap(self) -> str | None:
        """What does not add up in the file's row accounting (None: every row accounted)."""
        return accounting_gap(self.result)

    @property
    def exit_code(self) -> int:
        """0 = every row imported or knowingly skipped; 1 = rows rejected, events in
        conflict with stored ones, or an unaccounted gap (interfaces.md §1)."""
        if self.record is None or self.result.errors or self.record.conflicts:
            return 1
        return 0


def _with_account(result: ImportResult, account: str) -> ImportResult:
    """Every event of the file booked in ``account`` (``import --account NAME``): the pool
    key is (account, asset), tax-rules.md §5.1; a transfer to the file's own account name
    follows the rename."""
    renamed: list[EventBase] = []
    for event in result.events:
        if isinstance(event, Transfer) and event.to_account == event.account:
            renamed.append(dataclasses.replace(event, account=account, to_account=account))
        else:
            renamed.append(dataclasses.replace(event, account=account))
    balances = tuple(dataclasses.replace(cp, account=account) for cp in result.balances)
    return dataclasses.replace(result, events=tuple(renamed), balances=balances)


def read_import(path: Path, account: str | None = None) -> tuple[FileText, ImportResult]:
    """Read ``path``, detect its layout from its content, parse it (no ledger involved).

    Raises :class:`InputError` (unreadable file, unknown or ambiguous format, a bad
    header) — the CLI's exit status 2."""
    from taxmargin.importers import LAYOUTS  # the 55 layouts: only when a file is imported

    file = load_file(path)
    layout = detect_layout(file, LAYOUTS)
    result = layout.parse(file)
    if account is not None:
        name = account.strip()
        if not name:
            raise InputError("--account: the account name is empty")
        result = _with_account(result, name)
    return file, result


def _stream(ledger: Ledger, file: FileText, layout: GenericCsv) -> StreamStore | None:
    """A writer storing ``file`` while it is parsed, for a large taxmargin CSV (None: store
    it afterwards, also when no process can be started)."""
    if file.size < STREAM_BYTES:
        return None
    try:
        return StreamStore(ledger, file, layout.name, AUTHORITY_DEFAULT)
    except OSError:
        return None


def import_file(ledger: Ledger, path: Path, account: str | None = None) -> FileImport:
    """Read, detect, parse and store one file (the ledger stores it in one transaction).

    A large taxmargin CSV is stored while it is parsed, by a second process in the same
    one transaction (``taxmargin.ledger_stream``, issue 6); the outcome is the same."""
    if account is None:
        from taxmargin.importers import LAYOUTS  # only when a file is imported (startup time)

        file = load_file(path)
        layout = detect_layout(file, LAYOUTS)
        if isinstance(layout, GenericCsv) and (stream := _stream(ledger, file, layout)) is not None:
            with stream:
                result = layout.parse_into(file, stream.feed)
                if accounting_gap(result) is not None:
                    return FileImport(file, result, None)
                return FileImport(file, result, stream.finish(file, result))
        result = layout.parse(file)
    else:
        file, result = read_import(path, account)
    if accounting_gap(result) is not None:
        return FileImport(file, result, None)
    return FileImport(file, result, ledger.store(file, result))


def open_existing(path: Path) -> Ledger:
    """Open a ledger that must already exist (report, review, export)."""
    if not path.exists():
        raise InputError(f"{path}: no ledger here; import files first (taxmargin import FILE... --ledger {path})")
    return Ledger.open(path)


def load_events(path: Path) -> tuple[list[EventBase], list[PricePoint]]:
    """Every stored event (booking order) and the user price table."""
    with open_existing(path) as ledger:
        return ledger.events(), ledger.prices()


# ---- check ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LedgerCheck:
    """``taxmargin check``: the ledger's imports (with their row reconciliation) and what
    :func:`taxmargin.check.check` found."""

    schema_version: int
    imports: tuple[ImportRecord, ...]
    report: CheckReport


def check_ledger(path: Path) -> LedgerCheck:
    """Run every check of :mod:`taxmargin.check` on the ledger at ``path`` (issue 7)."""
    with open_existing(path) as ledger:
        from taxmargin.check import check
        from taxmargin.ledger_audit import read_snapshot

        snapshot = read_snapshot(ledger)
        return LedgerCheck(ledger.schema_version, tuple(ledger.imports()), check(snapshot))


# ---- report ---------------------------------------------------------------------------------


def _step(progress: Progress, total: int, done: int) -> None:
    progress(done, total)


def report_from_ledger(
    ledger_path: Path, profile: Profile, year: int, *, method: str | None = None, progress: Progress | None = None
) -> Report:
    """Load the ledger's events and compute the year (``pipeline.compute_report``)."""
    from taxmargin.pipeline import compute_report

    events, prices = load_events(ledger_path)
    return compute_report(events, prices, profile, year, method=method, progress=progress)


def parse_formats(text: str | None) -> tuple[tuple[str, ...], bool]:
    """``--format pdf,xlsx,...`` -> (formats, explicit). ``None`` or empty = all formats,
    not explicit. Unknown names raise :class:`InputError` (exit 2)."""
    if text is None or not text.strip():
        return FORMATS, False
    wanted = [part.strip().lower() for part in text.split(",") if part.strip()]
    unknown = [name for name in wanted if name not in RENDERERS]
    if unknown:
        raise InputError(f"--format: unknown format {', '.join(map(repr, unknown))} (known: {', '.join(FORMATS)})")
    return tuple(dict.fromkeys(wanted)), True


def available_formats(formats: Sequence[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Split into (formats whose renderer is installed, formats without one)."""
    have: list[str] = []
    missing: list[str] = []
    for name in formats:
        (have if importlib.util.find_spec(RENDERERS[name]) is not None else missing).append(name)
    return tuple(have), tuple(missing)


def write_reports(
    forms: TaxForms, out_dir: Path, formats: Sequence[str], *, progress: Progress | None = None
) -> list[Path]:
    """Write ``formats`` into ``out_dir`` (created if needed); each file atomically. On a
    large year with several cores the formats are split between forked processes
    (``taxmargin.fanout``); the files are the same either way. ``progress(done, total)``
    is called as formats finish (a progress bar on large years)."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{out_dir}: cannot create the output folder: {exc.strerror}") from None
    if not out_dir.is_dir():
        raise InputError(f"{out_dir}: not a folder")
    done = None if progress is None else partial(_step, progress, len(formats))
    with gc_paused():  # renderers build many short-lived values and no cycles
        return render_parallel(partial(render, forms, out_dir), formats, len(forms.form_8949.rows), done)


# export and prices: taxmargin/api_export.py (re-exported here for the CLI and the tests)
from taxmargin.api_export import Export, PriceImport, export_csv, import_prices, prices_path_for, store_prices  # noqa: E402
