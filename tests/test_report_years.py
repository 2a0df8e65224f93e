"""``taxmargin report`` with several ``--year`` (issue 6): one load and one booking for all
the years (``pipeline.prepare_years`` over ``engine.book_until``), then each year's forms,
files and summary, in year order, shared between two forked processes where that pays
(``taxmargin.yearfork``). Every year must be exactly what ``report --year YYYY`` alone
gives: the same file bytes and the same printed summary."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from taxmargin import cli, cli_output, yearfork

# bought 2024 (short-term sales in 2024), sold again more than a year later in 2025 (long
# term, tax-rules.md §1.3), and an unmatched withdrawal in each year (a diagnostic per year)
HISTORY = """time,account,type,sent_quantity,sent_asset,received_quantity,received_asset,fee_quantity,fee_asset
2024-01-10T12:00:00Z,kraken,trade,1000,USD,0.5,ETH,1,USD
2024-02-10T12:00:00Z,kraken,trade,0.1,ETH,300,USD,,
2024-06-01T12:00:00Z,kraken,trade,2000,USD,1,ETH,,
2024-07-01T12:00:00Z,kraken,withdrawal,0.01,ETH,,,,
2025-02-11T12:00:00Z,kraken,trade,0.3,ETH,1500,USD,1.5,USD
2025-03-10T12:00:00Z,kraken,trade,0.5,ETH,1400,USD,,
2025-04-01T12:00:00Z,kraken,withdrawal,0.01,ETH,,,,
"""


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "TAXMARGIN_DEBUG"}
    env["COLUMNS"] = "200"
    return subprocess.run([sys.executable, "-m", "taxmargin.cli", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env=env)


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    (tmp_path / "h.csv").write_text(HISTORY, encoding="utf-8")
    assert run(tmp_path, "import", "h.csv").returncode == 0
    return tmp_path


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _blocks(stdout: str) -> list[str]:
    """The printed lines but the profile line and the 'Wrote N files to DIR/' line."""
    return [line for line in stdout.splitlines() if not line.startswith(("profile:", "Wrote "))]


def test_several_years_are_each_the_report_of_that_year(ledger: Path) -> None:
    single = {}
    for year in (2024, 2025):
        done = run(ledger, "report", "--year", str(year), "--format", "json,csv,txf", "--out", f"alone-{year}")
        assert done.returncode == 0, done.stderr
        single[year] = done.stdout
    both = run(ledger, "report", "--year", "2025", "--year", "2024", "--year", "2025", "--format", "json,csv,txf")
    assert both.returncode == 0, both.stderr
    for year in (2024, 2025):  # default folders, one per year; the same bytes
        assert _files(ledger / f"taxmargin-{year}") == _files(ledger / f"alone-{year}")
    # the years in order (given unsorted and repeated), each printed as the year alone
    assert _blocks(both.stdout) == _blocks(single[2024]) + _blocks(single[2025])
    assert both.stdout.count("profile:") == 1
    assert "Wrote 5 files to taxmargin-2024/:" in both.stdout and "Wrote 5 files to taxmargin-2025/:" in both.stdout


def test_out_holds_one_folder_per_year(ledger: Path) -> None:
    done = run(ledger, "report", "--year", "2024", "--year", "2025", "--format", "json", "--out", "years")
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (ledger / "years").iterdir()) == ["taxmargin-2024", "taxmargin-2025"]
    assert (ledger / "years" / "taxmargin-2024" / "forms.json").is_file()


def test_a_year_that_cannot_be_done_fails_alone(ledger: Path) -> None:
    # 2015 has no tax parameters (tax-rules.md): exit 2 with its message; 2025 still written
    done = run(ledger, "report", "--year", "2015", "--year", "2025", "--format", "json")
    assert done.returncode == 2
    assert "error: tax year 2015 is not supported" in done.stderr
    assert (ledger / "taxmargin-2025" / "forms.json").is_file()
    assert not (ledger / "taxmargin-2015" / "forms.json").exists()


# ---- the forked path, in this process -------------------------------------------------------


@pytest.fixture
def two_cores(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fork for any size (the real threshold is fanout.MIN_ROWS events)."""
    monkeypatch.setattr(yearfork, "MIN_ROWS", 0)
    monkeypatch.setattr(yearfork, "workers_available", lambda: 2)
    yield


def test_forked_years_write_what_a_serial_run_writes(ledger: Path, two_cores: None,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(ledger)
    pids: list[int] = []
    fork = os.fork

    def counted_fork() -> int:
        pid = fork()
        if pid:
            pids.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", counted_fork)
    with pytest.raises(SystemExit) as done:
        cli.main(["report", "--year", "2024", "--year", "2025", "--format", "json,csv", "--out", "forked"])
    assert done.value.code in (0, None)
    forked = capsys.readouterr().out
    assert len(pids) == 1  # the first year was done by a child
    monkeypatch.setattr(yearfork, "workers_available", lambda: 1)
    with pytest.raises(SystemExit):
        cli.main(["report", "--year", "2024", "--year", "2025", "--format", "json,csv", "--out", "serial"])
    serial = capsys.readouterr().out
    for year in (2024, 2025):
        assert _files(ledger / "forked" / f"taxmargin-{year}") == _files(ledger / "serial" / f"taxmargin-{year}")
    assert forked.replace("forked", "serial") == serial
    assert len(pids) == 1


def _job(log: list[int], codes: dict[int, int], crash: int | None = None):  # type: ignore[no-untyped-def]
    def job(year: int) -> int:
        if year == crash:
            raise ValueError(f"boom {year}")
        log.append(year)
        cli_output.say(f"year {year} in {os.getpid()}")
        cli_output.fail(f"note {year}")
        return codes.get(year, 0)

    return job


def test_run_years_prints_in_year_order_and_returns_the_worst_status(
        two_cores: None, capsys: pytest.CaptureFixture[str]) -> None:
    log: list[int] = []
    weights = {2023: 10, 2024: 10, 2025: 25}
    readied: list[list[int]] = []
    code = yearfork.run_years([2023, 2024, 2025], weights, _job(log, {2024: 2}), cli_output.captured,
                              cli_output.replay, lambda years: readied.append(list(years)))
    assert readied == [[2023, 2024]]  # the child's years, booked before the fork
    printed = capsys.readouterr()
    lines = printed.out.splitlines()
    assert [line.split(" in ")[0] for line in lines] == ["year 2023", "year 2024", "year 2025"]
    child, parent = {line.split(" in ")[1] for line in lines[:2]}, lines[2].split(" in ")[1]
    assert child != {str(os.getpid())} and parent == str(os.getpid())  # 2023+2024 (20) | 2025 (25)
    assert log == [2025]  # this process did only its share
    assert printed.err.splitlines() == ["error: note 2023", "error: note 2024", "error: note 2025"]
    assert code == 2


def test_a_crashing_child_is_an_internal_error_after_the_parent_printed(
        two_cores: None, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(RuntimeError, match="boom 2024"):
        yearfork.run_years([2024, 2025], {2024: 1, 2025: 1}, _job([], {}, crash=2024), cli_output.captured,
                           cli_output.replay)
    assert "year 2025" in capsys.readouterr().out


def test_a_failing_parent_waits_for_the_child_and_raises(two_cores: None,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ValueError, match="boom 2025"):
        yearfork.run_years([2024, 2025], {2024: 1, 2025: 1}, _job([], {}, crash=2025), cli_output.captured,
                           cli_output.replay)
    assert "year 2024" in capsys.readouterr().out  # the child's year, printed before raising
    assert yearfork._busy["children"] == 0


def test_serial_when_small_or_single_core(monkeypatch: pytest.MonkeyPatch) -> None:
    log: list[int] = []
    weights = {2024: 100, 2025: 100}  # below fanout.MIN_ROWS events in all
    assert yearfork.run_years([2024, 2025], weights, _job(log, {}), cli_output.captured, cli_output.replay) == 0
    assert log == [2024, 2025]


@pytest.mark.parametrize(("weights", "k"), [
    ([1, 1], 1),
    ([10, 10, 25], 2),  # 20 | 25
    ([30, 10, 10], 1),  # 30 | 20
    ([5, 5, 5, 5], 2),
    ([0, 0, 7], 1),  # k=1 and k=2 both leave 7 on the larger side: the first k
])
def test_split_point(weights: list[int], k: int) -> None:
    assert yearfork.split_point(weights) == k


def test_prepared_years_book_only_as_far_as_asked(ledger: Path) -> None:
    """``finish_year`` books on only as far as its year; each year's forms equal the
    one-year report's (the booking pass is shared)."""
    from taxmargin import api
    from taxmargin.profile import Profile

    events, prices = api.load_events(ledger / "taxmargin.db")
    prepared = api.prepare_years(events, prices, Profile(), [2025, 2024])
    assert prepared.booked == set() and prepared.weights == {2024: 4, 2025: 3}
    first = api.finish_year(prepared, 2024)
    assert prepared.booked == {2024}
    second = api.finish_year(prepared, 2025)
    assert prepared.booked == {2024, 2025} and prepared.bookings == {}
    for year, report in ((2024, first), (2025, second)):
        alone = api.compute_report(events, prices, Profile(), year)
        assert repr(report) == repr(alone)


def test_the_booking_pass_keeps_no_booking_alive(ledger: Path) -> None:
    """Memory (issue 6: a 1M-event year within 2 GB): once a year's booking is taken out of
    ``prepared``, nothing else may hold it while its forms are built — not the pass's
    suspended frame, not a ``zip`` reusing its last pair."""
    import sys

    from taxmargin import api
    from taxmargin.profile import Profile

    events, prices = api.load_events(ledger / "taxmargin.db")
    for years in ([2025], [2024, 2025]):
        prepared = api.prepare_years(events, prices, Profile(), years)
        for year in years:
            prepared.book_to(year)
            booking = prepared.bookings.pop(year)
            assert sys.getrefcount(booking) == 2  # this name and getrefcount's argument
            del booking


def test_parked_values_are_kept_only_under_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    """``cli._park`` (issue 6: no freeing of a report's objects just before ``os._exit``):
    in-process callers of ``main`` keep nothing; under ``entry`` a name holds its last value."""
    monkeypatch.setattr(cli, "_parked", None)
    cli._park("report", "a")
    assert cli._parked is None
    monkeypatch.setattr(cli, "_parked", {})
    cli._park("report", "a")
    cli._park("report", "b")
    cli._park("prepared", "c")
    assert cli._parked == {"report": "b", "prepared": "c"}


def test_an_earlier_years_report_is_dropped_before_the_next_is_built(
    ledger: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Memory: with several years in one process, parking keeps only the last year's report;
    the earlier one is gone before the next year's forms are built (as without parking)."""
    from taxmargin import api

    monkeypatch.chdir(ledger)
    monkeypatch.setattr(yearfork, "workers_available", lambda: 1)  # both years in this process
    monkeypatch.setattr(cli, "_parked", {})
    seen: list[object] = []
    finish = api.finish_year

    def watched(prepared: object, year: int) -> object:
        seen.append((year, cli._parked.get("report") if cli._parked is not None else "none"))
        return finish(prepared, year)  # type: ignore[arg-type]

    monkeypatch.setattr(api, "finish_year", watched)
    with pytest.raises(SystemExit) as done:
        cli.main(["report", "--year", "2024", "--year", "2025", "--format", "json", "--out", "parked"])
    assert done.value.code in (0, None)
    capsys.readouterr()
    assert seen == [(2024, None), (2025, None)]
    parked = cli._parked
    assert parked is not None and getattr(parked["report"], "forms").tax_year == 2025
    assert "prepared" in parked
