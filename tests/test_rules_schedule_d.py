"""Schedule D lines and the Capital Loss Carryover Worksheet, worked by hand from
tax-rules.md §2.1-§2.3 (worksheet lines cited as W1..W13)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from taxmargin.reports.forms import CarryoverWorksheet, ScheduleD, Totals

from taxmargin.profile import Carryover
from taxmargin.rules.params import params_for
from taxmargin.rules.schedule_d import capital_loss_carryover, line_totals, schedule_d

P2025 = params_for(2025)


def D(text: str) -> Decimal:
    return Decimal(text)


def gain(h: str) -> Totals:
    """Box totals with only column (h) relevant: proceeds = gain, basis 0, or basis = loss."""
    value = D(h)
    return Totals(max(value, D("0")), max(-value, D("0")), D("0"), value)


def sched(boxes: dict[str, Totals], *, status: str = "single", st_carry: str = "0", lt_carry: str = "0",
          taxable_income: Decimal | None = None, whole: bool = False) -> ScheduleD:
    return schedule_d(
        boxes,
        carryover=Carryover(short_term_loss=D(st_carry), long_term_loss=D(lt_carry)),
        filing_status=status,
        params=P2025,
        taxable_income=taxable_income,
        whole_dollars=whole,
    )


def ws_lines(ws: CarryoverWorksheet) -> dict[str, Decimal]:
    return dict(ws.lines)


def test_box_routing() -> None:
    # §1.2 / §2.1: A,G -> 1b; B,H -> 2; C,I -> 3; D,J -> 8b; E,K -> 9; F,L -> 10
    boxes = {b: gain(str(i)) for i, b in enumerate("ABCDEFGHIJKL", start=1)}
    lines = line_totals(boxes)
    assert lines["1b"].gain == Decimal(1 + 7)  # A=1, G=7
    assert lines["2"].gain == Decimal(2 + 8)  # B=2, H=8
    assert lines["3"].gain == Decimal(3 + 9)  # C=3, I=9
    assert lines["8b"].gain == Decimal(4 + 10)  # D=4, J=10
    assert lines["9"].gain == Decimal(5 + 11)  # E=5, K=11
    assert lines["10"].gain == Decimal(6 + 12)  # F=6, L=12
    with pytest.raises(ValueError, match="box"):
        line_totals({"Z": gain("1")})


def test_ten_thousand_short_term_loss_single() -> None:
    # §2.2: L7 = (10,000); L16 = (10,000); L21 = -min(10,000, 3,000) = (3,000)
    sd = sched({"I": gain("-10000")})
    assert (sd.line_7, sd.line_15, sd.line_16, sd.line_21) == (D("-10000"), D("0"), D("-10000"), D("-3000"))
    # §2.3 worksheet, taxable income unknown -> W1 = 0 (assumed not negative)
    # W2 3,000; W3 = max(0, 0 + 3,000) = 3,000; W4 = min(3,000, 3,000) = 3,000;
    # W5 = 10,000; W6 = 0; W7 = 3,000; W8 = 10,000 - 3,000 = 7,000 ST carryover; W9 = 0 -> LT 0
    ws = sd.carryover_worksheet
    assert ws.taxable_income_assumed
    assert ws_lines(ws)["1"] == D("0") and ws_lines(ws)["4"] == D("3000")
    assert (ws.short_term_carryover, ws.long_term_carryover) == (D("7000"), D("0"))


def test_ten_thousand_short_term_loss_mfs() -> None:
    # §2.3 [IRC1211(b)]: MFS limit 1,500 -> L21 (1,500); W8 = 10,000 - 1,500 = 8,500
    sd = sched({"I": gain("-10000")}, status="mfs")
    assert sd.line_21 == D("-1500") and sd.loss_limit == D("1500")
    assert sd.carryover_worksheet.short_term_carryover == D("8500")


def test_mixed_short_and_long_term_losses() -> None:
    # ST loss 2,000 (box I) + LT loss 5,000 (box L): L7 (2,000), L15 (5,000), L16 (7,000), L21 (3,000)
    sd = sched({"I": gain("-2000"), "L": gain("-5000")})
    assert (sd.line_7, sd.line_15, sd.line_16, sd.line_21) == (D("-2000"), D("-5000"), D("-7000"), D("-3000"))
    # W2 3,000; W3 3,000; W4 3,000; W5 2,000; W6 0; W7 3,000; W8 = max(0, 2,000 - 3,000) = 0
    # W9 5,000; W10 0; W11 = max(0, 3,000 - 2,000) = 1,000; W12 1,000; W13 = 5,000 - 1,000 = 4,000
    lines = ws_lines(sd.carryover_worksheet)
    assert [lines[str(n)] for n in range(1, 14)] == [
        D(v) for v in ("0", "3000", "3000", "3000", "2000", "0", "3000", "0", "5000", "0", "1000", "1000", "4000")
    ]
    assert sd.carryover_worksheet.short_term_carryover == D("0")
    assert sd.carryover_worksheet.long_term_carryover == D("4000")


def test_negative_taxable_income_increases_the_carryover() -> None:
    # 10,000 ST loss, taxable income (1,000): W1 -1,000; W2 3,000; W3 = max(0, -1,000 + 3,000) = 2,000;
    # W4 = min(3,000, 2,000) = 2,000; W7 = 2,000; W8 = 10,000 - 2,000 = 8,000 (1,000 more than 7,000)
    sd = sched({"I": gain("-10000")}, taxable_income=D("-1000"))
    ws = sd.carryover_worksheet
    assert not ws.taxable_income_assumed
    assert ws_lines(ws)["3"] == D("2000")
    assert ws.short_term_carryover == D("8000")


def test_positive_taxable_income_equals_the_assumption() -> None:
    # any W1 >= 0 gives W3 >= W2, so W4 = W2: same carryover as the "unknown" case (7,000)
    sd = sched({"I": gain("-10000")}, taxable_income=D("85000"))
    assert sd.carryover_worksheet.short_term_carryover == D("7000")


def test_prior_carryovers_enter_lines_6_and_14() -> None:
    # profile carryover ST 4,000 and LT 1,500 (positive) -> line 6 (4,000), line 14 (1,500) (§2.1)
    # box I gain 5,000, box L gain 1,000: L7 = 5,000 - 4,000 = 1,000; L15 = 1,000 - 1,500 = (500)
    # L16 = 500 -> L21 0; line 17 "both gains?" no (L15 is a loss)
    sd = sched({"I": gain("5000"), "L": gain("1000")}, st_carry="4000", lt_carry="1500")
    assert (sd.line_6, sd.line_14) == (D("-4000"), D("-1500"))
    assert (sd.line_7, sd.line_15, sd.line_16, sd.line_21) == (D("1000"), D("-500"), D("500"), D("0"))
    assert not sd.line_17_both_gains
    # worksheet: W2 0, W4 0; W5 0 (L7 not a loss) -> ST 0; W9 500; W10 1,000; W11 0; W12 1,000;
    # W13 = max(0, 500 - 1,000) = 0
    assert sd.carryover_worksheet.short_term_carryover == D("0")
    assert sd.carryover_worksheet.long_term_carryover == D("0")


def test_carryover_only_losses() -> None:
    # no transactions, carryover ST 10,000: L6 (10,000) = L7 = L16; L21 (3,000); next year 7,000
    sd = sched({}, st_carry="10000")
    assert (sd.line_7, sd.line_21) == (D("-10000"), D("-3000"))
    assert sd.carryover_worksheet.short_term_carryover == D("7000")


def test_section_7_1_liquidation_gain() -> None:
    # §7.1: line 7 = (25,620); line 15 = 49,455; line 16 = 23,835; both gains -> line 17 yes
    sd = sched({"I": gain("-25620"), "L": gain("49455")})
    assert (sd.line_7, sd.line_15, sd.line_16, sd.line_21) == (D("-25620"), D("49455"), D("23835"), D("0"))
    assert sd.line_17_both_gains
    assert sd.carryover_worksheet.short_term_carryover == D("0")
    assert sd.carryover_worksheet.long_term_carryover == D("0")


def test_zero_line_16_and_small_loss() -> None:
    # L16 = 0 -> L21 0 (§2.2 "if L16 == 0: skip 17-21")
    sd = sched({"I": gain("-100"), "L": gain("100")})
    assert (sd.line_16, sd.line_21) == (D("0"), D("0"))
    # a loss under the limit is deducted in full and nothing carries: L21 (1,234.56)
    sd = sched({"I": gain("-1234.56")})
    assert sd.line_21 == D("-1234.56")
    assert sd.carryover_worksheet.short_term_carryover == D("0")


def test_whole_dollar_carryover_inputs() -> None:
    # §1.7: with whole-dollar rounding the profile carryover 1,234.50 is entered as 1,235
    sd = sched({}, st_carry="1234.50", whole=True)
    assert sd.line_6 == D("-1235")


def test_worksheet_direct_long_term_only() -> None:
    # LT loss 8,000, no ST: L7 0, L15 (8,000), L21 (3,000): W5 0; W9 8,000; W11 = 3,000 - 0;
    # W13 = 8,000 - 3,000 = 5,000
    ws = capital_loss_carryover(line_7=D("0"), line_15=D("-8000"), line_21=D("-3000"), taxable_income=None)
    assert (ws.short_term_carryover, ws.long_term_carryover) == (D("0"), D("5000"))
