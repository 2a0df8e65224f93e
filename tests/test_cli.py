"""The command line as a user runs it (interfaces.md §1): a subprocess per command, exit
statuses 0 / 1 / 2 / 3, the FILE:LINE messages, and the files ``report`` writes."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from taxmargin.cli import default_year
from taxmargin.codec import GENERIC_COLUMNS
from taxmargin.models import Amount, SourceRef, Trade
from taxmargin.profile import Profile

GOOD = """time,account,type,sent_quantity,sent_asset,received_quantity,received_asset,fee_quantity,fee_asset
2025-01-10T12:00:00Z,kraken,trade,1000,USD,0.5,ETH,1,USD
2025-02-10T12:00:00Z,kraken,trade,0.25,ETH,800,USD,0.8,USD
2025-03-10T12:00:00Z,kraken,trade,0.25,ETH,450,USD,,
"""

# line 3: the quantity is not a number; line 4: an unknown type; lines 2 and 5 are good
BAD_ROWS = """time,account,type,sent_quantity,sent_asset,received_quantity,received_asset
2025-01-10T12:00:00Z,kraken,trade,100,USD,1,SOL
2025-01-11T12:00:00Z,kraken,trade,abc,SOL,200,USD
2025-01-12T12:00:00Z,kraken,swap,1,SOL,200,USD
2025-01-13T12:00:00Z,kraken,trade,50,USD,0.5,SOL
"""

UNKNOWN = """Date,Pair,Side,Amount,Price
2025-01-10,BTCUSD,buy,1,100000
"""


def run(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k != "TAXMARGIN_DEBUG"}
    full_env.update({"COLUMNS": "200", **(env or {})})
    return subprocess.run(
        [sys.executable, "-m", "taxmargin.cli", *args],
        cwd=cwd, capture_output=True, text=True, timeout=300, env=full_env,
    )


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# ---- import ----------------------------------------------------------------------------------


def test_import_good_file_then_again_is_idempotent(tmp_path: Path) -> None:
    write(tmp_path, "good.csv", GOOD)
    first = run(tmp_path, "import", "good.csv")
    assert first.returncode == 0, first.stderr
    assert "good.csv: format taxmargin-csv" in first.stdout
    assert "rows read 3 = in events 3 + non-taxable 0 + rejected 0" in first.stdout
    assert "events stored 3, duplicates skipped 0, non-taxable rows 0, rows rejected 0" in first.stdout
    assert (tmp_path / "taxmargin.db").is_file()  # --ledger default (interfaces.md §1)
    again = run(tmp_path, "import", "good.csv")
    assert again.returncode == 0
    assert "events stored 0, duplicates skipped 3" in again.stdout


def test_import_rejected_rows_exit_1_and_good_rows_are_stored(tmp_path: Path) -> None:
    write(tmp_path, "bad.csv", BAD_ROWS)
    done = run(tmp_path, "import", "bad.csv", "--ledger", "my.db")
    assert done.returncode == 1
    assert "rows read 4 = in events 2 + non-taxable 0 + rejected 2" in done.stdout
    assert "events stored 2" in done.stdout
    lines = done.stdout.splitlines()
    assert any(line.startswith("bad.csv:3: column 'sent_quantity': ") and "(value 'abc')" in line for line in lines)
    assert any(line.startswith("bad.csv:4: column 'type': ") and "(value 'swap')" in line for line in lines)
    assert "Traceback" not in done.stderr


def test_unknown_format_exit_2_names_headers_and_closest_layout(tmp_path: Path) -> None:
    write(tmp_path, "mystery.csv", UNKNOWN)
    done = run(tmp_path, "import", "mystery.csv")
    assert done.returncode == 2
    assert "mystery.csv: unknown format; header seen: 'Date', 'Pair', 'Side', 'Amount', 'Price'" in done.stderr
    assert "closest known layout" in done.stderr
    assert "Traceback" not in done.stderr


def test_several_files_continue_and_exit_with_the_worst(tmp_path: Path) -> None:
    write(tmp_path, "good.csv", GOOD)
    write(tmp_path, "mystery.csv", UNKNOWN)
    write(tmp_path, "bad.csv", BAD_ROWS)
    done = run(tmp_path, "import", "mystery.csv", "good.csv", "missing.csv", "bad.csv")
    assert done.returncode == 2
    assert "events stored 3" in done.stdout and "events stored 2" in done.stdout
    assert "missing.csv: no such file" in done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["import"], "Missing argument"),
        (["report"], "Missing option '--year'"),
        (["report", "--year", "twenty"], "--year"),
        (["frobnicate"], "No such command"),
        (["report", "--year", "1990"], "1990 is not in the range 2009<=x<=2099"),
        (["review", "--year", "2100"], "2100 is not in the range 2009<=x<=2099"),
        (["import", "a.csv", "--ledger", "."], "is a directory"),
        (["report", "--year", "2025", "--bogus"], "No such option '--bogus'"),
        (["prices", "import"], "Missing argument 'FILE'"),
        ([], "Usage: taxmargin [OPTIONS] COMMAND"),  # no command: the usage, as an error
    ],
)
def test_bad_arguments_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    done = run(tmp_path, *args)
    assert done.returncode == 2
    assert message in done.stderr + done.stdout
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("args", [["import", "good.csv"], ["export", "--out", "-"], ["review", "--year", "2025"]])
def test_a_closed_standard_output_stops_quietly(tmp_path: Path, args: list[str]) -> None:
    """``taxmargin ... | head``: the reader went away before the first line. The command
    stops with status 1 and no "internal error" or traceback (as click's own handling)."""
    write(tmp_path, "good.csv", GOOD)
    if args[0] != "import":
        assert run(tmp_path, "import", "good.csv").returncode == 0
    env = {k: v for k, v in os.environ.items() if k != "TAXMARGIN_DEBUG"}
    done = subprocess.Popen([sys.executable, "-m", "taxmargin.cli", *args], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert done.stdout is not None and done.stderr is not None
    done.stdout.close()  # no reader: the first write fails with EPIPE
    err = done.stderr.read()
    assert done.wait(timeout=300) == 1
    assert "internal error" not in err and "Traceback" not in err, err


def test_help_lists_every_command_of_interfaces_md_in_order(tmp_path: Path) -> None:
    """interfaces.md §1: import, report, review, export, demo (and check, prices)."""
    done = run(tmp_path, "--help")
    assert done.returncode == 0
    listed = [line.split()[0] for line in done.stdout.split("Commands:")[1].splitlines() if line.strip()]
    assert listed == ["import", "report", "review", "export", "check", "demo", "prices"]
    report = run(tmp_path, "report", "--help")
    assert report.returncode == 0
    for option in ("--year", "--ledger", "--profile", "--method", "--out", "--format"):
        assert option in report.stdout
    assert "[default: taxmargin.db]" in " ".join(report.stdout.split())


# ---- report ----------------------------------------------------------------------------------


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    write(tmp_path, "good.csv", GOOD)
    assert run(tmp_path, "import", "good.csv").returncode == 0
    return tmp_path


def test_report_writes_forms_json_and_csv_with_real_numbers(ledger: Path) -> None:
    done = run(ledger, "report", "--year", "2025", "--format", "json,csv")
    assert done.returncode == 0, done.stderr
    out = ledger / "taxmargin-2025"  # default --out (interfaces.md §1)
    forms = json.loads((out / "forms.json").read_text())
    # 0.5 ETH bought for 1,000 + 1 fee (cash purchase: fee in basis, tax-rules.md §4.0(4))
    # -> 2,002 per ETH. Sold 0.25 for 800 - 0.8 = 799.20, basis 500.50 -> 298.70;
    # sold 0.25 for 450, basis 500.50 -> (50.50). Short-term, box I (§1.2, no 1099-DA).
    rows = [(r["part"], r["box"], r["proceeds"], r["cost_basis"], r["gain"]) for r in forms["form_8949"]]
    assert rows == [("I", "I", "799.20", "500.50", "298.70"), ("I", "I", "450.00", "500.50", "-50.50")]
    assert forms["schedule_d"]["line_7"] == "248.20"
    assert forms["schedule_d"]["line_16"] == "248.20"
    with (out / "form8949.csv").open(newline="") as handle:
        table = list(csv.DictReader(handle))
    assert len(table) == 2 and "298.70" in table[0].values()
    assert not (out / "form8949.pdf").exists()  # only the formats asked for
    assert "Schedule D line 16" in done.stdout and "248.20" in done.stdout
    assert "Options used" in done.stdout and "timezone = UTC" in done.stdout


def test_report_prints_diagnostics_with_file_and_line(tmp_path: Path) -> None:
    write(
        tmp_path,
        "gift.csv",
        "time,account,type,sent_quantity,sent_asset,received_quantity,received_asset\n"
        "2025-01-10T12:00:00Z,wallet,deposit,,,10,SOL\n"
        "2025-02-10T12:00:00Z,wallet,trade,10,SOL,2000,USD\n",
    )
    assert run(tmp_path, "import", "gift.csv").returncode == 0
    done = run(tmp_path, "report", "--year", "2025", "--format", "json", "--out", "out")
    assert done.returncode == 0, done.stderr
    assert any(
        line.startswith("gift.csv:2: warning: [missing-basis]") for line in done.stdout.splitlines()
    ), done.stdout


def test_method_option_overrides_the_profile(ledger: Path) -> None:
    write(ledger, "more.csv", "time,account,type,sent_quantity,sent_asset,received_quantity,received_asset\n"
          "2025-01-20T12:00:00Z,kraken,trade,3000,USD,1,ETH\n")
    assert run(ledger, "import", "more.csv").returncode == 0
    done = run(ledger, "report", "--year", "2025", "--format", "json", "--method", "hifo", "--out", "hifo")
    assert done.returncode == 0, done.stderr
    forms = json.loads((ledger / "hifo" / "forms.json").read_text())
    assert forms["method"] == "hifo"
    # HIFO takes the 3,000/ETH lot first: 0.25 x 3,000 = 750 basis on the first sale
    assert forms["form_8949"][0]["cost_basis"] == "750.00"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "json,docx"], "unknown format 'docx'"),
        (["--method", "average"], "--method: 'average' is not one of fifo, lifo, hifo, spec-id"),
        (["--ledger", "nowhere.db"], "nowhere.db: no ledger here"),
    ],
)
def test_report_bad_arguments_exit_2(ledger: Path, args: list[str], message: str) -> None:
    done = run(ledger, "report", "--year", "2025", *args)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_bad_profile_key_exit_2_naming_the_key(ledger: Path) -> None:
    write(ledger, "profile.toml", 'name = "X"\n[carryover]\nshort_term_los = 100\n')
    done = run(ledger, "report", "--year", "2025", "--profile", "profile.toml", "--format", "json")
    assert done.returncode == 2
    assert "key 'carryover.short_term_los': unknown key" in done.stderr
    assert "Traceback" not in done.stderr


def test_profile_in_the_current_folder_is_used(ledger: Path) -> None:
    write(ledger, "taxmargin.toml", 'name = "Pat Example"\ntimezone = "Asia/Tokyo"\n')
    done = run(ledger, "report", "--year", "2025", "--format", "json", "--out", "o")
    assert done.returncode == 0, done.stderr
    forms = json.loads((ledger / "o" / "forms.json").read_text())
    assert forms["timezone"] == "Asia/Tokyo"


def test_a_file_that_is_not_a_ledger_exit_2(tmp_path: Path) -> None:
    write(tmp_path, "notes.db", "this is not sqlite\n" * 100)
    write(tmp_path, "good.csv", GOOD)
    done = run(tmp_path, "import", "good.csv", "--ledger", "notes.db")
    assert done.returncode == 2
    assert "notes.db" in done.stderr and "Traceback" not in done.stderr


# ---- export, prices ----------------------------------------------------------------------------


def test_export_writes_every_event_with_id_and_source(ledger: Path) -> None:
    done = run(ledger, "export")
    assert done.returncode == 0, done.stderr
    with (ledger / "taxmargin-export.csv").open(newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
    assert tuple(reader.fieldnames or ()) == GENERIC_COLUMNS
    assert [r["source"] for r in rows] == ["good.csv:2", "good.csv:3", "good.csv:4"]
    assert rows[0]["type"] == "trade" and rows[0]["fee_quantity"] == "1"
    to_stdout = run(ledger, "export", "--out", "-")
    assert to_stdout.stdout.splitlines()[0] == ",".join(GENERIC_COLUMNS)


def test_prices_import_good_and_bad_rows(tmp_path: Path) -> None:
    write(tmp_path, "prices.csv", "time,asset,usd\n2025-01-10T00:00:00Z,SOL,190.5\n2025-01-11,SOL,x\n")
    done = run(tmp_path, "prices", "import", "prices.csv")
    assert done.returncode == 1
    assert "prices stored 1" in done.stdout
    assert "prices.csv:3: column 'usd': not a number (value 'x')" in done.stdout


def test_a_priced_gift_uses_the_price_table(tmp_path: Path) -> None:
    # staking income with no USD value: priced from the table, 2 SOL x 150 = 300 (issue 4)
    write(tmp_path, "staking.csv", "time,account,type,received_quantity,received_asset\n"
          "2025-05-01T12:00:00Z,kraken,income,2,SOL\n")
    write(tmp_path, "prices.csv", "time,asset,usd\n2025-05-01T00:00:00Z,SOL,150\n")
    assert run(tmp_path, "import", "staking.csv").returncode == 0
    assert run(tmp_path, "prices", "import", "prices.csv").returncode == 0
    done = run(tmp_path, "report", "--year", "2025", "--format", "json", "--out", "o")
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "o" / "forms.json").read_text())["income"]["ordinary"] == "300.00"
    assert "from the user price table" in done.stdout


# ---- errors that are not the user's ---------------------------------------------------------------

_BOOM = """
import sys
import taxmargin.api as api
import taxmargin.cli as cli
def boom(*args, **kwargs):
    raise ZeroDivisionError("simulated bug")
api.report_from_ledger = boom
cli.main(sys.argv[1:])
"""


def test_internal_error_exit_3_without_traceback_unless_debug(ledger: Path) -> None:
    args = [sys.executable, "-c", _BOOM, "report", "--year", "2025", "--format", "json"]
    env = {k: v for k, v in os.environ.items() if k != "TAXMARGIN_DEBUG"}
    done = subprocess.run(args, cwd=ledger, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 3
    assert "internal error: ZeroDivisionError: simulated bug" in done.stderr
    assert "TAXMARGIN_DEBUG=1" in done.stderr and "Traceback" not in done.stderr
    debug = subprocess.run(args, cwd=ledger, capture_output=True, text=True, env={**env, "TAXMARGIN_DEBUG": "1"})
    assert debug.returncode != 0 and "Traceback" in debug.stderr


_FAKE_FORMAT = """
import sys
from taxmargin.reports import writers
writers.RENDERERS["fake"] = "taxmargin.reports.no_such_renderer"
writers.FORMATS = tuple(writers.RENDERERS)
import taxmargin.api as api
api.FORMATS = writers.FORMATS
import taxmargin.cli as cli
cli.main(sys.argv[1:])
"""


def test_a_missing_renderer_fails_only_when_asked_for(ledger: Path) -> None:
    asked = subprocess.run(
        [sys.executable, "-c", _FAKE_FORMAT, "report", "--year", "2025", "--format", "json,fake", "--out", "a"],
        cwd=ledger, capture_output=True, text=True, timeout=120,
    )
    assert asked.returncode == 2
    assert "no renderer for fake" in asked.stderr
    assert not (ledger / "a" / "forms.json").exists()


# ---- demo --------------------------------------------------------------------------------------


def test_demo_runs_and_writes_every_report(tmp_path: Path) -> None:
    done = run(tmp_path, "demo")
    assert done.returncode == 0, done.stderr
    out = tmp_path / "taxmargin-demo"
    forms = json.loads((out / "forms.json").read_text())
    assert forms["tax_year"] == 2025 and forms["taxpayer"]["name"] == "Alex Demo"
    assert forms["taxpayer"]["id"] == "XXX-XX-6789"  # masked (interfaces.md §3)
    assert (out / "form8949.csv").is_file()
    assert "Schedule D line 16" in done.stdout and "Form 4952 line 8" in done.stdout
    # the §7.1 liquidation is in the demo (us-margin.csv): lot A long-term gain 49,455, lot B loss (25,620)
    gains = {(r["account"], r["gain"]) for r in forms["form_8949"]}
    assert ("us-margin", "49455.00") in gains and ("us-margin", "-25620.00") in gains
    # running it again starts from a fresh ledger: same result
    again = run(tmp_path, "demo")
    assert again.returncode == 0
    assert json.loads((out / "forms.json").read_text()) == forms


# ---- review, --account, the default review year ------------------------------------------------


def test_review_shows_the_year_in_the_terminal(ledger: Path) -> None:
    done = run(ledger, "review", "--year", "2025")
    assert done.returncode == 0, done.stderr
    assert "2025" in done.stdout and "kraken" in done.stdout  # gains by account
    assert "Schedule D line 16" in done.stdout and "248.20" in done.stdout


def test_account_option_books_the_file_in_that_account(tmp_path: Path) -> None:
    write(tmp_path, "good.csv", GOOD)
    assert run(tmp_path, "import", "good.csv", "--account", "kraken-joint").returncode == 0
    exported = run(tmp_path, "export", "--out", "-").stdout
    rows = list(csv.DictReader(exported.splitlines()))
    assert {r["account"] for r in rows} == {"kraken-joint"}


@pytest.mark.parametrize(
    ("years", "today", "expected"),
    [
        ((2024, 2025, 2026), date(2026, 4, 1), 2025),  # the return being prepared
        ((2023, 2024), date(2026, 4, 1), 2024),
        ((2026,), date(2026, 4, 1), 2026),  # only this year's events: this year
    ],
)
def test_review_default_year(years: tuple[int, ...], today: date, expected: int) -> None:
    events = [
        Trade(time=datetime(y, 6, 1, tzinfo=timezone.utc), account="a", source=SourceRef("f.csv", i + 2),
              sent=Amount(Decimal(1), "USD"), received=Amount(Decimal(1), "XYZ"))
        for i, y in enumerate(years)
    ]
    assert default_year(events, Profile(), today) == expected
