"""The ``taxmargin`` command line (interfaces.md §1): it only wires stages (``taxmargin.api``).

Exit status: 0 = done; 1 = done, but some input rows were rejected (the good rows are
stored), or ``check`` found problems; 2 = the command could not run (unknown format, unreadable file, bad arguments, a
bad profile, a ledger problem, an unsupported year); 3 = an internal error (a bug: the
message says how to get the traceback, ``TAXMARGIN_DEBUG=1``).
"""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click

from taxmargin import api
from taxmargin.cli_output import (
    captured,
    errors,
    fail,
    print_check,
    print_import,
    print_report_notes,
    print_summary,
    replay,
    say,
)
from taxmargin.cli_progress import PROGRESS_ROWS, progress_bar, reading
from taxmargin.errors import InputError, LedgerError, NotSupported, TaxMarginError
from taxmargin.ledger import Ledger
from taxmargin.models import EventBase
from taxmargin.yearfork import run_years

if TYPE_CHECKING:
    from taxmargin.profile import Profile

__all__ = ["app", "main", "entry"]


class _InOrder(click.Group):
    """A command group that lists its commands in the order they are defined."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)


@click.group(name="taxmargin", cls=_InOrder, no_args_is_help=True)
def app() -> None:
    """US tax forms (Form 8949, Schedule D, Form 4952) for crypto margin traders, from exchange exports."""


#: Set by :func:`entry`, which leaves with ``os._exit``: the last values a command built
#: (a year's report, the booked ledger) are parked here instead of being freed one object
#: at a time as the command returns (tens of milliseconds per hundred thousand events, for
#: nothing). Each name holds one value, so a report of many years still frees each
#: finished year before the next. ``None`` (``main`` called in-process): nothing is kept.
_parked: dict[str, object] | None = None


def _park(name: str, value: object) -> None:
    """Keep ``value`` until the process exits (:data:`_parked`), replacing the last one of
    that name (freed now)."""
    if _parked is not None:
        _parked[name] = value


#: Looked for in the current folder when --profile is not given.
DEFAULT_PROFILE = Path("taxmargin.toml")

#: The options several commands share (interfaces.md §1).
ledger_option = click.option(
    "--ledger", type=click.Path(dir_okay=False, path_type=Path), default=api.DEFAULT_LEDGER, show_default=True,
    help="SQLite ledger file (created on first import).",
)
profile_option = click.option(
    "--profile", type=click.Path(path_type=Path), default=None,
    help="Profile TOML (default: ./taxmargin.toml if it exists, else all defaults).",
)
method_option = click.option(
    "--method", default=None, help="fifo | lifo | hifo | spec-id: overrides the profile for this run."
)
#: Tax years the tool accepts on the command line (the rules say which it supports).
YEARS = click.IntRange(2009, 2099)


def _profile(path: Path | None) -> Profile:
    """The profile: ``--profile``, else ``./taxmargin.toml`` when present, else defaults."""
    from taxmargin.profile import load_profile  # pydantic: only for the commands that use it

    if path is None and DEFAULT_PROFILE.is_file():
        path = DEFAULT_PROFILE
    profile = load_profile(path)
    say(f"profile: {path}" if path else "profile: none given (defaults: UTC, FIFO, single)", style="dim")
    return profile


@app.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path), metavar="FILE...")
@ledger_option
@click.option("--account", default=None, help="Book every event of these files in this account.")
def import_command(files: tuple[Path, ...], ledger: Path, account: str | None) -> None:
    """Import exchange exports; the format is detected from each file's content.

    FILE...: exchange exports or taxmargin CSVs."""
    worst = 0
    with Ledger.open(ledger) as store:
        for path in files:
            try:
                with reading(path):
                    done = api.import_file(store, path, account)
            except InputError as exc:
                fail(str(exc))
                worst = 2
                continue
            print_import(done)
            worst = max(worst, done.exit_code)
    if len(files) > 1:
        say(f"{len(files)} files; exit status {worst}", style="dim")
    raise click.exceptions.Exit(worst)


@app.command("report")
@click.option("--year", "year", type=YEARS, multiple=True, required=True,
              help="Tax year, e.g. 2025; repeat it for several years (booked once).")
@ledger_option
@profile_option
@method_option
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Output folder (default ./taxmargin-YYYY/; with several years, one taxmargin-YYYY/ folder per "
                   "year inside it).")
@click.option("--format", "formats", default=None, help="Comma-separated: pdf,xlsx,json,csv,txf (default: all).")
def report_command(year: tuple[int, ...], ledger: Path, profile: Path | None, method: str | None, out: Path | None,
                   formats: str | None) -> None:
    """Compute the year and write Form 8949, Schedule D, Form 4952 and friends."""
    wanted, explicit = api.parse_formats(formats)
    have, missing = api.available_formats(wanted)
    if missing and explicit:
        raise InputError(f"--format: this installation has no renderer for {', '.join(missing)}")
    api.check_method(method)
    years = sorted(set(year))
    if len(years) == 1:
        report = api.report_from_ledger(ledger, _profile(profile), years[0], method=method, progress=progress_bar())
        large = len(report.forms.form_8949.rows) >= PROGRESS_ROWS
        target = out if out is not None else Path(f"taxmargin-{years[0]}")
        _write_and_print(report, target, have, missing, progress_bar("writing reports", show=large))
        _park("report", report)
        return
    code = _report_years(years, ledger, _profile(profile), method, out, have, missing)
    if code:
        raise click.exceptions.Exit(code)


def _write_and_print(report: api.Report, target: Path, have: Sequence[str], missing: Sequence[str],
                     progress: api.Progress | None) -> None:
    """Write one year's files into ``target`` and print its summary, notes and files."""
    written = api.write_reports(report.forms, target, have, progress=progress)
    print_summary(report.forms)
    print_report_notes(report)
    say(f"Wrote {len(written)} file{'' if len(written) == 1 else 's'} to {target}/:", style="bold")
    for path in written:
        say(f"  {path.name}")
    for name in missing:
        say(f"  (no {name} renderer in this installation; skipped)", style="dim")


def _report_years(years: Sequence[int], ledger: Path, profile: Profile, method: str | None, out: Path | None,
                  have: Sequence[str], missing: Sequence[str]) -> int:
    """``report`` with several ``--year``: one load and one booking for all of them
    (``pipeline.prepare_years``), then each year's forms, files and summary, in year order,
    the years shared between two processes where that pays (``taxmargin.yearfork``: the
    first years' forms are built while the later years are still being booked). Each
    year is what ``report --year YYYY`` alone gives; a year that cannot be done prints its
    error and the others are still written (exit status 2)."""
    events, prices = api.load_events(ledger)
    prepared = api.prepare_years(events, prices, profile, years, method=method, progress=progress_bar())
    del events, prices

    def one(year: int) -> int:
        target = (out if out is not None else Path(".")) / f"taxmargin-{year}"
        _park("report", None)  # an earlier year's report goes before this one is built (memory)
        try:
            report = api.finish_year(prepared, year)
            _write_and_print(report, target, have, missing, None)
            _park("report", report)
        except (InputError, LedgerError, NotSupported) as exc:
            fail(str(exc))  # the messages name the year
            return 2
        return 0

    code = run_years(years, prepared.weights, one, captured, replay, lambda first: prepared.book_to(first[-1]))
    _park("prepared", prepared)
    return code


def default_year(events: Sequence[EventBase], profile: Profile, today: date | None = None) -> int:
    """``review`` without ``--year``: the latest year before the current one that has
    events (the return being prepared), else the latest year with events."""
    if not events:
        raise InputError("the ledger has no events: import files first")
    years = {event.time.astimezone(profile.zone).year for event in events}
    current = (today or date.today()).year
    earlier = [y for y in years if y < current]
    return max(earlier) if earlier else max(years)


@app.command("review")
@click.option("--year", type=YEARS, default=None, help="Tax year (default: the latest year before this one with events).")
@ledger_option
@profile_option
def review_command(year: int | None, ledger: Path, profile: Path | None) -> None:
    """Show the year in the terminal: gains by month and account, every liquidation."""
    from taxmargin.cli_output import console

    chosen = _profile(profile)
    events, prices = api.load_events(ledger)
    tax_year = year if year is not None else default_year(events, chosen)
    report = api.compute_report(events, prices, chosen, tax_year, progress=progress_bar())
    try:
        from taxmargin.reports.review import render_terminal
    except ModuleNotFoundError as exc:
        if exc.name != "taxmargin.reports.review":
            raise
        raise NotSupported("this installation has no terminal review renderer") from None
    render_terminal(report.forms, console)
    print_summary(report.forms)
    print_report_notes(report, verbose_options=False)


@app.command("export")
@ledger_option
@click.option("--out", type=click.Path(path_type=Path), default=Path("taxmargin-export.csv"), show_default=True,
              help="CSV file to write ('-' = standard output).")
def export_command(ledger: Path, out: Path) -> None:
    """Write every stored event as a taxmargin CSV (re-importable: a round trip)."""
    to_stdout = str(out) == "-"
    done = api.export_csv(ledger, None if to_stdout else out)
    if not to_stdout:
        say(f"exported {done.events} events to {out}")
    if done.prices_path is not None:
        say(f"exported {done.prices} user prices to {done.prices_path} (taxmargin prices import reads it)")
    elif done.prices:
        errors.print(f"note: the ledger's {done.prices} user prices are not in a standard-output export", markup=False)


@app.command("check")
@ledger_option
def check_command(ledger: Path) -> None:
    """Check the ledger: exchange balances, negative balances, open loans, hand edits."""
    done = api.check_ledger(ledger)
    print_check(str(ledger), done)
    raise click.exceptions.Exit(done.report.exit_code)


@app.command("demo")
@click.option("--out", type=click.Path(path_type=Path), default=Path("taxmargin-demo"), show_default=True,
              help="Output folder.")
def demo_command(out: Path) -> None:
    """Run the whole pipeline on the bundled sample files and write every report."""
    from taxmargin.cli_demo import run_demo

    run_demo(out, progress=progress_bar())


@app.group("prices", cls=_InOrder, no_args_is_help=True)
def prices_app() -> None:
    """The user price table: USD prices for assets that no trade prices."""


@prices_app.command("import")
@click.argument("file", type=click.Path(path_type=Path), metavar="FILE")
@ledger_option
def prices_import_command(file: Path, ledger: Path) -> None:
    """Store USD prices (time, asset, usd per unit) for assets that no trade prices, from
    FILE, a CSV with columns time, asset, usd."""
    done = api.import_prices(ledger, file)
    table = done.table
    say(f"{file.name}: price table", style="bold")
    say(f"  rows read {table.rows_read} = prices {len(table.points)} + rejected {table.rows_read - len(table.points)}")
    say(f"  prices stored {done.stored} (new or changed)")
    for error in table.errors:
        say(str(error), style="red")
    raise click.exceptions.Exit(1 if table.errors else 0)


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point: expected problems print one line and exit 2; a bug prints
    "internal error" and exits 3 (the traceback only with ``TAXMARGIN_DEBUG=1``)."""
    try:
        sys.exit(_run(list(argv) if argv is not None else sys.argv[1:]))
    except (InputError, LedgerError, NotSupported) as exc:
        fail(str(exc))
        sys.exit(2)
    except KeyboardInterrupt:
        fail("interrupted")
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - the last line of defence: no traceback for users
        if os.environ.get("TAXMARGIN_DEBUG") == "1":
            raise
        kind = "internal error" if not isinstance(exc, TaxMarginError) else "internal error (engine)"
        errors.print(f"{kind}: {type(exc).__name__}: {exc}", style="bold red", markup=False)
        errors.print(
            "This is a bug in taxmargin, not in your files. Run again with TAXMARGIN_DEBUG=1 to see "
            "the traceback, and report it with the command you ran.",
            markup=False,
        )
        sys.exit(3)


def _run(args: list[str]) -> int:
    """Parse ``args`` and run the command; its exit status. Usage errors (a missing or bad
    option, an unknown command) print as click prints them and give 2; ``--help`` gives 0;
    other exceptions reach :func:`main`."""
    try:
        with app.make_context("taxmargin", args) as ctx:
            app.invoke(ctx)
    except click.exceptions.Exit as done:
        return done.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except (click.Abort, EOFError):  # end of input at a prompt
        click.echo("Aborted!", err=True)
        return 1
    except OSError as exc:
        if exc.errno != errno.EPIPE:
            raise
        # whoever read standard output stopped (``taxmargin review | head``): stop quietly
        # with status 1, as click does; what is still buffered goes to /dev/null (the
        # idiom of the Python documentation, signal module, "Note on SIGPIPE")
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):  # no real file behind standard output
            pass
        return 1
    return 0


def entry() -> None:
    """The ``taxmargin`` console script and ``python -m taxmargin``: :func:`main`, then
    leave at once. A report on a large year holds millions of small objects; freeing them
    one by one at interpreter exit takes seconds and changes nothing (every file is
    written, fsynced and renamed, the ledger transaction is committed and the connection
    closed by then; issue 6). Standard output and error are flushed first.
    ``TAXMARGIN_DEBUG=1`` keeps the normal exit."""
    global _parked
    code: int | str | None = 0
    _parked = {}
    try:
        main()
    except SystemExit as done:
        code = done.code
    if os.environ.get("TAXMARGIN_DEBUG") == "1" or not isinstance(code, int | None):
        sys.exit(code)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed pipe: the normal exit reports it
        sys.exit(code)
    os._exit(code or 0)


if __name__ == "__main__":
    entry()
