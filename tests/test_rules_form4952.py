"""Form 4952 (tax-rules.md §3.1-§3.7): the §7.4 and §7.5 tables line by line, the line-4g
limit, the filing exception, U8/U10 options and the §3.1 invariants."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from taxmargin.reports.forms import Form4952

from taxmargin.errors import ProfileError
from taxmargin.profile import InvestmentIncome
from taxmargin.rules.form4952 import form_4952
from taxmargin.rules.params import params_for

P2025 = params_for(2025)
LINES = ("line_1", "line_2", "line_3", "line_4a", "line_4b", "line_4c", "line_4d", "line_4e",
         "line_4f", "line_4g", "line_4h", "line_5", "line_6", "line_7", "line_8")


def D(text: str) -> Decimal:
    return Decimal(text)


def f4952(*, interest: str, carry: str = "0", bank_interest: str = "0", ordinary: str = "0",
          qualified: str = "0", line_15: str = "0", line_16: str = "0", election: str = "0",
          lending: str = "0", itemizes: bool = True, whole: bool = False) -> Form4952:
    return form_4952(
        interest_paid=D(interest),
        carryover_interest=D(carry),
        investment_income=InvestmentIncome(
            interest=D(bank_interest), ordinary_dividends=D(ordinary), qualified_dividends=D(qualified)
        ),
        lending_income=D(lending),
        schedule_d_line_15=D(line_15),
        schedule_d_line_16=D(line_16),
        election_4g=D(election),
        itemizes=itemizes,
        params=P2025,
        whole_dollars=whole,
    )


def lines(form: Form4952) -> dict[str, Decimal]:
    return {name: getattr(form, name) for name in LINES}


def test_section_7_4_interest_exceeds_net_investment_income() -> None:
    # §7.4: interest 4,000; no carryforward; bank interest 1,200; net ST gain 1,800, no LT
    # (Schedule D line 15 = 0, line 16 = 1,800)
    form = f4952(interest="4000", bank_interest="1200", line_15="0", line_16="1800")
    assert lines(form) == {
        "line_1": D("4000"), "line_2": D("0"), "line_3": D("4000"),  # L3 = L1 + L2
        "line_4a": D("1200"), "line_4b": D("0"), "line_4c": D("1200"),
        "line_4d": D("1800"),  # net gain from dispositions
        "line_4e": D("0"),  # net capital gain 0 (no LT gain)
        "line_4f": D("1800"), "line_4g": D("0"),
        "line_4h": D("3000"),  # 1,200 + 1,800 + 0
        "line_5": D("0"), "line_6": D("3000"),
        "line_7": D("1000"),  # 4,000 - 3,000 carried to 2026
        "line_8": D("3000"),  # -> Schedule A line 9
    }
    assert form.required  # interest 4,000 is not less than 4c 1,200 (§3.7 (1))
    assert form.lost_if_not_itemizing == D("0")


def test_section_7_4_standard_deduction_loses_line_8() -> None:
    # §7.4 / §3.4 (U8): not itemizing -> the 3,000 is simply not deducted; only 1,000 carries
    form = f4952(interest="4000", bank_interest="1200", line_16="1800", itemizes=False)
    assert form.line_7 == D("1000")
    assert form.lost_if_not_itemizing == D("3000")


@pytest.mark.parametrize(
    ("election", "expected"),
    [
        # §7.5 "No election" column: 4a/4c 500; 4d/4e/4f 20,000/20,000/0; 4g 0; 4h = 6 = 500;
        # L8 500; L7 = 10,000 - 500 = 9,500
        ("0", {"line_4a": "500", "line_4c": "500", "line_4d": "20000", "line_4e": "20000", "line_4f": "0",
               "line_4g": "0", "line_4h": "500", "line_6": "500", "line_8": "500", "line_7": "9500"}),
        # §7.5 "Elect 4g = 9,500" column: 4h = 500 + 0 + 9,500 = 10,000 = L6 = L8; L7 0
        ("9500", {"line_4a": "500", "line_4c": "500", "line_4d": "20000", "line_4e": "20000", "line_4f": "0",
                  "line_4g": "9500", "line_4h": "10000", "line_6": "10000", "line_8": "10000", "line_7": "0"}),
    ],
)
def test_section_7_5_election_columns(election: str, expected: dict[str, str]) -> None:
    # §7.5: interest 500; LT gain 20,000 (line 15 = line 16 = 20,000); margin interest 10,000
    form = f4952(interest="10000", bank_interest="500", line_15="20000", line_16="20000", election=election)
    got = lines(form)
    assert {k: got[k] for k in expected} == {k: D(v) for k, v in expected.items()}
    assert form.line_3 == D("10000")


def test_election_above_4b_plus_4e_is_a_profile_error() -> None:
    # §3.3: 0 <= 4g <= 4b + 4e; §7.5 has 4b 0 and 4e 20,000 -> 20,000.01 is too much
    with pytest.raises(ProfileError, match="election_4g"):
        f4952(interest="10000", bank_interest="500", line_15="20000", line_16="20000", election="20000.01")
    # the maximum itself is allowed
    assert f4952(interest="1", line_15="20000", line_16="20000", election="20000").line_4g == D("20000")


def test_qualified_dividends_above_ordinary_is_a_profile_error() -> None:
    with pytest.raises(ProfileError, match="qualified_dividends"):
        f4952(interest="1", ordinary="100", qualified="200")


def test_line_4e_is_net_capital_gain() -> None:
    # §3.1: ST loss 3,000, LT gain 10,000 -> line 7 (3,000), line 15 10,000, line 16 7,000:
    # 4d 7,000; net capital gain = min(15, 16) = 7,000 -> 4e 7,000; 4f 0
    form = f4952(interest="100", line_15="10000", line_16="7000")
    assert (form.line_4d, form.line_4e, form.line_4f) == (D("7000"), D("7000"), D("0"))
    # ST gain 2,000 and LT gain 3,000: 4d 5,000; 4e = min(3,000, 5,000) = 3,000; 4f 2,000
    form = f4952(interest="100", line_15="3000", line_16="5000")
    assert (form.line_4d, form.line_4e, form.line_4f) == (D("5000"), D("3000"), D("2000"))


def test_line_4d_includes_capital_loss_carryovers() -> None:
    # LENEHAN / UT4d: gains 1,000 this year, carryover loss 5,000 -> line 16 (4,000) -> 4d 0
    form = f4952(interest="700", line_15="-4000", line_16="-4000")
    assert (form.line_4d, form.line_4e, form.line_6, form.line_7) == (D("0"), D("0"), D("0"), D("700"))


def test_lending_income_enters_line_4a_only_through_the_caller() -> None:
    # U10 option: the lending income the caller passes joins interest + ordinary dividends
    form = f4952(interest="500", bank_interest="100", ordinary="50", qualified="20", lending="30")
    # 4a = 100 + 50 + 30 = 180; 4b 20; 4c 160; 4h 160; L8 160; L7 = 500 - 160 = 340
    assert (form.line_4a, form.line_4b, form.line_4c, form.line_8, form.line_7) == (
        D("180"), D("20"), D("160"), D("160"), D("340"))


@pytest.mark.parametrize(
    ("interest", "carry", "bank", "required", "reason_part"),
    [
        # §3.7 exception: interest 100 < 4c 500, no line 5, no carryover -> not required
        ("100", "0", "500", False, "less than"),
        # (1) fails: interest 500 not less than 500
        ("500", "0", "500", True, "not less than"),
        # (3) fails: a carryover from last year
        ("100", "50", "500", True, "carried over"),
        # nothing to deduct
        ("0", "0", "500", False, "no investment interest"),
    ],
)
def test_required(interest: str, carry: str, bank: str, required: bool, reason_part: str) -> None:
    form = f4952(interest=interest, carry=carry, bank_interest=bank)
    assert form.required is required
    assert reason_part in form.required_reason


def test_whole_dollar_inputs() -> None:
    # §1.7: interest 1,000.49 -> 1,000; carryover 0.50 -> 1
    form = f4952(interest="1000.49", carry="0.50", whole=True)
    assert (form.line_1, form.line_2, form.line_3) == (D("1000"), D("1"), D("1001"))


money = st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False, allow_infinity=False)
signed = st.decimals(min_value=-(10**7), max_value=10**7, places=2, allow_nan=False, allow_infinity=False)


@given(interest=money, carry=money, bank=money, ordinary=money, line_15=signed, line_16=signed,
       share=st.integers(min_value=0, max_value=100))
@settings(max_examples=150, deadline=None)
def test_invariants(interest: Decimal, carry: Decimal, bank: Decimal, ordinary: Decimal,
                    line_15: Decimal, line_16: Decimal, share: int) -> None:
    """tax-rules.md §3.1 invariants: L3 = L1 + L2; L4c = L4a - L4b; L4f = L4d - L4e >= 0;
    L4e <= L4d; L4h = L4c + L4f + L4g; L6 >= 0; L7 + L8 = L3 when L6 <= L3, else L8 = L3, L7 = 0."""
    qualified = (ordinary * share / 100).quantize(Decimal("0.01"))
    probe = f4952(interest=str(interest), line_15=str(line_15), line_16=str(line_16),
                  ordinary=str(ordinary), qualified=str(qualified))
    election = ((probe.line_4b + probe.line_4e) * share / 100).quantize(Decimal("0.01"), rounding="ROUND_DOWN")
    form = f4952(interest=str(interest), carry=str(carry), bank_interest=str(bank), ordinary=str(ordinary),
                 qualified=str(qualified), line_15=str(line_15), line_16=str(line_16), election=str(election))
    assert form.line_3 == form.line_1 + form.line_2
    assert form.line_4c == form.line_4a - form.line_4b
    assert form.line_4f == form.line_4d - form.line_4e >= 0
    assert form.line_4e <= form.line_4d
    assert form.line_4h == form.line_4c + form.line_4f + form.line_4g
    assert form.line_6 >= 0
    if form.line_6 <= form.line_3:
        assert form.line_7 + form.line_8 == form.line_3
    else:
        assert (form.line_8, form.line_7) == (form.line_3, Decimal(0))
