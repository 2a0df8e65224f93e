"""What the command line prints: import reports, the year summary, diagnostics, options.

Text that comes from the user's files is printed with ``markup=False`` (a ``[`` in a cell
must not be read as rich markup, nor ``:1234:`` in ``FILE:1234:`` as an emoji name) and
never wrapped (``soft_wrap``): each
``FILE:LINE: ...`` message stays one line a user can grep and an editor can jump to.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, TextIO

from rich.console import Console

from taxmargin.api import FileImport, LedgerCheck
from taxmargin.errors import Diagnostic, Severity
from taxmargin.money import fmt_money

if TYPE_CHECKING:  # annotations only: ``taxmargin import`` starts without the forms
    from taxmargin.pipeline import Report
    from taxmargin.reports.forms import TaxForms

__all__ = ["captured", "console", "errors", "replay", "say", "fail", "print_check", "print_import", "print_summary",
           "print_report_notes"]

console = Console(highlight=False, soft_wrap=True, emoji=False)
errors = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)



class Captured:
    """Text printed while :func:`captured` was active: (standard output, standard error)."""

    def __init__(self) -> None:
        self.out, self.err = io.StringIO(), io.StringIO()

    def texts(self) -> tuple[str, str]:
        return self.out.getvalue(), self.err.getvalue()


def _like(model: Console, file: TextIO) -> Console:
    """A console printing into ``file`` exactly what ``model`` prints (terminal or not,
    colours, width)."""
    return Console(file=file, force_terminal=model.is_terminal, color_system=model.color_system,  # type: ignore[arg-type]
                   width=model.width, no_color=model.no_color, highlight=False, soft_wrap=True, emoji=False)


@contextmanager
def captured() -> Iterator[Captured]:
    """Print into a buffer instead of the terminal inside the block (``report`` with several
    years prints them in order from two processes, ``taxmargin.yearfork``); the text,
    styles included, is what the real consoles would have printed."""
    global console, errors
    saved = console, errors
    buffer = Captured()
    console, errors = _like(saved[0], buffer.out), _like(saved[1], buffer.err)
    try:
        yield buffer
    finally:
        console, errors = saved


def replay(out: str, err: str) -> None:
    """Print text captured by :func:`captured` (in this or another process)."""
    for stream, text in ((console.file, out), (errors.file, err)):
        if text:
            stream.write(text)
            stream.flush()


_SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "dim"}


def say(text: str, style: str | None = None) -> None:
    """One line of plain text (no markup interpretation) on standard output. When the
    output is not a terminal rich would print the same characters without styles, so the
    line is written directly (a large year prints thousands of diagnostics; issue 6).
    Text with a control character or tab (possible in a hostile file's cell) still goes
    through rich, which strips or expands them."""
    if not text.isprintable() or console.is_terminal or console.is_jupyter or console.legacy_windows:
        console.print(text, style=style, markup=False)
    else:
        console.file.write(text + "\n")


def fail(text: str) -> None:
    """An error message on standard error."""
    errors.print(f"error: {text}", style="bold red", markup=False)


def print_import(done: FileImport) -> None:
    """Per file (interfaces.md §1): format, rows read, events stored, duplicates skipped,
    non-taxable rows, rows rejected, the reconciliation line, and every rejected row."""
    result, record = done.result, done.record
    say(f"{done.file.name}: format {result.layout}", style="bold")
    in_events, skipped, rejected = result.rows_in_events, len(result.non_taxable), result.rows_rejected
    balance = f"rows read {result.rows_read} = in events {in_events} + non-taxable {skipped} + rejected {rejected}"
    if record is None:
        fail(
            f"{done.file.name}: the rows do not add up: {done.gap}; this is an importer bug "
            f"(layout {result.layout}): nothing was stored from this file"
        )
        return
    say(f"  {balance}")
    say(f"  reconciled: {record.reconciliation()}")
    say(
        f"  events stored {record.events_stored}, duplicates skipped {record.duplicates}, "
        f"non-taxable rows {record.non_taxable}, rows rejected {record.rejected}"
    )
    if record.balances:
        say(f"  exchange balances recorded: {record.balances} checkpoints (compared by 'taxmargin check')")
    if record.replaced:
        say(f"  replaced {record.replaced} stored events of a file of lower authority (counted as stored)")
    for error in result.errors:
        say(str(error), style="red")
    for conflict in record.conflicts:
        say(conflict, style="red")
    for diagnostic in (*result.diagnostics, *record.diagnostics):
        print_diagnostic(diagnostic)


def print_diagnostic(diagnostic: Diagnostic) -> None:
    say(str(diagnostic), style=_SEVERITY_STYLE.get(diagnostic.severity))


def _line(label: str, amount: str) -> None:
    say(f"  {label:<52} {amount:>14}")


def print_summary(forms: TaxForms) -> None:
    """The short summary (interfaces.md §1): net short-term, net long-term, Schedule D
    lines 16 and 21, Form 4952 lines 8 and 7."""
    sd, f4952 = forms.schedule_d, forms.form_4952
    who = f" — {forms.taxpayer_name}" if forms.taxpayer_name else ""
    say(f"Tax year {forms.tax_year}{who} (method {forms.method}, time zone {forms.timezone})", style="bold")
    _line("Net short-term gain or (loss), Schedule D line 7", fmt_money(sd.line_7))
    _line("Net long-term gain or (loss), Schedule D line 15", fmt_money(sd.line_15))
    _line("Schedule D line 16 (net gain or loss)", fmt_money(sd.line_16))
    _line("Schedule D line 21 (loss allowed this year)", fmt_money(sd.line_21))
    _line("Form 4952 line 8 (investment interest deduction)", fmt_money(f4952.line_8))
    _line("Form 4952 line 7 (interest carried forward)", fmt_money(f4952.line_7))
    _line("Ordinary income (staking, lending, funding received)", fmt_money(forms.income_ordinary))
    _line("Form 8949 rows", str(len(forms.form_8949.rows)))


def print_report_notes(report: Report, *, verbose_options: bool = True) -> None:
    """Every diagnostic with its FILE:LINE, the options used (uncertainty register,
    tax-rules.md §9) and the pricing assumptions."""
    forms = report.forms
    diagnostics: Sequence[Diagnostic] = forms.diagnostics
    if diagnostics:
        counts = {s: sum(1 for d in diagnostics if d.severity is s) for s in Severity}
        parts = ", ".join(f"{n} {s.value}" + ("s" if n != 1 else "") for s, n in counts.items() if n)
        say(f"Diagnostics ({parts}):", style="bold")
        rank = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
        for diagnostic in sorted(diagnostics, key=lambda d: rank[d.severity]):
            print_diagnostic(diagnostic)
    else:
        say("Diagnostics: none", style="bold")
    if verbose_options:
        say("Options used (tax-rules.md §9 uncertainty register; change them in the profile):", style="bold")
        for name, value in forms.options_used:
            if not name.startswith("pricing_"):
                say(f"  {name} = {value}")
    say("Pricing assumptions:" if report.assumptions else "Pricing assumptions: none", style="bold")
    for text in report.assumptions:
        say(f"  {text}")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def print_check(path: str, done: LedgerCheck) -> None:
    """``taxmargin check``: the ledger, each import's row reconciliation, how many
    exchange balances were compared, then every finding (errors first) and a verdict."""
    report = done.report
    say(f"ledger {path}: schema version {done.schema_version}, {_plural(report.imports, 'import')}, "
        f"{_plural(report.events, 'event')}", style="bold")
    for record in done.imports:
        say(f"  import {record.import_id}: {record.file_name} ({record.layout}): {record.reconciliation()}")
    say(f"balances: {_plural(report.checkpoints, 'exchange balance checkpoint')} from "
        f"{_plural(report.files_with_balances, 'file')} compared with the ledger's events")
    for diagnostic in report.diagnostics:
        print_diagnostic(diagnostic)
    counts = {s: sum(1 for d in report.diagnostics if d.severity is s) for s in Severity}
    if report.exit_code == 0:
        notes = f" ({_plural(counts[Severity.INFO], 'note')})" if counts[Severity.INFO] else ""
        say(f"check: no problems found{notes}", style="bold")
    else:
        say(f"check: {_plural(counts[Severity.ERROR], 'error')}, {_plural(counts[Severity.WARNING], 'warning')}, "
            f"{_plural(counts[Severity.INFO], 'note')}", style="bold red")
