"""The worked examples of tax-rules.md end to end: a small taxmargin CSV and a profile from
``tests/worked/`` are imported into a fresh ledger, the year is reported with
``--format json``, and forms.json is checked to the cent against numbers worked out by
hand from the rules (the section is cited beside every expected value).

Covers §7.1 (liquidation gain despite an economic loss, and the partial FIFO vs HIFO
standing-order variant), §7.2 (short sale, USD and USDT venues), §7.3 (interest paid in
crypto, priced from a user price table), §7.4 (Form 4952 above net investment income), §7.5
(the 4g election, both columns), a short open over the year end, a perpetual with funding,
and issue 2's hand-worked cases: §6.1 (anniversary, leap day, month end), §6.3 (a time
zone moves a sale across the year), §2.3 (loss limit, carryover, MFS, negative taxable
income) and §1.7 (whole-dollar rounding).
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from taxmargin import api
from taxmargin.ledger import Ledger
from taxmargin.profile import load_profile

WORKED = Path(__file__).resolve().parent / "worked"
Forms = dict[str, Any]


def forms_json(tmp_path: Path, scenario: str, profile: str, year: int, prices: str | None = None) -> Forms:
    """import SCENARIO [prices import PRICES] -> report --year YEAR --format json -> forms.json"""
    ledger_path = tmp_path / f"{scenario}-{profile}-{year}.db"
    with Ledger.open(ledger_path) as ledger:
        done = api.import_file(ledger, WORKED / scenario)
        assert done.exit_code == 0, [str(e) for e in done.result.errors]
        if prices is not None:
            assert not api.store_prices(ledger, WORKED / prices).table.errors
    report = api.report_from_ledger(ledger_path, load_profile(WORKED / profile), year)
    out = tmp_path / f"out-{scenario}-{profile}-{year}"
    api.write_reports(report.forms, out, ["json"])
    forms: Forms = json.loads((out / "forms.json").read_text(encoding="utf-8"))
    check_4952_invariants(forms)
    return forms


def check_4952_invariants(forms: Forms) -> None:
    """tax-rules.md §3.1 invariants, on every report of this file."""
    f = {k: Decimal(v) for k, v in forms["form_4952"].items()}
    assert f["line_3"] == f["line_1"] + f["line_2"]
    assert f["line_4c"] == f["line_4a"] - f["line_4b"]
    assert f["line_4f"] == f["line_4d"] - f["line_4e"] >= 0
    assert f["line_4h"] == f["line_4c"] + f["line_4f"] + f["line_4g"]
    assert f["line_6"] == max(Decimal(0), f["line_4h"] - f["line_5"])
    assert f["line_7"] == max(Decimal(0), f["line_3"] - f["line_6"])
    assert f["line_8"] == min(f["line_3"], f["line_6"])


def row_cells(row: dict[str, Any]) -> tuple[str, ...]:
    return (row["part"], row["box"], row["date_acquired"], row["date_sold"],
            row["proceeds"], row["cost_basis"], row["gain"])


def total(rows: list[dict[str, Any]], column: str) -> Decimal:
    return sum((Decimal(r[column]) for r in rows), Decimal(0))


# ---- §7.1 liquidation ------------------------------------------------------------------------


def test_7_1_liquidation_gain_despite_economic_loss(tmp_path: Path) -> None:
    forms = forms_json(tmp_path, "liquidation_7_1.csv", "utc.toml", 2025)
    rows = sorted(forms["form_8949"], key=lambda r: r["part"])
    assert [row_cells(r) for r in rows] == [
        # §7.1 lot B: (d) 152,000/2 - 3,040/2 = 74,480; (e) 100,000 + 100 = 100,100; (h) (25,620) ST, box I
        ("I", "I", "2025-01-20", "2025-04-07", "74480.00", "100100.00", "-25620.00"),
        # §7.1 lot A: (d) 74,480; (e) 25,000 + 25 = 25,025; (h) 49,455 LT, box L
        ("II", "L", "2023-03-15", "2025-04-07", "74480.00", "25025.00", "49455.00"),
    ]
    assert all(r["liquidation"] for r in rows)  # flagged for review (interfaces.md §2)
    sd = forms["schedule_d"]
    assert sd["line_7"] == "-25620.00"  # §7.1 Schedule D line 7 = (25,620)
    assert sd["line_15"] == "49455.00"  # §7.1 line 15 = 49,455
    assert sd["line_16"] == "23835.00"  # §7.1 line 16 = 23,835 gain
    assert sd["line_21"] == "0.00"  # §2.2: line 21 only for a loss
    assert sd["line_17_both_gains"] is True  # §7.1: lines 15 and 16 both gains
    f4952 = forms["form_4952"]
    assert f4952["line_1"] == "1000.00"  # §7.1 / §3.6(4): interest paid from the proceeds
    # §3.1: 4d = net gain 23,835; 4e = min(4d, net capital gain 49,455 - 25,620) = 23,835
    assert (f4952["line_4d"], f4952["line_4e"], f4952["line_4f"]) == ("23835.00", "23835.00", "0.00")
    assert (f4952["line_6"], f4952["line_7"], f4952["line_8"]) == ("0.00", "1000.00", "0.00")  # §3.1 L6-L8


@pytest.mark.parametrize(
    ("profile", "expected"),
    [
        # §7.1 partial variant, FIFO: lot A is sold -> LT gain 49,455
        ("utc.toml", ("II", "L", "2023-03-15", "2025-04-07", "74480.00", "25025.00", "49455.00")),
        # a HIFO standing order recorded before 2025-04-07 -> lot B -> ST loss (25,620)
        ("hifo_before_7_1.toml", ("I", "I", "2025-01-20", "2025-04-07", "74480.00", "100100.00", "-25620.00")),
        # the same order recorded after the sale never rewrites it (§5.3 rule 1) -> FIFO
        ("hifo_after_7_1.toml", ("II", "L", "2023-03-15", "2025-04-07", "74480.00", "25025.00", "49455.00")),
    ],
)
def test_7_1_partial_liquidation_fifo_vs_hifo_standing_order(tmp_path: Path, profile: str, expected: tuple[str, ...]) -> None:
    forms = forms_json(tmp_path, "liquidation_7_1_partial.csv", profile, 2025)
    assert [row_cells(r) for r in forms["form_8949"]] == [expected]


# ---- §7.2 short sale ---------------------------------------------------------------------------


def test_7_2_short_sale_usd_venue(tmp_path: Path) -> None:
    forms = forms_json(tmp_path, "short_7_2_usd.csv", "utc.toml", 2025)
    [row] = forms["form_8949"]
    # §7.2: Part I box I, (b) = (c) = 05/12/2025, (d) 22,000 - 22 = 21,978,
    # (e) 26,000 + 26 = 26,026 (cash purchase: fee in basis), (h) (4,048) short-term
    assert row_cells(row) == ("I", "I", "2025-05-12", "2025-05-12", "21978.00", "26026.00", "-4048.00")
    assert row["short_sale"] is True and "short sale" in row["description"]
    assert row["quantity"] == "10" and row["asset"] == "ETH"
    assert forms["form_4952"]["line_1"] == "52.00"  # §7.2: borrow interest 52, §163(d)(3)(C)
    sd = forms["schedule_d"]
    assert (sd["line_7"], sd["line_16"]) == ("-4048.00", "-4048.00")
    assert sd["line_21"] == "-3000.00"  # §2.3: loss limit 3,000 (single)
    # §2.3 worksheet: L2 3,000, L4 3,000 (income assumed not negative), L8 = 4,048 - 3,000
    assert forms["carryforward"]["short_term_loss"] == "1048.00"
    assert forms["carryforward"]["investment_interest"] == "52.00"  # §3.4: L7 = 52 - L6 0


def test_7_2_short_sale_usdt_venue(tmp_path: Path) -> None:
    forms = forms_json(tmp_path, "short_7_2_usdt.csv", "utc.toml", 2025)
    rows = forms["form_8949"]
    [short] = [r for r in rows if r["short_sale"]]
    # §7.2 variant: short row (d) 21,978 (e) 26,000 (ETH basis = FMV, no fee added) (h) (4,022)
    assert row_cells(short) == ("I", "I", "2025-05-12", "2025-05-12", "21978.00", "26000.00", "-4022.00")
    usdt = [r for r in rows if r["asset"] == "USDT" and r["date_sold"] == "2025-05-12"]
    # §7.2 variant: USDT given up (d) 26,000 (FMV of the ETH received) (e) 26,026 (h) (26)
    assert (total(usdt, "proceeds"), total(usdt, "cost_basis"), total(usdt, "gain")) == (
        Decimal("26000.00"), Decimal("26026.00"), Decimal("-26.00"))
    others = [r for r in rows if r is not short and r not in usdt]
    assert total(others, "gain") == 0  # any other USDT disposal is at par: gain 0 (§4.9)
    assert forms["schedule_d"]["line_16"] == "-4048.00"  # §7.2: total loss unchanged at (4,048)
    assert forms["schedule_d"]["line_21"] == "-3000.00"  # §2.3


# ---- §7.3 interest paid in crypto ----------------------------------------------------------------


def test_7_3_margin_interest_paid_in_crypto(tmp_path: Path) -> None:
    forms = forms_json(tmp_path, "interest_7_3.csv", "utc.toml", 2025, prices="prices_7_3.csv")
    [row] = forms["form_8949"]
    # §7.3: (b) 11/01/2024, (c) 08/15/2025, (d) 0.001 x 118,000 = 118.00,
    # (e) 0.001 x 70,070 = 70.07, (h) 47.93 short-term, box I
    assert row_cells(row) == ("I", "I", "2024-11-01", "2025-08-15", "118.00", "70.07", "47.93")
    assert row["quantity"] == "0.001" and row["asset"] == "BTC" and "interest" in row["description"]
    assert forms["form_4952"]["line_1"] == "118.00"  # §7.3: Form 4952 line 1 += 118.00


# ---- §7.4 and §7.5 Form 4952 ----------------------------------------------------------------------


def test_7_4_interest_exceeds_net_investment_income(tmp_path: Path) -> None:
    forms = forms_json(tmp_path, "form4952_7_4.csv", "nii_7_4.toml", 2025)
    assert forms["schedule_d"]["line_7"] == "1800.00"  # §7.4: net short-term gain 1,800
    assert forms["form_4952"] == {
        "line_1": "4000.00",  # §7.4 L1 margin interest paid
        "line_2": "0.00",  # no carryforward
        "line_3": "4000.00",  # L3 = L1 + L2
        "line_4a": "1200.00",  # bank / lending interest
        "line_4b": "0.00",
        "line_4c": "1200.00",
        "line_4d": "1800.00",  # net short-term gain
        "line_4e": "0.00",  # net capital gain 0
        "line_4f": "1800.00",
        "line_4g": "0.00",
        "line_4h": "3000.00",
        "line_5": "0.00",
        "line_6": "3000.00",
        "line_7": "1000.00",  # §7.4: 1,000 carried to 2026
        "line_8": "3000.00",  # §7.4: 3,000 to Schedule A line 9
    }
    assert forms["carryforward"]["investment_interest"] == "1000.00"  # §3.4: L7 -> next year's L2


@pytest.mark.parametrize(
    ("profile", "line_4g", "line_4h", "line_8", "line_7"),
    [
        # §7.5 "No election": L4g 0, L4h = L6 500, L8 500, L7 9,500
        ("no_election_7_5.toml", "0.00", "500.00", "500.00", "9500.00"),
        # §7.5 "Elect 4g = 9,500": L4h = L6 10,000, L8 10,000, L7 0
        ("election_7_5.toml", "9500.00", "10000.00", "10000.00", "0.00"),
    ],
)
def test_7_5_the_4g_election_both_columns(
    tmp_path: Path, profile: str, line_4g: str, line_4h: str, line_8: str, line_7: str
) -> None:
    forms = forms_json(tmp_path, "election_7_5.csv", profile, 2025)
    f = forms["form_4952"]
    assert (f["line_1"], f["line_4a"], f["line_4c"]) == ("10000.00", "500.00", "500.00")  # §7.5 L4a/L4c 500
    assert (f["line_4d"], f["line_4e"], f["line_4f"]) == ("20000.00", "20000.00", "0.00")  # §7.5 20,000/20,000/0
    assert (f["line_4g"], f["line_4h"], f["line_6"], f["line_8"], f["line_7"]) == (line_4g, line_4h, line_4h, line_8, line_7)
    assert forms["schedule_d"]["line_15"] == "20000.00"  # §7.5: LT crypto gain 20,000


# ---- a short open over the year end, a perpetual with funding -----------------------------------


def test_short_open_over_year_end(tmp_path: Path) -> None:
    forms_2025 = forms_json(tmp_path, "short_over_year_end.csv", "utc.toml", 2025)
    # §4.3: nothing is realized until delivery; the open short is listed, not reported
    assert forms_2025["form_8949"] == []
    [short] = [p for p in forms_2025["open_positions"] if p["kind"] == "short"]
    assert (short["asset"], short["quantity"], short["usd"]) == ("ETH", "1", "2997.00")  # 3,000 - 3 fee
    assert any(p["kind"] == "liability" and p["asset"] == "ETH" for p in forms_2025["open_positions"])
    forms_2026 = forms_json(tmp_path, "short_over_year_end.csv", "utc.toml", 2026)
    [row] = forms_2026["form_8949"]
    # §4.3: reported in the year it closes; (b) = (c) = the cover date; (d) 2,997, (e) 2,500 + 2.50
    assert row_cells(row) == ("I", "I", "2026-01-10", "2026-01-10", "2997.00", "2502.50", "494.50")
    assert row["short_sale"] is True


def test_perpetual_realized_pnl_and_funding(tmp_path: Path) -> None:
    forms = forms_json(tmp_path, "perpetual.csv", "utc.toml", 2025)
    rows = forms["form_8949"]
    gain_rows = [r for r in rows if r["sources"][0] == "perpetual.csv:3"]
    loss_rows = [r for r in rows if r["sources"][0] == "perpetual.csv:6"]
    # §4.7 (1) and §1.3 "sales price or basis isn't known": a gain in (d) and (h), opened
    # 2025-03-01, closed 2025-03-05, short-term, box I
    assert ("I", "I", "2025-03-01", "2025-03-05", "500.00", "0.00", "500.00") in [row_cells(r) for r in gain_rows]
    # a loss in (e) and (h)
    assert ("I", "I", "2025-04-01", "2025-04-10", "0.00", "200.00", "-200.00") in [row_cells(r) for r in loss_rows]
    # §4.7 (5): paying the loss in USDT disposes of USDT at par (gain 0); the row's total is the loss
    assert total(loss_rows, "gain") == Decimal("-200.00")
    assert forms["schedule_d"]["line_7"] == "300.00"  # 500 - 200; USDT at par adds nothing (§4.9)
    assert forms["income"]["ordinary"] == "10.00"  # §4.7 (2): funding received is ordinary income
    assert forms["funding_paid_nondeductible"] == "5.00"  # §4.7 (3): funding paid not deducted
    assert forms["form_4952"]["line_1"] == "0.00"  # funding paid is not investment interest


# ---- issue 2: holding period, time zone, loss limit, rounding -------------------------------------


@pytest.mark.parametrize(
    ("account", "sold", "part"),
    [
        ("anniversary", "2025-01-15", "I"),  # §6.1: exactly one year (366 days) is not "more than"
        ("anniversary", "2025-01-16", "II"),  # §6.1: acq 2024-01-15 -> LT from 2025-01-16
        ("leap", "2025-02-28", "I"),  # §6.1: acq 2024-02-29 -> one_year_end 2025-02-28
        ("leap", "2025-03-01", "II"),  # §6.1: LT from 2025-03-01
        ("month-end", "2025-11-30", "I"),  # §6.1 [CASPE]: bought on the last day of November
        ("month-end", "2025-12-01", "II"),
    ],
)
def test_6_1_holding_period(tmp_path: Path, account: str, sold: str, part: str) -> None:
    forms = forms_json(tmp_path, "holding_6_1.csv", "utc.toml", 2025)
    [row] = [r for r in forms["form_8949"] if r["account"] == account and r["date_sold"] == sold]
    assert row["part"] == part
    assert row["box"] == ("I" if part == "I" else "L")  # §1.2: no 1099-DA
    # half a unit bought for 100 and sold for 60: (e) 50, (h) 10
    assert (row["proceeds"], row["cost_basis"], row["gain"]) == ("60.00", "50.00", "10.00")


@pytest.mark.parametrize(
    ("profile", "part"),
    [
        ("utc.toml", "I"),  # §6.1 / U7: acq 2023-02-28 (month end) -> one_year_end 2024-02-29: ST
        ("naive_month_end.toml", "II"),  # U7 option "naive": same month and day -> LT
    ],
)
def test_6_1_month_end_into_a_leap_day(tmp_path: Path, profile: str, part: str) -> None:
    forms = forms_json(tmp_path, "holding_6_1.csv", profile, 2024)
    [row] = [r for r in forms["form_8949"] if r["account"] == "feb-2023"]
    assert row["date_acquired"] == "2023-02-28" and row["date_sold"] == "2024-02-29"
    assert row["part"] == part


def test_6_3_time_zone_moves_a_sale_across_the_year(tmp_path: Path) -> None:
    new_york = forms_json(tmp_path, "timezone_6_3.csv", "new_york.toml", 2025)
    [row] = new_york["form_8949"]
    # §6.3: 2026-01-01 03:00 UTC is 2025-12-31 22:00 in New York: a 2025 sale
    assert row_cells(row) == ("I", "I", "2025-06-01", "2025-12-31", "60000.00", "50000.00", "10000.00")
    codes = {(d["code"], d["source"]) for d in new_york["diagnostics"]}
    assert ("year-boundary", "timezone_6_3.csv:4") in codes  # §6.3 warning (1)
    utc_2025 = forms_json(tmp_path, "timezone_6_3.csv", "utc.toml", 2025)
    assert utc_2025["form_8949"] == []  # in UTC the sale is in 2026
    utc_2026 = forms_json(tmp_path, "timezone_6_3.csv", "utc.toml", 2026)
    assert [r["date_sold"] for r in utc_2026["form_8949"]] == ["2026-01-01"]


@pytest.mark.parametrize(
    ("scenario", "profile", "lines", "carry"),
    [
        # §2.3: 10,000 ST loss, single: line 21 = -3,000; worksheet L2 3,000, L4 3,000, L8 7,000
        ("loss_2_3.csv", "utc.toml",
         {"line_7": "-10000.00", "line_16": "-10000.00", "line_21": "-3000.00"}, ("7000.00", "0.00")),
        # §2.3: MFS limit 1,500 -> L2 1,500, L8 = 10,000 - 1,500 = 8,500
        ("loss_2_3.csv", "mfs.toml",
         {"line_16": "-10000.00", "line_21": "-1500.00", "loss_limit": "1500.00"}, ("8500.00", "0.00")),
        # §2.3: taxable income -2,000: L3 = max(0, -2,000 + 3,000) = 1,000, L4 1,000, L8 9,000
        ("loss_2_3.csv", "negative_income.toml", {"line_21": "-3000.00"}, ("9000.00", "0.00")),
        # §2.3: ST carryover 8,000 in (line 6), LT gain 4,000: L16 -4,000, L21 -3,000;
        # L5 8,000, L6 4,000, L7 = 3,000 + 4,000, L8 1,000
        ("gain_2_3.csv", "carry_st.toml",
         {"line_6": "-8000.00", "line_7": "-8000.00", "line_15": "4000.00", "line_16": "-4000.00",
          "line_21": "-3000.00"}, ("1000.00", "0.00")),
        # §2.3: LT carryover 5,000 in (line 14), nothing sold: L21 -3,000; L9 5,000,
        # L11 = L4 3,000 - L5 0, L13 = 5,000 - 3,000 = 2,000
        ("cash_only.csv", "carry_lt.toml",
         {"line_14": "-5000.00", "line_15": "-5000.00", "line_16": "-5000.00", "line_21": "-3000.00"},
         ("0.00", "2000.00")),
    ],
)
def test_2_3_loss_limit_and_carryover(
    tmp_path: Path, scenario: str, profile: str, lines: dict[str, str], carry: tuple[str, str]
) -> None:
    forms = forms_json(tmp_path, scenario, profile, 2025)
    sd = forms["schedule_d"]
    assert {name: sd[name] for name in lines} == lines
    assert (forms["carryforward"]["short_term_loss"], forms["carryforward"]["long_term_loss"]) == carry


@pytest.mark.parametrize(
    ("profile", "rows", "line_3", "line_7"),
    [
        # exact cents: 1,001.50 + 12.40 = 1,013.90; 1.49 + 10.50 = 11.99; 1,000.01 + 1.90
        ("utc.toml",
         [("1001.50", "1.49", "1000.01"), ("12.40", "10.50", "1.90")],
         ("1013.90", "11.99", "1001.91"), "1001.91"),
        # §1.7: $1.49 -> 1, $1.50 -> 2; (h) recomputed from the rounded (d) and (e):
        # ADA 1,002 - 1 = 1,001 (not round(1,000.01) = 1,000); DOT 12 - 11 = 1;
        # Schedule D line 3 = sums of the rounded rows
        ("whole_dollars.toml",
         [("1002.00", "1.00", "1001.00"), ("12.00", "11.00", "1.00")],
         ("1014.00", "12.00", "1002.00"), "1002.00"),
    ],
)
def test_1_7_rounding(
    tmp_path: Path, profile: str, rows: list[tuple[str, str, str]], line_3: tuple[str, str, str], line_7: str
) -> None:
    forms = forms_json(tmp_path, "rounding_1_7.csv", profile, 2025)
    got = [(r["proceeds"], r["cost_basis"], r["gain"]) for r in sorted(forms["form_8949"], key=lambda r: r["asset"])]
    assert got == rows
    l3 = forms["schedule_d"]["line_3"]
    assert (l3["proceeds"], l3["cost_basis"], l3["gain"]) == line_3
    assert forms["schedule_d"]["line_7"] == line_7
