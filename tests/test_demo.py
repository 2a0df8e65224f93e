"""``taxmargin demo`` (issues 2, 4, 5): the bundled 2025 year of "Alex Demo", end to end.

The demo reads exactly the files of ``fixtures/demo/`` (installed as
``taxmargin.fixtures/demo``). Every expected number below is worked out by hand from those
files and the rules, with the arithmetic beside it; the story is told in README.md ("The
demo"). Dates are tax dates in the profile's zone, America/New_York (tax-rules.md §6.3).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from pypdf import PdfReader

from taxmargin import api
from taxmargin.cli_demo import DEMO_YEAR, demo_inputs
from taxmargin.importers.base import load_file
from taxmargin.pricing import read_price_table

D = Decimal
EVENT_FILES = [entry.name for entry in demo_inputs()[0]]
DEMO_FILES = {*EVENT_FILES, "prices.csv", "profile.toml"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One run of ``taxmargin demo --out DIR`` in a subprocess: (DIR, standard output)."""
    out = tmp_path_factory.mktemp("demo") / "out"
    done = subprocess.run(
        [sys.executable, "-m", "taxmargin", "demo", "--out", str(out)],
        cwd=out.parent, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return out, done.stdout


@pytest.fixture(scope="module")
def forms(demo: tuple[Path, str]) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((demo[0] / "forms.json").read_text())
    return data


# ---- inputs: exactly fixtures/demo, every row imported ----------------------------------------


def test_the_demo_folder_holds_the_story_files() -> None:
    assert sorted(EVENT_FILES) == [
        "binance-transaction-history.csv",  # Binance statement, v2 header
        "coinbase-transactions.csv",  # Coinbase transaction report, v5 (preamble)
        "gemini.csv",  # taxmargin CSV: holding-period and year boundaries
        "kraken-ledgers.csv",  # Kraken ledgers.csv, current header
        "ledger-nano.csv",  # taxmargin CSV: the hardware wallet
        "us-margin.csv",  # taxmargin CSV: tax-rules.md §7.1
    ]


@pytest.mark.parametrize(
    ("name", "layout"),
    [
        ("binance-transaction-history.csv", "binance-statement-v2"),
        ("coinbase-transactions.csv", "coinbase-v5"),
        ("gemini.csv", "taxmargin-csv"),
        ("kraken-ledgers.csv", "kraken-ledgers-current"),
        ("ledger-nano.csv", "taxmargin-csv"),
        ("us-margin.csv", "taxmargin-csv"),
    ],
)
def test_every_demo_row_imports(name: str, layout: str) -> None:
    """Each file is detected as the real export it imitates; 0 rejected, 0 unaccounted."""
    entry = resources.files("taxmargin.fixtures") / "demo" / name
    with resources.as_file(entry) as path:
        _, result = api.read_import(path)
    assert result.layout == layout
    assert result.rows_rejected == 0 and not result.errors, [str(e) for e in result.errors]
    assert result.unaccounted == 0
    assert result.rows_read > 0


def test_the_price_table_imports() -> None:
    with resources.as_file(demo_inputs()[1]) as path:
        table = read_price_table(load_file(path))
    assert not table.errors and len(table.points) == table.rows_read == 8


def test_the_demo_imports_only_its_own_files(demo: tuple[Path, str], forms: dict[str, Any]) -> None:
    out, stdout = demo
    imported = {line.split(":")[0] for line in stdout.splitlines() if ": format " in line}
    assert imported == set(EVENT_FILES)  # no importer test sample under fixtures/<exchange>/
    for name in EVENT_FILES:
        assert f"{name}: format " in stdout
    balances = [line for line in stdout.splitlines() if line.startswith("  rows read ")]
    assert len(balances) == len(EVENT_FILES) + 1  # + the price table
    assert all(line.endswith("+ rejected 0") for line in balances), balances
    assert re.findall(r"rows rejected (\d+)", stdout) == ["0"] * len(EVENT_FILES)
    sources = {s.split(":")[0] for row in forms["form_8949"] for s in row["sources"]}
    assert sources <= DEMO_FILES
    assert (out / "profile.toml").read_text() == (
        resources.files("taxmargin.fixtures") / "demo" / "profile.toml"
    ).read_text()


# ---- the diagnostics left are the instructive ones ------------------------------------------


def test_only_instructive_diagnostics(forms: dict[str, Any]) -> None:
    codes = Counter(d["code"] for d in forms["diagnostics"])
    for bad in ("missing-basis", "negative-balance", "missing-price", "short-against-box",
                "interest-tracing", "over-repay", "repay-untracked", "unmatched-deposit",
                "unmatched-withdrawal", "balance-mismatch"):
        assert bad not in codes, [d for d in forms["diagnostics"] if d["code"] == bad]
    assert codes == {
        # §6.3(2): gemini BTC 01-15/01-16, LTC 02-28/03-01 (leap day), LINK 11-30/12-01 (month end)
        "holding-boundary": 6,
        # §6.3(1): the SOL sale at 2026-01-01 04:30 UTC = 2025-12-31 23:30 in New York
        "year-boundary": 1,
        # §1.2: sales at coinbase, gemini, kraken (US custodial brokers)
        "may-be-broker-reported": 3,
    }
    assert not [p for p in forms["open_positions"] if p["kind"] in ("short", "liability")]


# ---- Form 8949, row by row --------------------------------------------------------------------

# (box, account, asset, quantity, acquired, sold, proceeds (d), basis (e), gain (h), purpose)
ROWS: list[tuple[str, str, str, str, str, str, str, str, str, str]] = [
    # gemini (taxmargin CSV), tax-rules.md §6.1: lot 0.5 BTC 2024-01-15 for 21,500 + 21.50
    # = 21,521.50; 0.2 + 0.0001 fee of it went to the hardware wallet in 2024 (FIFO).
    # 0.1 BTC: (e) 0.1 × 21,521.50 / 0.5 = 4,304.30; (d) 10,000 − 10 fee = 9,990.00;
    # sold on the anniversary: one year exactly is not more than one year -> short-term
    ("I", "gemini", "BTC", "0.1", "2024-01-15", "2025-01-15", "9990.00", "4304.30", "5685.70", "sale"),
    # the day after: (d) 9,900 − 9.90 = 9,890.10 -> long-term
    ("L", "gemini", "BTC", "0.1", "2024-01-15", "2025-01-16", "9890.10", "4304.30", "5585.80", "sale"),
    # bought on the leap day 2024-02-29: 20 LTC for 1,700 + 1.70; (e) 10 × 1,701.70 / 20 = 850.85
    # one_year_end = 2025-02-28 (§6.1): (d) 1,250 − 1.25 = 1,248.75 short-term
    ("I", "gemini", "LTC", "10", "2024-02-29", "2025-02-28", "1248.75", "850.85", "397.90", "sale"),
    # 2025-03-01: (d) 1,300 − 1.30 = 1,298.70 long-term
    ("L", "gemini", "LTC", "10", "2024-02-29", "2025-03-01", "1298.70", "850.85", "447.85", "sale"),
    # HIFO standing order from 2025-06-01 (§5.3): the 67,000 lot (0.2 BTC for 13,413.40) goes
    # first: (e) 0.15 × 13,413.40 / 0.2 = 10,060.05; (d) 17,250 − 17.25 = 17,232.75
    ("L", "gemini", "BTC", "0.15", "2024-03-20", "2025-08-01", "17232.75", "10060.05", "7172.70", "sale"),
    # bought on a month end 2024-11-30 (100 LINK for 1,801.80): (e) 50 × 18.018 = 900.90;
    # 2025-11-30 is the last short-term day: (d) 700 − 0.70 = 699.30
    ("I", "gemini", "LINK", "50", "2024-11-30", "2025-11-30", "699.30", "900.90", "-201.60", "sale"),
    # 2025-12-01: (d) 675 − 0.68 = 674.32 long-term
    ("L", "gemini", "LINK", "50", "2024-11-30", "2025-12-01", "674.32", "900.90", "-226.58", "sale"),
    # 50 SOL for 8,008: (e) 10 × 160.16 = 1,601.60; (d) 1,900 − 1.90 = 1,898.10; dated
    # 2025-12-31 in New York although the file says 2026-01-01 04:30 UTC (§6.3)
    ("L", "gemini", "SOL", "10", "2024-06-10", "2025-12-31", "1898.10", "1601.60", "296.50", "sale"),
    # tax-rules.md §7.1 (us-margin, taxmargin CSV): 2 BTC force-sold at 76,000 = 152,000,
    # fee 3,040 -> (d) (152,000 − 3,040) / 2 = 74,480 per lot
    ("L", "us-margin", "BTC", "1", "2023-03-15", "2025-04-07", "74480.00", "25025.00", "49455.00", "sale"),
    ("I", "us-margin", "BTC", "1", "2025-01-20", "2025-04-07", "74480.00", "100100.00", "-25620.00", "sale"),
    # coinbase (v5 report): 0.25 BTC bought 2024-02-12 for 12,000 + 60 fee (cash purchase:
    # fee in basis, §4.0(4)): (e) 0.1 × 12,060 / 0.25 = 4,824; (d) Subtotal 8,000 − 40 fee
    ("L", "coinbase", "BTC", "0.1", "2024-02-12", "2025-03-10", "7960.00", "4824.00", "3136.00", "sale"),
    # kraken (ledgers.csv): 1,000 DOT bought 2024-05-03 for 7,000 + 18.20 fee;
    # (e) 500 × 7.0182 = 3,509.10; (d) 2,200 − 5.72 fee = 2,194.28 long-term
    ("L", "kraken", "DOT", "500", "2024-05-03", "2025-07-15", "2194.28", "3509.10", "-1314.82", "sale"),
    # kraken margin position closed with +450 USD P/L, closing fee 4 (§4.7(4)): 450 − 4 = 446
    ("I", "kraken", "USD", "450", "2025-09-03", "2025-09-03", "446.00", "0.00", "446.00", "pnl"),
    # binance (statement v2). USDT came from Kraken: 100,000 USDT for 99,900 + 100 fee = $1.00
    # a unit, acquired 2024-10-25 (the own transfer keeps basis and date, §5.1); every USDT row
    # below comes from that lot (FIFO) and its gain is only the fee allocated to it.
    # Cross-margin long: 20,000 USDT loan, 120 SOL bought for 30,000 USDT, fee 0.12 SOL withheld
    # (0.12 × 250 = 30): USDT (d) 30,000 − 30 = 29,970 (§4.0(4) (h)(2)(ii)(C))
    ("I", "binance", "USDT", "30000", "2024-10-25", "2025-01-18", "29970.00", "30000.00", "-30.00", "sale"),
    # Margin Fee 8.40 USDT (2025-02-01 00:00 UTC = Jan 31 in New York), §4.4: disposal at FMV
    ("I", "binance", "USDT", "8.4", "2024-10-25", "2025-01-31", "8.40", "8.40", "0.00", "interest"),
    # cross-margin liquidation 2025-02-03 03:12:40 UTC (Feb 2 in New York): 119.88 SOL at 182
    # = 21,818.16 − 21.82 fee = 21,796.34; basis of the 119.88 SOL kept = 30,000 − 30 = 29,970
    ("I", "binance", "SOL", "119.88", "2025-01-18", "2025-02-02", "21796.34", "29970.00", "-8173.66", "sale"),
    # Cross Margin Liquidation - Repayment 20,004.20 = 20,000 principal + 4.20 interest
    ("I", "binance", "USDT", "4.2", "2024-10-25", "2025-02-02", "4.20", "4.20", "0.00", "interest"),
    # tax-rules.md §7.2 on a USDT venue: buy-to-cover 10.02 ETH for 26,052 USDT + 26 USDT fee:
    # the fee goes to the USDT disposal: (d) 26,052 (FMV of the ETH), (e) 26,078
    ("I", "binance", "USDT", "26078", "2024-10-25", "2025-05-12", "26052.00", "26078.00", "-26.00", "sale"),
    # Margin Fee 0.02 ETH at 2,600 (= 26,052 / 10.02, the buy 5 s earlier) = 52.00 (§4.4)
    ("I", "binance", "ETH", "0.02", "2025-05-12", "2025-05-12", "52.00", "52.00", "0.00", "interest"),
    # the short (§7.2 variant): (d) 10 × 2,200 − 22 fee = 21,978; (e) 10 × 2,600 = 26,000;
    # (b) = (c) = the delivery date, short-term (§4.3)
    ("I", "binance", "ETH", "10", "2025-05-12", "2025-05-12", "21978.00", "26000.00", "-4022.00", "short"),
    # spot sale of 0.2 of the 0.5 BTC bought 2024-11-01 for 35,000 USDT: (e) 14,000;
    # (d) 21,000 − fee 0.025 BNB × 640 = 16.00 (§4.6) = 20,984
    ("I", "binance", "BTC", "0.2", "2024-11-01", "2025-06-16", "20984.00", "14000.00", "6984.00", "sale"),
    # the BNB fee units: 2 BNB for 1,180 USDT, 0.0015 BNB fee withheld -> 590/BNB;
    # (e) 0.025 × 590 = 14.75, (d) 16.00
    ("I", "binance", "BNB", "0.025", "2024-10-30", "2025-06-16", "16.00", "14.75", "1.25", "fee"),
    # USD-M futures (§4.7): funding paid 1.25 and 1.10 USDT (07-03 00:00 UTC = 07-02 New York)
    ("I", "binance", "USDT", "1.25", "2024-10-25", "2025-07-02", "1.25", "1.25", "0.00", "funding"),
    ("I", "binance", "USDT", "1.1", "2024-10-25", "2025-07-02", "1.10", "1.10", "0.00", "funding"),
    # realized P&L +420 (gain in (d)), commission 3.36 (loss in (e)) and the USDT paid for it
    ("I", "binance", "USDT", "420", "2025-07-03", "2025-07-03", "420.00", "0.00", "420.00", "pnl"),
    ("I", "binance", "USDT", "3.36", "2025-07-03", "2025-07-03", "0.00", "3.36", "-3.36", "pnl"),
    ("I", "binance", "USDT", "3.36", "2024-10-25", "2025-07-03", "3.36", "3.36", "0.00", "sale"),
    # realized P&L −150 and commission 2.40, each a loss row plus the USDT paid
    ("I", "binance", "USDT", "150", "2025-07-10", "2025-07-10", "0.00", "150.00", "-150.00", "pnl"),
    ("I", "binance", "USDT", "150", "2024-10-25", "2025-07-10", "150.00", "150.00", "0.00", "sale"),
    ("I", "binance", "USDT", "2.4", "2025-07-10", "2025-07-10", "0.00", "2.40", "-2.40", "pnl"),
    ("I", "binance", "USDT", "2.4", "2024-10-25", "2025-07-10", "2.40", "2.40", "0.00", "sale"),
    # the other 0.2 BTC after 2025-11-01: (d) 18,400 − 18.40 USDT fee = 18,381.60, long-term
    ("L", "binance", "BTC", "0.2", "2024-11-01", "2025-11-20", "18381.60", "14000.00", "4381.60", "sale"),
]


def _row_key(row: dict[str, Any]) -> tuple[str, ...]:
    return (row["box"], row["account"], row["asset"], str(D(row["quantity"]).normalize()),
            row["date_acquired"], row["date_sold"], row["proceeds"], row["cost_basis"], row["gain"],
            row["purpose"])


def test_every_form_8949_row_is_the_hand_worked_one(forms: dict[str, Any]) -> None:
    for expected in ROWS:
        assert D(expected[6]) - D(expected[7]) == D(expected[8]), expected  # (h) = (d) − (e)
    got = Counter(_row_key(r) for r in forms["form_8949"])
    want = Counter(tuple(str(D(x).normalize()) if i == 3 else x for i, x in enumerate(row)) for row in ROWS)
    assert got == want


def test_the_eth_short_is_reported_as_a_short_sale(forms: dict[str, Any]) -> None:
    (short,) = [r for r in forms["form_8949"] if r["short_sale"]]
    assert short["description"] == "10.00000000 ETH (short sale closed)"  # §4.3 description
    assert short["part"] == "I" and short["term"] == "short"


def _total(box: str, column: int) -> Decimal:
    return sum((D(row[column]) for row in ROWS if row[0] == box), D(0))


def test_schedule_d(forms: dict[str, Any]) -> None:
    sd = forms["schedule_d"]
    for line, box in (("line_3", "I"), ("line_10", "L")):
        assert D(sd[line]["proceeds"]) == _total(box, 6)
        assert D(sd[line]["cost_basis"]) == _total(box, 7)
        assert D(sd[line]["gain"]) == _total(box, 8)
    # box I gains: 5,685.70 + 397.90 − 201.60 − 25,620 − 30 − 8,173.66 − 26 − 4,022 + 6,984
    # + 1.25 + 446 + (420 − 3.36 − 150 − 2.40) = −24,294.17; line 6 carryover −1,200
    assert sd["line_6"] == "-1200.00" and sd["line_7"] == "-25494.17"
    # box L gains: 5,585.80 + 447.85 + 7,172.70 − 226.58 + 296.50 + 49,455 + 3,136 − 1,314.82
    # + 4,381.60 = 68,934.05; line 14 carryover −800
    assert sd["line_14"] == "-800.00" and sd["line_15"] == "68134.05"
    assert sd["line_16"] == "42639.88"  # 68,134.05 − 25,494.17
    assert sd["line_17_both_gains"] is True  # line 15 and line 16 are both gains (§2.2)
    assert sd["line_21"] == "0.00"  # a net gain: no loss to limit


def test_form_4952(forms: dict[str, Any]) -> None:
    f = forms["form_4952"]
    # line 1 = interest paid in 2025 (§3.1, §3.6): 1,000 (us-margin.csv:8, from the
    # liquidation proceeds) + 8.40 (Binance Margin Fee USDT) + 4.20 (in the liquidation
    # repayment) + 52.00 (Margin Fee 0.02 ETH × 2,600) + 4 × 2.50 (Kraken rollovers) = 1,074.60
    assert f["line_1"] == "1074.60"
    assert f["line_2"] == "350.00" and f["line_3"] == "1424.60"  # profile carryover; 1,074.60 + 350
    assert f["line_4a"] == "240.00" and f["line_4c"] == "240.00"  # bank interest (profile)
    # 4d = net gain = Schedule D line 16; 4e = net capital gain (all long-term) -> 4f = 0
    assert f["line_4d"] == "42639.88" and f["line_4e"] == "42639.88" and f["line_4f"] == "0.00"
    assert f["line_4g"] == "0.00" and f["line_4h"] == "240.00" and f["line_6"] == "240.00"
    assert f["line_8"] == "240.00"  # min(1,424.60, 240)
    assert f["line_7"] == "1184.60"  # 1,424.60 − 240 carried to 2026
    assert forms["carryforward"] == {"short_term_loss": "0.00", "long_term_loss": "0.00",
                                     "investment_interest": "1184.60"}


def test_income_and_funding(forms: dict[str, Any]) -> None:
    # Kraken Earn rewards 7.5 DOT × (5.20 + 4.00 + 3.60 + 3.00) = 118.50 (prices.csv);
    # Coinbase Staking Income 22.80 + 15.60 + 19.20 + 24.00 = 81.60; funding received 0.80
    assert forms["income"]["ordinary"] == "200.90"
    assert forms["funding_paid_nondeductible"] == "2.35"  # 1.25 + 1.10 (§4.7(3))


# ---- the outputs ------------------------------------------------------------------------------


def test_every_output_is_written_and_opens(demo: tuple[Path, str]) -> None:
    out, stdout = demo
    for name in ("form8949.pdf", "schedule_d.pdf", "form4952.pdf", "review.pdf"):
        reader = PdfReader(out / name)
        assert len(reader.pages) >= 1 and reader.pages[0].extract_text().strip(), name
    assert "Form 8949" in PdfReader(out / "form8949.pdf").pages[0].extract_text()
    book = openpyxl.load_workbook(out / f"taxmargin-{DEMO_YEAR}.xlsx", read_only=True)
    assert book.sheetnames
    book.close()
    lines = (out / "form8949.csv").read_text().splitlines()
    assert len(lines) == len(ROWS) + 1  # a header and one line per row
    for name in (f"taxmargin-{DEMO_YEAR}.txf", f"turbotax-online-{DEMO_YEAR}.csv",
                 f"taxact-{DEMO_YEAR}.csv", "demo-ledger.db", "profile.toml"):
        assert (out / name).stat().st_size > 0, name
    assert "Schedule D line 16 (net gain or loss)" in stdout and "42639.88" in stdout
