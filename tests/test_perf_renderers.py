"""Issue 6 (performance), the row renderers: the column-free JSON lines and CSV cells and
the TXF / TurboTax / TaxAct writers with their date memo give exactly what the code they
replaced gave (restated here as ``_old_*``, as it stood before the change), on random rows.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import replace
from datetime import UTC, date, datetime
from json.encoder import encode_basestring
from pathlib import Path

from forms_factory import make_forms
from forms_strategies import SETTINGS, decimals
from hypothesis import given
from hypothesis import strategies as st
from taxmargin.reports import csvout, jsonout, txf, txf_csv
from taxmargin.reports.forms import Form8949Row, TaxForms

from taxmargin.money import fmt_money, fmt_quantity


def _old_row_json(row: Form8949Row) -> str:
    enc = encode_basestring
    money = fmt_money
    acquired = "VARIOUS" if row.date_acquired is None else row.date_acquired.isoformat()
    sold = "" if row.date_sold is None else row.date_sold.isoformat()
    flag = ("false", "true")
    return (
        f'{{"part": {enc(row.part)}, "box": {enc(row.box)}, "description": {enc(row.description)}, '
        f'"date_acquired": {enc(acquired)}, "date_sold": {enc(sold)}, "proceeds": "{money(row.proceeds)}", '
        f'"cost_basis": "{money(row.cost_basis)}", "code": {enc(row.code)}, '
        f'"adjustment": "{money(row.adjustment)}", "gain": "{money(row.gain)}", '
        f'"account": {enc(row.account)}, "asset": {enc(row.asset)}, "quantity": "{fmt_quantity(row.quantity)}", '
        f'"short_sale": {flag[row.short_sale]}, "liquidation": {flag[row.liquidation]}, '
        f'"sources": [{", ".join(map(enc, row.sources))}], "term": {enc(row.term)}, "purpose": {enc(row.purpose)}}}'
    )


def _old_txf_records(forms: TaxForms) -> list[list[str]]:
    def day(value: date | None, missing: str) -> str:
        return "D" + (missing if value is None else value.strftime("%m/%d/%Y"))

    def ascii_line(text: str) -> str:
        return re.sub(r"[^\x20-\x7e]", "?", text).strip()

    out = [["V042", "Ataxmargin", day(forms.generated.date() if forms.generated else date.today(), "")]]
    for row in forms.form_8949.rows:
        fields = ["TD", f"N{txf.REFERENCE_NUMBERS[row.box]}", "C1", "L1", "P" + ascii_line(row.description),
                  day(row.date_acquired, "VARIOUS"), day(row.date_sold, ""), f"${row.cost_basis:.2f}",
                  f"${row.proceeds:.2f}"]
        if "W" in row.code:
            fields.append(f"${row.adjustment:.2f}")
        out.append(fields)
    return out


def _old_software_rows(forms: TaxForms) -> tuple[list[list[str]], list[list[str]]]:
    def day(value: date | None, missing: str) -> str:
        return missing if value is None else value.strftime("%m/%d/%Y")

    safe = txf_csv.safe_text
    turbotax = [[safe(r.asset or r.description), day(r.date_acquired, "VARIOUS"), f"{r.cost_basis:.2f}",
                 day(r.date_sold, ""), f"{r.proceeds:.2f}"] for r in forms.form_8949.rows]
    taxact = [[safe(r.description), day(r.date_acquired, "Various"), day(r.date_sold, ""), f"{r.proceeds:.2f}",
               f"{r.cost_basis:.2f}", safe(r.code),
               f"{r.adjustment:.2f}" if r.code or r.adjustment else "", r.box,
               "Short" if r.term == "short" else "Long"] for r in forms.form_8949.rows]
    return turbotax, taxact


@st.composite
def form_rows(draw: st.DrawFn) -> Form8949Row:
    day = st.none() | st.dates(min_value=date(1999, 1, 1), max_value=date(2030, 12, 31))
    text = st.text(max_size=6) | st.sampled_from(["=cmd", "+1", "-2", "@x", "ÉTH", 'a"b\\c', "W", "M"])
    return Form8949Row(
        part=draw(st.sampled_from(["I", "II"])), box=draw(st.sampled_from(list(txf.REFERENCE_NUMBERS))),
        description=draw(text), date_acquired=draw(day), date_sold=draw(day), proceeds=draw(decimals),
        cost_basis=draw(decimals), code=draw(st.sampled_from(["", "M", "W", "BW"])), adjustment=draw(decimals),
        gain=draw(decimals), account=draw(text), asset=draw(text), quantity=draw(decimals),
        term=draw(st.sampled_from(["short", "long"])), short_sale=draw(st.booleans()),
        liquidation=draw(st.booleans()), purpose=draw(st.sampled_from(["sale", "fee"])),
        sources=tuple(draw(st.lists(text, max_size=3))),
    )


@SETTINGS
@given(st.lists(form_rows(), max_size=15))
def test_json_lines_and_csv_cells(rows: list[Form8949Row]) -> None:
    assert jsonout.rows_json(rows) == [_old_row_json(r) for r in rows]
    assert [jsonout.row_json(r) for r in rows] == [_old_row_json(r) for r in rows]
    for row in rows:
        values = jsonout.row_values(row)
        assert values[5:7] == (fmt_money(row.proceeds), fmt_money(row.cost_basis))
        assert values[8:10] == (fmt_money(row.adjustment), fmt_money(row.gain))
        assert values[12] == fmt_quantity(row.quantity)
    cells = list(csvout.csv_records(rows))
    assert cells == [csvout.csv_cells(r) for r in rows]


def _with_rows(rows: list[Form8949Row]) -> TaxForms:
    forms = make_forms()
    return replace(forms, form_8949=replace(forms.form_8949, rows=tuple(rows)),
                   generated=datetime(2026, 2, 3, tzinfo=UTC))


@SETTINGS
@given(st.lists(form_rows(), max_size=15))
def test_txf_and_software_csv_files(rows: list[Form8949Row]) -> None:
    forms = _with_rows(rows)
    assert list(txf.records(forms)) == _old_txf_records(forms)
    turbotax, taxact = _old_software_rows(forms)
    for target, build, expected in (("t.csv", txf_csv._turbotax, turbotax), ("a.csv", txf_csv._taxact, taxact)):
        assert list(build(forms.form_8949.rows)) == expected, target


def test_txf_file_bytes(tmp_path: Path) -> None:
    forms = _with_rows(list(make_forms(inject=True).form_8949.rows))
    txf.write_txf(forms, tmp_path / "x.txf")
    expected = "".join("\r\n".join([*fields, "^"]) + "\r\n" for fields in _old_txf_records(forms))
    assert (tmp_path / "x.txf").read_bytes() == expected.encode()
    txf_csv.write_taxact_csv(forms, tmp_path / "a.csv")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(txf_csv.TAXACT_COLUMNS)
    writer.writerows(_old_software_rows(forms)[1])
    assert (tmp_path / "a.csv").read_bytes() == buffer.getvalue().encode()
