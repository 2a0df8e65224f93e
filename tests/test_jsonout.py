"""forms.json (interfaces.md §4) and form8949.csv: every contract key, formats, atomic write."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from taxmargin.reports import csvout, jsonout
from taxmargin.reports.build import build_forms
from taxmargin.reports.forms import TaxForms

from taxmargin.booking import Booking, Disposal, InterestPayment, OpenShort, Purpose
from taxmargin.errors import Diagnostic, Severity
from taxmargin.models import SourceRef
from taxmargin.profile import Profile, parse_profile
from taxmargin.rules.us import tax_year


def D(text: str) -> Decimal:
    return Decimal(text)


def t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


#: the interfaces.md §4 example row
EXAMPLE = Disposal("kraken", "BTC", D("0.5"), t("2024-01-15T12:00:00"), t("2025-01-15T12:00:00"), D("100"), D("50"),
                   sources=(SourceRef("kraken_ledgers.csv", 12),))
LOSS = Disposal("kraken", "ETH", D("10"), t("2025-05-12T10:00:00"), t("2025-05-12T10:05:00"), D("21978"), D("26026"),
                purpose=Purpose.SHORT, short_sale=True, liquidation=True,
                sources=(SourceRef("k.csv", 40), SourceRef("k.csv", 39)))


def make(*disposals: Disposal, **profile_keys: object) -> TaxForms:
    b = Booking(
        disposals=disposals, income=(), funding_paid=(), open_lots=(), liabilities=(),
        interest=(InterestPayment(t("2025-05-12T10:05:00"), "kraken", "USD", D("52"), D("52"), SourceRef("k.csv", 41)),),
        open_shorts=(OpenShort("kraken", "SOL", D("120"), D("7314"), t("2025-11-19T22:13:33"), SourceRef("b.csv", 7)),),
        diagnostics=(Diagnostic(Severity.WARNING, "missing-basis", "no basis", SourceRef("k.csv", 39)),
                     Diagnostic(Severity.INFO, "note", "sourceless")),
    )
    prof = parse_profile(dict(profile_keys)) if profile_keys else Profile()
    return build_forms(tax_year(b, prof, 2025), prof)


def as_json(forms: TaxForms) -> Any:
    """The document as plain JSON data (typed ``Any`` for indexing in tests)."""
    return jsonout.forms_to_dict(forms)


def test_example_row_exactly_as_documented() -> None:
    doc = as_json(make(EXAMPLE))
    (row,) = doc["form_8949"]
    expected = {"part": "I", "box": "I", "description": "0.50000000 BTC",
                "date_acquired": "2024-01-15", "date_sold": "2025-01-15",
                "proceeds": "100.00", "cost_basis": "50.00", "code": "", "adjustment": "0.00", "gain": "50.00",
                "account": "kraken", "asset": "BTC", "quantity": "0.5",
                "short_sale": False, "liquidation": False, "sources": ["kraken_ledgers.csv:12"]}
    assert {k: row[k] for k in expected} == expected


def test_every_contract_key_is_present() -> None:
    doc = as_json(make(EXAMPLE, LOSS))
    for key in ("tax_year", "method", "timezone", "form_8949", "schedule_d", "form_4952", "carryforward",
                "income", "open_positions", "diagnostics"):
        assert key in doc
    assert (doc["tax_year"], doc["method"], doc["timezone"]) == (2025, "fifo", "UTC")
    sd = doc["schedule_d"]
    assert isinstance(sd, dict)
    for line in ("line_1b", "line_2", "line_3", "line_8b", "line_9", "line_10"):
        assert set(sd[line]) == {"proceeds", "cost_basis", "adjustment", "gain"}
    for line in ("line_6", "line_7", "line_14", "line_15", "line_16", "line_21"):
        assert isinstance(sd[line], str)
    f = doc["form_4952"]
    assert isinstance(f, dict) and list(f) == [
        "line_1", "line_2", "line_3", "line_4a", "line_4b", "line_4c", "line_4d", "line_4e", "line_4f",
        "line_4g", "line_4h", "line_5", "line_6", "line_7", "line_8"]
    assert set(doc["carryforward"]) == {"short_term_loss", "long_term_loss", "investment_interest"}
    assert doc["income"] == {"ordinary": "0.00"}
    for diag in doc["diagnostics"]:
        assert set(diag) == {"severity", "code", "message", "source"}


def test_amount_formats_and_signs() -> None:
    doc = as_json(make(EXAMPLE, LOSS))
    sd = doc["schedule_d"]
    assert isinstance(sd, dict)
    # box I: 50.00 + (4,048.00) = (3,998.00) -> line 21 (3,000.00), two decimals, leading '-'
    assert sd["line_3"]["gain"] == "-3998.00"
    assert (sd["line_7"], sd["line_16"], sd["line_21"], sd["line_6"], sd["line_14"]) == (
        "-3998.00", "-3998.00", "-3000.00", "0.00", "0.00")
    assert doc["carryforward"] == {"short_term_loss": "998.00", "long_term_loss": "0.00",
                                   "investment_interest": "52.00"}  # 3,998 - 3,000; L7 = 52 - 0
    loss_row = doc["form_8949"][1]
    assert (loss_row["description"], loss_row["gain"], loss_row["short_sale"], loss_row["liquidation"]) == (
        "10.00000000 ETH (short sale closed, liquidation)", "-4048.00", True, True)
    assert loss_row["sources"] == ["k.csv:40", "k.csv:39"]


def test_extra_keys() -> None:
    doc = as_json(make(EXAMPLE, name="Pat", ssn="123-45-6789"))
    assert doc["taxpayer"] == {"name": "Pat", "id": "XXX-XX-6789"}
    options = doc["options"]
    assert isinstance(options, dict) and options["short_against_box"] == "analogy" and options["method"] == "fifo"
    assert doc["form_4952_required"] is True
    assert doc["funding_paid_nondeductible"] == "0.00"
    assert doc["schedule_d"]["line_17_both_gains"] is False
    ws = doc["carryover_worksheet"]
    assert isinstance(ws, dict) and ws["taxable_income_assumed"] is True and len(ws["lines"]) == 13
    (pos,) = doc["open_positions"]
    assert pos == {"kind": "short", "account": "kraken", "asset": "SOL", "quantity": "120", "usd": "7314.00",
                   "since": "2025-11-19T22:13:33+00:00", "source": "b.csv:7"}
    diags = {d["code"]: d for d in doc["diagnostics"]}
    assert diags["note"]["source"] is None and diags["note"]["severity"] == "info"


def test_detail_rows_not_exception_2_summaries() -> None:
    doc = as_json(make(EXAMPLE, LOSS, report={"exception2_threshold": 1}))
    assert doc["form_8949_exception2_boxes"] == ["I"]
    assert [r["description"] for r in doc["form_8949"]] == [
        "0.50000000 BTC", "10.00000000 ETH (short sale closed, liquidation)"]


def test_whole_dollar_amounts_end_in_00() -> None:
    odd = Disposal("kraken", "BTC", D("0.5"), t("2025-01-15T12:00:00"), t("2025-02-15T12:00:00"), D("100.50"),
                   D("50.49"), sources=(SourceRef("x.csv", 1),))
    doc = as_json(make(odd, round_whole_dollars=True))
    row = doc["form_8949"][0]
    assert (row["proceeds"], row["cost_basis"], row["gain"]) == ("101.00", "50.00", "51.00")


def test_write_json(tmp_path: Path) -> None:
    forms = make(EXAMPLE)
    (path,) = jsonout.write(forms, tmp_path / "out")
    assert path == tmp_path / "out" / "forms.json"
    assert json.loads(path.read_text(encoding="utf-8")) == jsonout.forms_to_dict(forms)
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["forms.json"]  # no temp file left


def test_write_csv(tmp_path: Path) -> None:
    forms = make(EXAMPLE, LOSS)
    (path,) = csvout.write(forms, tmp_path)
    with path.open(encoding="utf-8", newline="") as handle:
        records = list(csv.DictReader(handle))
    json_rows = as_json(forms)["form_8949"]
    assert len(records) == 2 and set(records[0]) >= set(json_rows[0])
    assert records[1]["sources"] == "k.csv:40;k.csv:39"
    assert (records[1]["gain"], records[1]["short_sale"], records[0]["quantity"]) == ("-4048.00", "true", "0.5")


def test_csv_neutralises_formulas(tmp_path: Path) -> None:
    evil = Disposal("=cmd|' /C calc'!A0", "@SUM", D("1"), t("2025-01-15T12:00:00"), t("2025-02-15T12:00:00"),
                    D("1"), D("2"), sources=(SourceRef("+x.csv", 1),))
    (path,) = csvout.write(make(evil), tmp_path)
    with path.open(encoding="utf-8", newline="") as handle:
        (record,) = list(csv.DictReader(handle))
    assert record["account"].startswith("'=") and record["asset"] == "'@SUM"
    assert record["sources"] == "'+x.csv:1" and record["gain"] == "-1.00"
