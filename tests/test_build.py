"""``build_forms`` end to end on hand-built Bookings: the worked examples of tax-rules.md
§7.1 (liquidation gain), §7.2 (short sale), §7.3 (interest paid in crypto), rounding,
masking, income and open positions."""

from __future__ import annotations

import pytest
from booking_support import D, booking, t
from taxmargin.reports.build import build_forms, mask_ssn
from taxmargin.reports.forms import TaxForms, Totals

from taxmargin.booking import (
    Booking,
    Disposal,
    FundingPayment,
    IncomeItem,
    InterestPayment,
    Liability,
    OpenLot,
    OpenShort,
    Purpose,
)
from taxmargin.errors import ProfileError
from taxmargin.models import SourceRef
from taxmargin.profile import Profile, parse_profile
from taxmargin.rules.us import tax_year


def forms_for(b: Booking, year: int = 2025, **profile_keys: object) -> TaxForms:
    prof = parse_profile(dict(profile_keys)) if profile_keys else Profile()
    return build_forms(tax_year(b, prof, year), prof)


LIQ = SourceRef("ex.csv", 30)
#: tax-rules.md §7.1: two lots force-sold 2025-04-07 at 76,000 less a 1,520 fee each = 74,480
LOT_A = Disposal("ex", "BTC", D("1"), t("2023-03-15T15:00:00"), t("2025-04-07T14:00:00"), D("74480"), D("25025"),
                 liquidation=True, sources=(LIQ, SourceRef("ex.csv", 2)), lot_id="A")
LOT_B = Disposal("ex", "BTC", D("1"), t("2025-01-20T15:00:00"), t("2025-04-07T14:00:00"), D("74480"), D("100100"),
                 liquidation=True, sources=(LIQ, SourceRef("ex.csv", 10)), lot_id="B")
INTEREST_7_1 = InterestPayment(t("2025-04-07T14:00:00"), "ex", "USD", D("1000"), D("1000"), SourceRef("ex.csv", 31))


def test_section_7_1_liquidation_with_a_taxable_gain() -> None:
    forms = forms_for(booking(disposals=(LOT_A, LOT_B), interest=(INTEREST_7_1,)))
    rows = {r.box: r for r in forms.form_8949.rows}
    # §7.1 table: A -> Part II box L (d) 74,480 (e) 25,025 (h) 49,455; B -> Part I box I (h) (25,620)
    assert (rows["L"].part, rows["L"].proceeds, rows["L"].cost_basis, rows["L"].gain) == (
        "II", D("74480.00"), D("25025.00"), D("49455.00"))
    assert (rows["I"].part, rows["I"].proceeds, rows["I"].cost_basis, rows["I"].gain) == (
        "I", D("74480.00"), D("100100.00"), D("-25620.00"))
    assert rows["L"].description == "1.00000000 BTC (liquidation)"
    assert [r.box for r in forms.form_8949.rows] == ["I", "L"]  # Part I first
    sd = forms.schedule_d
    # §7.1: line 7 (25,620); line 15 49,455; line 16 23,835; both gains
    assert sd.line_3 == Totals(D("74480.00"), D("100100.00"), D("0.00"), D("-25620.00"))
    assert sd.line_10.gain == D("49455.00")
    assert (sd.line_7, sd.line_15, sd.line_16, sd.line_21) == (D("-25620"), D("49455"), D("23835"), D("0"))
    assert sd.line_17_both_gains
    f = forms.form_4952
    # §7.1: line 1 gets the 1,000 interest; 4d 23,835; net capital gain min(49,455, 23,835) -> 4e 23,835;
    # 4f 0; no other investment income -> 4h 0, L6 0, L8 0, L7 1,000 carried forward
    assert (f.line_1, f.line_4d, f.line_4e, f.line_4f, f.line_4h, f.line_8, f.line_7) == (
        D("1000"), D("23835"), D("23835"), D("0"), D("0"), D("0"), D("1000"))
    assert f.required
    assert (forms.carryforward.short_term_loss, forms.carryforward.long_term_loss,
            forms.carryforward.investment_interest) == (D("0"), D("0"), D("1000"))


def test_section_7_1_review_explains_the_gain() -> None:
    forms = forms_for(booking(disposals=(LOT_A, LOT_B), interest=(INTEREST_7_1,)))
    (liq,) = forms.review.liquidations
    # proceeds 2 x 74,480 = 148,960; basis 25,025 + 100,100 = 125,125; gain 23,835 = -25,620 + 49,455
    assert (liq.proceeds, liq.cost_basis, liq.gain, liq.short_term_gain, liq.long_term_gain) == (
        D("148960"), D("125125"), D("23835"), D("-25620"), D("49455"))
    assert (liq.account, liq.source, len(liq.lots)) == ("ex", "ex.csv:30", 2)
    assert liq.explanation == (
        "Taxable gain of $23,835.00 despite the forced sale: lots acquired on 2023-03-15 had built-in "
        "gains of $49,455.00; the units acquired most recently (2025-01-20) sold for $74,480.00 against "
        "a cost of $100,100.00, a loss of $25,620.00.")
    april = forms.review.by_month[3]
    assert (april.month, april.short_term, april.long_term, april.liquidation_count) == (
        4, D("-25620"), D("49455"), 1)
    assert [(a.account, a.short_term, a.long_term) for a in forms.review.by_account] == [
        ("ex", D("-25620"), D("49455"))]


def test_section_7_1_partial_liquidation_variants() -> None:
    # §7.1 variant: FIFO sells lot A -> LT gain 49,455; HIFO sells lot B -> ST loss (25,620); the
    # latter has no explanation (gain not positive)
    fifo = forms_for(booking(disposals=(LOT_A,)))
    assert fifo.schedule_d.line_15 == D("49455") and fifo.review.liquidations[0].explanation.startswith("Taxable")
    hifo = forms_for(booking(disposals=(LOT_B,)))
    assert hifo.schedule_d.line_7 == D("-25620") and hifo.review.liquidations[0].explanation == ""


def test_section_7_2_short_sale_closed_at_a_loss() -> None:
    short = Disposal("kraken", "ETH", D("10"), t("2025-05-12T10:00:00"), t("2025-05-12T10:05:00"), D("21978"),
                     D("26026"), purpose=Purpose.SHORT, short_sale=True,
                     sources=(SourceRef("k.csv", 40), SourceRef("k.csv", 39)))
    pay = InterestPayment(t("2025-05-12T10:05:00"), "kraken", "USD", D("52"), D("52"), SourceRef("k.csv", 41))
    forms = forms_for(booking(disposals=(short,), interest=(pay,)))
    (row,) = forms.form_8949.rows
    # §7.2: Part I box I, (b) = (c) = 05/12/2025, (d) 21,978 (e) 26,026 (h) (4,048)
    assert (row.part, row.box, row.description) == ("I", "I", "10.00000000 ETH (short sale closed)")
    assert (str(row.date_acquired), str(row.date_sold)) == ("2025-05-12", "2025-05-12")
    assert (row.proceeds, row.cost_basis, row.gain, row.short_sale) == (D("21978"), D("26026"), D("-4048"), True)
    assert forms.form_4952.line_1 == D("52")  # §7.2: Form 4952 line 1 += 52 (§163(d)(3)(C))
    # line 16 (4,048) -> line 21 (3,000); 1,048 carries as short-term (worksheet W8 = 4,048 - 3,000)
    assert forms.schedule_d.line_21 == D("-3000") and forms.carryforward.short_term_loss == D("1048")


def test_section_7_3_interest_paid_in_crypto() -> None:
    paid = Disposal("binance", "BTC", D("0.001"), t("2024-11-01T12:00:00"), t("2025-08-15T12:00:00"), D("118.00"),
                    D("70.07"), purpose=Purpose.INTEREST, sources=(SourceRef("b.csv", 5), SourceRef("b.csv", 1)))
    pay = InterestPayment(t("2025-08-15T12:00:00"), "binance", "BTC", D("0.001"), D("118.00"), SourceRef("b.csv", 5))
    forms = forms_for(booking(disposals=(paid,), interest=(pay,)))
    (row,) = forms.form_8949.rows
    # §7.3: "0.001 BTC (margin interest payment)", (b) 11/01/2024, (c) 08/15/2025, 118.00 / 70.07 / 47.93 ST
    assert row.description == "0.00100000 BTC (margin interest payment)"
    assert (str(row.date_acquired), str(row.date_sold), row.part, row.box) == ("2024-11-01", "2025-08-15", "I", "I")
    assert (row.proceeds, row.cost_basis, row.gain) == (D("118.00"), D("70.07"), D("47.93"))
    assert forms.form_4952.line_1 == D("118.00")
    (line,) = forms.interest_lines
    assert (line.kind, line.usd, line.source) == ("interest", D("118.00"), "b.csv:5")


def test_round_whole_dollars_end_to_end() -> None:
    # §1.7: row (d) 100.50 -> 101, (e) 50.49 -> 50, (h) 51; Schedule D from the rounded rows
    d = Disposal("ex", "BTC", D("1"), t("2025-01-01T12:00:00"), t("2025-02-01T12:00:00"), D("100.50"), D("50.49"),
                 sources=(SourceRef("ex.csv", 3),))
    forms = forms_for(booking(disposals=(d,)), round_whole_dollars=True)
    (row,) = forms.form_8949.rows
    assert (row.proceeds, row.cost_basis, row.gain) == (D("101"), D("50"), D("51"))
    assert forms.schedule_d.line_7 == D("51") and forms.round_whole_dollars


def test_income_funding_and_lending_option() -> None:
    inc = IncomeItem(t("2025-03-01T00:00:00"), "kraken", "USDC", D("120.004"), D("120.004"), "income",
                     SourceRef("k.csv", 3))
    fund_in = IncomeItem(t("2025-03-02T00:00:00"), "bybit", "USDT", D("0.02"), D("0.02"), "funding",
                         SourceRef("y.csv", 4))
    fund_out = FundingPayment(t("2025-03-03T00:00:00"), "bybit", "USDT", D("0.08"), D("0.08"), SourceRef("y.csv", 5))
    pay = InterestPayment(t("2025-03-04T00:00:00"), "kraken", "USD", D("500"), D("500"), SourceRef("k.csv", 6))
    b = booking(income=(inc, fund_in), funding_paid=(fund_out,), interest=(pay,))
    forms = forms_for(b)
    # ordinary income = 120.004 + 0.02 = 120.024 -> 120.02; funding paid 0.08 nondeductible (U3)
    assert (forms.income_ordinary, forms.funding_paid_nondeductible) == (D("120.02"), D("0.08"))
    assert [x.kind for x in forms.interest_lines] == ["funding-paid", "interest"]
    assert forms.form_4952.line_4a == D("0")  # U10 default: lending income not in 4a
    with_lending = forms_for(b, options={"lending_income_in_4a": True})
    # U10 option: 4a = 120.004 -> 120.00 (income kind only, never funding); L8 = min(500, 120) = 120
    assert (with_lending.form_4952.line_4a, with_lending.form_4952.line_8) == (D("120.00"), D("120.00"))


def test_profile_inputs_reach_the_forms() -> None:
    forms = forms_for(
        booking(interest=(InterestPayment(t("2025-06-01T00:00:00"), "k", "USD", D("10"), D("10"), SourceRef("k", 1)),)),
        name="Pat Doe", ssn="123-45-6789", filing_status="mfs", taxable_income="-1000",
        carryover={"short_term_loss": 10000, "investment_interest": "25"},
    )
    assert (forms.taxpayer_name, forms.taxpayer_id, forms.filing_status) == ("Pat Doe", "XXX-XX-6789", "mfs")
    sd = forms.schedule_d
    # line 6 (10,000) = line 7 = line 16; MFS limit -> line 21 (1,500); worksheet W1 -1,000:
    # W3 = max(0, -1,000 + 1,500) = 500; W4 500; W8 = 10,000 - 500 = 9,500
    assert (sd.line_6, sd.line_21, forms.carryforward.short_term_loss) == (D("-10000"), D("-1500"), D("9500"))
    # Form 4952: L1 10 + L2 25 = 35, no investment income -> L7 35
    assert (forms.form_4952.line_3, forms.carryforward.investment_interest) == (D("35"), D("35"))


def test_election_too_large_raises_profile_error() -> None:
    with pytest.raises(ProfileError, match="election_4g"):
        forms_for(booking(), form_4952={"election_4g": 1})


@pytest.mark.parametrize(
    ("ssn", "show", "shown"),
    [("123-45-6789", False, "XXX-XX-6789"), ("123456789", False, "XXX-XX-6789"),
     ("123-45-6789", True, "123-45-6789"), ("", False, "")],
)
def test_mask_ssn(ssn: str, show: bool, shown: str) -> None:
    assert mask_ssn(ssn, show_full=show) == shown


def test_open_positions_and_tracing_diagnostic() -> None:
    pay = InterestPayment(t("2025-06-01T00:00:00"), "k", "USD", D("7"), D("7"), SourceRef("k.csv", 9),
                          personal_use_flag=True)
    b = booking(
        interest=(pay,),
        open_shorts=(OpenShort("k", "ETH", D("10"), D("21978"), t("2025-03-01T00:00:00"), SourceRef("k.csv", 2)),),
        liabilities=(Liability("k", "ETH", D("10")),),
        open_lots=(OpenLot("k", "BTC", D("0.5"), D("35035"), t("2024-11-01T00:00:00"), SourceRef("k.csv", 1)),),
    )
    forms = forms_for(b, options={"itemizes": False})
    assert [(p.kind, p.asset, p.usd) for p in forms.open_positions] == [
        ("short", "ETH", D("21978")), ("liability", "ETH", None), ("lot", "BTC", D("35035"))]
    codes = [d.code for d in forms.diagnostics]
    assert "interest-tracing" in codes
    assert forms.interest_lines[0].flagged
