"""The real engine through the rules and the forms: the worked examples of tax-rules.md §7
from the engine's scenario files (tests/scenarios) down to forms.json values."""

from __future__ import annotations

from typing import Any

import pytest
from engine_scenarios import load
from taxmargin.reports.build import build_forms
from taxmargin.reports.jsonout import forms_to_dict

from taxmargin.engine import book
from taxmargin.profile import Profile, parse_profile
from taxmargin.rules.us import tax_year


def report(name: str, profile: Profile | None = None, year: int = 2025) -> Any:
    prof = profile or Profile()
    return forms_to_dict(build_forms(tax_year(book(load(name)), prof, year), prof))


def cols(row: dict[str, Any]) -> tuple[str, ...]:
    keys = ("part", "box", "date_acquired", "date_sold", "proceeds", "cost_basis", "gain")
    return tuple(row[k] for k in keys)


def test_section_7_1() -> None:
    doc = report("liquidation_7_1")
    # §7.1 table: lot B Part I box I (h) (25,620); lot A Part II box L (d) 74,480 (e) 25,025 (h) 49,455
    assert [cols(r) for r in doc["form_8949"]] == [
        ("I", "I", "2025-01-20", "2025-04-07", "74480.00", "100100.00", "-25620.00"),
        ("II", "L", "2023-03-15", "2025-04-07", "74480.00", "25025.00", "49455.00"),
    ]
    sd = doc["schedule_d"]
    # line 7 (25,620); line 15 49,455; line 16 23,835; both gains
    assert (sd["line_7"], sd["line_15"], sd["line_16"], sd["line_21"], sd["line_17_both_gains"]) == (
        "-25620.00", "49455.00", "23835.00", "0.00", True)
    assert doc["form_4952"]["line_1"] == "1000.00"  # interest paid from the proceeds on 04/07/2025
    assert doc["review"]["liquidations"][0]["gain"] == "23835.00"


def test_section_7_2_usd_venue() -> None:
    doc = report("short_7_2")
    (row,) = doc["form_8949"]
    # §7.2: Part I box I, (b) = (c) = 2025-05-12, (d) 21,978 (e) 26,026 (h) (4,048)
    assert cols(row) == ("I", "I", "2025-05-12", "2025-05-12", "21978.00", "26026.00", "-4048.00")
    assert row["short_sale"] is True and row["description"] == "10.00000000 ETH (short sale closed)"
    assert doc["schedule_d"]["line_21"] == "-3000.00"  # (4,048) limited to (3,000)
    assert doc["carryforward"]["short_term_loss"] == "1048.00"  # 4,048 - 3,000 (worksheet W8)


def test_section_7_2_usdt_variant_total_is_unchanged() -> None:
    doc = report("short_7_2_usdt")
    # §7.2 variant: USDT row (h) (26) and short row (d) 21,978 (e) 26,000 (h) (4,022); total (4,048)
    gains = sorted(r["gain"] for r in doc["form_8949"])
    assert gains == ["-26.00", "-4022.00"]
    assert doc["schedule_d"]["line_7"] == "-4048.00"


@pytest.mark.parametrize(("zone", "year", "rows"), [("UTC", 2025, 2), ("Asia/Tokyo", 2025, 2), ("UTC", 2026, 0)])
def test_year_selection(zone: str, year: int, rows: int) -> None:
    doc = report("liquidation_7_1", parse_profile({"timezone": zone}), year)
    assert len(doc["form_8949"]) == rows
