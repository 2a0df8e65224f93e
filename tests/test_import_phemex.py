"""Phemex importer (issue 4): contract funds / tax report (TAXATION_FUND).

Expected numbers come from samples/EXPECTED.md (sample) or were worked out by hand from
the fixture rows (line numbers cited). Net per asset = received - sent - fee over all
events (EXPECTED.md's convention).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from taxmargin.importers.base import load_file
from taxmargin.models import Amount
from tests.conftest import FIXTURES
from tests.golden import assert_golden
from tests.importer_support import _net, _parse, _q, _text, check_malformed_rows, detected_layouts

D = Decimal
PHEMEX = FIXTURES / "phemex"


def usdt(quantity: str) -> Amount:
    return Amount(D(quantity), "USDT")


def test_taxation_fund_sample(samples: Path) -> None:
    name, result = _parse(load_file(samples / "phemex" / "phemex_taxation_fund_constructed.csv"))
    assert name == "phemex-taxation-fund"
    assert (result.rows_read, result.unaccounted, result.errors, result.non_taxable) == (8, 0, (), ())
    pnl = [(e.source.line, e.received, e.sent, e.fee) for e in result.events if e.type_name == "realized_pnl"]
    assert pnl == [
        (2, None, usdt("0.06"), None),  # opening fee alone (remark …0001)
        (4, usdt("2.5"), None, usdt("0.0615")),  # closed +2.5 with its fee (…0002, lines 4-5)
        (6, usdt("0.005"), None, None),  # maker rebate (…0003)
        (8, None, usdt("1.75"), usdt("0.0121")),  # closed -1.75 with its fee (…0004, lines 8-9)
    ]
    # EXPECTED.md: closed positions 2 (+2.5 and -1.75 -> +0.75)
    assert sum((_q(e.received) - _q(e.sent) for e in result.events if e.note.startswith("closed")), D(0)) == D("0.75")
    # EXPECTED.md: trade fees 4: -0.06 - 0.0615 + 0.005 - 0.0121 = -0.1286
    fees = sum((_q(e.fee) for e in result.events), D(0))
    fee_only = sum((_q(e.sent) - _q(e.received) for e in result.events if e.note.startswith("trading fee")), D(0))
    assert fees + fee_only == D("0.1286")
    # EXPECTED.md: funding 2: -0.0123 (16:00 UTC) and +0.004 (08:00 UTC)
    funding = [(e.time.hour, e.sent, e.received) for e in result.events if e.type_name == "funding"]
    assert funding == [(16, usdt("0.0123"), None), (8, None, usdt("0.004"))]
    assert {e.type_name for e in result.events} == {"realized_pnl", "funding"}  # no borrow/interest/...
    assert _net(result.events) == {"USDT": D("0.6131")}
    assert [d.code for d in result.diagnostics] == ["assumed-currency"]
    assert all(e.account == "phemex" for e in result.events)


def test_fixture_golden_and_accounting() -> None:
    path = PHEMEX / "phemex_taxation_fund.csv"
    name, result = _parse(load_file(path))
    assert name == "phemex-taxation-fund"
    assert result.unaccounted == 0 and result.errors == ()
    # lines 8-10 (remark …0004): Closed PNL 7.5, fee -0.048, rebate +0.001 -> one event
    assert [(e.received, e.fee) for e in result.events if e.source.line == 8] == [
        (Amount(D("7.501"), "USDT"), Amount(D("0.048"), "USDT"))]
    # sum of every Change: -0.03 - 0.0045 + 0.0021 - 4.2 - 0.029 + 0.004 + 7.5 - 0.048 + 0.001
    assert _net(result.events) == {"USDT": D("3.1956")}
    assert_golden(path, result.events)


@pytest.mark.parametrize("path", ["fixture", "sample"])
def test_detected_by_exactly_one_layout(path: str, samples: Path) -> None:
    file = load_file(PHEMEX / "phemex_taxation_fund.csv" if path == "fixture"
                     else samples / "phemex" / "phemex_taxation_fund_constructed.csv")
    assert detected_layouts(file) == ["phemex-taxation-fund"]


def test_currency_column_wins_over_the_assumption() -> None:
    text = "Time (UTC),Operation,Change,Remark,Currency\n2026-01-01 00:00:00,Funding Fee,-0.00001,BTCUSD,BTC\n"
    _, result = _parse(_text("inverse.csv", text))
    assert [e.sent for e in result.events] == [Amount(D("0.00001"), "BTC")]
    assert result.diagnostics == ()


def test_malformed_rows_are_rejected_and_good_rows_import() -> None:
    extra = (
        "2026-01-09 00:00:00,Trade Fee\n"  # truncated
        "2026-01-09 00:00:00,Trade Fee,-0,01,x\n"  # a decimal comma splits the number
        "2026-01-09 00:00:00,Trade Fee,abc,x\n"  # bad number
        "2026-02-30 00:00:00,Trade Fee,-0.01,x\n"  # bad date
        "2026-01-09 00:00:00,Liquidation,-5,x\n"  # unknown (unverified) operation
    )
    check_malformed_rows(PHEMEX / "phemex_taxation_fund.csv", extra, {
        11: {"Change"}, 12: {"(row)"}, 13: {"Change"}, 14: {"Time (UTC)"}, 15: {"Operation"}})
