"""TXF v042 and the TurboTax Online / TaxAct CSVs, checked against the documented layouts
cited in ``reports/txf.py`` and ``reports/txf_csv.py``."""

from __future__ import annotations

import csv
import dataclasses
import re
from pathlib import Path

import pytest

from taxmargin.reports import txf
from taxmargin.reports.forms import Form8949, TaxForms
from taxmargin.reports.txf_csv import TAXACT_COLUMNS, TURBOTAX_COLUMNS

from forms_factory import D, make_forms

_AMOUNT = re.compile(r"^\$-?\d+\.\d{2}$")
_DATE = re.compile(r"^D(\d{2}/\d{2}/\d{4}|VARIOUS)$")


def _records(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    raw.decode("ascii")  # TXF files are ASCII
    text = raw.decode("ascii")
    assert "\n" not in text.replace("\r\n", "")  # every line ends CR LF
    lines = text.split("\r\n")
    assert lines[-1] == ""
    records: list[list[str]] = []
    current: list[str] = []
    for line in lines[:-1]:
        if line == "^":
            records.append(current)
            current = []
        else:
            current.append(line)
    assert current == []  # the file ends with a terminator
    return records


def _write(forms: TaxForms, tmp_path: Path) -> dict[str, Path]:
    return {p.name: p for p in txf.write(forms, tmp_path)}


def test_files(tmp_path: Path) -> None:
    assert sorted(_write(make_forms(), tmp_path)) == sorted(
        ["taxmargin-2025.txf", "turbotax-online-2025.csv", "taxact-2025.csv"])


def test_header_and_one_record_per_row(tmp_path: Path) -> None:
    records = _records(_write(make_forms(), tmp_path)["taxmargin-2025.txf"])
    # header: version, program, export date (the forms' generation date)
    assert records[0] == ["V042", "Ataxmargin", "D02/01/2026"]
    details = records[1:]
    assert len(details) == 28  # 3 box-H + 23 box-I + 2 box-L rows; never a summary row
    for rec in details:
        assert rec[0] == "TD" and rec[2:4] == ["C1", "L1"]
        assert rec[4].startswith("P")
        assert _DATE.match(rec[5]) and _DATE.match(rec[6])
        assert _AMOUNT.match(rec[7]) and _AMOUNT.match(rec[8])
        assert len(rec) == 9


def test_record_fields_in_spec_order(tmp_path: Path) -> None:
    details = _records(_write(make_forms(), tmp_path)["taxmargin-2025.txf"])[1:]
    # box L (long-term, not on a 1099) -> 714; cost basis before sales net (format 4)
    assert details[-2] == ["TD", "N714", "C1", "L1", "P1.00000000 ETH (binance)",
                           "D05/01/2023", "D06/02/2025", "$1000.00", "$1234.56"]
    # box I row 23: several acquisition dates -> VARIOUS [I8949 col (b)]; box C ref 712
    assert details[25] == ["TD", "N712", "C1", "L1", "P0.05000000 ETH (kraken txid T023)",
                           "DVARIOUS", "D03/14/2025", "$80.00", "$50.00"]
    assert details[0][1] == "N711"  # box H (1099-DA, basis not reported) -> box B's 711


@pytest.mark.parametrize(("box", "ref"), [
    # spec table [form-1099-b.html]: A 321, B 711, C 712, D 323, E 713, F 714
    ("A", "321"), ("B", "711"), ("C", "712"), ("D", "323"), ("E", "713"), ("F", "714"),
    # 1099-DA boxes -> the 1099-B box with the same basis reporting (tax-rules.md §1.2)
    ("G", "321"), ("H", "711"), ("I", "712"), ("J", "323"), ("K", "713"), ("L", "714"),
])
def test_reference_number_per_box(tmp_path: Path, box: str, ref: str) -> None:
    f = make_forms()
    part = "I" if box in "ABCGHI" else "II"
    row = dataclasses.replace(f.form_8949.rows[0], box=box, part=part)
    forms = dataclasses.replace(f, form_8949=Form8949(rows=(row,), pages=(), statement=()))
    (_header, record) = _records(_write(forms, tmp_path)["taxmargin-2025.txf"])
    assert record[1] == f"N{ref}"


def test_wash_sale_uses_record_format_5(tmp_path: Path) -> None:
    f = make_forms()
    row = dataclasses.replace(f.form_8949.rows[0], code="W", adjustment=D("12.50"))
    forms = dataclasses.replace(f, form_8949=Form8949(rows=(row,), pages=(), statement=()))
    (_header, record) = _records(_write(forms, tmp_path)["taxmargin-2025.txf"])
    assert record[7:] == ["$5.00", "$10.00", "$12.50"]


def test_hostile_description_cannot_forge_a_record(tmp_path: Path) -> None:
    f = make_forms()
    row = dataclasses.replace(f.form_8949.rows[0], description="BTC\r\n^\r\nTD\nN321 ünï")
    forms = dataclasses.replace(f, form_8949=Form8949(rows=(row,), pages=(), statement=()))
    (_header, record) = _records(_write(forms, tmp_path)["taxmargin-2025.txf"])
    assert record[4] == "PBTC??^??TD?N321 ?n?"  # one line: the ^ is not alone


def _csv(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def test_turbotax_online_csv(tmp_path: Path) -> None:
    rows = _csv(_write(make_forms(inject=True), tmp_path)["turbotax-online-2025.csv"])
    assert rows[0] == list(TURBOTAX_COLUMNS) == [
        "Currency Name", "Purchase Date", "Cost Basis", "Date Sold", "Proceeds"]
    assert len(rows) == 1 + 28
    assert rows[1] == ["SOL", "01/05/2025", "5.00", "04/01/2025", "10.00"]
    assert rows[26] == ["ETH", "VARIOUS", "80.00", "03/14/2025", "50.00"]
    assert rows[27][0] == "'-2"  # the injected asset stays text in a spreadsheet
    assert all(not r[2].startswith("-") and not r[4].startswith("-") for r in rows[1:])


def test_taxact_csv(tmp_path: Path) -> None:
    rows = _csv(_write(make_forms(inject=True), tmp_path)["taxact-2025.csv"])
    assert rows[0] == list(TAXACT_COLUMNS)
    assert rows[26] == ["0.05000000 ETH (kraken txid T023)", "Various", "03/14/2025", "50.00",
                        "80.00", "", "", "I", "Short"]
    assert rows[27][0] == "'" + '=HYPERLINK("http://x")'
    assert rows[27][7:] == ["L", "Long"]
