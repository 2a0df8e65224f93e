"""The audit workbook read back with openpyxl (issue 5 output 5).

Numbers are the hand-worked ones of ``tests/forms_factory.py``.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from taxmargin.reports import xlsx
from taxmargin.reports.xlsx_sheets import MONEY_FORMAT

from forms_factory import INJECTED, make_forms

SHEETS = ["Summary", "8949 Box H", "8949 Box I", "8949 Box L", "Schedule D", "Form 4952",
          "Lots", "Liquidations", "Short sales", "Interest", "Income", "Open positions",
          "Diagnostics", "Options"]
#: every formula taxmargin writes starts like one of these (never with input text)
OUR_FORMULAS = re.compile(r"^=(SUM\(|SUMIF\(|'8949 Box [A-L]|[CF]\d|IF\(|MAX\(|MIN\(|0$)")


def _exact(value: Any) -> Decimal:
    """A number read back, compared exactly (openpyxl reads numbers as int/float)."""
    return Decimal(str(value))


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Any:
    out = tmp_path_factory.mktemp("xlsx")
    (path,) = xlsx.write(make_forms(inject=True), out)
    assert path.name == "taxmargin-2025.xlsx"
    assert [p.name for p in out.iterdir()] == ["taxmargin-2025.xlsx"]  # no temp file left
    return load_workbook(path)


def test_sheets(book: Any) -> None:
    assert book.sheetnames == SHEETS


def test_header_frozen_and_filtered(book: Any) -> None:
    for ws in book.worksheets:
        assert ws.freeze_panes == "A2", ws.title
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:"), ws.title


def test_box_total_is_a_sum_over_its_rows(book: Any) -> None:
    ws = book["8949 Box I"]
    # 23 data rows on rows 2..24, totals on row 25; the filter stops before the totals
    assert ws.auto_filter.ref == "A1:R24"
    assert ws["A25"].value.startswith("Totals, box I")
    for col in "DEGH":
        assert ws[f"{col}25"].value == f"=SUM({col}2:{col}24)"
        assert ws[f"{col}25"].data_type == "f"
    # what the formulas recompute: (d) 22 x 100 + 50; (e) 22 x 90 + 80; (h) 22 x 10 - 30
    sums = {col: sum(_exact(ws[f"{col}{r}"].value) for r in range(2, 25)) for col in "DEH"}
    assert sums == {"D": Decimal(2250), "E": Decimal(2060), "H": Decimal(190)}


def test_amounts_are_exact_numbers_with_currency_format(book: Any) -> None:
    ws = book["8949 Box L"]
    assert ws["D1"].value == "(d) Proceeds"
    assert _exact(ws["D2"].value) == Decimal("1234.56")
    assert _exact(ws["H2"].value) == Decimal("234.56")
    assert _exact(ws["H3"].value) == Decimal(-200)
    assert ws["D2"].number_format == MONEY_FORMAT
    sd = book["Schedule D"]
    line_10 = next(r for r in sd.iter_rows(min_row=2) if r[0].value == "10")
    assert [_exact(c.value) for c in line_10[2:6]] == \
        [Decimal("1734.56"), Decimal(1700), Decimal(0), Decimal("34.56")]


def test_dates_are_dates_and_various_is_text(book: Any) -> None:
    ws = book["8949 Box I"]
    assert ws["B2"].value == datetime(2025, 1, 2)
    assert ws["B2"].number_format == "mm/dd/yyyy"
    assert ws["B24"].value == "VARIOUS"  # row 23: several acquisition dates (§1.3 (b))


@pytest.mark.parametrize(("sheet", "cell", "field"), [
    ("8949 Box L", "A2", "description"), ("8949 Box L", "K2", "account"),
    ("8949 Box L", "L2", "asset"), ("Lots", None, "source"),
])
def test_injected_text_stays_text(book: Any, sheet: str, cell: str | None, field: str) -> None:
    hostile = INJECTED[field]
    if cell is None:  # Lots: find the row whose disposal source is the hostile one
        ws = book[sheet]
        (target,) = [r[17] for r in ws.iter_rows(min_row=2) if r[17].value == "'" + hostile]
    else:
        target = book[sheet][cell]
    assert target.data_type == "s"
    assert target.value == "'" + hostile


def test_no_formula_from_input_text(book: Any) -> None:
    formulas = [c.value for ws in book.worksheets for row in ws.iter_rows() for c in row
                if c.data_type == "f"]
    assert formulas and all(OUR_FORMULAS.match(f) for f in formulas), formulas
    diag = book["Diagnostics"]
    assert diag["C2"].value.startswith("'=1+2") and diag["C2"].data_type == "s"


def test_taxpayer_name_is_text(tmp_path: Path) -> None:
    (path,) = xlsx.write(make_forms(taxpayer_name="=cmd|' /C calc'!A0"), tmp_path)
    ws = load_workbook(path)["Summary"]
    assert ws["A3"].value == "Taxpayer"
    assert ws["B3"].data_type == "s" and ws["B3"].value == "'=cmd|' /C calc'!A0"


def test_schedule_d_recomputes_from_box_sheets(book: Any) -> None:
    sd = book["Schedule D"]
    rows = {r[0].value: r for r in sd.iter_rows(min_row=2)}
    assert [c.value for c in rows["3"][6:10]] == [
        "='8949 Box I'!D25", "='8949 Box I'!E25", "='8949 Box I'!G25", "='8949 Box I'!H25"]
    assert rows["1b"][9].value == "=0"  # no box A or G sheet
    # §2.1 line 7 = 1b + 2 + 3 + 6 in column (h); §2.2 line 16 = 7 + 15
    r = {k: v[0].row for k, v in rows.items()}
    assert rows["7"][9].value == f"=F{r['1b']}+F{r['2']}+F{r['3']}+F{r['6']}"
    assert rows["16"][9].value == f"=F{r['7']}+F{r['15']}"
    assert rows["21"][9].value == f"=IF(F{r['16']}<0,MAX(F{r['16']},-3000.00),0)"


def test_form_4952_sheet(book: Any) -> None:
    ws = book["Form 4952"]
    rows = {r[0].value: r for r in ws.iter_rows(min_row=2)}
    assert _exact(rows["7"][2].value) == Decimal(1675)
    assert rows["3"][3].value == f"=C{rows['1'][0].row}+C{rows['2'][0].row}"
    assert rows["8"][3].value == f"=MIN(C{rows['3'][0].row},C{rows['6'][0].row})"
    assert rows["required"][2].value is True


def test_lots_sheet_sources(book: Any) -> None:
    ws = book["Lots"]
    head = [c.value for c in ws[1]]
    assert head[17:] == ["Disposal source (FILE:LINE)", "Acquisition sources (FILE:LINE)"]
    row = next(r for r in ws.iter_rows(min_row=2) if r[17].value == "kraken_ledgers.csv:57")
    assert row[18].value == "kraken_ledgers.csv:4; kraken_ledgers.csv:5"
    assert ws.max_row == 1 + 28 + 1  # header, every 8949 row, totals


def test_interest_split_by_kind(book: Any) -> None:
    ws = book["Interest"]
    assert ws["F5"].value == "=SUM(F2:F4)" and ws["G5"].value == "=SUM(G2:G4)"
    # Form 4952 line 1 detail: 1,000.00 + 500.00; funding paid 12.34 kept apart
    assert sum(_exact(ws[f"F{r}"].value or 0) for r in range(2, 5)) == Decimal(1500)
    assert _exact(ws["G4"].value) == Decimal("12.34")


def test_liquidations_totals_count_liquidation_rows_only(book: Any) -> None:
    ws = book["Liquidations"]
    last = ws.max_row
    assert ws[f"H{last}"].value == '=SUMIF(B2:B5,"liquidation",H2:H5)'


def test_sheets_split_at_the_row_limit(tmp_path: Path) -> None:
    target = xlsx.write_workbook(make_forms(), tmp_path / "t.xlsx", max_rows=10)
    book = load_workbook(target)
    names = [n for n in book.sheetnames if n.startswith("8949 Box I")]
    assert names == ["8949 Box I", "8949 Box I (2)", "8949 Box I (3)"]
    third = book["8949 Box I (3)"]
    assert [book[n].max_row for n in names] == [11, 11, 5]  # 10 + 10 + 3 rows, + totals
    assert third["D5"].value == "=SUM('8949 Box I'!D2:D11,'8949 Box I (2)'!D2:D11,D2:D4)"
    assert all(book[n].freeze_panes == "A2" for n in names)
    assert book["8949 Box I (2)"]["A1"].value == "(a) Description of property"
    sd = {r[0].value: r for r in book["Schedule D"].iter_rows(min_row=2)}
    assert sd["3"][6].value == "='8949 Box I (3)'!D5"


def test_full_last_sheet_puts_totals_on_a_new_sheet(tmp_path: Path) -> None:
    # 23 box-I rows exactly fill a 23-row sheet: the totals row goes to "(2)"
    book = load_workbook(xlsx.write_workbook(make_forms(), tmp_path / "t.xlsx", max_rows=23))
    second = book["8949 Box I (2)"]
    assert second.max_row == 2 and book["8949 Box I"].max_row == 24
    assert second["H2"].value == "=SUM('8949 Box I'!H2:H24)"
    sd = {r[0].value: r for r in book["Schedule D"].iter_rows(min_row=2)}
    assert sd["3"][9].value == "='8949 Box I (2)'!H2"
